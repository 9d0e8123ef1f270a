"""The emergency path: an urgent request decided within hours, regularised afterwards.

The agreement names the designated authority and two periods (activities.emergency): the
authority decides within `decision_within` of the host's receipt of the urgent request, and
the ordinary competent agency regularises within `regularise_within` of that decision. An
activity approved on this path is authorised from the emergency decision on: the ordinary
notice does not apply and it is not shown as unauthorised; what is flagged is a decision
that came late, and a regularisation that is overdue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from acuerdo.agreement import Agreement


@dataclass(frozen=True)
class EmergencyStatus:
    authority: str
    decision_due: datetime | None
    decided_at: datetime | None
    decided_in_time: bool | None
    regularise_due: datetime | None
    regularised: bool

    def flags(self, now: datetime) -> list[str]:
        out = []
        if self.decided_at is None and self.decision_due is not None and now > self.decision_due:
            out.append("emergency-decision-overdue")
        if self.decided_in_time is False:
            out.append("emergency-decision-late")
        overdue = self.regularise_due is not None and now > self.regularise_due
        if self.decided_at is not None and not self.regularised and overdue:
            out.append("regularisation-overdue")
        return out

    def to_json(self) -> dict[str, object]:
        def z(m: datetime | None) -> str | None:
            return None if m is None else m.strftime("%Y-%m-%dT%H:%M:%SZ")

        return {
            "authority": self.authority,
            "decision_due": z(self.decision_due),
            "decided_at": z(self.decided_at),
            "decided_in_time": self.decided_in_time,
            "regularise_due": z(self.regularise_due),
            "regularised": self.regularised,
        }


def emergency_status(
    agreement: Agreement,
    *,
    receipt: datetime | None,
    decided_at: datetime | None,
    regularised: bool,
) -> EmergencyStatus | None:
    """Deadlines of an urgent request and whether they were kept (None: no emergency path)."""
    path = agreement.model.activities.emergency
    if path is None:
        return None
    due = None if receipt is None else agreement.period(path.decision_within).due(receipt)
    in_time = None if decided_at is None or due is None else decided_at <= due
    regularise_due = (
        None if decided_at is None else agreement.period(path.regularise_within).due(decided_at)
    )
    return EmergencyStatus(path.authority, due, decided_at, in_time, regularise_due, regularised)
