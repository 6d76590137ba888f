"""Measuring a matcher against labelled data: the field's public benchmarks, read and scored.

Two kinds of labelled data are read here:

* name pairs, as in OpenSanctions' nomenklatura name benchmark (``cases.csv``: case_group,
  schema, name1, name2, is_match, quality, category, notes), and the frozen scores a reference
  matcher gave them (``logicv2-frozen.csv``, the same columns with ``score``);
* screening queries, as in yente's candidate-generation and validation sets (full_name,
  first_name, middle_name, last_name, gender, date_of_birth, place_of_birth, nationality), read
  into FtM Person entities;
* entity pairs, as in nomenklatura's entity benchmark checks (YAML: ``checks``, each with
  ``match``, ``schema`` and the ``query`` and ``candidate`` properties), read into FtM entities;
* pairs of names with the score OFAC's own Sanctions List Search gave them (``query_name``,
  ``result_name``, ``ofac_score`` out of 100), a reference to rank against.

Scores are turned into precision, recall and F1 at a threshold (:class:`Confusion`), overall and
by group, and :func:`two_fold` checks that a threshold tuned on one half of the pairs holds on the
other.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from followthemoney import EntityProxy, model
from followthemoney.exc import InvalidData
from followthemoney.types import registry

from oresight.core.errors import InvalidInput
from oresight.screening.names import normalise_name

NAME_PAIR_COLUMNS = ("case_group", "schema", "name1", "name2", "is_match", "quality")
QUERY_COLUMNS = ("full_name", "date_of_birth", "nationality")


@dataclass(frozen=True, slots=True)
class NamePair:
    """One labelled pair of names of the same schema."""

    group: str
    schema: str
    name1: str
    name2: str
    is_match: bool
    quality: str = ""
    category: str = ""


@dataclass(frozen=True, slots=True)
class Confusion:
    """Counts of a matcher's decisions against the labels, and the measures drawn from them."""

    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0
    true_negatives: int = 0

    @property
    def precision(self) -> float:
        """Share of the pairs called a match that are one (1.0 when none is called)."""
        called = self.true_positives + self.false_positives
        return self.true_positives / called if called else 1.0

    @property
    def recall(self) -> float:
        """Share of the matches that are called one (1.0 when there are none)."""
        actual = self.true_positives + self.false_negatives
        return self.true_positives / actual if actual else 1.0

    @property
    def f1(self) -> float:
        """The harmonic mean of precision and recall (0.0 when no match is found)."""
        found = 2 * self.true_positives
        total = found + self.false_positives + self.false_negatives
        return found / total if total else 1.0

    @property
    def pairs(self) -> int:
        """How many pairs were counted."""
        return (
            self.true_positives + self.false_positives + self.false_negatives + self.true_negatives
        )

    def as_dict(self) -> dict[str, float | int]:
        """The counts and measures, rounded to four places, for a JSON report."""
        return {
            "pairs": self.pairs,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "tp": self.true_positives,
            "fp": self.false_positives,
            "fn": self.false_negatives,
            "tn": self.true_negatives,
        }


def confusion(scored: Iterable[tuple[float, bool]], threshold: float) -> Confusion:
    """Count (score, is_match) pairs as decided at a threshold (a score at it is a match)."""
    tp = fp = fn = tn = 0
    for score, is_match in scored:
        called = score >= threshold
        if called and is_match:
            tp += 1
        elif called:
            fp += 1
        elif is_match:
            fn += 1
        else:
            tn += 1
    return Confusion(tp, fp, fn, tn)


def best_threshold(
    scored: Sequence[tuple[float, bool]], *, low: float = 0.5, high: float = 0.95
) -> float:
    """The threshold (in steps of 0.01) with the best F1; the lowest of equals wins."""
    best_f1, best = -1.0, low
    steps = round((high - low) * 100)
    for step in range(steps + 1):
        threshold = round(low + step / 100, 2)
        f1 = confusion(scored, threshold).f1
        if f1 > best_f1:
            best_f1, best = f1, threshold
    return best


def by_group(
    items: Sequence[NamePair],
    scores: Sequence[float],
    threshold: float,
    key: Callable[[NamePair], str],
) -> dict[str, Confusion]:
    """The confusion counts of each group of pairs (by schema, by quality...), sorted by group."""
    groups: dict[str, list[tuple[float, bool]]] = {}
    for item, score in zip(items, scores, strict=True):
        groups.setdefault(key(item), []).append((score, item.is_match))
    return {name: confusion(groups[name], threshold) for name in sorted(groups)}


@dataclass(frozen=True, slots=True)
class FoldResult:
    """A threshold tuned on one half of the pairs and the result it gives on the other half."""

    tuned_on: str
    threshold: float
    tuned: Confusion
    held_out: Confusion


