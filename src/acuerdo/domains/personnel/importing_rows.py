"""Reading one spreadsheet row as the records it stands for, with every error it has.

Each error names the row (as the sheet numbers it) and the column header, so a registrar can
fix the file and import it again. Rows are checked the same way the ledger will check the
records (each record type's JSON Schema) plus what a schema cannot say: that a category is
one the agreement names, that dates are real dates, that nationalities are ISO 3166-1
alpha-3 codes, that two rows do not claim the same national ID, and that rows joining one
order agree on what the order says.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache, lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import jsonschema_rs

from acuerdo.agreement import Agreement
from acuerdo.agreement.fieldtypes import iso_country_codes
from acuerdo.domains.personnel.spreadsheet import Cell, ColumnMapping, Row
from acuerdo.ledger.frozen import quick_init
from acuerdo.ledger.typeschemas import schema as record_schema
from acuerdo.ledger.typeschemas import validator

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

Error = tuple[int, str, str]  # (row, column header, message)
PORT_KINDS = ("airport", "land-crossing", "river-port", "military-airfield", "other")
LICENCE_KINDS = ("driving", "aviation", "maritime", "medical", "other")
TRUE = frozenset({"yes", "y", "true", "1", "si", "sí", "x"})
FALSE = frozenset({"no", "n", "false", "0"})
ORDER_FIELDS = (
    "order_issuing_authority",
    "order_purpose",
    "order_valid_from",
    "order_valid_until",
)
# Record property -> template field, to name the column of a schema error.
PROPERTY_FIELD = {
    "national_id": "national_id_number",
    "issuing_authority": "order_issuing_authority",
    "purpose": "order_purpose",
    "valid_from": "order_valid_from",
    "valid_until": "order_valid_until",
    "ports_of_entry": "order_ports_of_entry",
}


@quick_init
@dataclass(frozen=True)
class RowPlan:
    """A valid row: its natural key and the properties of the records it becomes."""

    row: int
    id_kind: str
    id_number: str
    personal: dict[str, Any]
    person: dict[str, Any]
    order_number: str | None
    order: dict[str, Any] | None


class _RowReader:
    """The cells of one row by field, collecting errors as values are converted."""

    def __init__(self, row: Row, columns: dict[str, int], header: Sequence[str], fmt: str | None):
        self.row, self.columns, self.header, self.fmt = row, columns, header, fmt
        self.errors: list[Error] = []

    def column(self, name: str) -> str:
        index = self.columns.get(name)
        return self.header[index] if index is not None else name

    def fail(self, name: str, message: str) -> None:
        self.errors.append((self.row.number, self.column(name), message))

    def cell(self, name: str) -> Cell:
        index = self.columns.get(name)
        if index is None or index >= len(self.row.cells):
            return None
        value = self.row.cells[index]
        return None if isinstance(value, str) and not value.strip() else value

    def text(self, name: str, *, required: bool = False) -> str | None:
        value = self.cell(name)
        if value is None:
            if required:
                self.fail(name, "is empty")
            return None
        if isinstance(value, float) and value.is_integer():
            return str(int(value))  # an ID number typed into a spreadsheet as a number
        if isinstance(value, datetime | date):
            return value.isoformat()
        return str(value).strip()

    def items(self, name: str) -> list[str]:
        text = self.text(name)
        if text is None:
            return []
        return [t.strip() for t in text.replace(",", ";").split(";") if t.strip()]

    def date(self, name: str, *, required: bool = False) -> str | None:
        value = self.cell(name)
        if isinstance(value, datetime):
            return value.date().isoformat()
        if isinstance(value, date):
            return value.isoformat()
        text = self.text(name, required=required)
        if text is None:
            return None
        try:
            if self.fmt:
                return datetime.strptime(text, self.fmt).replace(tzinfo=UTC).date().isoformat()
            return date.fromisoformat(text).isoformat() if len(text) == 10 else _bad_date()
        except ValueError:
            self.fail(name, f"{text!r} is not a date ({self.fmt or 'YYYY-MM-DD'})")
            return None

    def boolean(self, name: str) -> bool | None:
        value = self.cell(name)
        if value is None or isinstance(value, bool):
            return value
        text = str(value).strip().casefold()
        if text in TRUE or text in FALSE:
            return text in TRUE
        self.fail(name, f"{value!r} is not yes or no")
        return None


def _bad_date() -> str:
    raise ValueError("not YYYY-MM-DD")


def _nationalities(r: _RowReader) -> list[str]:
    codes = [c.upper() for c in r.items("nationalities")]
    if not codes:
        r.fail("nationalities", "is empty")
    for code in codes:
        if code not in iso_country_codes():
            r.fail("nationalities", f"{code!r} is not an ISO 3166-1 alpha-3 code (such as BRA)")
    return list(dict.fromkeys(codes))


def _licences(r: _RowReader) -> list[dict[str, str]]:
    """`kind:ISSUER[:YYYY-MM-DD]` items, e.g. `driving:USA:2027-06-30; aviation:USA`."""
    out: list[dict[str, str]] = []
    for item in r.items("licences"):
        parts = [p.strip() for p in item.split(":")]
        if len(parts) not in (2, 3) or parts[0] not in LICENCE_KINDS:
            r.fail(
                "licences", f"{item!r} is not kind:ISSUER[:YYYY-MM-DD] ({'/'.join(LICENCE_KINDS)})"
            )
            continue
        licence = {"kind": parts[0], "issued_by": parts[1].upper()}
        if len(parts) == 3:
            licence["valid_until"] = parts[2]
        out.append(licence)
    return out


def _ports(r: _RowReader) -> list[dict[str, str]]:
    """`kind:name` items, e.g. `airport:Silvio Pettirossi`; a bare name is kind other."""
    out: list[dict[str, str]] = []
    for item in r.items("order_ports_of_entry"):
        kind, sep, name = item.partition(":")
        if not sep:
            kind, name = "other", item
        if kind.strip() not in PORT_KINDS:
            r.fail("order_ports_of_entry", f"{kind!r} is not one of {', '.join(PORT_KINDS)}")
            continue
        out.append({"name": name.strip(), "kind": kind.strip()})
    return out


def _order(r: _RowReader) -> tuple[str | None, dict[str, Any] | None]:
    number = r.text("order_number")
    if number is None:
        return None, None
    order: dict[str, Any] = {
        "issuing_authority": r.text("order_issuing_authority", required=True),
        "purpose": r.text("order_purpose", required=True),
        "valid_from": r.date("order_valid_from", required=True),
        "valid_until": r.date("order_valid_until", required=True),
    }
    ports = _ports(r)
    if ports:
        order["ports_of_entry"] = ports
    if order["valid_from"] and order["valid_until"] and order["valid_until"] < order["valid_from"]:
        r.fail("order_valid_until", "is earlier than the order's valid-from date")
    return number, {k: v for k, v in order.items() if v is not None}


@cache
def _properties_validator(object_type: str) -> jsonschema_rs.Validator:
    """The record type's property schemas alone, compiled by jsonschema-rs: one call checks
    every property of a row's record (what is required or allowed holds by construction)."""
    whole = record_schema(object_type)
    common = json.loads(
        resources.files("acuerdo.ledger").joinpath("schemas", "common.json").read_text("utf-8")
    )
    schema = {"$schema": whole["$schema"], "properties": whole.get("properties", {})}
    registry = jsonschema_rs.Registry([(common["$id"], common)])
    return jsonschema_rs.Draft202012Validator(schema, registry=registry, validate_formats=False)


