"""The CLI contract: commands, standard input for secrets, token alone on stdout, exit codes."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from acuerdo.agreement import list_profiles
from acuerdo.cli import main

PROFILES = Path(__file__).resolve().parents[2] / "src" / "acuerdo" / "agreement" / "profiles"


def run(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=input)
    return result.exit_code, result.stdout, result.stderr


def test_help_lists_the_commands() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "acuerdo", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for command in ("init", "user", "token", "serve", "agreement", "audit", "demo", "get", "key"):
        assert f"  {command}" in out


def test_agreement_check_accepts_every_shipped_profile() -> None:
    for name in list_profiles():
        code, out, _ = run("agreement", "check", str(PROFILES / f"{name}.yaml"))
        assert code == 0, out
        assert "hash" in out.lower()


def test_agreement_check_rejects_a_broken_file_with_line_and_field(tmp_path: Path) -> None:
    text = (PROFILES / "usa-pry-2025.yaml").read_text()
    lines = text.splitlines()
    index = next(i for i, line in enumerate(lines) if line.strip() == "role: host")
    lines[index] = lines[index].replace("host", "visitor")
    broken = tmp_path / "broken.yaml"
    broken.write_text("\n".join(lines) + "\n")
    code, _, err = run("agreement", "check", str(broken))
    assert code == 1
    assert f"broken.yaml:{index + 1}:" in err
    assert ".role" in err


def test_init_user_token_get_and_exit_codes(tmp_path: Path) -> None:
    home = str(tmp_path / "pry")
    code, out, err = run("--home", home, "init", "--party", "PRY", "--agreement", "usa-pry-2025")
    assert code == 0, err
    code, _, err = run("--home", home, "init", "--party", "PRY", "--agreement", "usa-pry-2025")
    assert code == 1 and "already" in err
    code, out, err = run(
        "--home",
        home,
        "user",
        "add",
        "ana",
        "--role",
        "analyst",
        "--agency",
        "senad",
        input="a long enough password\n",
    )
    assert code == 0, err
    code, _, err = run(
        "--home", home, "user", "add", "ana", "--role", "analyst", input="another long password\n"
    )
    assert code == 1 and "exists" in err
    code, _, err = run("--home", home, "user", "add", "bob", "--role", "general")
    assert code == 2  # usage error: not a role
    code, _, err = run("--home", home, "user", "add", "bob", "--role", "viewer", input="short\n")
    assert code == 1 and "at least" in err
    code, out, err = run("--home", home, "token", "create", "ana")
    assert code == 0, err
    token = out.strip()
    assert out == token + "\n" and len(token) >= 43  # 256 bits, printed alone
    code, out, _ = run("--home", home, "get", "/api/v1/agreement", "--token", token)
    assert code == 0 and '"party":"PRY"' in out.replace(" ", "")
    code, out, _ = run("--home", home, "get", "/api/v1/agreement", "--token", "nope")
    assert code == 1 and "401" in out
    code, _, _ = run("--home", home, "no-such-command")
    assert code == 2


def test_audit_verify_names_the_first_edited_entry(tmp_path: Path) -> None:
    home = tmp_path / "usa"
    assert run("--home", str(home), "init", "--party", "USA", "--agreement", "usa-pry-2025")[0] == 0
    run(
        "--home",
        str(home),
        "user",
        "add",
        "ana",
        "--role",
        "analyst",
        input="a long enough password\n",
    )
    code, out, _ = run("--home", str(home), "audit", "verify")
    assert code == 0 and "intact" in out
    with sqlite3.connect(home / "acuerdo.sqlite3") as db:
        db.execute("UPDATE audit SET actor = 'someone-else' WHERE seq = 3")
    code, _, err = run("--home", str(home), "audit", "verify")
    assert code == 1
    assert "entry 3" in err


def test_serve_refuses_a_world_readable_key(tmp_path: Path) -> None:
    home = tmp_path / "usa"
    assert run("--home", str(home), "init", "--party", "USA", "--agreement", "usa-pry-2025")[0] == 0
    (home / "keys" / "requests.key").chmod(0o644)
    code, _, err = run("--home", str(home), "serve", "--port", "1")
    assert code == 1 and "requests.key" in err


def test_key_rotation_keeps_the_node_working(tmp_path: Path) -> None:
    home = str(tmp_path / "usa")
    assert run("--home", home, "init", "--party", "USA", "--agreement", "usa-pry-2025")[0] == 0
    code, out, err = run("--home", home, "key", "rotate", "records")
    assert code == 0, err
    assert "new records key" in out
    assert (
        run(
            "--home",
            home,
            "user",
            "add",
            "ana",
            "--role",
            "analyst",
            input="a long enough password\n",
        )[0]
        == 0
    )
    code, out, err = run(
        "--home", home, "key", "export-root", str(tmp_path / "root.key"), "--remove"
    )
    assert code == 0, err
    code, _, err = run("--home", home, "key", "rotate", "cards")
    assert code == 1
    assert "root" in err
    code, out, err = run(
        "--home", home, "key", "rotate", "cards", "--root-key", str(tmp_path / "root.key")
    )
    assert code == 0, err
    assert run("--home", home, "audit", "verify")[0] == 0