def two_fold(items: Sequence[NamePair], scores: Sequence[float]) -> tuple[FoldResult, FoldResult]:
    """Tune the threshold on one half and measure on the other, both ways.

    The halves are stratified by case group: within each group, pairs alternate between the
    halves in file order, so every group is represented on both sides.
    """
    halves: tuple[list[tuple[float, bool]], list[tuple[float, bool]]] = ([], [])
    seen: dict[str, int] = {}
    for item, score in zip(items, scores, strict=True):
        position = seen.get(item.group, 0)
        seen[item.group] = position + 1
        halves[position % 2].append((score, item.is_match))
    results: list[FoldResult] = []
    for tuned, held in ((0, 1), (1, 0)):
        threshold = best_threshold(halves[tuned])
        results.append(
            FoldResult(
                tuned_on=("A", "B")[tuned],
                threshold=threshold,
                tuned=confusion(halves[tuned], threshold),
                held_out=confusion(halves[held], threshold),
            )
        )
    return results[0], results[1]


def read_name_pairs(path: Path) -> list[NamePair]:
    """Read a labelled name-pair CSV (nomenklatura's ``cases.csv`` columns), all or nothing."""
    pairs: list[NamePair] = []
    for record, row in _csv_rows(path, NAME_PAIR_COLUMNS):
        label = row["is_match"].strip().lower()
        if label not in ("true", "false"):
            raise InvalidInput(
                f"expected true or false, found {row['is_match']!r}",
                file=str(path),
                record=record,
                field="is_match",
            )
        if model.get(row["schema"]) is None:
            raise InvalidInput(
                f"unknown FtM schema {row['schema']!r}",
                file=str(path),
                record=record,
                field="schema",
            )
        pairs.append(
            NamePair(
                group=row["case_group"],
                schema=row["schema"],
                name1=row["name1"],
                name2=row["name2"],
                is_match=label == "true",
                quality=row["quality"],
                category=row.get("category") or "",
            )
        )
    return pairs


@dataclass(frozen=True, slots=True)
class FrozenScore:
    """One pair as a reference run scored it."""

    schema: str
    name1: str
    name2: str
    is_match: bool
    score: float


def read_frozen_scores(path: Path) -> list[FrozenScore]:
    """The rows of a frozen reference run (nomenklatura's ``run_data`` CSV columns)."""
    rows: list[FrozenScore] = []
    for record, row in _csv_rows(path, ("schema", "name1", "name2", "is_match", "score")):
        try:
            score = float(row["score"])
        except ValueError:
            raise InvalidInput(
                f"expected a number, found {row['score']!r}",
                file=str(path),
                record=record,
                field="score",
            ) from None
        rows.append(
            FrozenScore(
                schema=row["schema"],
                name1=row["name1"],
                name2=row["name2"],
                is_match=row["is_match"].strip().lower() == "true",
                score=score,
            )
        )
    return rows


def read_query_persons(path: Path, *, prefix: str = "q") -> list[EntityProxy]:
    """Read yente-style screening queries as FtM Person entities, one per row.

    The id is ``{prefix}-{row}`` (rows counted from 1); FtM cleans each value as it does for any
    entity (a country name becomes its code, an unreadable date is dropped).
    """
    persons: list[EntityProxy] = []
    for record, row in _csv_rows(path, QUERY_COLUMNS):
        if not row["full_name"].strip():
            raise InvalidInput(
                "the query has no name", file=str(path), record=record, field="full_name"
            )
        entity = model.make_entity("Person")
        entity.id = f"{prefix}-{record.removeprefix('row ')}"
        values = {
            "name": row["full_name"],
            "firstName": row.get("first_name"),
            "middleName": row.get("middle_name"),
            "lastName": row.get("last_name"),
            "gender": row.get("gender"),
            "birthDate": row.get("date_of_birth"),
            "birthPlace": row.get("place_of_birth"),
            "nationality": row.get("nationality"),
        }
        for prop, value in values.items():
            if value and value.strip():
                entity.add(prop, value.strip())
        persons.append(entity)
    return persons


@dataclass(frozen=True, slots=True)
class EntityCheck:
    """A labelled pair of entities: is the candidate the party the query describes?"""

    record: str
    schema: str
    query: EntityProxy
    candidate: EntityProxy
    is_match: bool


def read_entity_checks(path: Path) -> list[EntityCheck]:
    """Read nomenklatura-style entity checks (``checks: [{match, schema, query, candidate}]``),
    all or nothing; each side's properties are FtM properties of the schema (a value or a list).
    """
    text = _utf8_text(path)
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else None
        raise InvalidInput(f"not valid YAML: {exc}", file=str(path), record=where) from None
    checks = document.get("checks") if isinstance(document, dict) else None
    if not isinstance(checks, list):
        raise InvalidInput("expected a list under 'checks'", file=str(path), field="checks")
    found: list[EntityCheck] = []
    for number, item in enumerate(checks, start=1):
        record = f"check {number}"
        if not isinstance(item, dict):
            raise InvalidInput("expected a mapping", file=str(path), record=record)
        label = item.get("match")
        if not isinstance(label, bool):
            raise InvalidInput(
                f"expected true or false, found {label!r}",
                file=str(path),
                record=record,
                field="match",
            )
        schema = item.get("schema")
        if not isinstance(schema, str) or model.get(schema) is None:
            raise InvalidInput(
                f"unknown FtM schema {schema!r}", file=str(path), record=record, field="schema"
            )
        sides = [
            _check_entity(item.get(side), schema, f"{side}-{number}", path, record, side)
            for side in ("query", "candidate")
        ]
        found.append(EntityCheck(record, schema, sides[0], sides[1], label))
    return found


