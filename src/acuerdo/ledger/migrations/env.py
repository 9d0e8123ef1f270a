"""Alembic environment: runs on the connection acuerdo hands it (see ledger.schema)."""

from __future__ import annotations

from alembic import context

from acuerdo.ledger.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `acuerdo init` or acuerdo.ledger.schema.upgrade")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
