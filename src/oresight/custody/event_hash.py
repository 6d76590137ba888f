"""The GS1 CBV 2.0 event hash ID of an EPCIS 2.0 event in JSON/JSON-LD form.

CBV 2.0 section 8.9 names an EPCIS event by the SHA-256 of a canonical "pre-hash string", written
as an RFC 6920 ``ni`` URI: ``ni:///sha-256;<hex>?ver=CBV2.0``. The same event gives the same ID in
XML or JSON, whatever the key order, the time zone of its timestamps, the spelling of its GS1 keys
(EPC URI or Digital Link on any domain) or of its CBV values (bare word, CURIE, URN or web URI),
and whatever was added later by a repository (``recordTime``, ``eventID``, ``errorDeclaration``).

The pre-hash string concatenates, with no separators, ``key=value`` pairs (or a container's key
followed by its children) in the canonical property order, with lists sorted, values trimmed,
timestamps in UTC at millisecond precision, numbers without trailing zeros, GS1 keys as
canonical Digital Link URIs (``gs1_keys``) and user extension names written ``{namespace}local``.

Where the published algorithm text and the test vectors of the reference implementation
(github.com/RalphTro/epcis-event-hash-generator) disagree, this module follows the vectors, since
the vectors are what other implementations compare against: ``certificationInfo`` follows
``eventTimeZoneOffset``; ``bizTransactionList``, ``sourceList``, ``destinationList`` and ``ilmd``
are sorted together with the user extensions after ``sensorElementList``; each business
transaction, source or destination is written ``type=...`` before its identifier. Values are
read as JSON-LD reads them: CURIEs are expanded where the EPCIS context makes a field an IRI, while
strings in user extensions are literals, kept as written apart from trimming and GS1 keys.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from oresight.core.errors import InvalidInput
from oresight.custody.gs1_keys import canonical_gs1_uri
from oresight.custody.vocabulary import CBV_URI_BASE, STANDARD_PREFIXES

HASH_ALGORITHM_NAME = "sha-256"  # as registered in the IANA Named Information Hash Registry
CBV_VERSION = "CBV2.0"
GS1_VOC = STANDARD_PREFIXES["gs1"]

# Written by repositories or corrections, not by the event's author, so they do not name it.
# ("type" is written first, as eventType.)
IGNORED_FIELDS = frozenset({"type", "eventID", "recordTime", "errorDeclaration"})
# Comments explain an event to people; they are not part of what happened.
_COMMENT_NAMES = frozenset({"comment", "{http://www.w3.org/2000/01/rdf-schema#}comment"})

# Legacy CBV 1.x URNs and the web vocabulary they became (CBV 2.0 rule 14).
_CBV_URNS = {
    "urn:epcglobal:cbv:bizstep:": CBV_URI_BASE + "BizStep-",
    "urn:epcglobal:cbv:disp:": CBV_URI_BASE + "Disp-",
    "urn:epcglobal:cbv:btt:": CBV_URI_BASE + "BTT-",
    "urn:epcglobal:cbv:sdt:": CBV_URI_BASE + "SDT-",
    "urn:epcglobal:cbv:er:": CBV_URI_BASE + "ER-",
}

_TIMESTAMP = re.compile(
    r"(\d{4}-\d{2}-\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|z|[+-]\d{2}:\d{2})"
)
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")

Render = Callable[[str, Any, Mapping[str, str]], str]


def context_namespaces(context: Any) -> dict[str, str]:
    """Return the prefix-to-IRI map that a document's ``@context`` value declares.

    ``context`` is the ``@context`` value as parsed from JSON: a string, an object or a list of
    both. Strings (remote contexts, such as the standard GS1 EPCIS context) cannot be resolved
    offline and add nothing; objects contribute every term whose value is an IRI, or an object
    with an ``@id``. Later entries override earlier ones, as in JSON-LD.
    """
    namespaces: dict[str, str] = {}
    entries = context if isinstance(context, list) else [context]
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        for term, definition in entry.items():
            if not isinstance(term, str) or term.startswith("@"):
                continue
            iri = definition.get("@id") if isinstance(definition, Mapping) else definition
            if isinstance(iri, str) and ":" in iri:
                namespaces[term] = iri
    return namespaces


def canonical_prehash(event: Mapping[str, Any], namespaces: Mapping[str, str] | None = None) -> str:
    """Return the canonical pre-hash string of one EPCIS event (CBV 2.0 section 8.9).

    ``event`` is one object from a document's ``eventList`` as parsed from JSON, with compact
    names (``example:myField``) and bare CBV values (``shipping``). ``namespaces`` are the
    prefixes the document declared (see ``context_namespaces``); the standard EPCIS prefixes are
    always known. Raises ``InvalidInput`` when the event has no type or a malformed timestamp.
    """
    if not isinstance(event, Mapping):
        raise InvalidInput(f"an EPCIS event must be a JSON object, found {type(event).__name__}")
    event_type = event.get("type")
    if not isinstance(event_type, str) or not event_type.strip():
        raise InvalidInput("an EPCIS event needs a 'type' such as 'ObjectEvent'", field="type")
    known = {**STANDARD_PREFIXES, **(namespaces or {})}
    known.update(context_namespaces(event.get("@context")))

    parts = [f"eventType={event_type.strip()}"]
    parts.extend(render(name, event[name], known) for name, render in _EVENT_ORDER if name in event)
    rest: list[str] = []
    for key, value in event.items():
        skipped = key in _ORDERED_NAMES or key in IGNORED_FIELDS or key.startswith("@")
        if skipped or _is_comment(key, known):
            continue
        special = _SORTED_WITH_EXTENSIONS.get(key)
        rest.extend([special(key, value, known)] if special else _extension(key, value, known))
    parts.extend(sorted(rest))
    return "".join(parts)


def event_hash(event: Mapping[str, Any], namespaces: Mapping[str, str] | None = None) -> str:
    """Return the CBV 2.0 event hash ID of one EPCIS event: ``ni:///sha-256;<hex>?ver=CBV2.0``.

    Arguments are those of ``canonical_prehash``; the pre-hash string is hashed as UTF-8.
    """
    digest = hashlib.sha256(canonical_prehash(event, namespaces).encode("utf-8")).hexdigest()
    return f"ni:///{HASH_ALGORITHM_NAME};{digest}?ver={CBV_VERSION}"


# --- values -------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    """Canonical text of a plain value: trimmed, numbers without trailing zeros, keys canonical."""
    if isinstance(value, bool):  # JSON true/false, written as in XML Schema
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _number(repr(value)) or repr(value)
    if value is None:
        return ""
    text = str(value).strip()
    for urn, web in _CBV_URNS.items():
        if text.startswith(urn):
            return web + text[len(urn) :]
    return canonical_gs1_uri(text) or text


def _number(text: str) -> str | None:
    """Write a decimal number without exponent, trailing zeros or '+'; None if not a number."""
    if not _NUMBER.fullmatch(text):
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        return None
    written = format(number.normalize(), "f")
    return "0" if written in ("-0", "0") else written


def _iri(value: Any, namespaces: Mapping[str, str]) -> str:
    """Canonical text of a value that JSON-LD reads as an IRI, so CURIEs are expanded."""
    text = _text(value)
    prefix, colon, local = text.partition(":")
    if colon and not local.startswith("//") and prefix in namespaces:
        return _text(namespaces[prefix] + local)
    return text


def _vocabulary(bare_prefix: str) -> Callable[[Any, Mapping[str, str]], str]:
    """A value reader for a CBV field: bare words are short forms of ``bare_prefix`` terms."""

    def read(value: Any, namespaces: Mapping[str, str]) -> str:
        text = _text(value)
        if text and ":" not in text:
            return bare_prefix + text
        return _iri(text, namespaces)

    return read


def _timestamp(value: Any, field: str) -> str:
    """Write a timestamp in UTC with exactly three fraction digits, rounding half up."""
    text = str(value).strip()
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        raise InvalidInput(
            f"expected an ISO 8601 timestamp with a UTC offset, found {text!r}", field=field
        )
    date, hours, minutes, seconds, fraction, offset = match.groups()
    zone = "+00:00" if offset in ("Z", "z") else offset
    try:
        moment = datetime.fromisoformat(f"{date}T{hours}:{minutes}:{seconds}{zone}")
    except ValueError as error:
        raise InvalidInput(f"invalid timestamp {text!r}: {error}", field=field) from None
    millis = Decimal(f"0.{fraction or 0}").scaleb(3).quantize(Decimal(1), ROUND_HALF_UP)
    moment = (moment + timedelta(milliseconds=int(millis))).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _name(key: str, namespaces: Mapping[str, str]) -> str:
    """Write an extension field name as ``{namespace}local`` when its prefix is declared."""
    prefix, colon, local = key.partition(":")
    if colon and prefix in namespaces:
        return "{" + namespaces[prefix] + "}" + local
    return key


def _is_comment(key: str, namespaces: Mapping[str, str]) -> bool:
    return _name(key, namespaces) in _COMMENT_NAMES


# --- fields -------------------------------------------------------------------------------------


def _pair(name: str, text: str) -> str:
    return f"{name}={text}" if text else ""


def _items(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _extension(key: str, value: Any, namespaces: Mapping[str, str]) -> list[str]:
    """Pre-hash pieces of a user extension field: a list gives one piece per element."""
    name = _name(key, namespaces)
    pieces: list[str] = []
    for item in _items(value):
        if isinstance(item, Mapping) and "@value" not in item and "@id" not in item:
            pieces.append(name + _extensions(item, namespaces, skip=()))
            continue
        if isinstance(item, Mapping):  # a JSON-LD value or node reference stands for its value
            text = _text(item["@value"]) if "@value" in item else _iri(item["@id"], namespaces)
        else:
            text = _text(item)
        # An empty extension element is still data: its name is kept.
        pieces.append(f"{name}={text}" if text else name)
    return pieces


def _extensions(obj: Mapping[str, Any], namespaces: Mapping[str, str], skip: Iterable[str]) -> str:
    """Sorted pre-hash pieces of every field of ``obj`` not named in ``skip``."""
    skipped = set(skip)
    pieces = [
        piece
        for key, value in obj.items()
        if key not in skipped and not key.startswith("@") and not _is_comment(key, namespaces)
        for piece in _extension(key, value, namespaces)
    ]
    return "".join(sorted(pieces))


def _structure(fields: tuple[tuple[str, Render], ...]) -> Render:
    """A renderer for an object with ordered standard fields followed by sorted extensions."""
    names = tuple(name for name, _ in fields)

    def render(key: str, value: Any, namespaces: Mapping[str, str]) -> str:
        if not isinstance(value, Mapping):
            raise InvalidInput(f"expected an object, found {value!r}", field=key)
        body = "".join(
            read(name, value[name], namespaces) for name, read in fields if name in value
        )
        body += _extensions(value, namespaces, skip=names)
        return key + body if body else ""

    return render


def _each(render_item: Render) -> Render:
    """A renderer for a field that may repeat: each value is written under the key, sorted."""

    def render(key: str, value: Any, namespaces: Mapping[str, str]) -> str:
        return "".join(sorted(render_item(key, item, namespaces) for item in _items(value)))

    return render


def _scalar(read: Callable[[Any, Mapping[str, str]], str]) -> Render:
    """A renderer for a field holding plain values, each written as ``key=value``."""
    return _each(lambda key, item, namespaces: _pair(key, read(item, namespaces)))


def _time(key: str, value: Any, namespaces: Mapping[str, str]) -> str:
    return _pair(key, _timestamp(value, key))


def _list_of(item_name: str, render_item: Render) -> Render:
    """A renderer for a list field whose sorted elements each render as ``item_name``."""

    def render(key: str, value: Any, namespaces: Mapping[str, str]) -> str:
        body = "".join(sorted(render_item(item_name, item, namespaces) for item in _items(value)))
        return key + body if body else ""

    return render


def _typed_reference(id_field: str, bare_prefix: str) -> Render:
    """A renderer for a business transaction, source or destination: ``type`` first, then id."""
    read_type = _vocabulary(bare_prefix)

    def render(key: str, value: Any, namespaces: Mapping[str, str]) -> str:
        if not isinstance(value, Mapping):
            return _pair(id_field, _iri(value, namespaces))
        return (
            _pair("type", read_type(value.get("type"), namespaces))
            + _pair(id_field, _iri(value.get(id_field), namespaces))
            + _extensions(value, namespaces, skip=("type", id_field))
        )

    return render


def _quantitative(value: Any, namespaces: Mapping[str, str]) -> str:
    # Quantities and sensor values are numbers even when written as strings (as XML always does),
    # so "452.0", "452" and 452.0 must agree (rule 6). Other strings keep their digits: a serial
    # "0012" is not the number 12.
    text = _text(value)
    return _number(text) or text


_IRI = _scalar(_iri)
_LITERAL = _scalar(lambda value, namespaces: _text(value))
_NUMERIC = _scalar(_quantitative)
_EPCS = _list_of("epc", _IRI)
_QUANTITIES = _list_of(
    "quantityElement",
    _structure((("epcClass", _IRI), ("quantity", _NUMERIC), ("uom", _LITERAL))),
)
_DISPOSITION = _scalar(_vocabulary(CBV_URI_BASE + "Disp-"))
_LOCATION = _structure((("id", _IRI),))
_DEVICE_FIELDS = tuple(
    (name, _IRI) for name in ("deviceID", "deviceMetadata", "rawData", "dataProcessingMethod")
)
_SENSOR_METADATA = _structure(
    (("time", _time), ("startTime", _time), ("endTime", _time), *_DEVICE_FIELDS, ("bizRules", _IRI))
)
_SENSOR_REPORT = _structure(
    (
        ("type", _scalar(_vocabulary(GS1_VOC))),
        ("exception", _scalar(_vocabulary(GS1_VOC))),
        *_DEVICE_FIELDS,
        ("time", _time),
        ("microorganism", _IRI),
        ("chemicalSubstance", _IRI),
        ("value", _NUMERIC),
        ("component", _scalar(_vocabulary(CBV_URI_BASE + "Comp-"))),
        *((name, _LITERAL) for name in ("stringValue", "booleanValue", "hexBinaryValue")),
        ("uriValue", _IRI),
        *((name, _NUMERIC) for name in ("minValue", "maxValue", "meanValue", "sDev")),
        *((name, _NUMERIC) for name in ("percRank", "percValue")),
        ("uom", _LITERAL),
        ("coordinateReferenceSystem", _IRI),
    )
)
_SENSOR_ELEMENT = _structure(
    (("sensorMetadata", _SENSOR_METADATA), ("sensorReport", _each(_SENSOR_REPORT)))
)

# The canonical property order of CBV 2.0 section 8.9, as the reference vectors apply it.
_EVENT_ORDER: tuple[tuple[str, Render], ...] = (
    ("eventTime", _time),
    ("eventTimeZoneOffset", _LITERAL),
    ("certificationInfo", _IRI),
    ("epcList", _EPCS),
    ("parentID", _IRI),
    ("inputEPCList", _EPCS),
    ("childEPCs", _EPCS),
    ("quantityList", _QUANTITIES),
    ("childQuantityList", _QUANTITIES),
    ("inputQuantityList", _QUANTITIES),
    ("outputEPCList", _EPCS),
    ("outputQuantityList", _QUANTITIES),
    ("action", _LITERAL),
    ("transformationID", _IRI),
    ("bizStep", _scalar(_vocabulary(CBV_URI_BASE + "BizStep-"))),
    ("disposition", _DISPOSITION),
    ("persistentDisposition", _structure((("set", _DISPOSITION), ("unset", _DISPOSITION)))),
    ("readPoint", _LOCATION),
    ("bizLocation", _LOCATION),
    ("sensorElementList", _list_of("sensorElement", _SENSOR_ELEMENT)),
)
_ORDERED_NAMES = frozenset(name for name, _ in _EVENT_ORDER)


# Standard fields that the reference vectors sort in among the user extensions.
_SORTED_WITH_EXTENSIONS: Mapping[str, Render] = {
    "bizTransactionList": _list_of("", _typed_reference("bizTransaction", CBV_URI_BASE + "BTT-")),
    "sourceList": _list_of("", _typed_reference("source", CBV_URI_BASE + "SDT-")),
    "destinationList": _list_of("", _typed_reference("destination", CBV_URI_BASE + "SDT-")),
    "ilmd": _structure(()),  # instance master data: user fields only
}
