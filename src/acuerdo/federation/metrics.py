"""Prometheus metrics of the exchange with each partner, for admins (GET /metrics).

A registry is built per scrape from the same status the CLI prints, so every process serving
a node reports the node's state (from its database), not its own counters.
"""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import CollectorRegistry, Gauge, generate_latest

from acuerdo.federation.status import PartnerStatus


def render(statuses: Sequence[PartnerStatus]) -> bytes:
    """The text exposition format of the partners' status."""
    registry = CollectorRegistry()
    labels = ["partner"]
    gauges = {
        "cursor": Gauge("acuerdo_federation_cursor", "Last applied outbox entry", labels,
                        registry=registry),
        "behind": Gauge("acuerdo_federation_entries_behind", "Entries not applied yet", labels,
                        registry=registry),
        "seconds": Gauge("acuerdo_federation_seconds_behind",
                         "Seconds since this node was last caught up", labels, registry=registry),
        "quarantined": Gauge("acuerdo_federation_quarantined", "Entries refused into quarantine",
                             labels, registry=registry),
        "flagged": Gauge("acuerdo_federation_assessments", "Applied records flagged", labels,
                         registry=registry),
        "diverged": Gauge("acuerdo_federation_diverged", "1 while pulling stopped on divergence",
                          labels, registry=registry),
        "contact": Gauge("acuerdo_federation_in_contact", "1 once the partner has answered",
                         labels, registry=registry),
    }  # fmt: skip
    for s in statuses:
        gauges["cursor"].labels(s.party).set(s.cursor)
        gauges["behind"].labels(s.party).set(s.behind)
        gauges["seconds"].labels(s.party).set(s.seconds_behind)
        gauges["quarantined"].labels(s.party).set(s.quarantined)
        gauges["flagged"].labels(s.party).set(s.flagged)
        gauges["diverged"].labels(s.party).set(1 if s.diverged else 0)
        gauges["contact"].labels(s.party).set(1 if s.last_contact else 0)
    return generate_latest(registry)
