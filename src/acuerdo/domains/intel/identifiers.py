"""Identifiers the field uses, normalised by their real rules so equal things compare equal.

Each `normalize_*` returns the one canonical text of a value, or None when the value is not
a valid identifier of that kind. The rules are the published ones, not lower-casing: phone
numbers by libphonenumber's metadata (E.164), IMO ship numbers by their check digit, aircraft
registrations by their ICAO nationality marks, Mercosur vehicle plates by each country's
layout (Brazil's pre-2018 plates mapped to their Mercosur form), IP addresses and networks by
`ipaddress`, domain names by IDNA 2008 with UTS 46 mapping, and names of people and
organisations folded for case, accents and spacing.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata

import idna
import phonenumbers

# --- phone numbers ----------------------------------------------------------------------


def normalize_phone(value: str, region: str | None = None) -> str | None:
    """E.164 form (`+595981123456`); `region` (ISO 3166 alpha-2) reads national forms."""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# --- ships --------------------------------------------------------------------------------

_IMO = re.compile(r"^(?:IMO)?\s*([0-9]{7})\Z")
_MMSI = re.compile(r"^[0-9]{9}\Z")


def normalize_imo(value: str) -> str | None:
    """`IMO9074729`: seven digits whose last is the check digit (weights 7..2, mod 10)."""
    m = _IMO.match(value.strip().upper())
    if m is None:
        return None
    digits = m.group(1)
    check = sum(int(d) * w for d, w in zip(digits[:6], range(7, 1, -1), strict=True)) % 10
    return f"IMO{digits}" if check == int(digits[6]) else None


def normalize_mmsi(value: str) -> str | None:
    """Nine digits (ITU-R M.585); spaces are dropped."""
    digits = value.replace(" ", "")
    return digits if _MMSI.match(digits) else None


# --- aircraft -----------------------------------------------------------------------------

# ICAO nationality marks (Annex 7 / ITU call-sign blocks) -> ISO 3166 alpha-2, with the
# shape of the registration mark that follows for the countries that fix one.
_LETTERS3 = re.compile(r"^[A-Z]{3}\Z")
_ALNUM = re.compile(r"^[A-Z0-9]{1,5}\Z")
_US = re.compile(r"^[1-9](?:[0-9]{0,4}|[0-9]{0,3}[A-HJ-NP-Z]|[0-9]{0,2}[A-HJ-NP-Z]{2})\Z")
_COLOMBIA = re.compile(r"^[0-9]{3,4}[A-Z]?\Z")
_CANADA = re.compile(r"^[A-Z]{4}\Z")
_AIRCRAFT_PREFIXES: dict[str, tuple[str, re.Pattern[str]]] = {
    "ZP": ("PY", _LETTERS3), "N": ("US", _US),
    "PP": ("BR", _LETTERS3), "PR": ("BR", _LETTERS3), "PS": ("BR", _LETTERS3),
    "PT": ("BR", _LETTERS3), "PU": ("BR", _LETTERS3),
    "LV": ("AR", _LETTERS3), "LQ": ("AR", _LETTERS3), "CP": ("BO", _ALNUM),
    "CX": ("UY", _LETTERS3), "CC": ("CL", _LETTERS3), "HK": ("CO", _COLOMBIA),
    "OB": ("PE", _ALNUM), "YV": ("VE", _ALNUM), "HC": ("EC", _LETTERS3),
    "XA": ("MX", _LETTERS3), "XB": ("MX", _LETTERS3), "XC": ("MX", _LETTERS3),
    "C": ("CA", _CANADA), "HP": ("PA", _ALNUM), "TI": ("CR", _ALNUM), "TG": ("GT", _ALNUM),
    "YS": ("SV", _ALNUM), "HR": ("HN", _ALNUM), "YN": ("NI", _ALNUM), "HI": ("DO", _ALNUM),
    "CU": ("CU", _ALNUM), "PZ": ("SR", _ALNUM), "8R": ("GY", _ALNUM), "G": ("GB", _CANADA),
    "D": ("DE", _CANADA), "F": ("FR", _CANADA), "EC": ("ES", _LETTERS3),
    "I": ("IT", _CANADA), "CS": ("PT", _LETTERS3), "PH": ("NL", _LETTERS3),
    "OO": ("BE", _LETTERS3), "HB": ("CH", _LETTERS3), "VH": ("AU", _LETTERS3),
    "JA": ("JP", _ALNUM), "B": ("CN", _ALNUM), "EI": ("IE", _LETTERS3),
}  # fmt: skip
_BY_LENGTH = sorted(_AIRCRAFT_PREFIXES, key=len, reverse=True)


def aircraft_registration(value: str) -> tuple[str, str] | None:
    """(canonical mark, country) such as ("ZP-BAB", "PY") or ("N123AB", "US")."""
    text = value.strip().upper()
    given_prefix, sep, _ = text.partition("-")
    compact = re.sub(r"[\s.\-]", "", text)
    candidates = [given_prefix] if sep and given_prefix in _AIRCRAFT_PREFIXES else _BY_LENGTH
    for prefix in candidates:
        if not compact.startswith(prefix):
            continue
        country, shape = _AIRCRAFT_PREFIXES[prefix]
        mark = compact[len(prefix) :]
        if shape.match(mark):
            # The United States writes its mark without a hyphen; everyone else with one.
            return (prefix + mark if prefix == "N" else f"{prefix}-{mark}"), country
    return None


def normalize_aircraft(value: str) -> str | None:
    found = aircraft_registration(value)
    return None if found is None else found[0]


# --- vehicle plates -----------------------------------------------------------------------

_PLATE_LAYOUTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("AR", re.compile(r"^[A-Z]{2}[0-9]{3}[A-Z]{2}\Z")),  # Mercosur, Argentina
    ("BR", re.compile(r"^[A-Z]{3}[0-9][A-Z][0-9]{2}\Z")),  # Mercosur, Brazil
    ("PY", re.compile(r"^[A-Z]{4}[0-9]{3}\Z")),  # Mercosur, Paraguay
    ("UY", re.compile(r"^[A-Z]{3}[0-9]{4}\Z")),  # Mercosur, Uruguay (and Brazil before 2018)
    ("", re.compile(r"^[A-Z]{3}[0-9]{3}\Z")),  # Argentina and Paraguay before Mercosur
)
_BRAZIL_OLD = re.compile(r"^([A-Z]{3})([0-9])([0-9])([0-9]{2})\Z")


def vehicle_plate(value: str, country: str | None = None) -> tuple[str, str] | None:
    """(canonical plate, country or "") with spaces and hyphens dropped.

    A Brazilian plate of the old LLLNNNN layout is the same vehicle as its Mercosur form
    (second digit as a letter, 0 -> A ... 9 -> J), so it normalises to that form; the
    same layout is Uruguay's Mercosur plate, so this applies only when the country is BR.
    """
    text = re.sub(r"[\s.\-·]", "", value.upper())
    if not text.isalnum() or not text.isascii() or not 5 <= len(text) <= 8:
        return None
    country = (country or "").upper()
    old = _BRAZIL_OLD.match(text)
    if country == "BR" and old is not None:
        text = old.group(1) + old.group(2) + chr(ord("A") + int(old.group(3))) + old.group(4)
    for layout_country, layout in _PLATE_LAYOUTS:
        if layout.match(text):
            return text, country or layout_country
    return (text, country) if country else None


def normalize_plate(value: str, country: str | None = None) -> str | None:
    found = vehicle_plate(value, country)
    return None if found is None else found[0]


# --- network ------------------------------------------------------------------------------


# A dotted quad already in canonical form (no leading zeros, each octet at most 255) is its
# own normal form; anything else goes through `ipaddress`.
_CANONICAL_IPV4 = re.compile(r"(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}"
                             r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])")  # fmt: skip


def normalize_ip(value: str) -> str | None:
    """Compressed address, or network with host bits cleared; a /32 or /128 is the address."""
    if _CANONICAL_IPV4.fullmatch(value):
        return value
    try:
        if "/" in value:
            net = ipaddress.ip_network(value.strip(), strict=False)
            if net.prefixlen == net.max_prefixlen:
                return str(net.network_address)
            return str(net)
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def normalize_domain(value: str) -> str | None:
    """IDNA 2008 ASCII form with UTS 46 mapping: `Bücher.Example.` -> `xn--bcher-kva.example`."""
    text = value.strip().rstrip(".")
    if not text:
        return None
    try:
        return idna.encode(text, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return None


def normalize_email(value: str) -> str | None:
    local, at, domain = value.strip().rpartition("@")
    if not at or not local:
        return None
    host = normalize_domain(domain)
    return None if host is None else f"{local.lower()}@{host}"


def normalize_url(value: str) -> str | None:
    """Scheme and host folded (IDNA); path, query and fragment kept as written."""
    scheme, sep, rest = value.strip().partition("://")
    if not sep or not scheme:
        return None
    host, slash, tail = rest.partition("/")
    userinfo, at, hostport = host.rpartition("@")
    name, colon, port = hostport.partition(":")
    folded = normalize_domain(name) if not name.startswith("[") else name.lower()
    if folded is None:
        return None
    head = (userinfo + at) + folded + (colon + port)
    return f"{scheme.lower()}://{head}{slash}{tail}"


# --- names --------------------------------------------------------------------------------

_NOT_WORD = re.compile(r"[^\w]+")


def fold_name(value: str) -> str | None:
    """Case, accents, punctuation and spacing folded: "José  PÉREZ-Gómez" -> "jose perez gomez"."""
    decomposed = unicodedata.normalize("NFKD", value)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    words = _NOT_WORD.sub(" ", bare.casefold()).split()
    return " ".join(words) or None
