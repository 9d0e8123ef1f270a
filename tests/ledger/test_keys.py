"""Root and working keys: key directories on disk, certificates, revocation, rotation."""

from __future__ import annotations

import json
import os
import stat
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from acuerdo.ledger.keydir import (
    CERTIFICATES_FILE,
    ROOT_KEY_FILE,
    KeyFileError,
    create_node_keys,
    export_root,
    load_node_keys,
    publish_revocation,
    rotate,
)
from acuerdo.ledger.keys import (
    FileSigner,
    KeyCertificate,
    KeyPurpose,
    KeyRevocation,
    TrustStore,
    UntrustedKey,
    issue_certificate,
    revoke_key,
    verify_certificate,
)
from acuerdo.ledger.signing import sign_record, verify_record

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ROOT = FileSigner.from_seed(b"\x01" * 32)
WORKER = FileSigner.from_seed(b"\x02" * 32)


def _cert(purpose: KeyPurpose = KeyPurpose.RECORDS) -> KeyCertificate:
    return issue_certificate(
        ROOT,
        party="PRY",
        public_key=WORKER.public_key,
        purpose=purpose,
        not_before=NOW,
        not_after=NOW + timedelta(days=30),
    )


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_create_and_load_roundtrip(tmp_path: Path) -> None:
    keys_dir = tmp_path / "keys"
    created = create_node_keys(keys_dir, "USA", now=NOW)
    assert _mode(keys_dir) == 0o700
    for purpose in KeyPurpose:
        assert _mode(keys_dir / f"{purpose.value}.key") == 0o600
    assert _mode(keys_dir / ROOT_KEY_FILE) == 0o600
    loaded = load_node_keys(keys_dir, at=NOW + timedelta(days=1))
    assert loaded.root_public_key == created.root_public_key
    store = loaded.trust_store()
    for purpose in KeyPurpose:
        signer = loaded.signer(purpose)
        assert signer.public_key == created.signer(purpose).public_key
        assert store.working_key("USA", signer.key_id, purpose, NOW) == signer.public_key
        assert loaded.certificates[purpose].not_after == "2027-03-01T12:00:00Z"
    assert len({loaded.signer(p).key_id for p in KeyPurpose}) == len(KeyPurpose)


def test_create_never_overwrites(tmp_path: Path) -> None:
    create_node_keys(tmp_path / "k", "USA", now=NOW)
    before = (tmp_path / "k" / "records.key").read_bytes()
    with pytest.raises(KeyFileError, match="refusing to overwrite"):
        create_node_keys(tmp_path / "k", "USA", now=NOW)
    assert (tmp_path / "k" / "records.key").read_bytes() == before


def test_group_or_world_readable_key_refused(tmp_path: Path) -> None:
    create_node_keys(tmp_path, "USA", now=NOW)
    os.chmod(tmp_path / "cards.key", 0o644)
    with pytest.raises(KeyFileError) as caught:
        load_node_keys(tmp_path)
    assert caught.value.path == tmp_path / "cards.key"
    assert "0644" in caught.value.reason
    assert "chmod 600" in str(caught.value)
    os.chmod(tmp_path / "cards.key", 0o640)
    with pytest.raises(KeyFileError, match="group or others"):
        load_node_keys(tmp_path)


def test_missing_key_refused_but_root_may_be_offline(tmp_path: Path) -> None:
    create_node_keys(tmp_path / "k", "USA", now=NOW)
    offline = tmp_path / "offline-root.key"
    export_root(tmp_path / "k", offline, remove=True)
    assert not (tmp_path / "k" / ROOT_KEY_FILE).exists()
    assert _mode(offline) == 0o600
    load_node_keys(tmp_path / "k")  # working keys load without the root
    with pytest.raises(KeyFileError, match=r"root\.key: key file is missing"):
        export_root(tmp_path / "k", tmp_path / "again.key", remove=False)
    (tmp_path / "k" / "requests.key").unlink()
    with pytest.raises(KeyFileError, match=r"requests\.key: key file is missing"):
        load_node_keys(tmp_path / "k")


