"""RFC 9421 signatures: the RFC's Ed25519 example, and what a node refuses (stale, replayed,
unknown key, changed query or body)."""

from __future__ import annotations

import base64

import pytest

from acuerdo.federation.httpsig import (
    COVERED,
    NonceCache,
    SignatureRefused,
    content_digest,
    sign_request,
    signature_base,
    signature_params,
    verify_request,
)
from acuerdo.ledger.signing import FileSigner, b64url_decode

# RFC 9421 appendix B.1.4 (test-key-ed25519) and B.2.6 (signing a request with Ed25519).
RFC_SEED = b64url_decode("n4Ni-HpISpVObnQMW0wOhCKROaIKqKtW_2ZYb2p9KcU")
RFC_PUBLIC = b64url_decode("JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs")
RFC_SIGNATURE = (
    "wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw=="
)
RFC_HEADERS = {
    "Host": "example.com",
    "Date": "Tue, 20 Apr 2021 02:07:55 GMT",
    "Content-Type": "application/json",
    "Content-Length": "18",
}
AGREEMENT = "ab" * 32


def test_rfc9421_b26_ed25519_signature_is_reproduced() -> None:
    components = ("date", "@method", "@path", "@authority", "content-type", "content-length")
    params = signature_params(components, {"created": 1618884473, "keyid": "test-key-ed25519"})
    assert params == (
        '("date" "@method" "@path" "@authority" "content-type" "content-length")'
        ';created=1618884473;keyid="test-key-ed25519"'
    )
    base = signature_base(
        components, params, "POST", "https://example.com/foo?param=Value&Pet=dog", RFC_HEADERS
    )
    assert base.decode().splitlines()[:3] == [
        '"date": Tue, 20 Apr 2021 02:07:55 GMT',
        '"@method": POST',
        '"@path": /foo',
    ]
    signer = FileSigner.from_seed(RFC_SEED)
    assert signer.public_key == RFC_PUBLIC
    assert base64.b64encode(signer.sign(base)).decode() == RFC_SIGNATURE


def test_rfc9530_content_digest_example() -> None:
    assert content_digest(b'{"hello": "world"}') == (
        "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"
    )


URL = "http://127.0.0.1:8401/federation/v1/feed?after=41&last=" + "0" * 64


def _verify(headers: dict[str, str], *, url: str = URL, body: bytes = b"", **kw: object) -> str:
    signer_key = FileSigner.from_seed(RFC_SEED)
    keys = {signer_key.key_id: signer_key.public_key}
    cache = kw.pop("cache", NonceCache(120))
    now = kw.pop("now", 1_800_000_000.0)
    signed = verify_request(
        "GET",
        url,
        headers,
        body,
        keys.get,
        cache,
        window=60,
        now=now,  # type: ignore[arg-type]
    )
    return signed.key_id


def test_a_signed_request_verifies_and_covers_what_the_issue_names() -> None:
    signer = FileSigner.from_seed(RFC_SEED)
    headers = sign_request("GET", URL, b"", signer, AGREEMENT, now=1_800_000_000.0)
    assert set(COVERED) >= {"@method", "@target-uri", "date", "content-digest"}
    assert 'nonce="' in headers["Signature-Input"]
    assert _verify(headers) == signer.key_id


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"url": URL.replace("after=41", "after=40")}, "bad-signature"),  # the cursor is covered
        ({"body": b"x"}, "digest"),
        ({"now": 1_800_000_000.0 + 61}, "stale"),
        ({"now": 1_800_000_000.0 - 61}, "stale"),
    ],
)
def test_changed_or_stale_requests_are_refused(change: dict[str, object], code: str) -> None:
    signer = FileSigner.from_seed(RFC_SEED)
    headers = sign_request("GET", URL, b"", signer, AGREEMENT, now=1_800_000_000.0)
    with pytest.raises(SignatureRefused) as info:
        _verify(headers, **change)  # type: ignore[arg-type]
    assert info.value.code == code


def test_a_replayed_request_is_refused() -> None:
    signer = FileSigner.from_seed(RFC_SEED)
    headers = sign_request("GET", URL, b"", signer, AGREEMENT, now=1_800_000_000.0)
    cache = NonceCache(120)
    _verify(headers, cache=cache)
    with pytest.raises(SignatureRefused) as info:
        _verify(headers, cache=cache, now=1_800_000_010.0)
    assert info.value.code == "replay"


def test_unknown_keys_and_unsigned_requests_are_refused() -> None:
    other = FileSigner.generate()
    headers = sign_request("GET", URL, b"", other, AGREEMENT, now=1_800_000_000.0)
    with pytest.raises(SignatureRefused) as info:
        _verify(headers)
    assert info.value.code == "unknown-key"
    with pytest.raises(SignatureRefused) as info:
        _verify({})
    assert info.value.code == "unsigned"
