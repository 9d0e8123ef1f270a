"""`acuerdo intel import`: bundles of any size, streamed; valid objects stored, others listed.

The memory test runs once (it starts a process): a bundle several times larger than the
memory the import may use imports fine under an address-space limit (RLIMIT_AS).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result
from intel_corpus import STAMP, new_id, sdo, sdos
from intel_support import row_counts

from acuerdo.cli import main as cli_main
from acuerdo.node import Node
from conftest import NodeHarness, make_node

CHILD = Path(__file__).with_name("import_child.py")


def _bundle(path: Path, objects: list[Any]) -> Path:
    path.write_text(json.dumps({"type": "bundle", "id": new_id("bundle"), "objects": objects}))
    return path


def _import(home: Path, file: Path, *extra: str, user: str = "analyst") -> Result:
    args = ["--home", str(home), "intel", "import", str(file), "--user", user, "--quiet", *extra]
    return CliRunner().invoke(cli_main, args)


async def test_valid_objects_are_stored_and_invalid_ones_listed(
    harness: NodeHarness, tmp_path: Path
) -> None:
    h = harness
    good = sdos()
    bad_pattern = sdo("indicator", pattern="[ipv4-addr:value = '1.2.3.4' OR]",
                      pattern_type="stix", valid_from=STAMP)  # fmt: skip
    typo = sdo("campaign", name="x", objectve="typo")
    agreement = {"type": "acuerdo-covered-person", "id": new_id("acuerdo-covered-person")}
    objects = [*good[:3], bad_pattern, "not an object", typo, agreement, *good[3:]]
    errors = tmp_path / "errors.jsonl"
    result = await asyncio.to_thread(
        _import,
        h.node.settings.home,
        _bundle(tmp_path / "b.json", objects),
        "--errors",
        str(errors),
    )
    assert result.exit_code == 1, result.output
    assert f"objects[3] {bad_pattern['id']}: " in result.stderr
    assert "pattern: at character 32: expected an object type" in result.stderr
    assert "objects[4] (no valid id): must be a JSON object" in result.stderr
    assert f"objects[5] {typo['id']}: " in result.stderr and "objectve" in result.stderr
    assert f"objects[6] {agreement['id']}" in result.stderr
    assert f"{len(objects)} objects: {len(good)} written, 0 unchanged, 4 invalid" in result.stdout
    lines = [json.loads(line) for line in errors.read_text().splitlines()]
    assert [e["index"] for e in lines] == [3, 4, 5, 6]
    for obj in good:
        r = await h.client.get(f"/api/v1/records/{obj['id']}", headers=h.auth("analyst"))
        assert r.status_code == 200, obj["type"]
    again = await asyncio.to_thread(
        _import, h.node.settings.home, _bundle(tmp_path / "c.json", good)
    )
    assert again.exit_code == 0 and f"0 written, {len(good)} unchanged" in again.stdout


async def test_files_that_are_not_bundles_write_nothing(
    harness: NodeHarness, tmp_path: Path
) -> None:
    h = harness
    before = await row_counts(h.node)
    cases = {
        "list.json": b"[1, 2]",
        "report.json": json.dumps(sdos()[0]).encode(),
        "broken.json": b'{"type": "bundle", "objects": [{"type": "ipv4-addr", "value": ',
        "empty.json": b"",
    }
    for name, content in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        result = await asyncio.to_thread(_import, h.node.settings.home, path)
        assert result.exit_code == 1, (name, result.output)
        assert "not a STIX bundle" in result.stderr or "not valid JSON" in result.stderr, name
    result = await asyncio.to_thread(
        _import, h.node.settings.home, _bundle(tmp_path / "v.json", sdos()), user="viewer"
    )
    assert result.exit_code == 1 and "needs one of" in result.stderr
    assert await row_counts(h.node) == before


def _write_large_bundle(path: Path, target_bytes: int) -> int:
    """A bundle of ~100 KB indicators up to `target_bytes`, written as a stream."""
    filler = "Ruta del Chaco. " * 6400  # about 100 KB of description
    count = 0
    with path.open("w", encoding="utf-8") as fh:
        fh.write(f'{{"type": "bundle", "id": "{new_id("bundle")}", "objects": [')
        while fh.tell() < target_bytes:
            obj = sdo("indicator", pattern=f"[ipv4-addr:value = '10.{count // 65536 % 256}."
                      f"{count // 256 % 256}.{count % 256}']", pattern_type="stix",
                      valid_from=STAMP, description=filler)  # fmt: skip
            fh.write(("," if count else "") + json.dumps(obj))
            count += 1
        fh.write("]}")
    return count


def _run_child(home: Path, file: Path, headroom: int) -> dict[str, Any]:
    # One malloc arena: glibc reserves 64 MiB of address space per extra arena, a reservation
    # that depends on thread timing and says nothing about memory used. The writer's page
    # cache is a fixed allowance of the configuration, not something the size of the file
    # makes grow: it gets SQLite's default here, so the limit measures the import alone.
    env = {**os.environ, "MALLOC_ARENA_MAX": "1", "ACUERDO_SQLITE_WRITER_CACHE_MIB": "2"}
    args = ["--home", str(home), "intel", "import", str(file), "--user", "analyst", "--quiet"]
    done = subprocess.run(
        [sys.executable, str(CHILD), str(headroom), "--", *args],
        capture_output=True, text=True, env=env, timeout=900, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    report["stdout"] = done.stdout
    return report


async def test_a_bundle_larger_than_the_memory_allowed_imports_fine(tmp_path: Path) -> None:
    node: Node = await make_node(tmp_path / "usa", None)
    from acuerdo.users import add_user

    party = node.agreement.party(node.party)
    assert party is not None
    await add_user(node.engines.writer, party=node.party, name="analyst",
                   agency=party.agencies[0].id, roles=["analyst"], password=None)  # fmt: skip
    home = node.settings.home
    await node.close()
    headroom = 96 << 20  # what the import may use beyond the loaded program
    file = tmp_path / "large.json"
    count = await asyncio.to_thread(_write_large_bundle, file, 3 * headroom + (16 << 20))
    assert file.stat().st_size > 3 * headroom
    report = await asyncio.to_thread(_run_child, home, file, headroom)
    assert report["code"] == 0, report
    assert f"{count} objects: {count} written, 0 unchanged, 0 invalid" in report["stdout"]
    print(
        f"bundle {file.stat().st_size >> 20} MiB, limit {report['limit'] >> 20} MiB, "
        f"peak {report['peak'] >> 20} MiB"
    )
    # The control: the same limit does stop a program that holds the whole file.
    hold = [sys.executable, "-c", "import resource, sys; lim = int(sys.argv[2]);"
            "resource.setrlimit(resource.RLIMIT_AS, (lim, lim));"
            "data = open(sys.argv[1], 'rb').read(); import json; json.loads(data)",
            str(file), str(report["limit"])]  # fmt: skip
    held = await asyncio.to_thread(subprocess.run, hold, capture_output=True, check=False)
    assert held.returncode != 0 and b"MemoryError" in held.stderr
