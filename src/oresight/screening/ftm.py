"""Parties read from and written to FollowTheMoney (FtM) entities, as JSON lines.

Each line holds one entity: ``{"id": ..., "schema": ..., "properties": {name: [values]}}``. The
``followthemoney`` model checks the schema and every property name, cleans the values by property
type and computes the caption. Relationship entities (Ownership, Directorship, Family, ...) are
parties' relationships and are kept like any other entity. Lines that share an id are fragments of
one entity and are merged, as FtM tools do.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from followthemoney import EntityProxy, model
from followthemoney.exc import InvalidData

from oresight.core.errors import InvalidInput
from oresight.core.parties import Party


def read_ftm_parties(data: bytes | str, *, file: str | None = None) -> list[Party]:
    """Read parties from FtM entities: JSON lines (one entity a line) or one JSON array.

    Records are named ``line N`` (counted from 1) or, in an array, ``entity N`` (from 0). An
    unknown schema or property is an error; a value that FtM's type cleaning rejects (a malformed
    date or phone number) is dropped, as FtM itself does, rather than refusing the entity.
    """
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"not UTF-8 text (byte {exc.start})", file=file) from None
    proxies: dict[str, EntityProxy] = {}
    for record, entity in _records(data, file):
        proxy = entity_proxy(entity, file, record)
        entity_id = str(proxy.id)
        seen = proxies.get(entity_id)
        if seen is None:
            proxies[entity_id] = proxy
            continue
        try:
            seen.merge(proxy)
        except InvalidData:
            message = (
                f"entity {entity_id!r} appears again with schema {proxy.schema.name}, "
                f"which cannot be merged with {seen.schema.name}"
            )
            raise InvalidInput(message, file=file, record=record, field="schema") from None
    return [_party(proxy) for proxy in proxies.values()]


def read_ftm_file(path: Path) -> list[Party]:
    """Read the parties of an FtM JSON lines file (or a file holding one JSON array)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read the file: {exc.strerror or exc}", file=str(path)) from None
    return read_ftm_parties(data, file=str(path))


def looks_like_ftm(first_line: Mapping[str, Any]) -> bool:
    """Whether the first parsed JSON object of a file is an FtM entity (for format sniffing)."""
    schema = first_line.get("schema")
    return (
        isinstance(schema, str)
        and model.get(schema) is not None
        and isinstance(first_line.get("id"), str)
        and isinstance(first_line.get("properties", {}), Mapping)
    )


def parties_to_ftm_lines(parties: Iterable[Party]) -> str:
    """Write parties as FtM JSON lines (each line ends with a newline), readable by FtM tools.

    The parties are checked against the FtM model as on reading; an unknown schema or property
    raises :class:`InvalidInput` naming the party.
    """
    lines: list[str] = []
    for party in parties:
        entity = {
            "id": party.id,
            "schema": party.schema_name,
            "properties": {name: list(values) for name, values in party.properties.items()},
        }
        proxy = entity_proxy(entity, None, party.id)
        data = proxy.to_dict()
        data["caption"] = proxy.caption
        lines.append(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n")
    return "".join(lines)


def _records(text: str, file: str | None) -> Iterator[tuple[str, Any]]:
    """The entities of the text with the name of their record, parsed from JSON."""
    if text.lstrip().startswith("["):
        items = _json(text, file, None)
        if not isinstance(items, list):
            raise InvalidInput("malformed JSON array", file=file)
        for index, item in enumerate(items):
            yield f"entity {index}", item
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            record = f"line {number}"
            yield record, _json(line, file, record)


def _json(text: str, file: str | None, record: str | None) -> Any:
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        message = f"malformed JSON at column {exc.colno}: {exc.msg}"
        if record is None:
            message = f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        raise InvalidInput(message, file=file, record=record) from None
    except ValueError as exc:
        raise InvalidInput(f"malformed JSON: {exc}", file=file, record=record) from None


def _refuse_constant(name: str) -> Any:
    # Python's json accepts NaN and Infinity, which are not JSON.
    raise ValueError(f"{name} is not a JSON value")


def entity_proxy(entity: Any, file: str | None, record: str) -> EntityProxy:
    """Build and validate an FtM proxy from one parsed entity (``{id, schema, properties}``);
    errors name ``file``, ``record`` and the field at fault."""

    def error(message: str, field: str | None = None) -> InvalidInput:
        return InvalidInput(message, file=file, record=record, field=field)

    if not isinstance(entity, Mapping):
        raise error(f"expected an FtM entity object, found a JSON {type(entity).__name__}")
    schema_name = entity.get("schema")
    if not isinstance(schema_name, str):
        raise error("the entity has no schema name", "schema")
    schema = model.get(schema_name)
    if schema is None:
        raise error(f"unknown FtM schema {schema_name!r}", "schema")
    if schema.abstract:
        raise error(f"FtM schema {schema_name!r} is abstract; use one of its descendants", "schema")
    entity_id = entity.get("id")
    if not isinstance(entity_id, str) or not entity_id.strip():
        raise error("the entity has no id", "id")
    properties = entity.get("properties", {})
    if not isinstance(properties, Mapping):
        raise error("expected an object of property names to lists of values", "properties")
    # Built bare, then filled property by property: from_dict would skip unknown names silently.
    proxy = model.get_proxy({"id": entity_id, "schema": schema.name}, cleaned=False)
    if not proxy.id:
        raise error("the entity id is blank once control characters are removed", "id")
    for name, values in properties.items():
        field = f"properties.{name}"
        prop = schema.get(name)
        if prop is None:
            raise error(f"unknown property {name!r} for FtM schema {schema.name}", field)
        if prop.stub:
            message = f"{name!r} is a reverse property; set it on the entity it points from"
            raise error(message, field)
        texts = _texts(values)
        if texts is None:
            raise error("expected a list of strings", field)
        try:
            proxy.add(prop, texts, cleaned=False)
        except InvalidData as exc:
            raise error(f"FtM refused the values: {exc}", field) from None
    return proxy


def _texts(values: Any) -> list[str] | None:
    """Property values as text, or None when they are not a list of strings (or numbers)."""
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list):
        return None
    if not all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in values):
        return None
    return [str(value) for value in values]


def _party(proxy: EntityProxy) -> Party:
    return Party(
        id=str(proxy.id),
        schema_name=proxy.schema.name,
        properties={name: tuple(values) for name, values in proxy.properties.items()},
        caption=proxy.caption,
    )
