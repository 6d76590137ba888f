"""Measurement noise for generated scenarios: weighing error, clock skew, optional fields left out.

The chains are first built exactly; the noise is then laid over the files as real systems would
blur them, drawn from a generator of its own so that the same seed gives the same chains with or
without noise:

* **Weighing.** Every site weighs a lot once, when it creates or receives it, and keeps using that
  figure (when it ships the lot, packs it, or feeds it to a transformation). Border posts weigh
  nothing: their events carry the shipping papers' figure. Each weighing is off by a relative
  error within the bound (±2 % by default): drawn from a normal distribution whose standard
  deviation is half the bound, clipped to it (the bound is then the usual 95 % expanded
  uncertainty of a scale), or, with ``weighing_spread="uniform"``, spread evenly over the whole
  band (the harshest reading of "±2 %").
* **Clocks.** Every site's recording system runs a fixed offset off true time, drawn uniformly
  within ±``clock_skew_minutes``; all events the site records carry it. Local offsets are kept.
* **Optional fields.** Each optional field of each record is left out with the given chance:
  of an event, its business transactions, disposition, read point (the business location stays)
  and party lists; of a site, its name, operator and RMI smelter id; of a party, every property
  but its name.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from random import Random
from typing import Any, Literal

from oresight.core.errors import InvalidInput

QUANTITY_LISTS = ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList")
BORDER_STEPS = frozenset({"departing", "arriving"})
OPTIONAL_EVENT_FIELDS: tuple[tuple[str, ...], ...] = (
    ("bizTransactionList",),
    ("disposition",),
    ("readPoint",),
    ("sourceList", "destinationList"),
)
"""Fields of an event that may be left out; a tuple is left out together."""
OPTIONAL_SITE_PROPERTIES = ("name", "operator", "rmi_smelter_id")
DECIMALS_BY_UNIT = {"TNE": 3, "KGM": 1}


@dataclass(frozen=True, kw_only=True)
class Noise:
    """How much the files of a scenario differ from what really happened."""

    weighing_error: float = 0.02
    """Bound of the relative error of one weighing (0.02: ±2 %)."""
    weighing_spread: Literal["normal", "uniform"] = "normal"
    """How errors spread within the bound: normal (sigma = bound / 2, clipped) or uniform."""
    clock_skew_minutes: float = 10.0
    """Bound of each site's clock offset, in minutes."""
    missing_optional_rate: float = 0.1
    """Chance that each optional field of a record is left out."""

    def __post_init__(self) -> None:
        if not (math.isfinite(self.weighing_error) and 0 <= self.weighing_error < 0.5):
            raise InvalidInput(
                f"expected a fraction from 0 up to 0.5, found {self.weighing_error!r}",
                field="weighing_error",
            )
        if self.weighing_spread not in ("normal", "uniform"):
            raise InvalidInput(
                f"expected 'normal' or 'uniform', found {self.weighing_spread!r}",
                field="weighing_spread",
            )
        if not (math.isfinite(self.clock_skew_minutes) and self.clock_skew_minutes >= 0):
            raise InvalidInput(
                f"expected minutes of 0 or more, found {self.clock_skew_minutes!r}",
                field="clock_skew_minutes",
            )
        if not 0 <= self.missing_optional_rate <= 1:
            raise InvalidInput(
                f"expected a chance from 0 to 1, found {self.missing_optional_rate!r}",
                field="missing_optional_rate",
            )

    @classmethod
    def none(cls) -> Noise:
        """No noise at all: the files record exactly what happened."""
        return cls(weighing_error=0.0, clock_skew_minutes=0.0, missing_optional_rate=0.0)

    def as_json(self) -> dict[str, float | str]:
        """The settings as JSON."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Noise:
        """Settings read back from :meth:`as_json`."""
        return cls(
            weighing_error=float(data["weighing_error"]),
            weighing_spread=data.get("weighing_spread", "normal"),
            clock_skew_minutes=float(data["clock_skew_minutes"]),
            missing_optional_rate=float(data["missing_optional_rate"]),
        )


def apply_noise(
    documents: Iterable[dict[str, Any]],
    features: Iterable[dict[str, Any]],
    entities: Iterable[dict[str, Any]],
    *,
    noise: Noise,
    rng: Random,
    unweighed_locations: frozenset[str],
) -> None:
    """Blur EPCIS documents, GeoJSON site features and FtM entities in place.

    ``unweighed_locations`` are the ids of places that weigh nothing (border posts).
    """
    events = [event for document in documents for event in document["epcisBody"]["eventList"]]
    _weigh(events, noise, rng, unweighed_locations)
    _skew_clocks(events, noise, rng)
    rate = noise.missing_optional_rate
    if rate <= 0:
        return
    for event in events:
        for group in OPTIONAL_EVENT_FIELDS:
            if rng.random() < rate:
                for name in group:
                    event.pop(name, None)
    for feature in features:
        properties = feature["properties"]
        for name in OPTIONAL_SITE_PROPERTIES:
            if name in properties and rng.random() < rate:
                del properties[name]
    for entity in entities:
        properties = entity["properties"]
        for name in sorted(properties):
            if name != "name" and rng.random() < rate:
                del properties[name]


def event_location(event: Mapping[str, Any]) -> str | None:
    """The id of an event's business location, else of its read point."""
    for key in ("bizLocation", "readPoint"):
        place = event.get(key)
        if isinstance(place, Mapping) and place.get("id"):
            return str(place["id"])
    return None


def _weigh(
    events: list[dict[str, Any]], noise: Noise, rng: Random, unweighed: frozenset[str]
) -> None:
    bound = noise.weighing_error
    if bound <= 0:
        return
    factors: dict[tuple[str, str | None], float] = {}
    carried: dict[str, float] = {}
    ordered = sorted(enumerate(events), key=lambda pair: (_time(pair[1]), pair[0]))
    for _, event in ordered:
        location = event_location(event)
        on_papers = location in unweighed or event.get("bizStep") in BORDER_STEPS
        for list_name in QUANTITY_LISTS:
            for entry in event.get(list_name, ()):
                lot = str(entry["epcClass"])
                if on_papers and lot in carried:
                    factor = carried[lot]
                else:
                    key = (lot, location)
                    if key not in factors:
                        factors[key] = 1.0 + _weighing_error(noise, rng)
                    factor = factors[key]
                carried[lot] = factor
                decimals = DECIMALS_BY_UNIT.get(str(entry.get("uom")), 3)
                entry["quantity"] = round(float(entry["quantity"]) * factor, decimals)


def _weighing_error(noise: Noise, rng: Random) -> float:
    bound = noise.weighing_error
    if noise.weighing_spread == "uniform":
        return rng.uniform(-bound, bound)
    return max(-bound, min(bound, rng.gauss(0.0, bound / 2)))


def _skew_clocks(events: list[dict[str, Any]], noise: Noise, rng: Random) -> None:
    bound = noise.clock_skew_minutes
    if bound <= 0:
        return
    locations = sorted({event_location(event) or "" for event in events})
    offsets = {
        place: timedelta(seconds=round(rng.uniform(-bound, bound) * 60)) for place in locations
    }
    for event in events:
        shifted = _time(event) + offsets[event_location(event) or ""]
        event["eventTime"] = shifted.isoformat(timespec="seconds")


def _time(event: Mapping[str, Any]) -> datetime:
    return datetime.fromisoformat(str(event["eventTime"]))
