"""TAXII collections as views over the ledger (spec 5.1, 5.2), defined in configuration.

A collection is not a copy: it is a filter (record types, origin party, markings) over the
versions the release gate lets a user see on the TAXII channel, plus the roles that may
read and write it (`can_read`, `can_write` per user). Agreement records never appear: the
gate keeps them off the TAXII channel, whatever a view says.

Without a configuration file a node serves one collection of all intelligence and one per
party of the agreement with the intelligence that party's node took in.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from acuerdo.agreement import Agreement
from acuerdo.markings import TLP, TLP2_MARKING_IDS
from acuerdo.users import ROLES, User

# Collection ids are UUIDs (spec 5.2); deriving them from the alias keeps them stable.
COLLECTION_NAMESPACE = uuid.UUID("6a0c3f61-5d0e-4d6b-9a59-7e9f0c1d2b44")
DEFAULT_READERS = frozenset({"analyst", "admin", "viewer"})
DEFAULT_WRITERS = frozenset({"analyst", "admin"})
_TLP_BY_NAME = {level.label.removeprefix("TLP:").lower(): level for level in TLP}


class CollectionConfigError(ValueError):
    """The collections file is wrong; the message names the entry and the field."""


@dataclass(frozen=True)
class CollectionView:
    """One TAXII collection: what it shows and who may read or write it."""

    id: str
    alias: str
    title: str
    description: str
    types: frozenset[str]  # empty: every type
    origins: frozenset[str]  # party codes of the node that took a version in; empty: any
    markings: frozenset[str]  # marking-definition ids, any one suffices; empty: any
    read_roles: frozenset[str]
    write_roles: frozenset[str]

    def can_read(self, user: User) -> bool:
        return user.has_any(self.read_roles)

    def can_write(self, user: User) -> bool:
        return user.has_any(self.write_roles)

    @property
    def filters_beyond_type(self) -> bool:
        """Does membership need more than the record type (origin or marking)?"""
        return bool(self.origins or self.markings)

    def resource(self, user: User) -> dict[str, Any]:
        """The collection resource of spec 5.2.1, as this user sees it."""
        return {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "alias": self.alias,
            "can_read": self.can_read(user),
            "can_write": self.can_write(user),
            "media_types": ["application/stix+json;version=2.1"],
        }


def _strings(entry: Mapping[str, Any], key: str, where: str) -> frozenset[str]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CollectionConfigError(f"{where}: {key} must be a list of strings")
    return frozenset(value)


def _marking_id(value: str, where: str) -> str:
    if value.startswith("marking-definition--"):
        return value
    level = _TLP_BY_NAME.get(value.lower().removeprefix("tlp:"))
    if level is None:
        raise CollectionConfigError(
            f"{where}: marking {value!r} is neither a TLP name nor a marking-definition id"
        )
    return TLP2_MARKING_IDS[level]


def _roles(
    entry: Mapping[str, Any], key: str, default: frozenset[str], where: str
) -> frozenset[str]:
    if key not in entry:
        return default
    roles = _strings(entry, key, where)
    unknown = sorted(roles - set(ROLES))
    if unknown:
        raise CollectionConfigError(f"{where}: {key} names unknown roles {unknown}")
    return roles


def view_from_entry(entry: Any, index: int, parties: Iterable[str]) -> CollectionView:
    """One collection from its configuration entry; every field is checked."""
    where = f"collections[{index}]"
    if not isinstance(entry, Mapping):
        raise CollectionConfigError(f"{where} must be a mapping")
    alias = entry.get("alias")
    if not isinstance(alias, str) or not alias.replace("-", "").isalnum():
        raise CollectionConfigError(f"{where}: alias must be letters, digits and '-'")
    origins = _strings(entry, "origins", where)
    unknown = sorted(origins - set(parties))
    if unknown:
        raise CollectionConfigError(f"{where}: origins names non-parties {unknown}")
    return CollectionView(
        id=str(uuid.uuid5(COLLECTION_NAMESPACE, alias)),
        alias=alias,
        title=str(entry.get("title", alias)),
        description=str(entry.get("description", "")),
        types=_strings(entry, "types", where),
        origins=origins,
        markings=frozenset(_marking_id(m, where) for m in _strings(entry, "markings", where)),
        read_roles=_roles(entry, "read_roles", DEFAULT_READERS, where),
        write_roles=_roles(entry, "write_roles", DEFAULT_WRITERS, where),
    )


def default_entries(agreement: Agreement) -> list[dict[str, Any]]:
    """All intelligence, then each party's: the agreement's parties, no code names one."""
    entries: list[dict[str, Any]] = [
        {
            "alias": "intelligence",
            "title": "Intelligence",
            "description": "Every intelligence object released to you.",
        }
    ]
    for party in agreement.model.parties:
        entries.append(
            {
                "alias": f"from-{party.code.lower()}",
                "title": f"Intelligence taken in by {party.name}",
                "description": f"Intelligence ingested by the node of {party.name}.",
                "origins": [party.code],
                "write_roles": [],
            }
        )
    return entries


def load_views(agreement: Agreement, path: Path | None) -> tuple[CollectionView, ...]:
    """The node's collections: from `path` (YAML, key `collections`) or the defaults."""
    parties = [p.code for p in agreement.model.parties]
    if path is None:
        entries: Any = default_entries(agreement)
    else:
        try:
            data = yaml.safe_load(path.read_text("utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise CollectionConfigError(f"{path}: {exc}") from None
        entries = data.get("collections") if isinstance(data, dict) else None
        if not isinstance(entries, list) or not entries:
            raise CollectionConfigError(f"{path}: needs a non-empty list under 'collections'")
    views = tuple(view_from_entry(e, i, parties) for i, e in enumerate(entries))
    aliases = [v.alias for v in views]
    if len(set(aliases)) != len(aliases):
        raise CollectionConfigError("collection aliases must be unique")
    return views
