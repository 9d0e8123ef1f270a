"""Party root keys, purpose-bound working keys, and the trust decisions built on them.

Each party has one long-lived Ed25519 root key, kept offline, whose public key the agreement
pins. The root certifies working keys, each bound to one purpose (signing records, signing
node-to-node requests, signing status cards) and a validity window, and revokes them after a
compromise. So a working key rotates without the agreement changing, and a key stolen from a
node cannot be used for a purpose it was never certified for.

Every signature is made through the ``Signer`` protocol, so a hardware module (PKCS#11) can
replace a key file without any caller noticing (Signer and FileSigner live in signing and
are re-exported here). A node's key directory (create, load, export the root for offline
keeping, rotate) is managed at the end of this module.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar, Self

from acuerdo.ledger.canonical import CanonicalError, JSONValue, canonicalize
from acuerdo.ledger.signing import (
    CERTIFICATE_PREFIX,
    REVOCATION_PREFIX,
    b64url,
    b64url_decode,
    key_id_for,
    sign_domain,
    verify_domain,
)
from acuerdo.ledger.signing import FileSigner as FileSigner
from acuerdo.ledger.signing import Signer as Signer

_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_PARTY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class KeyPurpose(StrEnum):
    """What a working key may sign; a certificate binds a key to exactly one."""

    RECORDS = "records"
    REQUESTS = "requests"
    CARDS = "cards"


class UntrustedKey(KeyError):
    """A key, certificate or revocation that must not be trusted, with the reason why."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else "untrusted key"


def format_time(moment: datetime) -> str:
    """UTC timestamp at second precision with 'Z'; refuses naive datetimes."""
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no defined instant; pass an aware one")
    return moment.astimezone(UTC).strftime(_TIME_FORMAT)


def parse_time(text: str) -> datetime:
    """Inverse of format_time (exactly that shape)."""
    return datetime.strptime(text, _TIME_FORMAT).replace(tzinfo=UTC)


class _RootStatement:
    """What certificates and revocations share: signed by a root over their canonical body.

    Signed bytes: PREFIX + canonicalize(every field but ``signature``).
    """

    PREFIX: ClassVar[bytes]
    key_id: str
    issuer: str
    signature: str

    def body(self) -> bytes:
        return canonicalize({k: v for k, v in self.to_json().items() if k != "signature"})

    def to_json(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self)}  # type: ignore[arg-type]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        """Exactly the fields, all strings: unknown or missing fields are refused."""
        names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        missing, unknown = names - data.keys(), data.keys() - names
        if missing or unknown:
            raise ValueError(
                f"{cls.__name__}: missing {sorted(missing)}, unknown {sorted(unknown)}"
            )
        if not all(isinstance(v, str) for v in data.values()):
            raise ValueError(f"{cls.__name__}: every field must be a string")
        return cls(**data)

    def signed_by(self, root: Signer) -> Self:
        """This statement with its issuer set to root and signed by it."""
        unsigned = replace(self, issuer=root.key_id, signature="")  # type: ignore[type-var]
        signature = sign_domain(self.PREFIX, unsigned.body(), root)
        return replace(unsigned, signature=b64url(signature))  # type: ignore[type-var]


@dataclass(frozen=True)
class KeyCertificate(_RootStatement):
    """The root's statement: this public key is `party`'s key for `purpose` in a window."""

    PREFIX: ClassVar[bytes] = CERTIFICATE_PREFIX
    party: str
    key_id: str
    purpose: str
    public_key: str  # base64url, raw 32 bytes
    not_before: str
    not_after: str
    issuer: str = ""  # key id of the root
    signature: str = ""  # base64url


@dataclass(frozen=True)
class KeyRevocation(_RootStatement):
    """The root's statement: working key `key_id` is not to be trusted from `revoked_at` on.

    The root sets revoked_at to the earliest moment the key may have been compromised.
    """

    PREFIX: ClassVar[bytes] = REVOCATION_PREFIX
    party: str
    key_id: str
    reason: str
    revoked_at: str
    issuer: str = ""
    signature: str = ""


def issue_certificate(
    root: Signer,
    *,
    party: str,
    public_key: bytes,
    purpose: KeyPurpose,
    not_before: datetime,
    not_after: datetime,
) -> KeyCertificate:
    """Certify a working key with the root (the root signer may be offline hardware)."""
    if not _PARTY.fullmatch(party):
        raise ValueError(f"party code {party!r} is not a valid code")
    start, end = format_time(not_before), format_time(not_after)  # refuses naive times
    if not_after <= not_before:
        raise ValueError("a certificate must end after it begins")
    return KeyCertificate(
        party=party,
        key_id=key_id_for(public_key),
        purpose=KeyPurpose(purpose).value,
        public_key=b64url(public_key),
        not_before=start,
        not_after=end,
    ).signed_by(root)


