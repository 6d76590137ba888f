"""Witness requests: round trip, and every malformed request refused with its line named."""

from __future__ import annotations

import base64

import pytest

from oresight.ledger.witness_request import (
    WitnessRequestError,
    make_witness_request,
    parse_witness_request,
)

NOTE = b"oresight.test/log\n3\nAAAA\n\n\xe2\x80\x94 oresight.test/log abcd\n"
H = bytes(range(32))
B64 = base64.b64encode(H).decode()


def test_round_trip() -> None:
    data = make_witness_request(old_size=3, proof=[H, H[::-1]], checkpoint=NOTE)
    parsed = parse_witness_request(data)
    assert (parsed.old_size, parsed.proof, parsed.checkpoint) == (3, (H, H[::-1]), NOTE)
    assert (
        parse_witness_request(make_witness_request(old_size=0, proof=[], checkpoint=NOTE)).proof
        == ()
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"oresight.ledger.witness-request/v1\nold-size 3\n", "no blank line"),
        (b"oresight.ledger.witness-request/v2\nold-size 3\n\n" + NOTE, "line 1"),
        (b"oresight.ledger.witness-request/v1\nsize 3\n\n" + NOTE, "line 2"),
        (b"oresight.ledger.witness-request/v1\nold-size 03\n\n" + NOTE, "decimal"),
        (b"oresight.ledger.witness-request/v1\nold-size -1\n\n" + NOTE, "decimal"),
        (
            f"oresight.ledger.witness-request/v1\nold-size 3\n{B64[:-4]}\n\n".encode() + NOTE,
            "line 3",
        ),
        (f"oresight.ledger.witness-request/v1\nold-size 3\n{B64}x\n\n".encode() + NOTE, "line 3"),
        (b"oresight.ledger.witness-request/v1\nold-size 3\n\xff\n\n" + NOTE, "ASCII"),
        (b"oresight.ledger.witness-request/v1\nold-size 3\n\n", "checkpoint"),
    ],
)
def test_malformed_requests_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(WitnessRequestError, match=message):
        parse_witness_request(data)
