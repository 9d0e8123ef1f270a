"""The agreement as code: load, validate and hash an agreement file; answer questions from it.

An agreement file (YAML, see docs/agreement-file.md) declares the parties, who is covered,
what entry needs, which activities need approval and notice, the jurisdiction and claims
rules, and the sharing defaults, every rule citing its article. ``load_agreement`` or
``load_profile`` validates it and identifies it by its canonical hash; ``Agreement.evaluate``
answers a question with a ``Decision`` that gives its reasons and citations.
"""

from acuerdo.agreement.agreement import Agreement
from acuerdo.agreement.loader import (
    AgreementError,
    AgreementProblem,
    agreement_hash,
    list_profiles,
    load_agreement,
    load_profile,
    load_text,
)
from acuerdo.agreement.questions import (
    ActivityQuestion,
    Citation,
    ClaimQuestion,
    CoverageQuestion,
    Decision,
    EntryQuestion,
    JurisdictionQuestion,
    Question,
    Reason,
)
from acuerdo.agreement.summary import summary

__all__ = [
    "ActivityQuestion",
    "Agreement",
    "AgreementError",
    "AgreementProblem",
    "Citation",
    "ClaimQuestion",
    "CoverageQuestion",
    "Decision",
    "EntryQuestion",
    "JurisdictionQuestion",
    "Question",
    "Reason",
    "agreement_hash",
    "list_profiles",
    "load_agreement",
    "load_profile",
    "load_text",
    "summary",
]
