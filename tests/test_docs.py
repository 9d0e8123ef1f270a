"""Docs stay true: every setting is documented, the README gives the two set-up commands."""

from __future__ import annotations

from pathlib import Path

from acuerdo.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_every_setting_is_documented() -> None:
    text = (ROOT / "docs" / "settings.md").read_text()
    for name in Settings.model_fields:
        assert f"`ACUERDO_{name.upper()}`" in text, name


def test_readme_gives_the_two_commands_and_ci_runs_the_second() -> None:
    readme = (ROOT / "README.md").read_text()
    assert ".venv/bin/acuerdo demo" in readme
    assert "bash scripts/test.sh" in readme
    assert "bash scripts/test.sh" in (ROOT / ".ci" / "run").read_text()


def test_import_does_no_work() -> None:
    import acuerdo

    assert acuerdo.__all__ == ["__version__"]
    assert not hasattr(acuerdo, "app")
