"""A node's key directory: create, load (refusing readable or missing keys), export, rotate.

Working keys sit in files readable by their owner only (0600, directory 0700), written
atomically and never overwritten; the root key may be absent, exported for offline keeping.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from acuerdo.ledger.canonical import JSONValue, canonicalize
from acuerdo.ledger.keys import (
    KeyCertificate,
    KeyPurpose,
    KeyRevocation,
    TrustStore,
    UntrustedKey,
    issue_certificate,
    verify_certificate,
)
from acuerdo.ledger.signing import FileSigner, Signer, b64url, b64url_decode

ROOT_KEY_FILE = "root.key"
CERTIFICATES_FILE = "certificates.json"


class KeyFileError(Exception):
    """A key directory or key file that cannot be used as it is, and why."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
class NodeKeys:
    """A node's working keys, their current certificates, and what it publishes about them."""

    party: str
    keys_dir: Path
    root_public_key: bytes
    signers: Mapping[KeyPurpose, FileSigner]
    certificates: Mapping[KeyPurpose, KeyCertificate]
    published: tuple[KeyCertificate, ...]  # every certificate issued, rotated ones included
    revocations: tuple[KeyRevocation, ...]

    def signer(self, purpose: KeyPurpose) -> FileSigner:
        return self.signers[KeyPurpose(purpose)]

    def trust_store(self) -> TrustStore:
        """A trust store holding only this party (tests, and checking our own signatures)."""
        return TrustStore({self.party: self.root_public_key}, self.published, self.revocations)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_file(path: Path, data: bytes, *, mode: int, overwrite: bool) -> None:
    """Write atomically (temp file, fsync, then link or rename); never overwrite unless told."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)  # the umask may have narrowed it; never widen beyond `mode`
        if overwrite:
            os.replace(temp, path)
        else:
            try:
                os.link(temp, path)  # fails if path exists: a key is never overwritten
            except FileExistsError:
                raise KeyFileError(path, "already exists; refusing to overwrite it") from None
    finally:
        temp.unlink(missing_ok=True)
    _fsync_dir(path.parent)


def _read_key(path: Path) -> FileSigner:
    """Load a private key file, refusing one that is missing or readable by others."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise KeyFileError(path, "key file is missing") from None
    if not stat.S_ISREG(info.st_mode):
        raise KeyFileError(path, "is not a regular file")
    if info.st_mode & 0o077:
        raise KeyFileError(
            path, f"mode {stat.S_IMODE(info.st_mode):04o} lets group or others in; chmod 600"
        )
    try:
        return FileSigner.from_pem(path.read_bytes())
    except ValueError as exc:
        raise KeyFileError(path, f"not an unencrypted Ed25519 PKCS#8 PEM key: {exc}") from exc


def _save_published(
    keys_dir: Path,
    party: str,
    root_public_key: bytes,
    certs: Iterable[KeyCertificate],
    revocations: Iterable[KeyRevocation],
) -> None:
    document: dict[str, JSONValue] = {
        "party": party,
        "root_public_key": b64url(root_public_key),
        "certificates": [dict(c.to_json()) for c in certs],
        "revocations": [dict(r.to_json()) for r in revocations],
    }
    _write_file(keys_dir / CERTIFICATES_FILE, canonicalize(document), mode=0o644, overwrite=True)


def _load_published(keys_dir: Path) -> tuple[str, bytes, list[KeyCertificate], list[KeyRevocation]]:
    path = keys_dir / CERTIFICATES_FILE
    try:
        document = json.loads(path.read_bytes())
        root = b64url_decode(document["root_public_key"])
        certs = [KeyCertificate.from_json(c) for c in document["certificates"]]
        revocations = [KeyRevocation.from_json(r) for r in document["revocations"]]
        party = str(document["party"])
        store = TrustStore({party: root}, certs, revocations)  # checks every root signature
    except FileNotFoundError:
        raise KeyFileError(path, "certificates file is missing") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise KeyFileError(path, f"unusable: {exc}") from exc
    del store
    return party, root, certs, revocations


