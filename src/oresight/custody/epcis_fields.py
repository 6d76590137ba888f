"""The fields of one EPCIS 2.0 event object, each read and checked as the EPCIS reader needs it.

:class:`EventFields` reads one field of an event at a time (a string, a date-time, a list of
quantities, a location, a list of parties, ...) and raises :class:`InvalidInput` located at the
file, the event (``event 3 (eventID ...)``) and the field (``quantityList[0].uom``).
:func:`parse_time` reads the RFC 3339 date-times of events and document headers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from oresight.core.custody import BizTransaction, QuantityElement, SourceDestination
from oresight.core.errors import InvalidInput
from oresight.core.units import lookup_unit

_QUANTITY_KEYS = frozenset({"epcClass", "quantity", "uom"})
_OFFSET = re.compile(r"[+-]((0\d|1[0-3]):[0-5]\d|14:00)")
_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})?"
)


def parse_time(value: object) -> datetime:
    """Parse an RFC 3339 date-time with its UTC offset; ValueError saying what was wrong.

    Fractions of a second beyond microseconds are cut, since Python datetimes hold no finer.
    """
    if not isinstance(value, str):
        raise ValueError(f"expected a date-time string, found {type(value).__name__}")
    match = _TIME.fullmatch(value)
    if match is None:
        raise ValueError(f"{value!r} is not an RFC 3339 date-time such as 2024-05-01T10:00:00Z")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    if offset is None:
        raise ValueError(f"{value!r} has no UTC offset; add 'Z' or '+hh:mm'")
    try:
        if offset in ("Z", "z"):
            zone = UTC
        else:
            sign = -1 if offset[0] == "-" else 1
            zone = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])))
        micro = int((fraction or "")[:6].ljust(6, "0"))
        return datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micro, zone
        )
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a valid date-time: {exc}") from None


class EventFields:
    """Reads the fields of one event object, raising errors located at its file, record and field.

    Each reading method takes the field's EPCIS JSON name and gives ``None`` (or an empty value)
    for an absent field, unless the field is required.
    """

    def __init__(self, raw: Mapping[str, Any], *, file: str | None, record: str) -> None:
        self.raw = raw
        self.file = file
        self.record = record

    def error(self, message: str, field: str | None = None) -> InvalidInput:
        """An :class:`InvalidInput` located at this event and ``field``."""
        return InvalidInput(message, file=self.file, record=self.record, field=field)

    def string(self, key: str, *, required: bool = False) -> str | None:
        """A non-empty string."""
        value = self.raw.get(key)
        if value is None:
            if required:
                raise self.error("required field is missing", key)
            return None
        if not isinstance(value, str) or not value:
            raise self.error(f"expected a non-empty string, found {value!r}", key)
        return value

    def time(self, key: str, *, required: bool = False) -> datetime | None:
        """An RFC 3339 date-time with its UTC offset."""
        if self.raw.get(key) is None:
            if required:
                raise self.error("required field is missing", key)
            return None
        try:
            return parse_time(self.raw[key])
        except ValueError as exc:
            raise self.error(str(exc), key) from None

    def time_zone_offset(self) -> str:
        """The required ``eventTimeZoneOffset``, such as ``+02:00``."""
        offset = self.string("eventTimeZoneOffset", required=True)
        if offset is None or not _OFFSET.fullmatch(offset):
            raise self.error(
                f"expected an offset such as +02:00 or -05:00, found {offset!r}",
                "eventTimeZoneOffset",
            )
        return offset

    def items(self, key: str) -> list[Any]:
        """A list of anything; an absent field is an empty list."""
        value = self.raw.get(key, [])
        if not isinstance(value, list):
            raise self.error(f"expected a list, found {type(value).__name__}", key)
        return value

    def strings(self, key: str) -> tuple[str, ...]:
        """A list of non-empty strings."""
        values = self.items(key)
        for i, value in enumerate(values):
            if not isinstance(value, str) or not value:
                raise self.error(f"expected a non-empty string, found {value!r}", f"{key}[{i}]")
        return tuple(values)

    def objects(self, key: str) -> list[dict[str, Any]]:
        """A list of objects, each as a plain dict."""
        values = self.items(key)
        for i, value in enumerate(values):
            if not isinstance(value, Mapping):
                raise self.error(f"expected an object, found {value!r}", f"{key}[{i}]")
        return [dict(value) for value in values]

    def mapping(self, key: str) -> dict[str, Any] | None:
        """An object, as a plain dict."""
        value = self.raw.get(key)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise self.error(f"expected an object, found {type(value).__name__}", key)
        return dict(value)

    def quantities(self, key: str) -> tuple[QuantityElement, ...]:
        """A quantity list, each unit of measure checked against the known UN/CEFACT codes."""
        elements = []
        for i, item in enumerate(self.objects(key)):
            where = f"{key}[{i}]"
            unknown = sorted(set(item) - _QUANTITY_KEYS)
            if unknown:
                raise self.error(
                    f"unexpected keys {unknown}; expected epcClass, quantity, uom", where
                )
            epc_class = item.get("epcClass")
            if not isinstance(epc_class, str) or not epc_class:
                raise self.error(
                    f"expected a class identifier, found {epc_class!r}", f"{where}.epcClass"
                )
            amount = item.get("quantity")
            if amount is not None and (
                isinstance(amount, bool)
                or not isinstance(amount, int | float)
                or not math.isfinite(amount)
                or amount < 0
            ):
                raise self.error(f"expected a number >= 0, found {amount!r}", f"{where}.quantity")
            uom = item.get("uom")
            if uom is not None:
                try:
                    if not isinstance(uom, str):
                        raise ValueError(f"expected a unit code, found {uom!r}")
                    lookup_unit(uom)
                except ValueError as exc:
                    raise self.error(str(exc), f"{where}.uom") from None
            elements.append(QuantityElement(epc_class=epc_class, quantity=amount, uom=uom))
        return tuple(elements)

    def location(self, key: str) -> tuple[str | None, dict[str, Any]]:
        """A ``readPoint`` or ``bizLocation``: its ``id``, and its other keys verbatim.

        EPCIS 2.0 lets a location object carry extension keys beside its ``id``.
        """
        value = self.mapping(key)
        if value is None:
            return None, {}
        ident = value.get("id")
        if not isinstance(ident, str) or not ident:
            raise self.error(
                f"expected the location URI in 'id', found {ident!r} in {value!r}", f"{key}.id"
            )
        return ident, {name: item for name, item in value.items() if name != "id"}

    def parties(self, key: str, value_key: str) -> tuple[SourceDestination, ...]:
        """A ``sourceList`` or ``destinationList``; ``value_key`` names the identifier's key."""
        entries = []
        for i, item in enumerate(self.objects(key)):
            kind, ident = item.get("type"), item.get(value_key)
            if set(item) != {"type", value_key} or not isinstance(kind, str) or not kind:
                raise self.error(
                    f"expected {{'type': ..., '{value_key}': ...}}, found {item!r}", f"{key}[{i}]"
                )
            if not isinstance(ident, str) or not ident:
                raise self.error(
                    f"expected an identifier, found {ident!r}", f"{key}[{i}].{value_key}"
                )
            entries.append(SourceDestination(type=kind, id=ident))
        return tuple(entries)

    def transactions(self) -> tuple[BizTransaction, ...]:
        """The ``bizTransactionList``."""
        entries = []
        for i, item in enumerate(self.objects("bizTransactionList")):
            where = f"bizTransactionList[{i}]"
            kind, ident = item.get("type"), item.get("bizTransaction")
            if not set(item) <= {"type", "bizTransaction"}:
                raise self.error(
                    f"expected {{'type': ..., 'bizTransaction': ...}}, found {item!r}", where
                )
            if kind is not None and (not isinstance(kind, str) or not kind):
                raise self.error(f"expected a transaction type, found {kind!r}", f"{where}.type")
            if not isinstance(ident, str) or not ident:
                raise self.error(
                    f"expected an identifier, found {ident!r}", f"{where}.bizTransaction"
                )
            entries.append(BizTransaction(type=kind, id=ident))
        return tuple(entries)

    def certification(self) -> str | tuple[str, ...] | None:
        """The ``certificationInfo``: one string or a list of them."""
        value = self.raw.get("certificationInfo")
        if value is None or (isinstance(value, str) and value):
            return value
        return self.strings("certificationInfo")

    def error_declaration(self) -> dict[str, Any] | None:
        """The ``errorDeclaration`` verbatim, once its ``declarationTime`` is checked."""
        declaration = self.mapping("errorDeclaration")
        if declaration is not None:
            try:
                parse_time(declaration.get("declarationTime"))
            except ValueError as exc:
                raise self.error(str(exc), "errorDeclaration.declarationTime") from None
        return declaration
