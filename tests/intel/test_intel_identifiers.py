"""Identifiers normalise by their real rules, so that equal things correlate and others do not."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acuerdo.domains.intel import identifiers as ids
from acuerdo.domains.intel.observables import observable_keys


@pytest.mark.parametrize(
    ("given", "region", "expected"),
    [
        ("+595 981 123456", None, "+595981123456"),
        ("+595-981-123-456", None, "+595981123456"),
        ("0981 123456", "PY", "+595981123456"),
        ("(202) 555-0143", "US", "+12025550143"),
        ("+1 202 555 0143", None, "+12025550143"),
        ("0981 123456", None, None),  # a national number needs its country
        ("+595 12", None, None),
        ("not a number", "PY", None),
    ],
)
def test_phone_numbers(given: str, region: str | None, expected: str | None) -> None:
    assert ids.normalize_phone(given, region) == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("IMO 9074729", "IMO9074729"),
        ("9074729", "IMO9074729"),
        ("imo9074729", "IMO9074729"),
        ("IMO 9074728", None),  # wrong check digit: 9*7+0*6+7*5+4*4+7*3+2*2 = 139 -> 9
        ("IMO 907472", None),
    ],
)
def test_imo_numbers_by_check_digit(given: str, expected: str | None) -> None:
    assert ids.normalize_imo(given) == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("ZP-BAB", ("ZP-BAB", "PY")),
        ("zp bab", ("ZP-BAB", "PY")),
        ("ZPBAB", ("ZP-BAB", "PY")),
        ("N123AB", ("N123AB", "US")),
        ("n-123ab", ("N123AB", "US")),
        ("PR-ABC", ("PR-ABC", "BR")),
        ("LV-ABC", ("LV-ABC", "AR")),
        ("CX-ABC", ("CX-ABC", "UY")),
        ("C-FABC", ("C-FABC", "CA")),
        ("CCABC", ("CC-ABC", "CL")),  # longest nationality mark that fits
        ("HK-4567", ("HK-4567", "CO")),
        ("NO123", None),  # US marks use no letters I or O and start with 1-9
        ("ZP-12", None),
        ("QQ-ABC", None),
    ],
)
def test_aircraft_registrations_by_nationality_mark(
    given: str, expected: tuple[str, str] | None
) -> None:
    assert ids.aircraft_registration(given) == expected


@pytest.mark.parametrize(
    ("plate", "country", "expected"),
    [
        ("AB 123 CD", None, ("AB123CD", "AR")),
        ("ABCD 123", None, ("ABCD123", "PY")),
        ("ABC1D23", None, ("ABC1D23", "BR")),
        ("ABC-1234", "BR", ("ABC1C34", "BR")),  # pre-Mercosur Brazil: 2nd digit as a letter
        ("ABC 1234", None, ("ABC1234", "UY")),
        ("ABC 123", None, ("ABC123", "")),  # Argentina or Paraguay before Mercosur
        ("ABC 123", "PY", ("ABC123", "PY")),
        ("A!", None, None),
    ],
)
def test_mercosur_plates(plate: str, country: str | None, expected: tuple[str, str] | None) -> None:
    assert ids.vehicle_plate(plate, country) == expected


_OCTET = st.one_of(
    st.integers(0, 300).map(str),
    st.integers(0, 99).map(lambda n: f"0{n}"),  # leading zeros: not an address
    st.sampled_from(["", " ", "x", "-1", "1e2"]),
)


@settings(deadline=None, max_examples=400)
@given(st.lists(_OCTET, min_size=3, max_size=5), st.sampled_from(["", " ", "\n", "/24"]))
def test_dotted_quads_normalise_as_ipaddress_does(octets: list[str], tail: str) -> None:
    """The dotted-quad fast path answers exactly what the ipaddress module answers."""
    text = ".".join(octets) + tail
    try:
        if "/" in text:
            net = ipaddress.ip_network(text.strip(), strict=False)
            expected: str | None = str(net)
        else:
            expected = str(ipaddress.ip_address(text.strip()))
    except ValueError:
        expected = None
    assert ids.normalize_ip(text) == expected


def test_network_identifiers() -> None:
    assert ids.normalize_ip("2001:DB8:0:0::1") == "2001:db8::1"
    assert ids.normalize_ip("10.1.2.3/8") == "10.0.0.0/8"
    assert ids.normalize_ip("198.51.100.7/32") == "198.51.100.7"
    assert ids.normalize_ip("300.1.1.1") is None
    assert ids.normalize_domain("Bücher.Example.") == "xn--bcher-kva.example"
    assert ids.normalize_domain("EXAMPLE.com.py") == "example.com.py"
    assert ids.normalize_email("José@Bücher.Example") == "josé@xn--bcher-kva.example"
    assert ids.normalize_url("HTTPS://Example.COM:8443/A?b=C") == "https://example.com:8443/A?b=C"


def test_names_fold_case_accents_and_spacing() -> None:
    assert ids.fold_name("José  PÉREZ-Gómez") == "jose perez gomez"
    assert ids.fold_name("Clan Rotela") == ids.fold_name("CLAN  ROTELA.")
    assert ids.fold_name("  ") is None


def test_equal_things_give_equal_keys() -> None:
    a = observable_keys({"type": "acuerdo-aircraft", "registration": "zp bab"})
    b = observable_keys({
        "type": "indicator", "pattern_type": "stix",
        "pattern": "[acuerdo-aircraft:registration = 'ZP-BAB'] AND "
                   "[file:name NOT = 'ab'] OR [ipv4-addr:value IN ('10.0.0.1')]",
    })  # fmt: skip
    assert a == {"aircraft:ZP-BAB"} and b == {"aircraft:ZP-BAB", "ip:10.0.0.1"}
    c = observable_keys({"type": "file", "name": "x", "hashes": {"SHA-256": "AB" * 32}})
    assert c == {"hash:SHA-256:" + "ab" * 32}
    d = observable_keys({"type": "threat-actor", "name": "Clan Rotela", "aliases": ["Rotelas"]})
    assert d == {"name:clan rotela", "name:rotelas"}
