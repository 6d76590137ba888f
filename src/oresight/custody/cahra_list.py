"""Lists of conflict-affected and high-risk areas (CAHRAs), as the user supplies them.

A list has a name, the date it was drawn up, its source, and entries: a whole country (ISO 3166-1
alpha-2), or an area of one — an ISO 3166-2 subdivision code, an area name, and optionally the id
of a polygon in a GeoJSON file named by the list. It is read from YAML (the list and its entries
in one document) or CSV (one entry a row; the name and date given by the caller), and checked
strictly: an error names the file, the entry or row, and the field. docs/cahra.md describes both
formats and how to turn the EU indicative list into one.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import shapely

from oresight.core.errors import InvalidInput
from oresight.core.yaml_text import parse_yaml
from oresight.custody.data_files import packaged_file_name, read_packaged_text, read_text_file
from oresight.custody.geodesy import AREA_TYPES, to_shape
from oresight.custody.site_features import SourceRecord, checked_geometry

BUNDLED_LIST = "cahra_default.yaml"
"""The illustrative default list, in ``oresight/custody/data/``."""
LIST_KEYS = frozenset(
    {"name", "list_date", "source", "illustrative", "notes", "polygons", "entries"}
)
ENTRY_FIELDS = ("country", "subdivision", "area", "polygon", "reason")
"""Fields of an entry: YAML keys, and the CSV columns the loader accepts."""

_COUNTRY = re.compile(r"[A-Z]{2}")
_SUBDIVISION = re.compile(r"(?P<country>[A-Z]{2})-[A-Z0-9]{1,3}")


@dataclass(frozen=True)
class CahraEntry:
    """One listed country, or one listed area of a country."""

    country: str
    subdivision: str | None = None
    area: str | None = None
    polygon: str | None = None
    """Id of the entry's polygon in the list's polygons file."""
    geometry: dict[str, Any] | None = None
    """The polygon itself (GeoJSON, WGS 84), read from that file."""
    reason: str | None = None

    @property
    def whole_country(self) -> bool:
        """Whether the entry lists the whole country."""
        return self.subdivision is None and self.area is None and self.polygon is None

    @property
    def key(self) -> str:
        """A short identifier of the entry within its list: ``CD``, ``CD-NK``, ``CD:Ituri``."""
        if self.subdivision is not None:
            return self.subdivision
        if self.area is not None:
            return f"{self.country}:{self.area}"
        return self.country if self.polygon is None else f"{self.country}:{self.polygon}"

    def describe(self) -> str:
        """The entry in words: ``Nord-Kivu (CD-NK)``, ``the whole of CF``."""
        if self.whole_country:
            return f"the whole of {self.country}"
        name = self.area or self.polygon or self.subdivision or self.country
        code = self.subdivision or self.country
        return f"{name} ({code})" if name != code else name


@dataclass(frozen=True)
class CahraList:
    """A dated list of conflict-affected and high-risk areas."""

    name: str
    list_date: date
    entries: tuple[CahraEntry, ...]
    source: str | None = None
    illustrative: bool = False
    """True for oresight's bundled example list, which is no official list."""
    file: str | None = None

    def age_months(self, day: date) -> int:
        """Whole months from the list's date to ``day``."""
        months = (day.year - self.list_date.year) * 12 + day.month - self.list_date.month
        return months - (1 if day.day < self.list_date.day else 0)


