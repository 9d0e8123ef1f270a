"""A batch's grant rows in one statement on SQLite: a JSON array per token, type and channels.

A version's grant rows (one per token that may read it: ~6 a version, over a million in a
100,000-row import) would go to SQLite as an executemany, which binds each row in Python and
takes the GIL back between rows: at 2.7 us a row they were the writer's largest insert, and
whatever Python the event loop ran meanwhile held them back (the two take turns). Grouped,
each group carries its versions' seqs as one JSON array that SQLite expands itself
(`json_each`, built in since 3.38), and the groups go in one statement: no row bound in
Python, and the GIL left for the event loop (the grants insert of that import went from 3.3
to 1.7 s). The writer sends them apart from its other rows, so that its projectors' Python
runs while SQLite inserts them (`batch_rows.write_rows`).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

_COLUMNS = "INSERT INTO grants (token, seq, object_type, channels, current) "
_GROUP = "SELECT ?, value, ?, ?, ? FROM json_each(?)"
# Groups a statement holds (compound SELECTs: SQLite allows 500 terms by default).
GROUPS_A_STATEMENT = 400
# Whether the SQLite this process links has JSON built in (else rows go one by one).
JSON_EACH = sqlite3.sqlite_version_info >= (3, 38)


def grouped_grants(rows: list[list[Any]]) -> list[tuple[str, list[tuple[Any, ...]]]]:
    """Statements, each with its one tuple of parameters, inserting the staged grant rows
    `[token, seq, object_type, channels, current]`: the groups of up to `GROUPS_A_STATEMENT`
    joined by UNION ALL, so that a batch's grants are one C call, however many groups (the
    GIL is taken back once, not once a group, should the event loop be busy meanwhile)."""
    groups: dict[tuple[Any, ...], list[int]] = {}
    for token, seq, object_type, channels, current in rows:
        key = (token, object_type, channels, bool(current))
        seqs = groups.get(key)
        if seqs is None:
            seqs = groups[key] = []
        seqs.append(seq)
    # Token-major, seqs ascending: the primary key (token, seq) grows at its ends.
    ordered = sorted(groups.items())
    statements: list[tuple[str, list[tuple[Any, ...]]]] = []
    for start in range(0, len(ordered), GROUPS_A_STATEMENT):
        part = ordered[start : start + GROUPS_A_STATEMENT]
        params = tuple(
            value
            for key, seqs in part
            for value in (*key, json.dumps(sorted(seqs), separators=(",", ":")))
        )
        statements.append((_COLUMNS + " UNION ALL ".join([_GROUP] * len(part)), [params]))
    return statements
