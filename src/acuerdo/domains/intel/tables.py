"""The correlation index: which record versions carry which normalised observable.

Derived from the ledger inside the write transaction (rebuildable, never edited by hand).
One row per (observable key, version): a key is `kind:canonical value` (see
`acuerdo.domains.intel.observables`). Rows are per version, not per object, so a reader
correlates exactly the versions the release gate lets them see.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, String, Table

from acuerdo.ledger.tables import metadata

intel_observables = Table(
    "intel_observables",
    metadata,
    Column("key", String(400), primary_key=True),
    Column("seq", BigInteger, primary_key=True),  # the ledger version carrying the value
    Column("object_id", String(300), nullable=False),
    sqlite_with_rowid=False,
)
Index("ix_intel_observables_seq", intel_observables.c.seq)
Index("ix_intel_observables_object", intel_observables.c.object_id)