def load_cahra_list(
    path: Path | None = None,
    *,
    name: str | None = None,
    list_date: date | None = None,
    source: str | None = None,
    polygons: Path | None = None,
    columns: Mapping[str, str | None] | None = None,
) -> CahraList:
    """Read a CAHRA list: the bundled illustrative one (no ``path``), a YAML or a CSV file.

    A YAML list carries its own name, date, source and polygons file. A CSV list has one entry a
    row, with the columns of :data:`ENTRY_FIELDS`; ``name`` and ``list_date`` are then required,
    ``source`` and ``polygons`` optional, and ``columns`` maps other column names to those fields
    (or to ``None`` to ignore a column).
    """
    if path is None:
        text = read_packaged_text(BUNDLED_LIST)
        return _from_yaml(text, file=packaged_file_name(BUNDLED_LIST), base=None)
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        arguments: dict[str, object] = {"name": name, "list_date": list_date, "source": source}
        arguments.update(polygons=polygons, columns=columns)
        given = [key for key, value in arguments.items() if value is not None]
        if given:
            raise InvalidInput(
                f"a YAML list gives its own {', '.join(given)}; do not pass them", file=str(path)
            )
        return _from_yaml(read_text_file(path), file=str(path), base=path.parent)
    if suffix == ".csv":
        if name is None or not name.strip() or list_date is None:
            raise InvalidInput(
                "a CSV list needs a name and a list_date from the caller (the CSV holds entries "
                "only)",
                file=str(path),
            )
        features = _polygons(polygons, str(path)) if polygons is not None else None
        entries = _entries_from_csv(read_text_file(path), str(path), columns or {}, features)
        return CahraList(name.strip(), list_date, entries, source=source, file=str(path))
    raise InvalidInput(
        f"cannot tell the format of a CAHRA list with suffix {suffix!r}: expected .yaml, .yml "
        "or .csv",
        file=str(path),
    )


def _from_yaml(text: str, *, file: str, base: Path | None) -> CahraList:
    data = parse_yaml(text, file=file)
    if not isinstance(data, dict):
        raise InvalidInput("a CAHRA list must be a YAML mapping", file=file)
    at = SourceRecord(file)
    unknown = sorted(set(map(str, data)) - LIST_KEYS)
    if unknown:
        raise at.error(f"unknown key; expected {', '.join(sorted(LIST_KEYS))}", unknown[0])
    name = _text(data.get("name"), at, "name")
    if name is None:
        raise at.error("the list has no name", "name")
    list_date = _date(data.get("list_date"), at)
    illustrative = data.get("illustrative", False)
    if not isinstance(illustrative, bool):
        raise at.error(f"expected true or false, found {illustrative!r}", "illustrative")
    polygons_name = _text(data.get("polygons"), at, "polygons")
    features = None
    if polygons_name is not None:
        if base is None:
            raise at.error("the bundled list cannot name a polygons file", "polygons")
        features = _polygons(base / polygons_name, file)
    raw_entries = data.get("entries")
    if not isinstance(raw_entries, list) or not raw_entries:
        raise at.error("expected a non-empty list of entries", "entries")
    entries: list[tuple[str, CahraEntry]] = []
    for index, raw in enumerate(raw_entries):
        record = SourceRecord(file, f"entry {index}")
        if not isinstance(raw, dict):
            raise record.error("expected a mapping with at least a country", "entries")
        unknown = sorted(set(map(str, raw)) - set(ENTRY_FIELDS))
        if unknown:
            raise record.error(f"unknown field; expected {', '.join(ENTRY_FIELDS)}", unknown[0])
        entries.append((f"entry {index}", _entry(raw, record, features)))
    source = _text(data.get("source"), at, "source")
    return CahraList(name, list_date, _unrepeated(entries, file), source, illustrative, file)


def _entries_from_csv(
    text: str,
    file: str,
    columns: Mapping[str, str | None],
    features: Mapping[str, dict[str, Any]] | None,
) -> tuple[CahraEntry, ...]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        rows = [(reader.line_num, cells) for cells in reader]
    except csv.Error as exc:
        raise InvalidInput(
            f"malformed CSV: {exc}", file=file, record=f"row {reader.line_num}"
        ) from None
    if not rows:
        raise InvalidInput("the file is empty; expected a header row", file=file)
    header: list[str | None] = []
    for raw in rows[0][1]:
        column = raw.strip()
        # A column with no name (spreadsheets leave trailing ones) carries nothing to read.
        mapped = columns.get(column, column) or None
        if mapped is not None and mapped in header:
            message = f"a second column gives {mapped!r}"
            raise InvalidInput(message, file=file, record="row 1", field=column)
        if mapped is not None and mapped not in ENTRY_FIELDS:
            raise InvalidInput(
                f"unknown column; expected {', '.join(ENTRY_FIELDS)} (map other names with "
                "columns=..., or to None to ignore them)",
                file=file,
                record="row 1",
                field=column,
            )
        header.append(mapped)
    if "country" not in header:
        raise InvalidInput(
            "the header has no 'country' column", file=file, record="row 1", field="country"
        )
    entries: list[tuple[str, CahraEntry]] = []
    for line, cells in rows[1:]:
        if not any(cell.strip() for cell in cells):
            continue
        record = SourceRecord(file, f"row {line}")
        values = {key: cell for key, cell in zip(header, cells, strict=False) if key is not None}
        entries.append((f"row {line}", _entry(values, record, features)))
    if not entries:
        raise InvalidInput("the list has no entries", file=file)
    return _unrepeated(entries, file)


