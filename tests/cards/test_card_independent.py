"""A card issued by acuerdo verifies with independent code that knows nothing of acuerdo."""

from __future__ import annotations

import ast
from pathlib import Path

import card_independent
import pytest
from card_support import covered_person

from acuerdo.domains.credentials import codec
from acuerdo.domains.credentials.issue import issue_card
from acuerdo.domains.credentials.trust import bundle_for
from conftest import NodeHarness


def test_the_independent_verifier_imports_nothing_of_acuerdo() -> None:
    tree = ast.parse(Path(card_independent.__file__).read_text("utf-8"))
    imported = {
        (node.module or "") if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    roots = {name.split(".")[0] for name in imported}
    assert roots <= {
        "__future__",
        "base64",
        "json",
        "zlib",
        "typing",
        "base45",
        "cbor2",
        "cryptography",
    }


async def test_a_card_verifies_with_independent_code(harness: NodeHarness) -> None:
    node, registrar = harness.node, harness.users["registrar"]
    card = await issue_card(node, registrar, await covered_person(node, registrar))
    keys = card_independent.card_keys_from_bundle(bundle_for(node).dumps())
    claims = card_independent.verify(card.code, keys)
    assert claims[3] == "Benítez Ortiz" and claims[4] == "José María Ignacio"
    assert claims[1] == node.party and claims[10] == "7890"
    assert claims[9] == bytes.fromhex(node.agreement.hash)[:16]
    assert claims[11] < claims[12]
    raw = bytearray(codec.decode(card.code))
    raw[-80] ^= 0x01  # inside the payload
    with pytest.raises(ValueError, match="signature"):
        card_independent.verify(codec.encode(bytes(raw)), keys)
