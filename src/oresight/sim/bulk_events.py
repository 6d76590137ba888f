"""EPCIS 2.0 events of a bulk world, written as JSON text as they are made.

A million events do not fit comfortably in memory as Python dictionaries, so each event is
serialised the moment it is recorded and the text of whole chains goes to disk
``per_file`` events at a time, one EPCIS document per file (:class:`EventWriter`). The helpers
below give the bodies of the few kinds of event a bulk chain records, in the shape
:mod:`oresight.sim.epcis_builder` gives the demo world's.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from random import Random
from typing import Any

from oresight.core.custody import ORE_NAMESPACE
from oresight.sim.bulk_places import OFFSETS, BulkPlaces, Place

EPCIS_CONTEXT: list[Any] = [
    "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
    {"ore": ORE_NAMESPACE},
]


@dataclass
class BulkLot:
    """A lot while its chain is being built: what it is, how much, where and whose."""

    id: str
    mineral: str
    form: str
    grade: float
    tonnes: float
    at: Place
    owner: str
    """FtM id of the owning party."""


@dataclass
class EventWriter:
    """Numbers events, lots and documents; writes whole chains to EPCIS files."""

    rng: Random
    places: BulkPlaces
    folder: Path
    per_file: int
    files: list[Path] = field(default_factory=list)
    events: int = 0
    lots: int = 0
    last: datetime = datetime(2000, 1, 1)
    """UTC time of the event recorded last."""
    _buffer: list[str] = field(default_factory=list)
    _serials: Counter[str] = field(default_factory=Counter)

    def lot_id(self, owner: str, item: str) -> str:
        """A new LGTIN class under the owner's GS1 prefix."""
        self.lots += 1
        self._serials[owner] += 1
        prefix = self.places.prefix(owner)
        return f"urn:epc:class:lgtin:{prefix}.0{item}.L{self._serials[owner]:06d}"

    def transaction(self, issuer: str) -> list[dict[str, str]]:
        """A despatch advice issued by ``issuer``, as a business transaction list."""
        self._serials["desadv " + issuer] += 1
        number = self._serials["desadv " + issuer]
        reference = f"urn:epcglobal:cbv:bt:{self.places.gln(issuer)}:DESADV-{number}"
        return [{"type": "desadv", "bizTransaction": reference}]

    def emit(self, at: Place, when: datetime, body: dict[str, Any]) -> str:
        """Record an event at ``at`` (UTC ``when``, written in the site's local time); its id."""
        offset = OFFSETS[at.country]
        local = (when + timedelta(hours=offset)).isoformat(timespec="seconds")
        event_id = f"urn:uuid:{uuid.UUID(int=self.rng.getrandbits(128), version=4)}"
        read_point = body.pop("readPoint", at.id)
        event = {
            "type": body.pop("type", "ObjectEvent"),
            "eventID": event_id,
            "eventTime": f"{local}+{offset:02d}:00",
            "eventTimeZoneOffset": f"+{offset:02d}:00",
            **body,
            "readPoint": {"id": read_point},
            "bizLocation": {"id": at.id},
        }
        self._buffer.append(json.dumps(event, separators=(",", ":")))
        self.events += 1
        self.last = when
        return event_id

    def end_chain(self, *, last: bool = False) -> None:
        """Write the events recorded so far to a new document, once there are ``per_file`` of
        them (or at the ``last`` chain)."""
        if not self._buffer or (len(self._buffer) < self.per_file and not last):
            return
        path = self.folder / f"bulk-{len(self.files) + 1:04d}.jsonld"
        head = {
            "@context": EPCIS_CONTEXT,
            "id": f"https://id.oresight.example/epcis/{path.stem}",
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": "2024-01-15T00:00:00Z",
        }
        text = json.dumps(head)[:-1] + ', "epcisBody": {"eventList": [\n'
        text += ",\n".join(self._buffer) + "\n]}}\n"
        path.write_bytes(text.encode("utf-8"))
        self.files.append(path)
        self._buffer.clear()


def quantity(lot: BulkLot) -> dict[str, Any]:
    """The lot as an EPCIS quantity element, in tonnes."""
    return {"epcClass": lot.id, "quantity": lot.tonnes, "uom": "TNE"}


def parties(kind: str, owner: str, holder: str) -> list[dict[str, str]]:
    """A source or destination list (``kind``): the owning and the possessing party."""
    return [{"type": "owning_party", kind: owner}, {"type": "possessing_party", kind: holder}]


def master_data(lot: BulkLot) -> dict[str, Any]:
    """The lot's ``ore:`` master data (ilmd)."""
    return {"ore:mineral": lot.mineral, "ore:form": lot.form, "ore:gradePercent": lot.grade}


def inspection(lot: BulkLot) -> dict[str, Any]:
    """Weighing or sampling the lot where it is (not a movement)."""
    return {"action": "OBSERVE", "bizStep": "inspecting", "quantityList": [quantity(lot)]}


def movement(
    lot: BulkLot,
    step: str,
    mode: str | None = None,
    *,
    transactions: list[dict[str, str]] | None = None,
    sources: list[dict[str, str]] | None = None,
    destinations: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """A movement step (loading, shipping, receiving, storing, ...) of one lot, with how it
    travels (``ore:transportMode``) where it says."""
    body: dict[str, Any] = {"action": "OBSERVE", "bizStep": step, "quantityList": [quantity(lot)]}
    if transactions:
        body["bizTransactionList"] = transactions
    if sources:
        body["sourceList"] = sources
    if destinations:
        body["destinationList"] = destinations
    if mode is not None:
        body["ore:transportMode"] = mode
    return body
