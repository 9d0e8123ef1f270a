"""The one settings registry: every knob a node has, typed, documented, read from ACUERDO_*.

The same field descriptions feed `acuerdo settings`, the CLI help and docs/settings.md (a test
fails when a setting is missing from the docs). Nothing here is read at import: callers build
a `Settings` when they need one. There are no secrets here: the node's keys and secret live in
files under the node's home, created by `acuerdo init`, and never have defaults.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_home() -> Path:
    """Per-user data directory, used when neither --home nor ACUERDO_HOME is given."""
    return Path(platformdirs.user_data_dir("acuerdo", appauthor=False))


class Settings(BaseSettings):
    """Node settings. Environment variables use the prefix ACUERDO_ (e.g. ACUERDO_PORT)."""

    model_config = SettingsConfigDict(env_prefix="ACUERDO_", extra="forbid")

    home: Path = Field(
        default_factory=default_home,
        description="Directory of one node: keys, adopted agreement, config, SQLite database.",
    )
    database_url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL of the node's database; by default SQLite in the home directory. "
            "PostgreSQL: postgresql+asyncpg://user@host/db."
        ),
    )
    host: str = Field(default="127.0.0.1", description="Address `acuerdo serve` binds.")
    port: int = Field(default=8400, ge=1, le=65535, description="Port `acuerdo serve` binds.")
    tls_cert_file: Path | None = Field(
        default=None,
        description=(
            "PEM certificate (chain) `acuerdo serve` presents: with the key, the node serves "
            "HTTPS itself; the puller presents it to partners that ask for a client certificate."
        ),
    )
    tls_key_file: Path | None = Field(
        default=None, description="PEM private key of the TLS certificate."
    )
    tls_ca_file: Path | None = Field(
        default=None,
        description=(
            "PEM CA certificates this node trusts for TLS: the puller verifies partners' "
            "https URLs against them (default: the system's store), and `acuerdo serve` "
            "verifies any client certificate presented against them."
        ),
    )
    max_body_bytes: int = Field(
        default=1_048_576,
        ge=1024,
        description="Largest request body accepted; larger bodies get 413 and change nothing.",
    )
    page_size: int = Field(default=100, ge=1, le=1000, description="Default page size of lists.")
    max_page_size: int = Field(
        default=1000, ge=1, le=10000, description="Largest page a list serves."
    )
    basic_cache_seconds: float = Field(
        default=60.0,
        ge=0,
        le=3600,
        description=(
            "How long a verified HTTP Basic credential is remembered (keyed by an HMAC, never "
            "the password) so argon2 does not run on every request."
        ),
    )
    write_batch_max: int = Field(
        default=2000,
        ge=1,
        le=100_000,
        description="Most versions the writer commits in one transaction.",
    )
    sqlite_writer_cache_mib: int = Field(
        default=64,
        ge=1,
        le=65_536,
        description=(
            "Pages the SQLite writer's connection keeps in memory. Each version lands on a "
            "random page of several indexes (record ids are random), so with SQLite's default "
            "2 MiB most of those pages are read back from the OS on every write once the "
            "ledger passes ~100,000 versions."
        ),
    )
    correlation_limit: int = Field(
        default=20,
        ge=1,
        le=1000,
        description=(
            "A value seen in more visible records than this is marked over-correlated and its "
            "records are not listed (counted per reader, through the release gate)."
        ),
    )
    taxii_collections: Path | None = Field(
        default=None,
        description=(
            "YAML file of the TAXII collections this node serves (views over the ledger by type, "
            "origin party and marking, with the roles that may read and write each); by "
            "default one collection of all intelligence and one per party's intelligence."
        ),
    )
    taxii_sync_objects: int = Field(
        default=100,
        ge=0,
        le=100_000,
        description=(
            "A TAXII POST of at most this many objects is answered once processed; a larger "
            "one is answered at once with a pending status resource and processed after."
        ),
    )
    stream_heartbeat_seconds: float = Field(
        default=15.0,
        gt=0,
        le=3600,
        description="Idle seconds after which a live stream sends a heartbeat comment.",
    )
    federation_pull: bool = Field(
        default=True,
        description="Whether `acuerdo serve` pulls from the configured partner nodes.",
    )
    federation_verify_records: bool = Field(
        default=True,
        description=(
            "Check every pulled record's own signature; off, bulk catch-up relies on the "
            "signed, hash-chained outbox head alone."
        ),
    )
    federation_window_seconds: float = Field(
        default=60.0,
        ge=1,
        le=900,
        description="How far a node-to-node request's signature time may be from this clock.",
    )
    # As many as the writer commits at once (write_batch_max): a partner catching up pays
    # each batch's request, signed head and commit once per 2,000 records.
    federation_batch_max: int = Field(
        default=2000, ge=1, le=20_000, description="Most outbox entries served in one batch."
    )
    federation_reader_min_bytes: int = Field(
        default=262_144,
        ge=-1,
        description=(
            "With per-record verification on, feed answers at least this large are read in a "
            "child process (acuerdo.federation.reader_process), which frees the event loop for "
            "the writer; 0 reads every such page there, -1 none. With verification off pages "
            "are read in process: the child's answer costs more than it saves then. The child "
            "starts in the background on the first such page; pages are read in process "
            "until it has answered."
        ),
    )
    federation_wait_seconds: float = Field(
        default=20.0,
        ge=0,
        le=120,
        description="How long a feed request waits for new entries before answering empty.",
    )
    federation_backoff_max_seconds: float = Field(
        default=30.0,
        ge=0.1,
        le=3600,
        description="Longest pause between pulls from a partner that does not answer.",
    )
    federation_witness_seconds: float = Field(
        default=300.0,
        ge=1,
        le=86400,
        description=(
            "How often the puller fetches a partner's signed audit-chain head to witness it "
            "(a hash, never a size)."
        ),
    )
    demo: bool = Field(
        default=False,
        description="Demo mode: demo users with published passwords. Never for real data.",
    )

    def resolved_database_url(self) -> str:
        """The database URL, defaulting to SQLite inside the node's home."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.home / 'acuerdo.sqlite3'}"


def documented_settings() -> list[tuple[str, str, str]]:
    """(environment variable, default, description) for every setting, for docs and help."""
    rows: list[tuple[str, str, str]] = []
    for name, field in Settings.model_fields.items():
        default = "per-user data dir" if field.default_factory else repr(field.default)
        rows.append((f"ACUERDO_{name.upper()}", default, field.description or ""))
    return rows
