"""Notice periods: was an activity proposed early enough for its start?

The period is the agreement's parameter for the activity's type (its emergency parameter
for an urgent request of a type with an emergency path), counted as agreement/periods.py
says: the day of receipt is not counted, business days skip the calendar's holidays.

It runs from the host's receipt of the proposal. Until signed federation receipts exist,
the receipt is the time the node recorded the first proposed version: on the host's node
that is the host's own receipt; on the proposer's node it is the proposer's own record
time, which says nothing of when the host received it, and the assessment says so
(`receipt_basis`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from acuerdo.agreement import Agreement
from acuerdo.domains.activities import rules


@dataclass(frozen=True)
class NoticeAssessment:
    """The notice an activity needed, from when, and whether it had it."""

    parameter: str
    value: str  # "30 calendar-days"
    article: str
    receipt: datetime | None
    receipt_basis: str  # "host-recorded" / "proposer-recorded" / "not-proposed"
    earliest_start: datetime | None
    start: datetime
    late: bool

    def to_json(self) -> dict[str, object]:
        return {
            "parameter": self.parameter,
            "value": self.value,
            "article": self.article,
            "receipt": None if self.receipt is None else _z(self.receipt),
            "receipt_basis": self.receipt_basis,
            "earliest_start": None if self.earliest_start is None else _z(self.earliest_start),
            "start": _z(self.start),
            "late": self.late,
        }


def _z(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def notice_parameter(agreement: Agreement, type_id: str, emergency: bool) -> str | None:
    """The parameter id of the notice an activity of this type needs (None: unknown type)."""
    kind = rules.activity_type(agreement, type_id)
    if kind is None:
        return None
    if emergency and kind.emergency_notice and rules.emergency_allowed(agreement, type_id):
        return kind.emergency_notice
    return kind.notice


def assess_notice(
    agreement: Agreement,
    *,
    type_id: str,
    emergency: bool,
    receipt: datetime | None,
    start: datetime,
    host_recorded: bool,
) -> NoticeAssessment | None:
    """Whether a proposal received at `receipt` gave enough notice for `start`."""
    param_id = notice_parameter(agreement, type_id, emergency)
    kind = rules.activity_type(agreement, type_id)
    if param_id is None or kind is None:
        return None
    param = agreement.parameter(param_id)
    value = f"{param.value} {param.unit}"
    if receipt is None:
        return NoticeAssessment(
            param_id, value, kind.basis.article, None, "not-proposed", None, start, False
        )
    earliest = agreement.period(param_id).earliest(receipt)
    basis = "host-recorded" if host_recorded else "proposer-recorded"
    return NoticeAssessment(
        param_id, value, kind.basis.article, receipt, basis, earliest, start, start < earliest
    )