def _check_entity(
    properties: object, schema: str, entity_id: str, path: Path, record: str, side: str
) -> EntityProxy:
    if not isinstance(properties, dict) or not properties:
        raise InvalidInput(
            "expected a mapping of properties", file=str(path), record=record, field=side
        )
    entity = model.make_entity(schema)
    entity.id = entity_id
    for prop, values in properties.items():
        listed = values if isinstance(values, list) else [values]
        try:
            for value in listed:
                entity.add(prop, str(value))
        except InvalidData as exc:
            raise InvalidInput(
                str(exc), file=str(path), record=record, field=f"{side}.{prop}"
            ) from None
    return entity


@dataclass(frozen=True, slots=True)
class ReferenceScore:
    """A pair of names and the score a reference screening tool gave it (0 to 1), or None
    where the tool did not return the result for the query."""

    query: str
    result: str
    score: float | None


def read_reference_scores(path: Path) -> list[ReferenceScore]:
    """Read OFAC Sanctions List Search scores (``query_name``, ``result_name``, ``ofac_score``
    from 0 to 100, or -1 where the search did not return the result), as fractions of 1."""
    rows: list[ReferenceScore] = []
    for record, row in _csv_rows(path, ("query_name", "result_name", "ofac_score")):
        try:
            score = float(row["ofac_score"])
        except ValueError:
            score = math.nan
        if score != -1 and not 0.0 <= score <= 100.0:
            raise InvalidInput(
                f"expected a score from 0 to 100 or -1, found {row['ofac_score']!r}",
                file=str(path),
                record=record,
                field="ofac_score",
            )
        scaled = None if score == -1 else score / 100.0
        rows.append(ReferenceScore(row["query_name"], row["result_name"], scaled))
    return rows


def rank_correlation(left: Sequence[float], right: Sequence[float]) -> float:
    """Spearman's rank correlation of two equally long series (ties take their mean rank)."""
    if len(left) != len(right) or len(left) < 2:
        raise ValueError("two series of the same length, at least two values, are needed")
    a, b = _ranks(left), _ranks(right)
    mean = (len(a) + 1) / 2
    covariance = sum((x - mean) * (y - mean) for x, y in zip(a, b, strict=True))
    spread = math.sqrt(sum((x - mean) ** 2 for x in a) * sum((y - mean) ** 2 for y in b))
    return covariance / spread if spread else 0.0


def _ranks(values: Sequence[float]) -> list[float]:
    order = sorted(range(len(values)), key=lambda index: values[index])
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for position in range(start, end + 1):
            ranks[order[position]] = (start + end) / 2 + 1
        start = end + 1
    return ranks


def _utf8_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise InvalidInput(f"cannot read the file: {exc.strerror or exc}", file=str(path)) from None
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"not UTF-8 text (byte {exc.start})", file=str(path)) from None


def _csv_rows(path: Path, required: Sequence[str]) -> list[tuple[str, dict[str, str]]]:
    """The rows of a UTF-8 CSV file with a header, named ``row N`` (counted from 1)."""
    text = _utf8_text(path)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [column for column in required if column not in (reader.fieldnames or ())]
    if missing:
        raise InvalidInput(
            f"missing columns: {', '.join(missing)}", file=str(path), record="header"
        )
    rows: list[tuple[str, dict[str, str]]] = []
    for number, row in enumerate(reader, start=1):
        if None in row or any(value is None for value in row.values()):
            raise InvalidInput(
                "the row does not have the header's columns", file=str(path), record=f"row {number}"
            )
        rows.append((f"row {number}", row))
    return rows


def name_key(name: str, schema: str) -> str:
    """A name's tokens, sorted: two names with the same key differ only in order and form."""
    return " ".join(sorted(normalise_name(name, schema).tokens))


def find_sources(
    queries: Sequence[EntityProxy], entities: Iterable[EntityProxy]
) -> list[str | None]:
    """For each query, the id of the one entity it was drawn from, or None.

    The source is the entity with a name of the same tokens (order and form aside) and, where
    several have one, the birth date the query gives; a query whose name no entity has, or that
    several entities share with nothing to tell them apart, has None.
    """
    by_key: dict[str, list[EntityProxy]] = {}
    for entity in entities:
        keys = {
            name_key(name, entity.schema.name) for name in entity.get_type_values(registry.name)
        }
        for key in keys:
            by_key.setdefault(key, []).append(entity)
    sources: list[str | None] = []
    for query in queries:
        found: dict[str, EntityProxy] = {}
        for name in query.get("name"):
            for entity in by_key.get(name_key(name, query.schema.name), []):
                found[str(entity.id)] = entity
        if len(found) > 1:
            born = set(query.get("birthDate"))
            found = {
                key: e for key, e in found.items() if born & set(e.get("birthDate", quiet=True))
            }
        sources.append(next(iter(found)) if len(found) == 1 else None)
    return sources