def test_export_without_remove_keeps_root_and_refuses_overwrite(tmp_path: Path) -> None:
    create_node_keys(tmp_path / "k", "USA", now=NOW)
    export_root(tmp_path / "k", tmp_path / "copy.key", remove=False)
    assert (tmp_path / "k" / ROOT_KEY_FILE).exists()
    with pytest.raises(KeyFileError, match="refusing to overwrite"):
        export_root(tmp_path / "k", tmp_path / "copy.key", remove=False)


def test_key_file_that_does_not_match_its_certificate_refused(tmp_path: Path) -> None:
    create_node_keys(tmp_path, "USA", now=NOW)
    stranger = FileSigner.generate()
    (tmp_path / "records.key").unlink()
    fd = os.open(tmp_path / "records.key", os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, stranger.to_pem())
    os.close(fd)
    with pytest.raises(KeyFileError, match=f"no records certificate for key {stranger.key_id}"):
        load_node_keys(tmp_path)


def test_expired_certificate_refused(tmp_path: Path) -> None:
    cert = _cert()
    assert verify_certificate(cert, ROOT.public_key, at=NOW) == WORKER.public_key
    with pytest.raises(UntrustedKey, match="valid from 2026-03-01T12:00:00Z until"):
        verify_certificate(cert, ROOT.public_key, at=NOW + timedelta(days=30))
    with pytest.raises(UntrustedKey, match="not at 2026-03-01T11:59:59Z"):
        verify_certificate(cert, ROOT.public_key, at=NOW - timedelta(seconds=1))
    create_node_keys(tmp_path, "USA", now=NOW, validity_days=10)
    with pytest.raises(KeyFileError, match="valid from"):
        load_node_keys(tmp_path, at=NOW + timedelta(days=11))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("purpose", "cards", "bad root signature"),
        ("not_after", "2099-01-01T00:00:00Z", "bad root signature"),
        ("party", "USA", "bad root signature"),
        ("public_key", FileSigner.from_seed(b"\x03" * 32).public_key.hex(), "bad root signature"),
        ("issuer", "0" * 32, "not by the pinned root"),
        ("signature", "!!", "malformed"),
    ],
)
def test_certificate_tampering_detected(field: str, value: str, message: str) -> None:
    tampered = replace(_cert(), **{field: value})
    with pytest.raises(UntrustedKey, match=message):
        verify_certificate(tampered, ROOT.public_key, at=NOW)
    with pytest.raises(UntrustedKey, match=message):
        TrustStore({"PRY": ROOT.public_key, "USA": ROOT.public_key}, [tampered])


def test_purpose_is_bound() -> None:
    store = TrustStore({"PRY": ROOT.public_key}, [_cert(KeyPurpose.CARDS)])
    assert store.working_key("PRY", WORKER.key_id, KeyPurpose.CARDS, NOW) == WORKER.public_key
    with pytest.raises(UntrustedKey, match="certified for cards, not records"):
        store.working_key("PRY", WORKER.key_id, KeyPurpose.RECORDS, NOW)


def test_unknown_party_and_key_refused() -> None:
    store = TrustStore({"PRY": ROOT.public_key}, [_cert()])
    with pytest.raises(UntrustedKey, match="no root key is pinned for party 'USA'"):
        store.working_key("USA", WORKER.key_id, KeyPurpose.RECORDS, NOW)
    with pytest.raises(UntrustedKey, match="no certificate for key 00"):
        store.working_key("PRY", "00" * 16, KeyPurpose.RECORDS, NOW)
    with pytest.raises(UntrustedKey):  # certificate of another party's root
        TrustStore({"PRY": WORKER.public_key}, [_cert()])