def _entry(
    raw: Mapping[str, Any], at: SourceRecord, features: Mapping[str, dict[str, Any]] | None
) -> CahraEntry:
    country = _text(raw.get("country"), at, "country")
    if country is None or not _COUNTRY.fullmatch(country.upper()):
        message = f"expected an ISO 3166-1 alpha-2 country code (such as CD), found {country!r}"
        raise at.error(message, "country")
    country = country.upper()
    subdivision = _text(raw.get("subdivision"), at, "subdivision")
    if subdivision is not None:
        subdivision = subdivision.upper()
        match = _SUBDIVISION.fullmatch(subdivision)
        if match is None:
            message = f"expected an ISO 3166-2 code (such as CD-NK), found {subdivision!r}"
            raise at.error(message, "subdivision")
        if match.group("country") != country:
            message = f"subdivision {subdivision} is not an area of country {country}"
            raise at.error(message, "subdivision")
    polygon = _text(raw.get("polygon"), at, "polygon")
    geometry = None
    if polygon is not None:
        if features is None:
            raise at.error(
                "the entry names a polygon but the list names no polygons file", "polygon"
            )
        geometry = features.get(polygon)
        if geometry is None:
            raise at.error(f"no feature {polygon!r} in the polygons file", "polygon")
    return CahraEntry(
        country=country,
        subdivision=subdivision,
        area=_text(raw.get("area"), at, "area"),
        polygon=polygon,
        geometry=geometry,
        reason=_text(raw.get("reason"), at, "reason"),
    )


def _unrepeated(entries: list[tuple[str, CahraEntry]], file: str) -> tuple[CahraEntry, ...]:
    seen: dict[str, str] = {}
    for record, entry in entries:
        if entry.key in seen:
            message = f"{entry.key} is listed twice (first at {seen[entry.key]})"
            raise InvalidInput(message, file=file, record=record)
        seen[entry.key] = record
    return tuple(entry for _, entry in entries)


def _polygons(path: Path, list_file: str) -> dict[str, dict[str, Any]]:
    """Polygons of a GeoJSON FeatureCollection by feature id (or ``properties.id``)."""
    at = SourceRecord(str(path))
    try:
        document = json.loads(read_text_file(path))
    except json.JSONDecodeError as exc:
        raise at.error(
            f"malformed JSON at line {exc.lineno}: {exc.msg} (named by {list_file})"
        ) from None
    if not isinstance(document, dict) or not isinstance(document.get("features"), list):
        raise at.error("expected a GeoJSON FeatureCollection", "features")
    found: dict[str, dict[str, Any]] = {}
    for index, feature in enumerate(document["features"]):
        record = SourceRecord(str(path), f"feature {index}")
        properties = feature.get("properties") if isinstance(feature, dict) else None
        feature_id = feature.get("id") if isinstance(feature, dict) else None
        if feature_id is None and isinstance(properties, dict):
            feature_id = properties.get("id")
        if not isinstance(feature_id, str | int) or isinstance(feature_id, bool):
            raise record.error("a polygon needs an id (feature id or properties.id)", "id")
        geometry = feature.get("geometry")
        if not isinstance(geometry, dict) or geometry.get("type") not in AREA_TYPES:
            raise record.error("expected a Polygon or MultiPolygon", "geometry")
        try:
            shape = to_shape(geometry)
        except (shapely.errors.ShapelyError, ValueError, TypeError, KeyError, IndexError) as exc:
            raise record.error(f"not a valid geometry: {exc}", "geometry") from None
        found[str(feature_id)] = checked_geometry(shape, record)
    return found


def _text(value: Any, at: SourceRecord, field_name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise at.error(f"expected text, found {type(value).__name__}", field_name)
    return value.strip() or None


def _date(value: Any, at: SourceRecord) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise at.error(f"expected an ISO date (YYYY-MM-DD), found {value!r}", "list_date")
