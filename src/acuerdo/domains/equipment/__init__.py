"""Equipment and craft: movement notifications of aircraft, vessels and vehicles and their
acknowledgement, customs declarations under the duty exemption and their clearance,
re-export accounting, frequency requests and assignments, and equipment transfer
programmes with their milestones and Gantt picture.

Every record here is written by the party it belongs to (the sending state notifies,
declares and requests; the host acknowledges, clears and assigns, each answer naming the
exact version it answers), and every state shown is derived from those records.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from acuerdo.node import Node

__all__ = ["install_equipment"]


def install_equipment(node: Node) -> None:
    """Register the equipment record types' checks on a node being opened."""
    from acuerdo.domains.equipment import answers, craft, customs, frequencies, transfers

    for check_type, check in (
        *customs.CHECKS,
        *craft.CHECKS,
        *frequencies.CHECKS,
        *transfers.CHECKS,
    ):
        node.checks.setdefault(check_type, []).append(check)
    for answer in answers.ANSWERS:
        node.author_checks.setdefault(answer.record_type, []).append(answer.check)
