"""Activities: proposals by one party, decisions by the host, authorisation instruments, the
emergency path, notice periods, conflicts, and the calendar and map views derived from them.

Records (declared in acuerdo.ledger.types): ``acuerdo-activity`` (the proposer's, each new
version an amendment), ``acuerdo-activity-decision`` (the host's competent agency, naming one
exact version), ``acuerdo-after-action-report`` (closes an activity) and
``acuerdo-authorisation`` (a host instrument authorising foreign forces for a period).
"""

from acuerdo.domains.activities.records import (
    ACTIVITY,
    AUTHORISATION,
    DECISION,
    REPORT,
    TYPES,
)

__all__ = ["ACTIVITY", "AUTHORISATION", "DECISION", "REPORT", "TYPES"]
