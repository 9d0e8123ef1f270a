"""Records: write versions, read one, its versions, and pages, all through the release gate.

Versions are served as their stored canonical bytes, spliced into the response unchanged,
never re-serialised from a model; the detached signature travels beside them. A withheld
record answers exactly like one that does not exist.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from acuerdo.api.auth import CurrentUser, NodeDep
from acuerdo.api.body import read_json
from acuerdo.api.problems import Problem
from acuerdo.ledger.audit import AuditEntry
from acuerdo.ledger.reader import CursorError, StoredVersion
from acuerdo.ledger.record import RecordError
from acuerdo.ledger.stix import ID_RE
from acuerdo.ledger.writes import Appended, WriteRefused
from acuerdo.node import Node
from acuerdo.release import Channel, RecordKind
from acuerdo.users import User

router = APIRouter(prefix="/api/v1/records", tags=["records"])

STIX = "application/stix+json;version=2.1"
WRITERS = {
    RecordKind.AGREEMENT: ("registrar", "approver", "admin"),
    RecordKind.PERSONAL: ("registrar", "admin"),
    RecordKind.INTEL: ("analyst", "admin"),
    RecordKind.REFERENCE: ("admin",),
}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _item(v: StoredVersion) -> bytes:
    """One version as JSON: the stored bytes spliced in as `record`, signature beside."""
    meta = (
        f'"envelope":"{_b64(v.envelope)}","signature":"{_b64(v.signature)}",'
        f'"sha256":"{v.sha256}","version":"{v.version_key[2:]}"'
    )
    return b'{"record":' + v.body + b"," + meta.encode() + b"}"


def _not_found(object_id: str) -> Problem:
    return Problem(404, f"no record {object_id} here", code="not-found")


async def audit_personal(
    node: Node, user: User, versions: Sequence[StoredVersion], how: str
) -> None:
    """Audit before answer: reads of personal data are committed to the chain first."""
    entries = [
        AuditEntry(
            user.principal, "personal.read", v.object_id, {"version": v.version_key, "via": how}
        )
        for v in versions
        if v.kind == RecordKind.PERSONAL.value
    ]
    if entries:
        await node.audit(entries)


@router.post("", status_code=201)
async def create(request: Request, node: NodeDep, user: CurrentUser) -> dict[str, Any]:
    """Write a STIX object or a bundle of them as new versions, all or nothing."""
    data = await read_json(request, node.settings.max_body_bytes)
    if isinstance(data, dict) and data.get("type") == "bundle":
        objs = data.get("objects")
        if not isinstance(objs, list) or not objs:
            raise Problem(422, "a bundle needs a non-empty 'objects' list", code="invalid-record")
    elif isinstance(data, dict):
        objs = [data]
    else:
        raise Problem(422, "send one STIX object or a bundle", code="invalid-record")
    try:
        drafts = [node.prepare(o) for o in objs]
        for d in drafts:
            allowed = WRITERS[d.kind]
            if not user.has_any(allowed):
                raise Problem(
                    403,
                    f"writing {d.object_type} needs one of the roles {', '.join(allowed)}",
                    code="forbidden",
                )
        appended = await node.write(objs, user=user, prepared=drafts)
    except RecordError as exc:
        raise Problem(422, str(exc), code="invalid-record") from None
    except WriteRefused as exc:
        raise Problem(exc.status, exc.message, code=exc.rule) from None
    return {
        "written": [
            {
                "id": a.object_id,
                "version": a.version_key[2:],
                "sha256": a.sha256,
                "duplicate": a.duplicate,
                "current": await _current_to(node, user, a),
            }
            for a in appended
        ]
    }


async def _current_to(node: Node, user: User, a: Appended) -> bool:
    """Is the version current among those the writer may see?

    A newer version withheld from the writer looks absent to them, so it must not make
    theirs "not current": that would tell them it exists.
    """
    if a.current:
        return True
    visible = await node.reader.versions(user.recipient, Channel.API, a.object_id)
    return all(v.version_key <= a.version_key for v in visible)


def _check_id(object_id: str) -> None:
    if not ID_RE.match(object_id):
        raise Problem(422, f"{object_id!r} is not a STIX id '<type>--<uuid>'", code="validation")


@router.get(
    "/{object_id}",
    response_class=Response,
    responses={200: {"content": {STIX: {}}, "description": "canonical bytes"}},
)
async def get_one(object_id: str, node: NodeDep, user: CurrentUser) -> Response:
    """The current version, as its canonical bytes; envelope and signature in headers."""
    _check_id(object_id)
    v = await node.reader.get(user.recipient, Channel.API, object_id)
    if v is None:
        raise _not_found(object_id)
    await audit_personal(node, user, [v], "api.get")
    return Response(
        v.body,
        media_type=STIX,
        headers={
            "X-Acuerdo-Envelope": _b64(v.envelope),
            "X-Acuerdo-Signature": _b64(v.signature),
            "X-Acuerdo-Version": v.version_key[2:],
            "ETag": f'"{v.sha256}"',
        },
    )


@router.get("/{object_id}/versions", response_class=Response)
async def versions(object_id: str, node: NodeDep, user: CurrentUser) -> Response:
    """Every version of an object the caller may see, oldest first."""
    _check_id(object_id)
    found = await node.reader.versions(user.recipient, Channel.API, object_id)
    if not found:
        raise _not_found(object_id)
    await audit_personal(node, user, found, "api.versions")
    body = (
        b'{"id":"' + object_id.encode() + b'","versions":[' + b",".join(map(_item, found)) + b"]}"
    )
    return Response(body, media_type="application/json")


PageSize = Annotated[int | None, Query(ge=1, le=10000, description="page size")]


def _types(
    type: Annotated[list[str] | None, Query(description="filter by record type")] = None,
) -> list[str]:
    return sorted(set(type or []))


@router.get("", response_class=Response)
async def list_records(
    node: NodeDep,
    user: CurrentUser,
    types: Annotated[list[str], Depends(_types)],
    cursor: str | None = None,
    limit: PageSize = None,
    all_versions: bool = False,
) -> Response:
    """A page of records (current versions unless all_versions) in ledger order."""
    size = min(limit or node.settings.page_size, node.settings.max_page_size)
    if len(types) > 20:
        raise Problem(422, "at most 20 type filters", code="validation")
    try:
        page = await node.reader.page(
            user.recipient,
            Channel.API,
            cursor=cursor,
            limit=size,
            types=types,
            current_only=not all_versions,
        )
    except CursorError as exc:
        raise Problem(400, str(exc), code="invalid-cursor") from None
    await audit_personal(node, user, page.items, "api.list")
    nxt = b"null" if page.next_cursor is None else b'"' + page.next_cursor.encode() + b'"'
    body = b'{"items":[' + b",".join(map(_item, page.items)) + b'],"next":' + nxt + b"}"
    return Response(body, media_type="application/json")