def revoke_key(
    root: Signer, *, party: str, key_id: str, reason: str, revoked_at: datetime
) -> KeyRevocation:
    """Revoke a working key from revoked_at on, signed by the root."""
    revocation = KeyRevocation(
        party=party, key_id=key_id, reason=reason, revoked_at=format_time(revoked_at)
    )
    return revocation.signed_by(root)


def _check_root_signature(statement: _RootStatement, root_public_key: bytes) -> None:
    what = "certificate" if isinstance(statement, KeyCertificate) else "revocation"
    if statement.issuer != key_id_for(root_public_key):
        raise UntrustedKey(
            f"{what} for key {statement.key_id} was issued by {statement.issuer}, "
            f"not by the pinned root {key_id_for(root_public_key)}"
        )
    try:
        signature = b64url_decode(statement.signature)
        body = statement.body()
    except (ValueError, CanonicalError) as exc:
        raise UntrustedKey(f"{what} for key {statement.key_id} is malformed: {exc}") from exc
    if not verify_domain(statement.PREFIX, body, signature, root_public_key):
        raise UntrustedKey(f"{what} for key {statement.key_id} has a bad root signature")


def verify_certificate(
    cert: KeyCertificate,
    root_public_key: bytes,
    *,
    at: datetime,
    purpose: KeyPurpose | None = None,
) -> bytes:
    """Check a certificate (root signature, key id, purpose, window); return the public key."""
    _check_root_signature(cert, root_public_key)
    try:
        public_key = b64url_decode(cert.public_key)
        key_id = key_id_for(public_key)
        cert_purpose = KeyPurpose(cert.purpose)
        not_before, not_after = parse_time(cert.not_before), parse_time(cert.not_after)
    except ValueError as exc:
        raise UntrustedKey(f"certificate for key {cert.key_id} is malformed: {exc}") from exc
    if key_id != cert.key_id:
        raise UntrustedKey(f"certificate names key {cert.key_id} but holds key {key_id}")
    if purpose is not None and cert_purpose is not KeyPurpose(purpose):
        raise UntrustedKey(
            f"key {cert.key_id} is certified for {cert_purpose.value}, not {KeyPurpose(purpose)}"
        )
    if not not_before <= at < not_after:
        raise UntrustedKey(
            f"certificate for key {cert.key_id} is valid from {cert.not_before} "
            f"until {cert.not_after}, not at {format_time(at)}"
        )
    return public_key


class TrustStore:
    """Which working keys to trust: pinned party roots plus what those roots signed.

    Certificates and revocations are checked against the pinned root when added; a
    statement a root did not sign is refused at once rather than kept for later.
    """

    def __init__(
        self,
        roots: Mapping[str, bytes],
        certificates: Iterable[KeyCertificate] = (),
        revocations: Iterable[KeyRevocation] = (),
    ) -> None:
        self._roots = dict(roots)
        self._certificates: dict[tuple[str, str], list[KeyCertificate]] = {}
        self._revocations: dict[tuple[str, str], KeyRevocation] = {}
        for cert in certificates:
            self.add_certificate(cert)
        for revocation in revocations:
            self.add_revocation(revocation)

    def _root(self, party: str) -> bytes:
        try:
            return self._roots[party]
        except KeyError:
            raise UntrustedKey(f"no root key is pinned for party {party!r}") from None

    def add_certificate(self, cert: KeyCertificate) -> None:
        _check_root_signature(cert, self._root(cert.party))
        self._certificates.setdefault((cert.party, cert.key_id), []).append(cert)

    def add_revocation(self, revocation: KeyRevocation) -> None:
        _check_root_signature(revocation, self._root(revocation.party))
        parse_time(revocation.revoked_at)
        key = (revocation.party, revocation.key_id)
        earlier = self._revocations.get(key)
        if earlier is None or revocation.revoked_at < earlier.revoked_at:
            self._revocations[key] = revocation

    def working_key(self, party: str, key_id: str, purpose: KeyPurpose, at: datetime) -> bytes:
        """The public key to verify `party`'s `purpose` signature by `key_id` at time `at`."""
        root = self._root(party)
        revocation = self._revocations.get((party, key_id))
        if revocation is not None and at >= parse_time(revocation.revoked_at):
            raise UntrustedKey(
                f"key {key_id} of {party} was revoked from {revocation.revoked_at}: "
                f"{revocation.reason}"
            )
        certs = self._certificates.get((party, key_id))
        if not certs:
            raise UntrustedKey(f"no certificate for key {key_id} of {party}")
        reasons = []
        for cert in certs:
            try:
                return verify_certificate(cert, root, at=at, purpose=purpose)
            except UntrustedKey as exc:
                reasons.append(str(exc))
        raise UntrustedKey("; ".join(reasons))


# ---- A node's key directory ---------------------------------------------------------------

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