def load_node_keys(keys_dir: Path, *, at: datetime | None = None) -> NodeKeys:
    """Load the working keys; the root key file may be absent (it is kept offline).

    Refuses a missing or group/world-readable key file, and a key with no certificate of
    its purpose; with ``at``, also a current certificate not valid at that moment.
    """
    party, root, certs, revocations = _load_published(keys_dir)
    root_path = keys_dir / ROOT_KEY_FILE
    if root_path.exists() and _read_key(root_path).public_key != root:
        raise KeyFileError(root_path, "does not match the root public key in certificates")
    signers: dict[KeyPurpose, FileSigner] = {}
    current: dict[KeyPurpose, KeyCertificate] = {}
    for purpose in KeyPurpose:
        path = keys_dir / f"{purpose.value}.key"
        signer = _read_key(path)
        matching = [c for c in certs if c.key_id == signer.key_id and c.purpose == purpose]
        if not matching:
            raise KeyFileError(path, f"no {purpose.value} certificate for key {signer.key_id}")
        cert = max(matching, key=lambda c: c.not_after)
        if at is not None:
            try:
                verify_certificate(cert, root, at=at, purpose=purpose)
            except UntrustedKey as exc:
                raise KeyFileError(path, str(exc)) from exc
        signers[purpose], current[purpose] = signer, cert
    return NodeKeys(party, keys_dir, root, signers, current, tuple(certs), tuple(revocations))


def _new_working_key(
    path: Path, root: Signer, party: str, purpose: KeyPurpose, now: datetime, days: int
) -> KeyCertificate:
    """Generate a working key into path (never overwriting) and certify it from now."""
    signer = FileSigner.generate()
    _write_file(path, signer.to_pem(), mode=0o600, overwrite=False)
    end = now + timedelta(days=days)
    return issue_certificate(
        root,
        party=party,
        public_key=signer.public_key,
        purpose=purpose,
        not_before=now,
        not_after=end,
    )


def create_node_keys(
    keys_dir: Path, party: str, *, now: datetime, validity_days: int = 365
) -> NodeKeys:
    """Create a root key and one certified working key per purpose; never overwrite keys."""
    names = [ROOT_KEY_FILE, CERTIFICATES_FILE, *(f"{p.value}.key" for p in KeyPurpose)]
    for name in names:
        if (keys_dir / name).exists():
            raise KeyFileError(keys_dir / name, "already exists; refusing to overwrite keys")
    keys_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(keys_dir, 0o700)
    root = FileSigner.generate()
    _write_file(keys_dir / ROOT_KEY_FILE, root.to_pem(), mode=0o600, overwrite=False)
    certs = [
        _new_working_key(keys_dir / f"{p.value}.key", root, party, p, now, validity_days)
        for p in KeyPurpose
    ]
    _save_published(keys_dir, party, root.public_key, certs, ())
    return load_node_keys(keys_dir)


def export_root(keys_dir: Path, dest: Path, *, remove: bool) -> None:
    """Write the root key to dest (0600, never overwriting) for offline keeping.

    With remove, the node's copy is deleted once the export is on disk and reads back equal.
    """
    source = keys_dir / ROOT_KEY_FILE
    root = _read_key(source)
    _write_file(dest, root.to_pem(), mode=0o600, overwrite=False)
    if _read_key(dest).public_key != root.public_key:
        raise KeyFileError(dest, "exported key does not read back equal; root kept in place")
    if remove:
        source.unlink()
        _fsync_dir(keys_dir)


def rotate(
    keys_dir: Path,
    purpose: KeyPurpose,
    root_signer: Signer,
    now: datetime,
    *,
    validity_days: int = 365,
) -> KeyCertificate:
    """Replace the working key for purpose with a new one certified from now.

    Order makes a crash harmless: the new key is written beside the old, its certificate
    is published, and only then does it take the old key's place.
    """
    purpose = KeyPurpose(purpose)
    party, root, certs, revocations = _load_published(keys_dir)
    if root_signer.public_key != root:
        raise ValueError(f"signer {root_signer.key_id} is not the root of {keys_dir}")
    staged = keys_dir / f"{purpose.value}.key.new"
    staged.unlink(missing_ok=True)  # left by a crashed rotation; it never signed anything
    cert = _new_working_key(staged, root_signer, party, purpose, now, validity_days)
    _save_published(keys_dir, party, root, [*certs, cert], revocations)
    os.replace(staged, keys_dir / f"{purpose.value}.key")
    _fsync_dir(keys_dir)
    return cert


def publish_revocation(keys_dir: Path, revocation: KeyRevocation) -> None:
    """Add a root-signed revocation to what this node publishes (refused if not root-signed)."""
    party, root, certs, revocations = _load_published(keys_dir)
    TrustStore({party: root}).add_revocation(revocation)
    _save_published(keys_dir, party, root, certs, [*revocations, revocation])
