"""Emit the demo world's custody events as GS1 EPCIS 2.0 JSON, with oresight's ``ore:`` extension.

Events are plain JSON objects, written as a user's own system would write them. Every id and time
comes from the seeded random generator, so a seed always yields the same bytes. Times are kept in
UTC while building and written in the local offset of the site where the event happened.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from random import Random
from typing import Any

from oresight.core.custody import ORE_NAMESPACE
from oresight.sim.world import (
    EU_SUMMER_TIME,
    PARTY_BY_KEY,
    SITE_BY_KEY,
    UTC_OFFSET_HOURS,
    party_gln,
    site_id,
)

TRANSPORT_MODE_FIELD = "ore:transportMode"
"""oresight's EPCIS event field naming how a lot travels (``road``, ``sea``)."""

EPCIS_CONTEXT: list[Any] = [
    "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
    {"ore": ORE_NAMESPACE},
]


@dataclass
class Lot:
    """A lot of bulk material while the world is being built: where it is, whose, since when."""

    epc_class: str
    mineral: str
    form: str
    grade: float
    amount: float
    uom: str
    owner: str
    """Party key."""
    site: str
    """Site key."""
    at: datetime
    """UTC time of the lot's latest event."""

    def kg(self) -> float:
        """The lot's mass in kilograms."""
        return self.amount * (1000.0 if self.uom == "TNE" else 1.0)

    def element_kg(self) -> float:
        """Mass of contained element in kilograms."""
        return self.kg() * self.grade / 100.0

    def quantity(self) -> dict[str, Any]:
        """The lot as an EPCIS quantity element."""
        return {"epcClass": self.epc_class, "quantity": self.amount, "uom": self.uom}


def utc_offset(country: str, when: datetime) -> timedelta:
    """The local UTC offset of a country at a moment; EU summer time where it applies."""
    hours = UTC_OFFSET_HOURS[country]
    if country in EU_SUMMER_TIME:
        start = _last_sunday(when.year, 3)
        end = _last_sunday(when.year, 10)
        if start <= when < end:
            hours += 1
    return timedelta(hours=hours)


def _last_sunday(year: int, month: int) -> datetime:
    # EU summer time switches at 01:00 UTC on the last Sunday of March and of October.
    day = datetime(year, month, 31, 1, tzinfo=UTC)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def local_day(site_key: str, when: datetime) -> str:
    """The ISO calendar day of a UTC moment where the site is (as its events are written)."""
    return _local_time(site_key, when)[0][:10]


def local_time(site_key: str, when: datetime) -> str:
    """A UTC moment as the site's events write it: local time with its offset, to the second."""
    return _local_time(site_key, when)[0]


def _local_time(site_key: str, when: datetime) -> tuple[str, str]:
    offset = utc_offset(SITE_BY_KEY[site_key].country, when)
    local = when.astimezone(timezone(offset))
    text = local.isoformat(timespec="seconds")
    return text, text[-6:]


@dataclass
class _Recorded:
    document: str
    site: str
    when: datetime
    seq: int
    event: dict[str, Any]


@dataclass(frozen=True)
class Sighting:
    """Which lots (or containers) one recorded event places at one site."""

    site: str
    """Site key."""
    identifiers: tuple[str, ...]