def _properties_valid(object_type: str, obj: Mapping[str, Any]) -> bool:
    try:
        return bool(_properties_validator(object_type).is_valid(obj))
    except Exception:  # a value it cannot take: the per-property check decides
        return False


@cache
def _property_validator(object_type: str, prop: str) -> Validator | None:
    """The record type's JSON Schema for one property (its $refs resolve as in the whole)."""
    whole = validator(object_type)
    sub = whole.schema.get("properties", {}).get(prop) if isinstance(whole.schema, dict) else None
    return whole.evolve(schema=sub) if isinstance(sub, dict) else None


@lru_cache(maxsize=65536)
def _property_errors(object_type: str, prop: str, value: str) -> tuple[str, ...]:
    """Schema messages for one property value (JSON text), remembered: most cells repeat."""
    check = _property_validator(object_type, prop)
    if check is None:
        return (f"{prop} is not a property of {object_type}",)
    return tuple(e.message for e in check.iter_errors(json.loads(value)))


def _schema_errors(r: _RowReader, object_type: str, obj: Mapping[str, Any]) -> None:
    """Check each property against the record type's schema, per property so that an error
    names its column and repeated cells are checked once. The rest of the schema (required
    and allowed properties) holds by construction, and `Node.write` checks the whole again.
    A fast check of all properties at once comes first: a valid row (nearly every row) costs
    a few microseconds; only a row it refuses is checked property by property."""
    if _properties_valid(object_type, obj):
        return
    for prop, value in obj.items():
        text = json.dumps(value, sort_keys=True, ensure_ascii=False)
        for message in _property_errors(object_type, prop, text):
            name = PROPERTY_FIELD.get(prop, prop)
            r.fail(name if name in r.columns else prop, message)


