"""The correlation index: which record versions carry which normalised observable.

Derived from the ledger inside the write transaction (rebuildable, never edited by hand).
One row per (observable key, version): a key is `kind:canonical value` (see
`acuerdo.domains.intel.observables`). Rows are per version, not per object, so a reader
correlates exactly the versions the release gate lets them see.

Two b-trees and nothing else: the key (to find what carries a value) and the version (to
find what a version carries). The object id is the ledger's, joined by `seq`: a column of
its own, with an index, cost a third b-tree keyed by random ids on every ingested object.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, String, Table

from acuerdo.ledger.tables import metadata

intel_observables = Table(
    "intel_observables",
    metadata,
    Column("key", String(400), primary_key=True),
    Column("seq", BigInteger, primary_key=True),  # the ledger version carrying the value
    sqlite_with_rowid=False,
)
Index("ix_intel_observables_seq", intel_observables.c.seq)
