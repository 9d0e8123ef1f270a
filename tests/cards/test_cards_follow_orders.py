"""Cards follow the records they rest on: a change of orders or coverage withdraws them.

A card records the exact versions of its person, personal data and orders. When any of them
is replaced (an order shortened, cancelled, superseded by a version without the person; a
person's category changed so the agreement no longer covers them) the card's id appears in
the next signed revocation list, and a checkpoint holding that list refuses the card. A card
issued afterwards rests on the new versions and never outlives the orders in force.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from card_support import covered_records

from acuerdo.domains.credentials.issue import issue_card
from acuerdo.domains.credentials.revocation import (
    revoked_card_ids,
    signed_revocation_list,
    verify_revocation_list,
)
from acuerdo.domains.credentials.trust import bundle_for
from acuerdo.domains.credentials.verify import CardVerifier
from acuerdo.node import Node
from acuerdo.users import User
from conftest import NodeHarness

Records = dict[str, dict[str, Any]]


async def person_on_orders(node: Node, user: User, until_days: int = 30) -> Records:
    """A covered person on an order in force today (until today + `until_days`)."""
    records = covered_records(node, order_days=(-5, until_days))
    await node.write(list(records.values()), user=user)
    return records


def new_version(obj: dict[str, Any], **changes: Any) -> dict[str, Any]:
    later = datetime.now(UTC) + timedelta(seconds=1)
    return dict(obj, modified=later.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z", **changes)


def shortened(r: Records, other: Records) -> dict[str, Any]:
    return new_version(r["order"], valid_until=(date.today() + timedelta(days=3)).isoformat())


def cancelled(r: Records, other: Records) -> dict[str, Any]:
    return new_version(r["order"], revoked=True)


def superseded(r: Records, other: Records) -> dict[str, Any]:
    """The order now names someone else instead."""
    return new_version(r["order"], person_refs=[other["person"]["id"]])


def no_longer_covered(r: Records, other: Records) -> dict[str, Any]:
    return new_version(r["person"], category="dependent")


def name_corrected(r: Records, other: Records) -> dict[str, Any]:
    return new_version(r["personal"], family_names="Benítez Ortiz")


@pytest.mark.parametrize(
    "change", [shortened, cancelled, superseded, no_longer_covered, name_corrected]
)
async def test_a_changed_basis_withdraws_the_card(
    harness: NodeHarness, change: Callable[[Records, Records], dict[str, Any]]
) -> None:
    node, registrar = harness.node, harness.users["registrar"]
    mine = await person_on_orders(node, registrar)
    theirs = await person_on_orders(node, registrar)
    card = await issue_card(node, registrar, mine["person"]["id"])
    untouched = await issue_card(node, registrar, theirs["person"]["id"])
    assert await revoked_card_ids(node) == frozenset()
    await node.write([change(mine, theirs)], user=registrar)
    now = datetime.now(UTC)
    listed = await revoked_card_ids(node, now=now)
    assert listed == {card.claims.card_id}
    bundle = bundle_for(node)
    signed = await signed_revocation_list(node, now=now)
    verifier = CardVerifier(bundle, verify_revocation_list(signed, bundle, at=now))
    answer = verifier.verify(card.code)
    assert (answer.valid, answer.reason) == (False, "revoked")
    assert verifier.verify(untouched.code).valid


async def test_a_card_issued_after_a_shortening_rests_on_it(harness: NodeHarness) -> None:
    node, registrar = harness.node, harness.users["registrar"]
    mine = await person_on_orders(node, registrar, until_days=60)
    old = await issue_card(node, registrar, mine["person"]["id"])
    await node.write([shortened(mine, mine)], user=registrar)
    now = datetime.now(UTC).replace(microsecond=0)
    new = await issue_card(node, registrar, mine["person"]["id"], now=now)
    order_end = datetime.combine(date.today() + timedelta(days=4), datetime.min.time(), UTC)
    assert old.claims.valid_until > new.claims.valid_until == int(order_end.timestamp())
    assert await revoked_card_ids(node, now=now) == {old.claims.card_id}
    # Expired cards are not listed: a checkpoint refuses them on their own dates.
    assert await revoked_card_ids(node, now=now + timedelta(days=365)) == frozenset()
