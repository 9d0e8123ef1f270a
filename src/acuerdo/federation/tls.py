"""TLS for a node: what `acuerdo serve` hands uvicorn, and what the puller connects with.

A node may serve HTTPS itself (certificate and key) instead of behind a proxy. The same
certificate is the puller's client certificate, for partners that ask for one, and one CA
file says whom this node trusts on both sides: partners' servers, and client certificates
presented to it. Requests are still authenticated by their HTTP signatures; TLS keeps them
confidential and tells the puller it reached its partner's server.
"""

from __future__ import annotations

import ssl
from typing import Any

from acuerdo.settings import Settings


def serve_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's TLS options from the settings, checked (ValueError says what is wrong)."""
    cert, key, ca = settings.tls_cert_file, settings.tls_key_file, settings.tls_ca_file
    if cert is None and key is None:
        if ca is not None:
            raise ValueError("a TLS CA file is used only with a TLS certificate and key")
        return {}
    if cert is None or key is None:
        raise ValueError("a TLS certificate and its key go together: give both or neither")
    try:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        if ca is not None:
            context.load_verify_locations(cafile=ca)
    except (OSError, ssl.SSLError) as exc:
        raise ValueError(f"TLS certificate {cert}, key {key}, CA {ca}: unusable ({exc})") from None
    options: dict[str, Any] = {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}
    if ca is not None:
        options.update(ssl_ca_certs=str(ca), ssl_cert_reqs=ssl.CERT_OPTIONAL)
    return options


def client_context(settings: Settings) -> ssl.SSLContext | bool:
    """How the puller verifies partners' servers (and presents this node's certificate)."""
    cert, key, ca = settings.tls_cert_file, settings.tls_key_file, settings.tls_ca_file
    if ca is None and cert is None:
        return True
    context = ssl.create_default_context(cafile=ca)
    if cert is not None and key is not None:
        context.load_cert_chain(cert, key)
    return context
