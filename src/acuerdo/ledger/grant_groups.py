"""A batch's grant rows as few statements on SQLite: one per (token, type, channels, current).

A version's grant rows (one per token that may read it: ~6 a version, over a million in a
100,000-row import) would go to SQLite as an executemany, which binds each row in Python and
takes the GIL back between rows: at 2.7 us a row they were the writer's largest insert, and
whatever Python the event loop ran meanwhile held them back (the two take turns). Grouped,
each statement carries its versions' seqs as one JSON array that SQLite expands itself
(`json_each`, built in since 3.38): one C call per group, no row bound in Python, and the GIL
left for the event loop (the grants insert of that import went from 3.3 to 1.7 s).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

GROUPED_SQL = (
    "INSERT INTO grants (token, seq, object_type, channels, current) "
    "SELECT ?, value, ?, ?, ? FROM json_each(?)"
)
# Whether the SQLite this process links has JSON built in (else rows go one by one).
JSON_EACH = sqlite3.sqlite_version_info >= (3, 38)


def grouped_grants(rows: list[list[Any]]) -> tuple[str, list[tuple[Any, ...]]]:
    """The statement and its parameter tuples (one a group) for staged grant rows
    `[token, seq, object_type, channels, current]`."""
    groups: dict[tuple[Any, ...], list[int]] = {}
    for token, seq, object_type, channels, current in rows:
        key = (token, object_type, channels, bool(current))
        seqs = groups.get(key)
        if seqs is None:
            seqs = groups[key] = []
        seqs.append(seq)
    # Token-major, seqs ascending: the primary key (token, seq) grows at its ends.
    return GROUPED_SQL, [
        (*key, json.dumps(sorted(seqs), separators=(",", ":")))
        for key, seqs in sorted(groups.items())
    ]
