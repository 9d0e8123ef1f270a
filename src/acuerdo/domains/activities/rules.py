"""What the adopted agreement says about an activity: its type, approval, deciding agencies.

One place for the look-ups the checks, the projector and the notice rules share, so that a
decision is valid for state derivation exactly when the write check would have let it in.
"""

from __future__ import annotations

from acuerdo.agreement import Agreement
from acuerdo.agreement.schema import ActivityType
from acuerdo.domains.activities.records import EMERGENCY, REGULAR


def activity_type(agreement: Agreement, type_id: str) -> ActivityType | None:
    return next((t for t in agreement.model.activities.types if t.id == type_id), None)


def needs_approval(agreement: Agreement, type_id: str) -> bool:
    """Unknown types need approval: nothing the agreement does not provide for is free."""
    kind = activity_type(agreement, type_id)
    return True if kind is None else kind.host_approval


def emergency_allowed(agreement: Agreement, type_id: str) -> bool:
    kind = activity_type(agreement, type_id)
    return (
        kind is not None
        and kind.emergency_path
        and agreement.model.activities.emergency is not None
    )


def deciding_agency(agreement: Agreement, path: str) -> str | None:
    """The host agency that decides on `path` (None: any host approver may)."""
    acts = agreement.model.activities
    if path == EMERGENCY:
        return None if acts.emergency is None else acts.emergency.authority
    return acts.deciding_agency


def decision_counts(
    agreement: Agreement,
    *,
    owner: str,
    path: str,
    agency: str,
    type_id: str,
    emergency: bool,
) -> bool:
    """Does a decision count under the agreement: the host's, by the agency competent for
    its path, and on the emergency path only for an urgent request of a type that has one."""
    if owner != agreement.host_party.code or path not in (REGULAR, EMERGENCY):
        return False
    if path == EMERGENCY and not (emergency and emergency_allowed(agreement, type_id)):
        return False
    required = deciding_agency(agreement, path)
    return required is None or agency == required
