"""Incidents, criminal jurisdiction, claims, consultations and disputes; deadlines and the
Joint Committee's view.

Records (types in acuerdo.ledger.types) are written by the party whose act they are; the
decisions (``decide_case``, ``decide_claim``) are computed on read from the records the
reader may see and the adopted agreement, each reason citing its article. See
docs/incidents.md.
"""

from acuerdo.domains.incidents.claims import decide_claim
from acuerdo.domains.incidents.decision import CaseDecision, decide_case
from acuerdo.domains.incidents.records import CaseRecord

__all__ = ["CaseDecision", "CaseRecord", "decide_case", "decide_claim"]