class EventLog:
    """Collects the events of one chain (``cobalt``, ``3t``) and sorts them into documents."""

    def __init__(self, rng: Random, chain: str) -> None:
        self.rng = rng
        self.chain = chain
        self._events: list[_Recorded] = []
        self._serials: dict[str, int] = {}

    # -- ids -----------------------------------------------------------------------------------

    def event_id(self) -> str:
        """A deterministic ``urn:uuid:`` (version 4 layout, bits from the seeded generator)."""
        return f"urn:uuid:{uuid.UUID(int=self.rng.getrandbits(128), version=4)}"

    def serial(self, series: str) -> int:
        """The next serial of a series: a seeded start, then seeded gaps, so never repeated."""
        previous = self._serials.get(series)
        current = (
            self.rng.randint(100, 900) if previous is None else previous + self.rng.randint(1, 9)
        )
        self._serials[series] = current
        return current

    def lot_class(self, party: str, item_ref: str, code: str) -> str:
        """An LGTIN class for a new lot of ``party``'s product ``item_ref``."""
        prefix = PARTY_BY_KEY[party].gs1_prefix
        return f"urn:epc:class:lgtin:{prefix}.{item_ref}.{code}{self.serial(party + code):05d}"

    def sscc(self, party: str) -> str:
        """A container SSCC under ``party``'s GS1 prefix."""
        prefix = PARTY_BY_KEY[party].gs1_prefix or "6170000"
        serial = f"0{self.serial('sscc-' + party):09d}"
        return f"urn:epc:id:sscc:{prefix}.{serial}"

    def transaction(self, kind: str, party: str) -> dict[str, str]:
        """A CBV business transaction (``desadv``, ``inv``, ``bol``) issued by ``party``."""
        number = self.serial(f"bt-{kind}-{party}")
        gln = party_gln(PARTY_BY_KEY[party])
        return {
            "type": kind,
            "bizTransaction": f"urn:epcglobal:cbv:bt:{gln}:{kind.upper()}-{number}",
        }

    # -- time ----------------------------------------------------------------------------------

    def after(self, when: datetime, low_hours: float, high_hours: float) -> datetime:
        """A moment between ``low_hours`` and ``high_hours`` after ``when``, to the minute."""
        minutes = self.rng.randint(round(low_hours * 60), round(high_hours * 60))
        return when + timedelta(minutes=minutes)

    # -- events --------------------------------------------------------------------------------

    def _emit(self, site_key: str, when: datetime, body: dict[str, Any]) -> str:
        event_type = body.pop("type")
        if body.get("bizTransactionList") == []:
            # An informal purchase comes with no paperwork at all.
            del body["bizTransactionList"]
        time_text, offset = _local_time(site_key, when)
        location = {"id": site_id(SITE_BY_KEY[site_key])}
        event: dict[str, Any] = {
            "type": event_type,
            "eventID": self.event_id(),
            "eventTime": time_text,
            "eventTimeZoneOffset": offset,
        }
        event.update(body)
        event["readPoint"] = location
        event["bizLocation"] = location
        document = f"{self.chain}-{SITE_BY_KEY[site_key].tier}"
        self._events.append(_Recorded(document, site_key, when, len(self._events), event))
        return str(event["eventID"])

    @staticmethod
    def _mode(mode: str | None) -> dict[str, str]:
        # oresight's EPCIS extension: how the lot travels on the leg this event starts or ends.
        return {} if mode is None else {TRANSPORT_MODE_FIELD: mode}

    @staticmethod
    def _parties(kind: str, owner: str, holder: str) -> list[dict[str, str]]:
        return [
            {"type": "owning_party", kind: PARTY_BY_KEY[owner].id},
            {"type": "possessing_party", kind: PARTY_BY_KEY[holder].id},
        ]

    def commission(self, lot: Lot) -> str:
        """Record the extraction of a lot at its site: ObjectEvent ADD with the ore master data."""
        return self._emit(
            lot.site,
            lot.at,
            {
                "type": "ObjectEvent",
                "action": "ADD",
                "bizStep": "commissioning",
                "disposition": "active",
                "quantityList": [lot.quantity()],
                "sourceList": self._parties("source", lot.owner, lot.owner),
                "destinationList": self._parties("destination", lot.owner, lot.owner),
                "ilmd": _ilmd(lot),
            },
        )

    def ship(
        self,
        lots: list[Lot],
        *,
        when: datetime,
        buyer: str,
        carrier: str,
        transactions: list[dict[str, str]],
        mode: str | None = None,
    ) -> str:
        """Shipping at the lots' current site; the carrier takes possession for the buyer."""
        seller = lots[0].owner
        return self._emit(
            lots[0].site,
            when,
            {
                "type": "ObjectEvent",
                "action": "OBSERVE",
                "bizStep": "shipping",
                "disposition": "in_transit",
                "quantityList": [lot.quantity() for lot in lots],
                "bizTransactionList": transactions,
                "sourceList": self._parties("source", seller, seller),
                "destinationList": self._parties("destination", buyer, carrier),
                **self._mode(mode),
            },
        )

    def receive(
        self,
        lots: list[Lot],
        site: str,
        *,
        when: datetime,
        seller: str,
        buyer: str,
        carrier: str,
        transactions: list[dict[str, str]],
        mode: str | None = None,
    ) -> str:
        """Receiving at ``site``; the site's operator takes possession for the buyer."""
        holder = SITE_BY_KEY[site].operator or buyer
        return self._emit(
            site,
            when,
            {
                "type": "ObjectEvent",
                "action": "OBSERVE",
                "bizStep": "receiving",
                "disposition": "in_progress",
                "quantityList": [lot.quantity() for lot in lots],
                "bizTransactionList": transactions,
                "sourceList": self._parties("source", seller, carrier),
                "destinationList": self._parties("destination", buyer, holder),
                **self._mode(mode),
            },
        )

    def border(
        self,
        lots: list[Lot],
        site: str,
        step: str,
        *,
        when: datetime,
        carrier: str,
        transactions: list[dict[str, str]],
        mode: str | None = None,
    ) -> str:
        """A ``departing`` or ``arriving`` event at a border post."""
        return self._emit(
            site,
            when,
            {
                "type": "ObjectEvent",
                "action": "OBSERVE",
                "bizStep": step,
                "disposition": "in_transit",
                "quantityList": [lot.quantity() for lot in lots],
                "bizTransactionList": transactions,
                "sourceList": self._parties("source", lots[0].owner, carrier),
                "destinationList": self._parties("destination", lots[0].owner, carrier),
                **self._mode(mode),
            },
        )

    def transform(self, inputs: list[Lot], output: Lot) -> str:
        """A TransformationEvent consuming ``inputs`` whole and producing ``output`` at its site."""
        return self._emit(
            output.site,
            output.at,
            {
                "type": "TransformationEvent",
                "bizStep": "commissioning",
                "disposition": "active",
                "inputQuantityList": [lot.quantity() for lot in inputs],
                "outputQuantityList": [output.quantity()],
                "ilmd": _ilmd(output),
            },
        )

    def aggregate(
        self, container: str, lots: list[Lot], site: str, *, when: datetime, action: str
    ) -> str:
        """Packing (``ADD``) lots into, or unpacking (``DELETE``) them from, a container."""
        return self._emit(
            site,
            when,
            {
                "type": "AggregationEvent",
                "action": action,
                "bizStep": "packing" if action == "ADD" else "unpacking",
                "disposition": "container_closed" if action == "ADD" else "container_open",
                "parentID": container,
                "childQuantityList": [lot.quantity() for lot in lots],
            },
        )

    # -- documents -----------------------------------------------------------------------------

    def documents(self) -> dict[str, dict[str, Any]]:
        """One EPCIS document per (chain, tier), events in time order, keyed by file stem."""
        grouped: dict[str, list[_Recorded]] = defaultdict(list)
        for recorded in self._events:
            grouped[recorded.document].append(recorded)
        documents: dict[str, dict[str, Any]] = {}
        for name in sorted(grouped):
            records = sorted(grouped[name], key=lambda r: (r.when, r.seq))
            # The creator exports its events a day after the last of them.
            created = records[-1].when + timedelta(days=1)
            documents[name] = {
                "@context": EPCIS_CONTEXT,
                "id": f"https://id.oresight.example/epcis/{name}",
                "type": "EPCISDocument",
                "schemaVersion": "2.0",
                "creationDate": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "epcisBody": {"eventList": [r.event for r in records]},
            }
        return documents

    def sightings(self) -> list[Sighting]:
        """What each event places where, in time order, read as the custody lineage reads it.

        Commissioning, movements and transformations (inputs and outputs) place their lots;
        packing a container places the container, not the lots inside it.
        """
        found = []
        for recorded in sorted(self._events, key=lambda r: (r.when, r.seq)):
            event = recorded.event
            if event["type"] == "AggregationEvent":
                listed = [event["parentID"]] if event["action"] == "ADD" else []
            else:
                entries = [
                    *event.get("quantityList", ()),
                    *event.get("inputQuantityList", ()),
                    *event.get("outputQuantityList", ()),
                ]
                listed = [str(entry["epcClass"]) for entry in entries]
            if listed:
                found.append(Sighting(recorded.site, tuple(listed)))
        return found

    def event_count(self) -> int:
        """How many events have been recorded."""
        return len(self._events)

    @property
    def last_event_id(self) -> str:
        """The id of the event recorded last."""
        return str(self._events[-1].event["eventID"])

    def _listing(self, epc_class: str, biz_step: str) -> list[_Recorded]:
        found = [
            r
            for r in self._events
            if r.event.get("bizStep") == biz_step
            and any(q["epcClass"] == epc_class for q in r.event.get("quantityList", ()))
        ]
        if not found:
            raise LookupError(f"no {biz_step} event lists {epc_class}")
        return sorted(found, key=lambda r: (r.when, r.seq))

    def first_time(self, epc_class: str, biz_step: str) -> datetime:
        """UTC time of the earliest recorded event with ``biz_step`` that lists ``epc_class``."""
        return self._listing(epc_class, biz_step)[0].when

    def event_ids(self, epc_class: str, biz_step: str) -> list[str]:
        """Ids of the ObjectEvents with ``biz_step`` that list ``epc_class``, in time order."""
        return [str(r.event["eventID"]) for r in self._listing(epc_class, biz_step)]


def _ilmd(lot: Lot) -> dict[str, Any]:
    return {"ore:mineral": lot.mineral, "ore:form": lot.form, "ore:gradePercent": lot.grade}
