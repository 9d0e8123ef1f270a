"""A claim's settlement: waived, shared, or sent to a State's own process, with the cost split.

The rule is the agreement's (``ClaimQuestion``); the claim record supplies the facts. When
the rule shares the cost, each State's part of the amount is worked out in the claim's
currency with decimal arithmetic (never floats), rounded half-up to the currency's usual
two places, and the parts always add up to the amount claimed.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from pydantic import JsonValue

from acuerdo.agreement import Agreement, ClaimQuestion
from acuerdo.domains.incidents.records import RECEIPT_NOTE, CaseRecord

CENT = Decimal("0.01")
OPEN_STATUSES = frozenset({"filed"})


@cache
def currency_name(code: str) -> str | None:
    """The ISO 4217 name of an active currency code, or None if it is not one."""
    import pycountry

    found = pycountry.currencies.get(alpha_3=code)
    return None if found is None else str(found.name)


def claim_question(claim: CaseRecord) -> ClaimQuestion:
    body = claim.body
    responsible = body.get("responsible")
    return ClaimQuestion(
        claimant_kind=body.get("claimant_kind"),
        damage_kind=body.get("damage_kind"),
        official_duty=body.get("official_duty"),
        responsible=list(responsible) if isinstance(responsible, list) else None,
    )


def split(amount: Decimal, shares: dict[str, float]) -> dict[str, str]:
    """Each party's part of ``amount``; the last party takes the rounding remainder."""
    parts: dict[str, str] = {}
    codes = list(shares)
    given = Decimal(0)
    for code in codes[:-1]:
        part = (amount * Decimal(str(shares[code])) / 100).quantize(CENT, ROUND_HALF_UP)
        parts[code] = str(part)
        given += part
    if codes:
        parts[codes[-1]] = str((amount - given).quantize(CENT, ROUND_HALF_UP))
    return parts


def decide_claim(agreement: Agreement, claim: CaseRecord) -> dict[str, JsonValue]:
    """The agreement's decision on a claim, its cost split and the versions it rests on."""
    decision = agreement.evaluate(claim_question(claim))
    body = claim.body
    amount = Decimal(str(body["amount"]))
    result: dict[str, JsonValue] = {
        "claim": claim.id,
        "status": str(body.get("status", "filed")),
        "outcome": decision.outcome,
        "amount": str(body["amount"]),
        "currency": str(body["currency"]),
        "details": dict(decision.details),
        "reasons": [r.model_dump(mode="json") for r in decision.reasons],
        "agreement": {"id": agreement.id, "version": agreement.version, "hash": agreement.hash},
        "facts": [claim.fact()],
        "counted_from": RECEIPT_NOTE,
    }
    shares = decision.details.get("shares")
    if isinstance(shares, dict):
        numbers = {k: float(v) for k, v in shares.items() if isinstance(v, int | float)}
        result["parts"] = dict(split(amount, numbers))
    return result
