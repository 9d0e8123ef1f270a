"""The node's tables, as SQLAlchemy Core metadata shared by the writer, readers and Alembic.

Core, not the ORM: the write path appends thousands of rows a second and the ORM's unit of
work costs an order of magnitude there. Every table is append-only except the projections
(``objects``, ``grants.current``) and the erasure stub, which the design allows.

Migrations, not this metadata, create the tables; the two must agree
(tests/ledger/test_schema.py checks it).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

# Sequence numbers: BIGINT, except that on SQLite an INTEGER PRIMARY KEY is the rowid itself
# (a BIGINT key would be a second b-tree beside the rowid). Migration 0002 settles the rest
# of the per-backend layout: WITHOUT ROWID tables on SQLite for narrow rows (0013 made
# `objects` a rowid table again: its rows are wide), one ledger identity index.
SEQ = BigInteger().with_variant(Integer(), "sqlite")

# One row per record version this node holds, in the order this node appended them.
ledger = Table(
    "ledger",
    metadata,
    Column("seq", SEQ, primary_key=True, autoincrement=False),
    Column("owner", String(3), nullable=False),  # "" for SCOs, owned by no one
    Column("object_id", String(300), nullable=False),
    Column("version_key", String(80), nullable=False),
    Column("object_type", String(250), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("body", LargeBinary, nullable=False),  # RFC 8785 canonical bytes, served as is
    Column("envelope", LargeBinary, nullable=False),
    Column("signature", LargeBinary, nullable=False),
    Column("origin", String(3), nullable=False),  # node that signed the version
    Column("holder", String(3), nullable=False),  # owner, or ingesting party for SCOs
    Column("author", String(80), nullable=True),  # "PARTY:user" who wrote it on its node
    Column("applied_markings", Text, nullable=False, default="[]"),  # beside, not inside
    Column("received_at", String(32), nullable=False),
    Column("revoked", Boolean, nullable=False, default=False),
    # Identity of a version; leading with object_id it also serves lookups by object.
    UniqueConstraint("object_id", "version_key", "owner", name="uq_ledger_identity"),
)

# Projection: the current (greatest version key) version of every object.
objects = Table(
    "objects",
    metadata,
    Column("object_id", String(300), primary_key=True),
    Column("owner", String(3), nullable=False),
    Column("object_type", String(250), nullable=False),
    Column("current_seq", BigInteger, nullable=False),
    Column("current_version_key", String(80), nullable=False),
    Column("revoked", Boolean, nullable=False, default=False),
    Column("audience", Text, nullable=True),  # JSON of the current version's audience
    # A rowid table on SQLite (migration 0013): rows are wide, keys random.
)

# Materialised release decisions: who may receive each version. Pages are index range
# scans over a user's few tokens, so a user who sees 1 record in 1,000,000 pays for 1.
grants = Table(
    "grants",
    metadata,
    Column("token", String(120), primary_key=True),
    Column("seq", BigInteger, primary_key=True),
    Column("object_type", String(250), nullable=False),
    Column("channels", Integer, nullable=False),  # bit set of release.Channel
    Column("current", Boolean, nullable=False),
    sqlite_with_rowid=False,  # the key is the table: a page's filters sit beside it
)
Index("ix_grants_token_type_seq", grants.c.token, grants.c.object_type, grants.c.seq)
Index("ix_grants_seq", grants.c.seq)

# Which objects a version refers to (for "released only when everything it refers to is").
refs = Table(
    "refs",
    metadata,
    Column("src_id", String(300), primary_key=True),
    Column("dst_id", String(300), primary_key=True),
    sqlite_with_rowid=False,
)
Index("ix_refs_dst", refs.c.dst_id)

# Versions that failed a check on arrival: kept for review, never applied, never dropped.
quarantine = Table(
    "quarantine",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("received_at", String(32), nullable=False),
    Column("source", String(80), nullable=False),
    Column("reason", Text, nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("envelope", LargeBinary, nullable=True),
    Column("signature", LargeBinary, nullable=True),
)

# Hash-chained audit trail of writes, logins and reads of personal data.
audit = Table(
    "audit",
    metadata,
    Column("seq", SEQ, primary_key=True, autoincrement=False),
    Column("at", String(32), nullable=False),
    Column("actor", String(80), nullable=False),
    Column("action", String(40), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("detail", Text, nullable=False),
    Column("prev", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("party", String(3), nullable=False),
    Column("name", String(64), nullable=False),
    Column("agency", String(64), nullable=False),
    Column("password_hash", Text, nullable=True),
    Column("created_at", String(32), nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    UniqueConstraint("party", "name", name="uq_users_party_name"),
)

user_roles = Table(
    "user_roles",
    metadata,
    Column("user_id", Integer, primary_key=True),
    Column("role", String(16), primary_key=True),
    Column("agency", String(64), primary_key=True),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("user_id", Integer, nullable=False),
    Column("label", String(80), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("revoked", Boolean, nullable=False, default=False),
)

# TAXII 2.1 status resources (spec 4.3): the outcome of each object of a POST, kept across
# restarts. Not a record: a receipt for one requester, updated while its POST is processed.
# `envelope` holds the objects still to process, so a restarted node resumes them.
taxii_status = Table(
    "taxii_status",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("requester", String(80), nullable=False),  # "PARTY:user", the only reader
    Column("api_root", String(64), nullable=False),
    Column("collection_id", String(36), nullable=False),
    Column("request_timestamp", String(32), nullable=False),
    Column("status", String(16), nullable=False),  # pending / complete
    Column("total_count", Integer, nullable=False),
    Column("outcomes", Text, nullable=False),  # JSON {"successes": [...], "failures": [...]}
    Column("envelope", LargeBinary, nullable=True),  # objects not yet processed
)
