"""The two TAXII servers bench/taxii.py drives: acuerdo (`acuerdo serve`) and medallion.

Both run as their own processes on loopback ports, so the client measures each the same
way and neither shares its interpreter with the bench. medallion is the OASIS reference
TAXII 2.1 server with its memory backend (the `bench` extra installs it).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from acuerdo.markings import recipients_marking_definition
from acuerdo.node import Node, init_node
from acuerdo.settings import Settings
from acuerdo.users import add_user, create_token

TAXII = "application/taxii+json;version=2.1"
PASSWORD = "bench passphrase, long enough"
CACHE = Path(__file__).parent / ".cache"


@dataclass
class Peer:
    """A running TAXII server: where its collection is and how to sign in."""

    name: str
    collection: str  # URL of the collection, ending in '/'
    headers: dict[str, str]
    status_root: str  # URL of the API root, for status resources


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(url: str, headers: dict[str, str], proc: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if httpx.get(url, headers=headers, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


def cpu_seconds(pid: int) -> float:
    """User + system CPU a process has used (from /proc): the load of other processes on
    the machine does not count in it, as it does in wall-clock figures."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def running(
    cmd: list[str], url: str, headers: dict[str, str], env: dict[str, str] | None = None
) -> Iterator[int]:
    """Run a server until the block ends; yields its process id."""
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=full_env)
    try:
        wait_until_up(url, headers, proc)
        yield proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=30)


async def make_acuerdo_home(home: Path, users: dict[str, list[str]]) -> dict[str, str]:
    """A node with bench users (tokens returned) and the TLP:RED recipients marking."""
    settings = Settings(home=home)
    await init_node(settings, party="USA", agreement="usa-pry-2025")
    node = await Node.open(settings)
    try:
        party = node.agreement.party(node.party)
        assert party is not None
        tokens = {}
        for name, roles in users.items():
            await add_user(
                node.engines.writer, party=node.party, name=name,
                agency=party.agencies[0].id, roles=roles, password=PASSWORD,
            )  # fmt: skip
            tokens[name] = await create_token(node.engines.writer, name)
        await node.write([recipients_marking_definition(["USA:alice"])], user=None)
        return tokens
    finally:
        await node.close()


@contextmanager
def acuerdo_server(users: dict[str, list[str]]) -> Iterator[tuple[str, dict[str, str], int]]:
    """`acuerdo serve` on a fresh SQLite node; yields its base URL, the users' tokens and
    the server's process id."""
    home = CACHE / f"taxii-{uuid.uuid4().hex[:8]}"
    tokens = asyncio.run(make_acuerdo_home(home, users))
    port = free_port()
    exe = str(Path(sys.executable).parent / "acuerdo")
    env_cmd = [exe, "--home", str(home), "serve", "--port", str(port)]
    base = f"http://127.0.0.1:{port}"
    auth = {"Authorization": f"Bearer {next(iter(tokens.values()))}"}
    try:
        # POSTs answered once processed (as medallion does), envelopes up to 16 MiB.
        env = {"ACUERDO_TAXII_SYNC_OBJECTS": "100000", "ACUERDO_MAX_BODY_BYTES": str(16 << 20)}
        with running(env_cmd, f"{base}/taxii2/", auth, env) as pid:
            yield base, tokens, pid
    finally:
        shutil.rmtree(home, ignore_errors=True)


def acuerdo_peer(base: str, token: str) -> Peer:
    headers = {"Authorization": f"Bearer {token}", "Accept": TAXII}
    colls = httpx.get(f"{base}/taxii2/intel/collections/", headers=headers).json()
    coll = next(c for c in colls["collections"] if c["alias"] == "intelligence")
    return Peer(
        "acuerdo",
        f"{base}/taxii2/intel/collections/{coll['id']}/",
        headers,
        f"{base}/taxii2/intel/",
    )


@contextmanager
def medallion_server() -> Iterator[Peer]:
    """medallion with its memory backend, one API root and one empty collection."""
    workdir = CACHE / f"medallion-{uuid.uuid4().hex[:8]}"
    workdir.mkdir(parents=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    coll_id = str(uuid.uuid4())
    data = {
        "/discovery": {
            "title": "bench", "default": f"{base}/api1/", "api_roots": [f"{base}/api1/"],
        },
        "api1": {
            "information": {
                "title": "bench", "versions": [TAXII], "max_content_length": 100_000_000,
            },
            "status": [],
            "collections": [
                {
                    "id": coll_id, "title": "bench", "can_read": True, "can_write": True,
                    "media_types": ["application/stix+json;version=2.1"],
                    "objects": [], "manifest": [],
                }
            ],
        },
    }  # fmt: skip
    (workdir / "data.json").write_text(json.dumps(data))
    config = {
        "backend": {
            "module": "medallion.backends.memory_backend",
            "module_class": "MemoryBackend",
            "filename": str(workdir / "data.json"),
        },
        "users": {"bench": PASSWORD},
        "taxii": {"max_page_size": 100},
    }
    (workdir / "config.json").write_text(json.dumps(config))
    exe = str(Path(sys.executable).parent / "medallion")
    cmd = [exe, "--host", "127.0.0.1", "--port", str(port), str(workdir / "config.json")]
    auth = httpx.BasicAuth("bench", PASSWORD)
    headers = {"Accept": TAXII, "Authorization": auth._auth_header}
    try:
        with running(cmd, f"{base}/taxii2/", headers):
            yield Peer("medallion", f"{base}/api1/collections/{coll_id}/", headers, f"{base}/api1/")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
