"""Generate the published test vectors (canonical.json, signatures.json) deterministically.

Run from the repository root:  .venv/bin/python tests/vectors/generate.py  [--check]

Every expected canonical output below is written by hand and checked three ways before a
file is written: against acuerdo's canonicalize, against the independent ``rfc8785``
package wherever RFC 8785 is defined, and (for signatures) Ed25519 is deterministic, so the
same seeds always give the same bytes. ``--check`` exits 1 when the files are stale.
"""

from __future__ import annotations

import hashlib
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import rfc8785

from acuerdo.ledger.canonical import CanonicalError, canonicalize, parse_json
from acuerdo.ledger.keys import KeyPurpose, issue_certificate
from acuerdo.ledger.signing import RECORD_SIGNATURE_PREFIX, FileSigner, key_id_for, sign_record

HERE = Path(__file__).resolve().parent

# (name, input JSON text, expected canonical text or None when it must be refused, note)
CANONICAL_CASES: list[tuple[str, str, str | None, str]] = [
    ("empty-object", " { } ", "{}", "whitespace removed"),
    ("key-order-ascii", '{"b":2,"a":1,"aa":3}', '{"a":1,"aa":3,"b":2}', ""),
    ("float-integral", "[1.0, -2.0, 0.0, -0.0]", "[1,-2,0,0]", "1.0 is 1; -0 is 0"),
    ("float-exponent-large", "[1e21, 1E20, 1e300]", "[1e+21,100000000000000000000,1e+300]", ""),
    ("float-exponent-small", "[1e-7, 1e-6, 1.5e-7]", "[1e-7,0.000001,1.5e-7]", ""),
    ("float-shortest", "[0.1, 123.456, 5e-324]", "[0.1,123.456,5e-324]", "shortest round trip"),
    ("float-max", "[1.7976931348623157e308]", "[1.7976931348623157e+308]", ""),
    ("float-rounds-to-double", "[9007199254740993.0]", "[9007199254740992]", "a double"),
    (
        "integer-safe-max",
        "[9007199254740991, -9007199254740991]",
        "[9007199254740991,-9007199254740991]",
        "largest integers RFC 8785 itself accepts",
    ),
    (
        "integer-beyond-2^53",
        '{"size":18446744073709551615,"n":9007199254740993}',
        '{"n":9007199254740993,"size":18446744073709551615}',
        "EXTENSION: integers are exact decimal digits; RFC 8785 alone would corrupt these",
    ),
    (
        "key-order-utf16",
        '{"\\ufb33":1,"\\ud83d\\ude00":2,"\\u00e9":3,"a":4}',
        '{"a":4,"\u00e9":3,"\U0001f600":2,"\ufb33":1}',
        "UTF-16 code units: U+1F600 (D83D DE00) sorts before U+FB33",
    ),
    (
        "string-controls",
        '["\\u0000\\b\\t\\n\\f\\r\\u001f\\u007f"]',
        '["\\u0000\\b\\t\\n\\f\\r\\u001f\x7f"]',
        "short escapes where JSON has them, else lowercase \\u00xx; DEL is literal",
    ),
    ("string-quote-backslash-solidus", '["\\"\\\\\\/"]', '["\\"\\\\/"]', "solidus unescaped"),
    ("string-line-separators", '["\\u2028\\u2029"]', '["\u2028\u2029"]', "literal, not escaped"),
    ("string-non-ascii-literal", '["\\u00e9\\u4e2d\\ud83d\\ude00"]', '["é中😀"]', "UTF-8"),
    ("literals", "[true,false,null]", "[true,false,null]", ""),
    ("nested", '{"z":[{"b":1,"a":[]}],"a":{}}', '{"a":{},"z":[{"a":[],"b":1}]}', ""),
    ("refuse-duplicate-key", '{"id":1,"id":2}', None, "duplicate keys are refused"),
    ("refuse-nan", "[NaN]", None, ""),
    ("refuse-infinity", "[Infinity]", None, ""),
    ("refuse-overflow", "[1e400]", None, "would become Infinity"),
    ("refuse-lone-surrogate", '["\\ud800"]', None, "not Unicode"),
]
AGREEMENT_HASH = hashlib.sha256(b"acuerdo test agreement").hexdigest()
NOW = datetime(2026, 3, 1, tzinfo=UTC)
ROOT_SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
SIGNING_SEEDS = {
    "USA": bytes.fromhex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"),
    "PRY": bytes.fromhex("c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7"),
}

