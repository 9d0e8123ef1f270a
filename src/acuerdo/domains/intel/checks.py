"""The checks every intelligence write passes on a node, whichever channel it came by.

Installed per type in `node.checks` (see acuerdo.domains.install_domains): the API, the CLI
import, TAXII and federation all write through `Node.write`, so all of them refuse the same
object with the same message.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from acuerdo.domains.intel.validate import INTEL_TYPES, validate_object
from acuerdo.ledger.record import Draft, RecordError
from acuerdo.markings import MarkingKind
from acuerdo.release import RecordKind

if TYPE_CHECKING:
    from acuerdo.node import Node

MAX_PROBLEMS_SHOWN = 10


def problems_text(problems: Sequence[object]) -> str:
    """Problems as one message: the first ten, and how many more."""
    shown = "; ".join(str(p) for p in problems[:MAX_PROBLEMS_SHOWN])
    more = len(problems) - MAX_PROBLEMS_SHOWN
    return shown + (f"; and {more} more" if more > 0 else "")


def unmarked_refusal(node: Node, draft: Draft) -> str | None:
    """Why an unmarked object is refused, when the agreement refuses unmarked intelligence."""
    rule = node.agreement.model.sharing.unmarked_intel
    if rule.action != "refuse" or draft.kind is not RecordKind.INTEL:
        return None  # party identities are reference objects, TLP:CLEAR by rule
    catalog = node.context.catalog
    for marking_id in draft.markings:
        marking = catalog.get(marking_id)
        if marking is not None and marking.kind is MarkingKind.TLP:
            return None
    cite = node.agreement.citation(rule.basis)
    return (
        f"{draft.object_id}: carries no TLP marking, and the agreement refuses unmarked "
        f"intelligence ({cite.article}{', ' + cite.paragraph if cite.paragraph else ''})"
    )


async def check_intel(node: Node, draft: Draft, drafts: Sequence[Draft]) -> None:
    """STIX 2.1 validity of the object, then the agreement's rule on unmarked intelligence."""
    del drafts
    problems = validate_object(draft.obj)
    if problems:
        raise RecordError(problems_text(problems))
    refusal = unmarked_refusal(node, draft)
    if refusal is not None:
        raise RecordError(refusal)


def install_intel(node: Node) -> None:
    """Run `check_intel` on every write of a STIX SDO, SRO or SCO and acuerdo's observables,
    and keep the correlation index in the write transaction."""
    from acuerdo.domains.intel.correlation import CorrelationProjector

    for object_type in INTEL_TYPES:
        node.checks.setdefault(object_type, []).append(check_intel)
    node.ledger_free_checks.add(check_intel)  # the object and the catalog only
    node.context.projectors.append(CorrelationProjector())
