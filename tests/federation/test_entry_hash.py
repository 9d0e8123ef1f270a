"""An outbox entry's hash is SHA-256 over the canonical JSON (RFC 8785) of its fields.

`entry_hash` writes that JSON as text instead of calling `canonicalize`; both nodes compute
it for every entry, so it must agree with `canonicalize` for any field values a partner may
send, escapes and characters outside the BMP included.
"""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from acuerdo.federation.outbox import ENTRY_PREFIX, entry_hash
from acuerdo.ledger.canonical import canonicalize

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)


@settings(deadline=None, max_examples=300)
@given(TEXT, st.integers(min_value=0, max_value=2**63), TEXT, TEXT, TEXT, TEXT, TEXT)
def test_entry_hash_is_the_hash_of_the_canonical_fields(
    prev: str, oseq: int, kind: str, oid: str, version: str, record: str, sig: str
) -> None:
    fields = {
        "prev": prev, "oseq": oseq, "kind": kind, "id": oid, "version": version,
        "record": record, "sig": sig,
    }  # fmt: skip
    expected = hashlib.sha256(ENTRY_PREFIX + canonicalize(fields)).hexdigest()
    assert entry_hash(prev, oseq, kind, oid, version, record, sig) == expected


def test_entry_hash_of_a_known_entry() -> None:
    got = entry_hash("0" * 64, 1, "record", 'indicator--é"\n', "t:x", "a" * 64, "b" * 64)
    body = (
        '{"id":"indicator--é\\"\\n","kind":"record","oseq":1,"prev":"' + "0" * 64 + '",'
        '"record":"' + "a" * 64 + '","sig":"' + "b" * 64 + '","version":"t:x"}'
    )
    assert got == hashlib.sha256(ENTRY_PREFIX + body.encode("utf-8")).hexdigest()