STIX_INDICATOR = """{
  "type": "indicator", "spec_version": "2.1",
  "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
  "created_by_ref": "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff",
  "created": "2026-03-02T14:05:11.000Z", "modified": "2026-03-02T14:05:11.000Z",
  "name": "Airstrip used for cocaine transshipment, Alto Paraguay",
  "description": "Unregistered strip seen in use by light aircraft on three nights.",
  "indicator_types": ["malicious-activity"],
  "pattern": "[ipv4-addr:value = '198.51.100.23'] OR [domain-name:value = 'example.org']",
  "pattern_type": "stix", "valid_from": "2026-03-02T14:05:11Z",
  "kill_chain_phases": [{"kill_chain_name": "acuerdo-cn", "phase_name": "transport"}],
  "confidence": 70, "lang": "es",
  "labels": ["narcotrafico", "aviación"],
  "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"],
  "external_references": [{"source_name": "SENAD", "external_id": "SENAD-2026-0311"}],
  "x_acuerdo_evaluation": {"reliability": "B", "credibility": 2, "weight": 1.0}
}"""

STIX_FILE_SCO = """{
  "type": "file", "spec_version": "2.1",
  "id": "file--6ce09d9c-0ad3-5ebf-900c-e3cb288955b5",
  "name": "manifiesto.pdf", "size": 18446744073709551615,
  "hashes": {"SHA-256": "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f"}
}"""

STIX_TRAPS = """{"type": "x-acuerdo-note", "\\ufb33": "hebrew", "\\ud83d\\ude00": "emoji",
  "ratio": 1.0, "tiny": 1e-7, "big": 1e21, "text": "l\\u00ednea\\u2028uno\\u0007"}"""


def canonical_vectors() -> dict[str, Any]:
    cases = []
    for name, text, expected, note in CANONICAL_CASES:
        try:
            value = parse_json(text)
            actual: str | None = canonicalize(value).decode("utf-8")
        except CanonicalError:
            actual = None
        if actual != expected:
            raise AssertionError(f"{name}: acuerdo gives {actual!r}, expected {expected!r}")
        if expected is not None and not note.startswith("EXTENSION"):
            reference = rfc8785.dumps(json.loads(text)).decode("utf-8")
            if reference != expected:
                raise AssertionError(f"{name}: rfc8785 gives {reference!r}")
        utf8_hex = None if expected is None else expected.encode("utf-8").hex()
        cases.append(
            {
                "name": name,
                "input": text,
                "canonical": expected,
                "canonical_utf8_hex": utf8_hex,
                "note": note,
            }
        )
    return {
        "description": "RFC 8785 canonical form with exact integers; canonical null = refused",
        "cases": cases,
    }


def signature_vectors() -> dict[str, Any]:
    root = FileSigner.from_seed(ROOT_SEED)
    records = []
    for name, origin, text in (
        ("stix-indicator", "USA", STIX_INDICATOR),
        ("sco-big-integer", "PRY", STIX_FILE_SCO),
        ("key-order-and-floats", "USA", STIX_TRAPS),
    ):
        signer = FileSigner.from_seed(SIGNING_SEEDS[origin])
        canonical = canonicalize(parse_json(text))
        envelope, signature = sign_record(
            canonical, agreement_hash=AGREEMENT_HASH, origin=origin, signer=signer
        )
        records.append(
            {
                "name": name,
                "seed": SIGNING_SEEDS[origin].hex(),
                "public_key": signer.public_key.hex(),
                "key_id": signer.key_id,
                "origin": origin,
                "agreement_hash": AGREEMENT_HASH,
                "record": text,
                "canonical": canonical.decode("utf-8"),
                "canonical_sha256": hashlib.sha256(canonical).hexdigest(),
                "envelope": envelope.decode("utf-8"),
                "signature": signature.hex(),
            }
        )
    usa = FileSigner.from_seed(SIGNING_SEEDS["USA"])
    cert = issue_certificate(
        root,
        party="USA",
        public_key=usa.public_key,
        purpose=KeyPurpose.RECORDS,
        not_before=NOW,
        not_after=NOW.replace(year=2027),
    )
    return {
        "description": "Ed25519 over prefix + envelope; seeds are RFC 8032 style 32-byte seeds",
        "record_prefix_hex": RECORD_SIGNATURE_PREFIX.hex(),
        "records": records,
        "certificates": [
            {
                "root_seed": ROOT_SEED.hex(),
                "root_public_key": root.public_key.hex(),
                "root_key_id": key_id_for(root.public_key),
                "certificate": cert.to_json(),
                "body": cert.body().decode("utf-8"),
                "prefix_hex": cert.PREFIX.hex(),
            }
        ],
    }


def rendered() -> dict[str, str]:
    """File name -> exact file text."""
    return {
        "canonical.json": json.dumps(canonical_vectors(), indent=2, ensure_ascii=True) + "\n",
        "signatures.json": json.dumps(signature_vectors(), indent=2, ensure_ascii=True) + "\n",
    }


def main(argv: list[str]) -> int:
    stale = []
    for name, text in rendered().items():
        path = HERE / name
        if "--check" in argv:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print("stale vectors:", ", ".join(stale), file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