def test_revoked_key_refused_from_revocation_time() -> None:
    revoked_at = NOW + timedelta(days=3)
    revocation = revoke_key(
        ROOT, party="PRY", key_id=WORKER.key_id, reason="laptop stolen", revoked_at=revoked_at
    )
    store = TrustStore({"PRY": ROOT.public_key}, [_cert()], [revocation])
    assert store.working_key("PRY", WORKER.key_id, KeyPurpose.RECORDS, NOW) == WORKER.public_key
    with pytest.raises(UntrustedKey, match="revoked from 2026-03-04T12:00:00Z: laptop stolen"):
        store.working_key("PRY", WORKER.key_id, KeyPurpose.RECORDS, revoked_at)
    forged = revoke_key(
        WORKER, party="PRY", key_id=WORKER.key_id, reason="x", revoked_at=revoked_at
    )
    with pytest.raises(UntrustedKey, match="not by the pinned root"):
        store.add_revocation(forged)
    with pytest.raises(UntrustedKey, match="bad root signature"):
        store.add_revocation(replace(revocation, revoked_at="2030-01-01T00:00:00Z"))


def test_rotation(tmp_path: Path) -> None:
    created = create_node_keys(tmp_path, "USA", now=NOW)
    root = FileSigner.from_pem((tmp_path / ROOT_KEY_FILE).read_bytes())
    old = created.signer(KeyPurpose.RECORDS)
    old_envelope, old_signature = sign_record(
        b"{}", agreement_hash="a" * 64, origin="USA", signer=old
    )
    later = NOW + timedelta(days=100)
    cert = rotate(tmp_path, KeyPurpose.RECORDS, root, later)
    loaded = load_node_keys(tmp_path, at=later)
    new = loaded.signer(KeyPurpose.RECORDS)
    assert new.key_id == cert.key_id != old.key_id
    assert loaded.signer(KeyPurpose.CARDS).key_id == created.signer(KeyPurpose.CARDS).key_id
    assert _mode(tmp_path / "records.key") == 0o600
    assert not (tmp_path / "records.key.new").exists()
    store = loaded.trust_store()
    # Records signed by the old key still verify: its certificate is still published.
    old_public = store.working_key("USA", old.key_id, KeyPurpose.RECORDS, later)
    verify_record(b"{}", old_envelope, old_signature, old_public)
    assert store.working_key("USA", new.key_id, KeyPurpose.RECORDS, later) == new.public_key
    with pytest.raises(ValueError, match="is not the root"):
        rotate(tmp_path, KeyPurpose.RECORDS, FileSigner.generate(), later)


def test_published_revocation_travels_with_certificates(tmp_path: Path) -> None:
    created = create_node_keys(tmp_path, "USA", now=NOW)
    root = FileSigner.from_pem((tmp_path / ROOT_KEY_FILE).read_bytes())
    key_id = created.signer(KeyPurpose.REQUESTS).key_id
    publish_revocation(
        tmp_path,
        revoke_key(root, party="USA", key_id=key_id, reason="compromise", revoked_at=NOW),
    )
    document = json.loads((tmp_path / CERTIFICATES_FILE).read_text())
    restored = TrustStore(
        {"USA": created.root_public_key},
        [KeyCertificate.from_json(c) for c in document["certificates"]],
        [KeyRevocation.from_json(r) for r in document["revocations"]],
    )
    with pytest.raises(UntrustedKey, match="revoked"):
        restored.working_key("USA", key_id, KeyPurpose.REQUESTS, NOW)


def test_certificate_json_is_strict() -> None:
    data = _cert().to_json()
    assert KeyCertificate.from_json(data) == _cert()
    with pytest.raises(ValueError, match="unknown \\['extra'\\]"):
        KeyCertificate.from_json({**data, "extra": "x"})
    with pytest.raises(ValueError, match="missing \\['issuer'\\]"):
        KeyCertificate.from_json({k: v for k, v in data.items() if k != "issuer"})
    with pytest.raises(ValueError, match="must be a string"):
        KeyCertificate.from_json({**data, "party": 1})


def test_naive_time_and_bad_window_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        issue_certificate(
            ROOT,
            party="PRY",
            public_key=WORKER.public_key,
            purpose=KeyPurpose.CARDS,
            not_before=datetime(2026, 1, 1),
            not_after=NOW,
        )
    with pytest.raises(ValueError, match="end after it begins"):
        issue_certificate(
            ROOT,
            party="PRY",
            public_key=WORKER.public_key,
            purpose=KeyPurpose.CARDS,
            not_before=NOW,
            not_after=NOW,
        )
