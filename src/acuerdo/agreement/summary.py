"""A few lines that say which agreement a file is, for ``acuerdo agreement check``."""

from __future__ import annotations

from acuerdo.agreement.agreement import Agreement


def summary(agreement: Agreement) -> str:
    """Id, title, version, hash, parties and counts: enough to recognise the adopted file."""
    model = agreement.model
    identity = model.agreement
    parties = "; ".join(f"{p.code} ({p.role}) {p.name}" for p in model.parties)
    categories = model.coverage.categories
    covered = sum(1 for c in categories if c.coverage.covered)
    provisional = sum(1 for p in model.parameters if p.provisional)
    public = sum(1 for a in model.articles if a.public)
    status = identity.in_force.status + (
        f" since {identity.in_force.date}" if identity.in_force.date else ""
    )
    lines = [
        f"agreement   {identity.id}: {identity.title}",
        f"version     {identity.version} (signed {identity.signed.date}, {identity.signed.place};"
        f" {status})",
        f"hash        sha256:{agreement.hash}",
        f"parties     {parties}",
        f"categories  {len(categories)} ({covered} covered, {len(categories) - covered} not)",
        f"activities  {len(model.activities.types)} types",
        f"parameters  {len(model.parameters)} ({provisional} provisional)",
        f"articles    {len(model.articles)} ({public} with public wording,"
        f" {len(model.articles) - public} not public)",
        f"text        {identity.text.kind}, {'complete' if identity.text.complete else 'partial'}",
    ]
    return "\n".join(lines)
