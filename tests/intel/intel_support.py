"""What the intel tests share: row counts of every table, and RFC 9457 answers checked."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select

from acuerdo.ledger.tables import metadata
from acuerdo.node import Node


async def row_counts(node: Node) -> dict[str, int]:
    """Rows in every table the node knows (projections included)."""
    async with node.engines.reader.connect() as conn:
        counts = {}
        for table in metadata.sorted_tables:
            q = select(func.count()).select_from(table)
            counts[table.name] = int((await conn.execute(q)).scalar_one())
        return counts


def problem(r: httpx.Response, status: int, *fragments: str) -> dict[str, Any]:
    """The answer is an RFC 9457 problem with this status, naming every fragment."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = r.json()
    for fragment in fragments:
        assert fragment in body["detail"], (fragment, body["detail"])
    return body
