"""Status cards: a signed claim set in a QR code that a checkpoint verifies offline.

The sending state's node issues a card for a covered person with valid orders: a compact
CBOR claim set (claims), signed as COSE_Sign1 with the node's cards key (cose), compressed
and Base45-encoded behind a short prefix (codec), rendered as a QR code or a printable card
(render). A checkpoint verifies it with only a trust bundle file (trust) and, when it has
one, a signed revocation list (revocation): no network, no database (verify). The format is
written down in docs/status-cards.md.
"""
