"""A node serving TLS itself: two nodes in their own processes, each with a certificate made
here (loopback only), federate over https, each puller verifying its partner's server and
presenting its own certificate; plain HTTP and an unverified client get nowhere; bad TLS
options are refused before a port is bound. SQLite, run once."""

from __future__ import annotations

import ipaddress
import subprocess
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from processes import ACUERDO, NodeProcess, free_port, pair, post_records, until

from acuerdo.markings import TLP, TLP2_MARKING_IDS

STAMP = "2026-07-01T12:00:00.000Z"


def self_signed(directory: Path, name: str) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 signed by its own key (its own CA): (cert, key) files."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"acuerdo test node {name}")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / f"{name}.crt", directory / f"{name}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@pytest.fixture
async def tls_nodes(tmp_path: Path) -> AsyncIterator[tuple[NodeProcess, NodeProcess]]:
    usa_cert, usa_key = self_signed(tmp_path, "usa")
    pry_cert, pry_key = self_signed(tmp_path, "pry")
    trusted = tmp_path / "trusted.pem"
    trusted.write_bytes(usa_cert.read_bytes() + pry_cert.read_bytes())
    nodes = []
    for party, cert, key in (("USA", usa_cert, usa_key), ("PRY", pry_cert, pry_key)):
        args = ("--tls-cert", str(cert), "--tls-key", str(key), "--tls-ca", str(trusted))
        nodes.append(
            NodeProcess(party, tmp_path / party.lower(), None, serve_args=args, tls_ca=trusted)
        )
    usa, pry = nodes
    try:
        await usa.init()
        await pry.init()
        pair(usa, pry)
        await usa.start()
        await pry.start()
        yield usa, pry
    finally:
        usa.stop()
        pry.stop()


async def test_two_nodes_federate_over_tls_and_nothing_gets_in_without_it(
    tls_nodes: tuple[NodeProcess, NodeProcess],
) -> None:
    usa, pry = tls_nodes
    assert usa.url.startswith("https://")
    oid = f"indicator--{uuid.uuid4()}"
    obj = {
        "type": "indicator", "spec_version": "2.1", "id": oid, "created": STAMP,
        "modified": STAMP, "name": "Airstrip over TLS", "pattern_type": "stix",
        "pattern": "[ipv4-addr:value = '203.0.113.44']", "valid_from": "2026-07-01T12:00:00Z",
        "object_marking_refs": [TLP2_MARKING_IDS[TLP.GREEN]],
    }  # fmt: skip
    await post_records(usa, [obj], "analyst")

    async def arrived() -> bool:
        return bool(await pry.query("SELECT 1 FROM ledger WHERE object_id = $", oid))

    await until(arrived, "the record on PRY over https")

    plain = usa.url.replace("https://", "http://")
    async with httpx.AsyncClient() as client:
        with pytest.raises(httpx.TransportError):
            await client.get(f"{plain}/health")
        with pytest.raises(httpx.ConnectError):  # a client that does not trust the node
            await client.get(f"{usa.url}/health")


def _serve(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ACUERDO, "--home", str(home), "serve", "--port", str(free_port()), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_bad_tls_options_are_refused_before_serving(tmp_path: Path) -> None:
    node = NodeProcess("USA", tmp_path / "usa", None)
    await node.init()
    cert, key = self_signed(tmp_path, "usa")
    other_cert, _ = self_signed(tmp_path, "other")
    refused = {
        "alone": _serve(node.home, "--tls-cert", str(cert)),
        "mismatched": _serve(node.home, "--tls-cert", str(other_cert), "--tls-key", str(key)),
        "ca only": _serve(node.home, "--tls-ca", str(cert)),
        "missing": _serve(node.home, "--tls-cert", str(tmp_path / "no.crt"), "--tls-key", str(key)),
    }
    for case, r in refused.items():
        assert r.returncode != 0, case
    assert "give both or neither" in refused["alone"].stderr
    assert "unusable" in refused["mismatched"].stderr
    assert "only with a TLS certificate" in refused["ca only"].stderr
    assert "does not exist" in refused["missing"].stderr
