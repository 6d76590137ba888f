"""Builders for custody-log tests: a log with a registered party, and signed submissions."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from oresight.ledger.entry import Submission
from oresight.ledger.keys import KeyRegistry, generate_party_key, sign_submission
from oresight.ledger.log import CustodyLog
from oresight.ledger.note_keys import generate_signer_key
from oresight.ledger.storage import TreeStorage

ORIGIN = "oresight.test/ledger"
PARTY = "demo-trader"
START = datetime(2024, 1, 1, tzinfo=UTC)


def event_hash_of(text: str) -> str:
    """A well-formed CBV 2.0 event hash id for a test event."""
    return f"ni:///sha-256;{hashlib.sha256(text.encode()).hexdigest()}?ver=CBV2.0"


@dataclass
class Clock:
    """A clock the test moves by hand."""

    now: datetime = START + timedelta(days=30)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class LogFixture:
    """A log, the registry it trusts, and one party's private key."""

    log: CustodyLog
    registry: KeyRegistry
    clock: Clock
    pem: bytes
    key_id: str
    counter: list[int] = field(default_factory=lambda: [0])

    def submission(
        self,
        event_id: str | None = None,
        *,
        pem: bytes | None = None,
        key_id: str | None = None,
        party: str = PARTY,
    ) -> Submission:
        """A signed submission of a fresh (or given) event id."""
        self.counter[0] += 1
        event_id = event_id or f"urn:uuid:event-{self.counter[0]}"
        return sign_submission(
            private_key=pem or self.pem,
            event_hash=event_hash_of(event_id),
            event_id=event_id,
            party_id=party,
            key_id=key_id or self.key_id,
        )


def make_log(storage: TreeStorage) -> LogFixture:
    """A log over ``storage`` trusting one party key."""
    pem, party_key = generate_party_key(PARTY, valid_from=START)
    registry = KeyRegistry([party_key])
    clock = Clock()
    log = CustodyLog(
        storage=storage, log_key=generate_signer_key(ORIGIN), registry=registry, clock=clock
    )
    return LogFixture(log=log, registry=registry, clock=clock, pem=pem, key_id=party_key.key_id)
