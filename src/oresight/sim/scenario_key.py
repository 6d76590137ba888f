"""The answer key of a generated scenario: what was planted where, and which lots are clean.

Every planted problem names the finding a rule must raise for it: its code and its subject, the
subject the rule reports on (a lot, an event, a site or a country, as each rule's docstring says).
Some problems also make another rule raise a finding that is correct but not the one planted:
material of unverified origin fails the UNTP mass balance of every facility that processes it
(see :mod:`oresight.custody.mass_balance`). Those are listed as *related*: a finding that matches
one is neither a hit nor a false alarm. ``answer_key.json`` holds the same key with file paths
relative to the scenario folder; :func:`load_answer_key` reads it back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from oresight.core.errors import InvalidInput
from oresight.core.findings import FindingCode
from oresight.sim.scenario_noise import Noise

KEY_FILE = "answer_key.json"
KEY_VERSION = 1


class ProblemKind(StrEnum):
    """The problems a scenario can plant, one per problem chain."""

    BROKEN_CHAIN = "broken_chain"
    MASS_BALANCE = "mass_balance"
    TAG_REUSE = "tag_reuse"
    IMPOSSIBLE_TRAVEL = "impossible_travel"
    ORIGIN_OVERPRODUCTION = "origin_overproduction"
    UNLICENSED_ORIGIN = "unlicensed_origin"
    PROTECTED_AREA_ORIGIN = "protected_area_origin"
    CAHRA = "cahra"
    TRANSIT_COUNTRY = "transit_country"

    @property
    def code(self) -> FindingCode:
        """The finding code a rule must raise for this problem."""
        return PROBLEM_CODES[self]


PROBLEM_CODES: dict[ProblemKind, FindingCode] = {
    ProblemKind.BROKEN_CHAIN: FindingCode.CUSTODY_BROKEN_CHAIN,
    ProblemKind.MASS_BALANCE: FindingCode.CUSTODY_MASS_BALANCE,
    ProblemKind.TAG_REUSE: FindingCode.CUSTODY_TAG_REUSE,
    ProblemKind.IMPOSSIBLE_TRAVEL: FindingCode.CUSTODY_IMPOSSIBLE_TRAVEL,
    ProblemKind.ORIGIN_OVERPRODUCTION: FindingCode.CUSTODY_ORIGIN_OVERPRODUCTION,
    ProblemKind.UNLICENSED_ORIGIN: FindingCode.CUSTODY_UNLICENSED_ORIGIN,
    ProblemKind.PROTECTED_AREA_ORIGIN: FindingCode.SITE_PROTECTED_AREA_ORIGIN,
    ProblemKind.CAHRA: FindingCode.ORIGIN_CAHRA,
    ProblemKind.TRANSIT_COUNTRY: FindingCode.ORIGIN_TRANSIT_COUNTRY,
}

CUSTODY_PROBLEMS: tuple[ProblemKind, ...] = tuple(
    kind for kind in ProblemKind if kind.code.value.startswith("CUSTODY.")
)
"""The problems of the custody rules proper (the detection target applies to these)."""


@dataclass(frozen=True)
class KeyEntry:
    """A finding the analyses should raise: its code, its subject, and the chain it comes from."""

    code: str
    subject_type: str
    subject_id: str
    chain: str
    problem: str
    """The :class:`ProblemKind` planted in the chain."""
    description: str


@dataclass(frozen=True)
class ChainSummary:
    """One chain of the scenario: its mineral, its problem (``None``: clean), its sites and lots."""

    id: str
    commodity: str
    problem: str | None
    variant: str | None
    """How the problem was planted (``laundered`` or ``backdated`` lot, ...)."""
    sites: tuple[str, ...]
    lots: tuple[str, ...]


@dataclass(frozen=True)
class ScenarioParams:
    """What a scenario was generated from."""

    chains: int
    problem_rate: float
    seed: int
    noise: Noise
    kinds: tuple[str, ...]
    """The problem kinds that could be planted."""


@dataclass(frozen=True)
class AnswerKey:
    """The files of a generated scenario and what was planted in them."""

    root: Path
    files: tuple[Path, ...]
    """Sites, parties and event documents, in a stable order."""
    production_dir: Path
    """The USGS-format production tables the transit-country check needs."""
    params: ScenarioParams
    planted: tuple[KeyEntry, ...]
    related: tuple[KeyEntry, ...]
    """Findings a correct rule also raises as a consequence of a planted problem."""
    clean_lots: tuple[str, ...]
    """Every lot of the chains planted with nothing, origin to final product."""
    chains: tuple[ChainSummary, ...]


def answer_key_json(key: AnswerKey) -> dict[str, Any]:
    """The key as JSON, file paths relative to its root."""
    params = key.params
    return {
        "version": KEY_VERSION,
        "params": {
            "chains": params.chains,
            "problem_rate": params.problem_rate,
            "seed": params.seed,
            "noise": params.noise.as_json(),
            "kinds": list(params.kinds),
        },
        "files": [path.relative_to(key.root).as_posix() for path in key.files],
        "production_dir": key.production_dir.relative_to(key.root).as_posix(),
        "planted": [_entry_json(entry) for entry in key.planted],
        "related": [_entry_json(entry) for entry in key.related],
        "clean_lots": list(key.clean_lots),
        "chains": [
            {
                "id": chain.id,
                "commodity": chain.commodity,
                "problem": chain.problem,
                "variant": chain.variant,
                "sites": list(chain.sites),
                "lots": list(chain.lots),
            }
            for chain in key.chains
        ],
    }


def write_answer_key(key: AnswerKey) -> Path:
    """Write ``answer_key.json`` in the key's root; return its path."""
    path = key.root / KEY_FILE
    text = json.dumps(answer_key_json(key), indent=2, ensure_ascii=False) + "\n"
    path.write_bytes(text.encode("utf-8"))
    return path


