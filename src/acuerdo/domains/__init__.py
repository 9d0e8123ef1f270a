"""Domains: personnel, credentials, activities, transfers, intel, incidents.

Each domain adds to a node what its record types need: checks that run on every write of
those types (`node.checks`) and projections kept in the write transaction
(`node.context.projectors`). `install_domains` is the one place that wires them in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from acuerdo.node import Node


def install_domains(node: Node) -> None:
    """Register every domain's checks and projectors on a node being opened."""
    from acuerdo.domains.intel.checks import install_intel
    from acuerdo.domains.personnel.coverage import PERSON, check_covered_person
    from acuerdo.domains.personnel.projection import PersonnelProjector

    node.checks.setdefault(PERSON, []).append(check_covered_person)
    node.context.projectors.append(PersonnelProjector(node.agreement))

    from acuerdo.domains.activities.checks import install_activity_checks
    from acuerdo.domains.activities.projection import ActivityProjector

    install_activity_checks(node)
    node.context.projectors.append(ActivityProjector(node.agreement))
    install_intel(node)

    from acuerdo.domains.incidents.checks import install as install_incidents

    install_incidents(node)
    from acuerdo.domains.equipment import install_equipment

    install_equipment(node)
