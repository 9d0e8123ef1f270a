"""Federation tables: partners, per-partner outboxes, pull cursors and assessments.

The outbox here is federation's own log (entry hashes cover each record's canonical bytes
and its signature, and a *withdrawn* entry can follow a record); it is written by the
federation projector inside the writer's transaction. Quarantined entries go to the
ledger's `quarantine` table with `source` naming the partner.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, Text

from acuerdo.ledger.tables import metadata

# Partner nodes this node exchanges records with; set by `acuerdo partner add`.
federation_partners = Table(
    "federation_partners",
    metadata,
    Column("party", String(3), primary_key=True),
    Column("url", String(500), nullable=False),
    Column("public_key", String(64), nullable=False),  # base64url raw Ed25519 (requests key)
    Column("key_id", String(32), nullable=False),
    Column("added_at", String(32), nullable=False),
    Column("keys_bundle", Text, nullable=True),  # the partner's published key certificates
    sqlite_with_rowid=False,
)

# Per-partner outbox: contiguous oseq, each entry chained to the previous one by hash.
federation_outbox = Table(
    "federation_outbox",
    metadata,
    Column("partner", String(3), primary_key=True),
    Column("oseq", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(10), nullable=False),  # "record" or "withdrawn"
    Column("ledger_seq", BigInteger, nullable=False),
    Column("object_id", String(300), nullable=False),
    Column("version_key", String(80), nullable=False),
    Column("entry_hash", String(64), nullable=False),
    sqlite_with_rowid=False,
)
Index("ix_federation_outbox_object", federation_outbox.c.partner, federation_outbox.c.object_id)

# What this node pulled from each partner: the last applied entry, and whether pulling
# stopped on divergence (an operator must act: `acuerdo federation resume`).
federation_cursors = Table(
    "federation_cursors",
    metadata,
    Column("partner", String(3), primary_key=True),
    Column("oseq", BigInteger, nullable=False),
    Column("entry_hash", String(64), nullable=False),
    Column("updated_at", String(32), nullable=False),
    Column("diverged", Text, nullable=True),  # the reason, while pulling is stopped
    Column("last_contact", String(32), nullable=True),  # last answer from the partner
    Column("partner_head", BigInteger, nullable=False, default=0),  # its outbox head for us
    Column("caught_up_at", String(32), nullable=True),  # last time nothing was behind
    Column("last_error", Text, nullable=True),
    sqlite_with_rowid=False,
)

# Authentic records this node reads differently under the agreement: applied, and flagged
# here for the Joint Committee.
federation_assessments = Table(
    "federation_assessments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("partner", String(3), nullable=False),
    Column("object_id", String(300), nullable=False),
    Column("version_key", String(80), nullable=False),
    Column("reason", Text, nullable=False),
    Column("at", String(32), nullable=False),
)

# Audit-chain heads this node signed and gave a partner (and where they sit in its chain),
# so it can prove later that its chain still extends each of them.
federation_witness_given = Table(
    "federation_witness_given",
    metadata,
    Column("partner", String(3), primary_key=True),
    Column("audit_head", String(64), primary_key=True),
    Column("audit_seq", BigInteger, nullable=False),
    Column("signed_at", String(32), nullable=False),
    sqlite_with_rowid=False,
)

# Audit-chain heads a partner signed and gave this node: hashes, never sizes. A proof on
# request (`acuerdo federation witness`) marks each proven, or records why it failed.
federation_witnessed = Table(
    "federation_witnessed",
    metadata,
    Column("partner", String(3), primary_key=True),
    Column("audit_head", String(64), primary_key=True),
    Column("signed_at", String(32), nullable=False),
    Column("signature", String(100), nullable=False),
    Column("received_at", String(32), nullable=False),
    Column("proven_at", String(32), nullable=True),
    Column("refuted", Text, nullable=True),
    sqlite_with_rowid=False,
)