def load_answer_key(path: Path) -> AnswerKey:
    """Read an ``answer_key.json``; paths in it are resolved against its folder.

    Raises :class:`InvalidInput` naming the file and field of anything missing or malformed.
    """
    where = str(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInput(f"cannot read the answer key: {exc.strerror}", file=where) from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"malformed JSON: {exc.msg}", file=where) from None
    if not isinstance(data, dict) or data.get("version") != KEY_VERSION:
        raise InvalidInput(f"expected an answer key of version {KEY_VERSION}", file=where)
    root = path.parent
    try:
        raw = data["params"]
        params = ScenarioParams(
            chains=int(raw["chains"]),
            problem_rate=float(raw["problem_rate"]),
            seed=int(raw["seed"]),
            noise=Noise.from_json(raw["noise"]),
            kinds=tuple(str(kind) for kind in raw["kinds"]),
        )
        return AnswerKey(
            root=root,
            files=tuple(root / name for name in data["files"]),
            production_dir=root / data["production_dir"],
            params=params,
            planted=tuple(_entry(item) for item in data["planted"]),
            related=tuple(_entry(item) for item in data["related"]),
            clean_lots=tuple(str(lot) for lot in data["clean_lots"]),
            chains=tuple(
                ChainSummary(
                    id=str(item["id"]),
                    commodity=str(item["commodity"]),
                    problem=item["problem"],
                    variant=item["variant"],
                    sites=tuple(item["sites"]),
                    lots=tuple(item["lots"]),
                )
                for item in data["chains"]
            ),
        )
    except KeyError as exc:
        raise InvalidInput("a required field is missing", file=where, field=str(exc)) from None
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"malformed answer key: {exc}", file=where) from None


def _entry_json(entry: KeyEntry) -> dict[str, str]:
    return {
        "code": entry.code,
        "subject_type": entry.subject_type,
        "subject_id": entry.subject_id,
        "chain": entry.chain,
        "problem": entry.problem,
        "description": entry.description,
    }


def _entry(item: dict[str, Any]) -> KeyEntry:
    return KeyEntry(
        code=str(item["code"]),
        subject_type=str(item["subject_type"]),
        subject_id=str(item["subject_id"]),
        chain=str(item["chain"]),
        problem=str(item["problem"]),
        description=str(item["description"]),
    )
