"""`acuerdo agreement calendar` prints a calendar the agreement file accepts, or refuses."""

from __future__ import annotations

import yaml
from click.testing import CliRunner

from acuerdo.agreement.schema import Calendar
from acuerdo.cli import main


def test_the_generated_calendar_is_valid_agreement_data() -> None:
    result = CliRunner().invoke(
        main,
        [
            "agreement",
            "calendar",
            "--country",
            "PY",
            "--year",
            "2026",
            "--id",
            "host",
            "--timezone",
            "America/Asuncion",
        ],
    )
    assert result.exit_code == 0, result.output
    (entry,) = yaml.safe_load(result.output)
    calendar = Calendar.model_validate(entry)
    dates = {h.date for h in calendar.holidays}
    assert {"2026-05-14", "2026-05-15", "2026-12-08"} <= dates
    assert all(d.startswith("2026-") for d in dates)


def test_unknown_country_and_zone_are_refused_with_the_reason() -> None:
    runner = CliRunner()
    bad_zone = runner.invoke(
        main,
        [
            "agreement",
            "calendar",
            "--country",
            "PY",
            "--year",
            "2026",
            "--id",
            "x",
            "--timezone",
            "Mars/Olympus",
        ],
    )
    assert bad_zone.exit_code == 1
    assert "unknown time zone 'Mars/Olympus'" in bad_zone.output
    bad_country = runner.invoke(
        main,
        [
            "agreement",
            "calendar",
            "--country",
            "QQ",
            "--year",
            "2026",
            "--id",
            "x",
            "--timezone",
            "UTC",
        ],
    )
    assert bad_country.exit_code == 1
    assert "knows no country 'QQ'" in bad_country.output
