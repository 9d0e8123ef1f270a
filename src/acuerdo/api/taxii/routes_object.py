"""One object of a collection: get, delete (revoke) and its versions (spec 5.6, 5.7, 5.8)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from acuerdo.api.auth import CurrentUser
from acuerdo.api.taxii import filters
from acuerdo.api.taxii.collections import CollectionView
from acuerdo.api.taxii.deps import Negotiated, Service
from acuerdo.api.taxii.filters import Filters
from acuerdo.api.taxii.media import TaxiiError
from acuerdo.api.taxii.pages import body_of, filters_for, page, paged_response, version_of
from acuerdo.api.taxii.revoke import revoke
from acuerdo.api.taxii.service import API_ROOT, TaxiiService
from acuerdo.ledger.stix import ID_RE
from acuerdo.users import User

router = APIRouter(
    prefix=f"/taxii2/{API_ROOT}/collections/{{collection_id}}/objects/{{object_id}}",
    tags=["taxii"],
    dependencies=[Negotiated],
)


def _absent(object_id: str) -> TaxiiError:
    return TaxiiError(404, f"no object {object_id[:300]} in this collection")


async def _target(
    service: TaxiiService, user: User, collection_id: str, object_id: str, *, write: bool
) -> CollectionView:
    """The collection, checked for the access asked, and the object seen in it (else 404)."""
    view = service.view(collection_id, user)
    if not (view.can_write(user) if write else view.can_read(user)):
        verb = "write to" if write else "read"
        raise TaxiiError(403, f"you may not {verb} collection {view.alias}")
    if not ID_RE.match(object_id):
        raise TaxiiError(400, f"{object_id[:80]!r} is not a STIX id '<type>--<uuid>'")
    if not await service.reader.versions_of(user.recipient, view, object_id):
        raise _absent(object_id)
    return view


def _one(f: Filters, object_id: str) -> Filters:
    return Filters(
        added_after=f.added_after, ids=frozenset({object_id}), versions=f.versions,
        spec_versions=f.spec_versions, limit=f.limit, next=f.next,
    )  # fmt: skip


@router.get("/", response_class=Response)
async def get_object(
    collection_id: str, object_id: str, request: Request, user: CurrentUser, service: Service
) -> Response:
    """Get an object (spec 5.6): its versions the user may see, by match[version] (last)."""
    f = _one(filters_for(request, service, filters.OBJECT), object_id)
    view = await _target(service, user, collection_id, object_id, write=False)
    found, nxt = await page(service, user, view, f, f"object:{object_id}")
    return paged_response(found, nxt, b"objects", body_of)


@router.get("/versions/", response_class=Response)
async def versions(
    collection_id: str, object_id: str, request: Request, user: CurrentUser, service: Service
) -> Response:
    """Get object versions (spec 5.8): the version of each, oldest added first."""
    f = filters_for(request, service, filters.VERSIONS)
    f = _one(Filters(**{**f.__dict__, "versions": frozenset({"all"})}), object_id)
    view = await _target(service, user, collection_id, object_id, write=False)
    found, nxt = await page(service, user, view, f, f"versions:{object_id}")
    return paged_response(found, nxt, b"versions", version_of)


@router.delete("/", response_class=Response)
async def delete_object(
    collection_id: str, object_id: str, request: Request, user: CurrentUser, service: Service
) -> Response:
    """Delete an object (spec 5.7): its owner's node writes a revoked version (DESIGN.md).

    Nothing is removed: the revocation is a new version that travels like any other. Only
    the node of the party that owns the object may revoke it.
    """
    filters_for(request, service, filters.DELETE)
    view = await _target(service, user, collection_id, object_id, write=True)
    current = await service.reader.versions_of(user.recipient, view, object_id)
    await revoke(service.node, user, max(current, key=lambda e: e.version_key))
    return Response(status_code=200)