def plan_row(agreement: Agreement, r: _RowReader) -> RowPlan | None:
    """The records of one row, or None when it has errors (kept on the reader)."""
    personal: dict[str, Any] = {
        "given_names": r.text("given_names", required=True),
        "family_names": r.text("family_names", required=True),
        "date_of_birth": r.date("date_of_birth", required=True),
        "nationalities": _nationalities(r),
    }
    kind, number = (
        r.text("national_id_kind", required=True),
        r.text("national_id_number", required=True),
    )
    if kind and number:
        personal["national_id"] = {"kind": kind, "number": number}
    if licence_numbers := r.items("licence_numbers"):
        personal["licence_numbers"] = licence_numbers
    dob = personal["date_of_birth"]
    if dob and dob > datetime.now(UTC).date().isoformat():
        r.fail("date_of_birth", f"{dob} is in the future")
    category = r.text("category", required=True)
    if category and agreement.category(category) is None:
        named = ", ".join(c.id for c in agreement.model.coverage.categories)
        r.fail("category", f"unknown category {category!r}: the agreement names {named}")
    person: dict[str, Any] = {
        "category": category,
        "service_or_employer": r.text("service_or_employer", required=True),
        "rank_or_grade": r.text("rank_or_grade"),
        "arms_authorised": r.boolean("arms_authorised"),
        "licences": _licences(r) or None,
    }
    personal = {k: v for k, v in personal.items() if v is not None}
    person = {k: v for k, v in person.items() if v is not None}
    order_number, order = _order(r)
    if not r.errors:
        _schema_errors(r, "acuerdo-personal-data", personal)
        _schema_errors(r, "acuerdo-covered-person", person)
        if order is not None:
            _schema_errors(r, "acuerdo-movement-order", dict(order, order_number=order_number))
    if r.errors or kind is None or number is None:
        return None
    return RowPlan(r.row.number, kind, number, personal, person, order_number, order)


class RowPlanner:
    """Plans rows one at a time, remembering what spans rows (IDs seen, each order's terms).

    A row's outcome is final when it is planned: a later row repeating an ID or disagreeing
    on an order is the one in error, so plans can be handed on (and prepared) while the
    rest of the sheet is still being read.
    """

    def __init__(self, agreement: Agreement, header: Sequence[str], mapping: ColumnMapping):
        self.agreement, self.header, self.mapping = agreement, header, mapping
        self.columns = mapping.locate(header)  # SheetError: a required column is missing
        self.seen_ids: dict[tuple[str, str], int] = {}
        self.orders: dict[str, tuple[int, dict[str, Any]]] = {}

    def plan(self, row: Row) -> tuple[RowPlan | None, list[Error]]:
        """The row's plan (None when it has errors) and its errors."""
        r = _RowReader(row, self.columns, self.header, self.mapping.date_format)
        plan = plan_row(self.agreement, r)
        if plan is not None:
            key = (plan.id_kind, plan.id_number)
            if key in self.seen_ids:
                r.fail("national_id_number", f"the same ID as row {self.seen_ids[key]}")
            if plan.order_number is not None and plan.order is not None:
                first = self.orders.setdefault(plan.order_number, (row.number, plan.order))
                if first[1] != plan.order:
                    r.fail(
                        "order_number", f"order {plan.order_number} differs from row {first[0]}'s"
                    )
        if plan is not None and not r.errors:
            self.seen_ids[(plan.id_kind, plan.id_number)] = row.number
            return plan, []
        return None, r.errors


def plan_rows(
    agreement: Agreement,
    header: Sequence[str],
    rows: Iterable[Row],
    mapping: ColumnMapping,
    *,
    progress: Callable[[str, int, int], None] | None = None,
) -> tuple[list[RowPlan], list[Error]]:
    """Plans of the valid rows and errors of the others, in sheet order.

    SheetError (from the mapping) when the header lacks a required column.
    """
    planner = RowPlanner(agreement, header, mapping)
    plans: list[RowPlan] = []
    errors: list[Error] = []
    for count, row in enumerate(rows, start=1):
        plan, row_errors = planner.plan(row)
        if plan is not None:
            plans.append(plan)
        errors.extend(row_errors)
        if progress and count % 1000 == 0:
            progress("check", count, 0)
    return plans, errors
