"""Export covered personnel as the spreadsheet they were imported from: CSV or XLSX.

Everything comes through the release gate on the export channel, as the exporting user: a
person whose record the user may not see is not in the file, and the personal columns of a
person whose personal data is withheld from the user are empty. Each personal-data version
exported is audited before the file is handed over (DESIGN.md, audit before answer). The
columns are the import template's, with the record id first, so an exported file imports
again unchanged (the id column is not a template field and is ignored on import).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from acuerdo.domains.personnel.importing_records import ORDER, PERSON, PERSONAL
from acuerdo.domains.personnel.spreadsheet import TEMPLATE, SheetFormat, write_rows
from acuerdo.ledger.audit import AuditEntry
from acuerdo.ledger.reader import StoredVersion
from acuerdo.node import Node
from acuerdo.release import Channel
from acuerdo.users import User

ID_COLUMN = "Record id"
PAGE = 1000


async def visible(node: Node, user: User, object_type: str) -> list[StoredVersion]:
    """Every current version of a type the user may receive on the export channel."""
    out: list[StoredVersion] = []
    cursor: str | None = None
    while True:
        page = await node.reader.page(
            user.recipient, Channel.EXPORT, cursor=cursor, limit=PAGE, types=[object_type]
        )
        out.extend(v for v in page.items if not v.revoked)
        if page.next_cursor is None:
            return out
        cursor = page.next_cursor


def _join(items: Any) -> str | None:
    return "; ".join(str(i) for i in items) if items else None


def _licences(items: Any) -> str | None:
    if not items:
        return None
    parts = [
        ":".join(filter(None, (i["kind"], i["issued_by"], i.get("valid_until")))) for i in items
    ]
    return "; ".join(parts)


def _yes_no(value: Any) -> str | None:
    return None if value is None else ("yes" if value else "no")


def person_row(
    version: StoredVersion,
    personal: Mapping[str, Any] | None,
    order: Mapping[str, Any] | None,
) -> list[Any]:
    """One row in the template's column order, the record id first."""
    person = json.loads(version.body)
    pd = personal or {}
    nid = pd.get("national_id") or {}
    od = order or {}
    ports = od.get("ports_of_entry") or []
    values: dict[str, Any] = {
        "given_names": pd.get("given_names"),
        "family_names": pd.get("family_names"),
        "date_of_birth": pd.get("date_of_birth"),
        "nationalities": _join(pd.get("nationalities")),
        "national_id_kind": nid.get("kind"),
        "national_id_number": nid.get("number"),
        "licence_numbers": _join(pd.get("licence_numbers")),
        "category": person.get("category"),
        "service_or_employer": person.get("service_or_employer"),
        "rank_or_grade": person.get("rank_or_grade"),
        "arms_authorised": _yes_no(person.get("arms_authorised")),
        "licences": _licences(person.get("licences")),
        "order_number": od.get("order_number"),
        "order_issuing_authority": od.get("issuing_authority"),
        "order_purpose": od.get("purpose"),
        "order_valid_from": od.get("valid_from"),
        "order_valid_until": od.get("valid_until"),
        "order_ports_of_entry": _join(f"{p['kind']}:{p['name']}" for p in ports) if ports else None,
    }
    return [version.object_id, *(values[f] for f in TEMPLATE)]


def _latest_orders(orders: list[StoredVersion]) -> dict[str, dict[str, Any]]:
    """Each person's order with the latest end of validity (ties: the greater number)."""
    latest: dict[str, dict[str, Any]] = {}
    for v in orders:
        order = json.loads(v.body)
        rank = (order.get("valid_until", ""), order.get("order_number", ""))
        for ref in order.get("person_refs", []):
            held = latest.get(ref)
            if held is None or rank > (held.get("valid_until", ""), held.get("order_number", "")):
                latest[ref] = order
    return latest


async def export_persons(node: Node, user: User, fmt: SheetFormat) -> tuple[bytes, int]:
    """The file of every covered person the user may see, and how many rows it has."""
    persons = await visible(node, user, PERSON)
    personal_versions = {v.object_id: v for v in await visible(node, user, PERSONAL)}
    orders = _latest_orders(await visible(node, user, ORDER))
    rows: list[list[Any]] = []
    read: list[StoredVersion] = []
    for v in persons:
        ref = json.loads(v.body).get("personal_data_ref")
        pd_version = personal_versions.get(ref) if isinstance(ref, str) else None
        personal = None
        if pd_version is not None:
            read.append(pd_version)
            personal = json.loads(pd_version.body)
        rows.append(person_row(v, personal, orders.get(v.object_id)))
    if read:
        await node.audit(
            [
                AuditEntry(
                    user.principal,
                    "personal.read",
                    pv.object_id,
                    {"version": pv.version_key, "via": f"export.{fmt.value}"},
                )
                for pv in read
            ]
        )
    return write_rows([ID_COLUMN, *TEMPLATE.values()], rows, fmt), len(rows)
