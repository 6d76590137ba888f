"""The party key registry as JSON, written and read strictly::

    {"format": "oresight.ledger.key-registry/v1",
     "keys": [{"party_id": "...", "key_id": "<16 hex>", "public_key": "<base64 of 32 bytes>",
               "valid_from": "2024-05-01T12:00:00.000000Z", "valid_until": null,
               "revoked_at": null, "revocation_reason": null}]}

Parsing is strict: exactly these members, no duplicates, canonical base64 and timestamps, and a
key id that matches its public key.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from oresight.ledger.entry import (
    SubmissionError,
    format_timestamp,
    parse_timestamp,
)
from oresight.ledger.errors import LedgerError
from oresight.ledger.party_key import PUBLIC_KEY_SIZE, PartyKey, RegistryFormatError

REGISTRY_FORMAT = "oresight.ledger.key-registry/v1"
"""Value of the ``format`` member of a serialised registry."""

_KEY_MEMBERS = (
    "party_id",
    "key_id",
    "public_key",
    "valid_from",
    "valid_until",
    "revoked_at",
    "revocation_reason",
)


def registry_to_json(keys: Iterable[PartyKey]) -> str:
    """The keys as registry JSON text, in the order given."""
    document = {"format": REGISTRY_FORMAT, "keys": [_key_to_json(key) for key in keys]}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def registry_keys_from_json(text: str | bytes) -> list[tuple[str, PartyKey]]:
    """Parse registry JSON strictly into ``(where, key)`` pairs; ``where`` names the member
    (``keys[3]``) for errors the registry raises when it takes the key."""
    try:
        document = json.loads(text, object_pairs_hook=_refuse_duplicate_members)
    except (ValueError, UnicodeDecodeError) as error:
        raise RegistryFormatError(f"key registry: not valid JSON ({error})") from None
    _expect_members(document, ("format", "keys"), where="key registry")
    if document["format"] != REGISTRY_FORMAT:
        raise RegistryFormatError(
            f"key registry format: expected {REGISTRY_FORMAT!r}, found {document['format']!r}"
        )
    items = document["keys"]
    if not isinstance(items, list):
        raise RegistryFormatError(
            f"key registry keys: expected a list, found {type(items).__name__}"
        )
    keys: list[tuple[str, PartyKey]] = []
    for index, item in enumerate(items):
        where = f"keys[{index}]"
        try:
            keys.append((where, _key_from_json(item, where=where)))
        except RegistryFormatError:
            raise
        except LedgerError as error:
            raise RegistryFormatError(f"{where}: {error}") from None
    return keys


def _key_to_json(key: PartyKey) -> dict[str, str | None]:
    def moment(value: datetime | None) -> str | None:
        return None if value is None else format_timestamp(value)

    return {
        "party_id": key.party_id,
        "key_id": key.key_id,
        "public_key": base64.b64encode(key.public_key).decode("ascii"),
        "valid_from": format_timestamp(key.valid_from),
        "valid_until": moment(key.valid_until),
        "revoked_at": moment(key.revoked_at),
        "revocation_reason": key.revocation_reason,
    }


def _key_from_json(item: Any, *, where: str) -> PartyKey:
    _expect_members(item, _KEY_MEMBERS, where=where)
    required = ("party_id", "key_id", "public_key", "valid_from")
    for name in _KEY_MEMBERS:
        value = item[name]
        if not (isinstance(value, str) or (value is None and name not in required)):
            expected = "a string" if name in required else "a string or null"
            raise RegistryFormatError(
                f"{where}.{name}: expected {expected}, found {json.dumps(value)}"
            )

    def moment(name: str) -> datetime | None:
        value = item[name]
        if value is None:
            return None
        try:
            return parse_timestamp(value, field=f"{where}.{name}")
        except SubmissionError as error:
            raise RegistryFormatError(str(error)) from None

    encoded = item["public_key"]
    try:
        public_key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        public_key = None
    if public_key is None or base64.b64encode(public_key).decode("ascii") != encoded:
        raise RegistryFormatError(
            f"{where}.public_key: expected canonical base64 of {PUBLIC_KEY_SIZE} bytes, "
            f"found {encoded!r}"
        )
    valid_from = moment("valid_from")
    assert valid_from is not None  # required, checked above
    return PartyKey(
        party_id=item["party_id"],
        key_id=item["key_id"],
        public_key=public_key,
        valid_from=valid_from,
        valid_until=moment("valid_until"),
        revoked_at=moment("revoked_at"),
        revocation_reason=item["revocation_reason"],
    )


def _refuse_duplicate_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for name, value in pairs:
        if name in document:
            raise RegistryFormatError(f"key registry: member {name!r} appears twice")
        document[name] = value
    return document


def _expect_members(item: Any, names: tuple[str, ...], *, where: str) -> None:
    if not isinstance(item, dict):
        raise RegistryFormatError(f"{where}: expected a JSON object, found {json.dumps(item)}")
    missing = [name for name in names if name not in item]
    extra = sorted(set(item) - set(names))
    if missing or extra:
        raise RegistryFormatError(
            f"{where}: expected members {list(names)}, found missing {missing}, extra {extra}"
        )
