"""Transport modes and the parameters of CUSTODY.IMPOSSIBLE_TRAVEL.

A :class:`TransportMode` is a way of moving material with the highest average speed it plausibly
reaches; the packaged modes, with their reasoning and sources, are in ``data/travel_speeds.yaml``.
:class:`TravelParams` says which mode a leg with no declared mode is held to and how much clock
difference is allowed; :func:`declared_mode` reads the mode an event declares in its
``ore:transportMode`` field. The rule itself is :mod:`oresight.custody.travel`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from oresight.core.custody import ORE_NAMESPACE, CustodyEvent
from oresight.core.errors import InvalidInput
from oresight.core.yaml_text import first_error, parse_yaml
from oresight.custody.data_files import packaged_file_name, read_packaged_text, read_text_file

SPEEDS_FILE = "travel_speeds.yaml"
TRANSPORT_MODE_TERM = "transportMode"
"""The ``ore:`` event field that declares how a lot travelled."""
DEFAULT_SLACK_HOURS = 0.5


class TransportMode(BaseModel):
    """A way of moving material and the highest average speed it plausibly reaches."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    max_kmh: float = Field(gt=0)
    surface: bool
    rec19: str | None = None
    """UN/CEFACT Recommendation 19 code of the mode, where it has one."""
    reasoning: str = Field(min_length=1)
    sources: tuple[str, ...] = Field(min_length=1)


def load_transport_modes(path: Path | None = None) -> dict[str, TransportMode]:
    """Read transport modes from a speeds file (the packaged ``travel_speeds.yaml`` by default).

    Raises :class:`InvalidInput` naming the file and the mode of an entry that is not valid.
    """
    if path is None:
        return dict(_packaged_modes())
    return _read_modes(read_text_file(path), str(path))


@functools.cache
def _packaged_modes() -> Mapping[str, TransportMode]:
    return _read_modes(read_packaged_text(SPEEDS_FILE), packaged_file_name(SPEEDS_FILE))


def _read_modes(text: str, file: str) -> dict[str, TransportMode]:
    data = parse_yaml(text, file=file)
    modes = data.get("modes") if isinstance(data, dict) else None
    if not isinstance(modes, dict) or not modes:
        raise InvalidInput(
            "expected a non-empty mapping of transport modes", file=file, field="modes"
        )
    parsed: dict[str, TransportMode] = {}
    for name, entry in modes.items():
        if not isinstance(entry, dict):
            raise InvalidInput("expected a mapping", file=file, record=str(name))
        try:
            parsed[str(name)] = TransportMode(name=str(name), **entry)
        except (ValidationError, TypeError) as exc:
            raise InvalidInput(first_error(exc), file=file, record=str(name)) from None
    if not any(mode.surface for mode in parsed.values()):
        raise InvalidInput("no surface transport mode is defined", file=file, field="modes")
    return parsed


@dataclass(frozen=True, kw_only=True)
class TravelParams:
    """How strict the travel check is.

    ``default_mode`` is the mode a leg is held to when neither of its events declares one;
    ``None`` means the fastest surface mode of ``modes``. ``slack_hours`` is added to every
    elapsed time to absorb clock differences between the systems that recorded the events.
    """

    modes: Mapping[str, TransportMode] = field(default_factory=load_transport_modes)
    default_mode: str | None = None
    slack_hours: float = DEFAULT_SLACK_HOURS

    def __post_init__(self) -> None:
        if not self.modes:
            raise InvalidInput("no transport modes given", field="modes")
        if self.default_mode is not None and self.default_mode not in self.modes:
            raise InvalidInput(
                f"unknown transport mode {self.default_mode!r}; expected one of "
                f"{', '.join(sorted(self.modes))}",
                field="default_mode",
            )
        if not math.isfinite(self.slack_hours) or self.slack_hours < 0:
            raise InvalidInput(
                f"expected a number of hours of 0 or more, found {self.slack_hours!r}",
                field="slack_hours",
            )

    def fallback(self) -> TransportMode:
        """The mode a leg with no declared mode is held to."""
        if self.default_mode is not None:
            return self.modes[self.default_mode]
        surface = [m for m in self.modes.values() if m.surface] or list(self.modes.values())
        return max(surface, key=lambda mode: mode.max_kmh)

    def fastest(self) -> TransportMode:
        """The fastest mode of all: beyond it, nothing explains the trip."""
        return max(self.modes.values(), key=lambda mode: mode.max_kmh)

    def mode_named(self, value: object, event: CustodyEvent) -> TransportMode:
        """The mode an ``ore:transportMode`` value names (a mode name or a Rec 19 code)."""
        text = str(value).strip().lower().replace(" ", "_").replace("-", "_")
        for mode in self.modes.values():
            if text == mode.name or (mode.rec19 is not None and text == mode.rec19):
                return mode
        names = ", ".join(sorted(self.modes))
        codes = ", ".join(sorted(m.rec19 for m in self.modes.values() if m.rec19))
        raise InvalidInput(
            f"unknown transport mode {value!r}; expected one of {names} "
            f"(or a UN/CEFACT Rec 19 code: {codes})",
            record=f"eventID {event.event_id}",
            field=f"ore:{TRANSPORT_MODE_TERM}",
        )


def declared_mode(event: CustodyEvent) -> object | None:
    """The raw ``ore:transportMode`` value of an event, or ``None`` where it declares none.

    The field counts as oresight's when its prefix maps to the ``ore`` namespace IRI in the
    document's ``@context``, when it is written as the full IRI, or with the undeclared prefix
    ``ore`` (a common slip).
    """
    for key in _mode_keys(tuple(event.namespaces.items())):
        value: object = event.extensions.get(key)
        if value is not None and value != "":
            return value
    return None


@functools.lru_cache(maxsize=256)
def _mode_keys(namespaces: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    # The keys the field may be written under, given the document's prefixes: asked for every
    # event, from the few @context declarations a record uses.
    prefixes = [p for p, iri in namespaces if iri == ORE_NAMESPACE]
    if "ore" not in dict(namespaces):
        prefixes.append("ore")
    return (*(f"{p}:{TRANSPORT_MODE_TERM}" for p in prefixes), ORE_NAMESPACE + TRANSPORT_MODE_TERM)
