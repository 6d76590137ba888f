"""The steps that every demo chain is made of: extract, move (by road or sea), transform, blend.

Each step records its EPCIS events in an :class:`EventLog` and updates the lots it touches (where
they are, whose, since when). Durations are drawn from ranges that fit the real distances, so that
travel-time checks find nothing to object to in the clean chains.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from oresight.sim.epcis_builder import EventLog, Lot
from oresight.sim.world import SITE_BY_KEY

SHIPPING_LINE = "indigo-lines"


@dataclass(frozen=True)
class Crossing:
    """A border post on a road leg: hours of driving before it, hours of queueing at it."""

    site: str
    hours_before: tuple[float, float]
    queue_hours: tuple[float, float]


def extract(
    log: EventLog,
    site: str,
    *,
    when: datetime,
    product: tuple[str, str],
    mineral: str,
    form: str,
    grade: tuple[float, float],
    amount: tuple[float, float],
    uom: str,
) -> Lot:
    """Commission a new lot at an extraction site, owned by the site's operator."""
    operator = SITE_BY_KEY[site].operator
    if operator is None:
        raise ValueError(f"demo site {site} has no operator to own its lots")
    lot = new_lot(
        log,
        operator,
        product,
        mineral=mineral,
        form=form,
        site=site,
        when=when,
        grade=round(log.rng.uniform(*grade), 2),
        amount=log.rng.uniform(*amount),
        uom=uom,
    )
    log.commission(lot)
    return lot


def new_lot(
    log: EventLog,
    owner: str,
    product: tuple[str, str],
    *,
    mineral: str,
    form: str,
    site: str,
    when: datetime,
    grade: float,
    amount: float,
    uom: str,
) -> Lot:
    """A lot object under ``owner``'s GS1 prefix; records nothing."""
    item_ref, code = product
    year = f"{when.year % 100:02d}"
    rounded = round(amount, 3) if uom == "TNE" else round(amount, 1)
    return Lot(
        log.lot_class(owner, item_ref, code + year),
        mineral,
        form,
        grade,
        rounded,
        uom,
        owner,
        site,
        when,
    )


def move(
    log: EventLog,
    lots: list[Lot],
    to: str,
    *,
    buyer: str,
    carrier: str,
    days: tuple[float, float],
    wait_hours: tuple[float, float] = (2, 30),
    via: Crossing | None = None,
) -> datetime:
    """Ship lots by road from where they are to ``to``; title passes to ``buyer`` at shipping.

    Returns the arrival time. ``days`` is the driving time after the border, if any.
    """
    seller = lots[0].owner
    start = log.after(max(lot.at for lot in lots), *wait_hours)
    documents = [log.transaction("desadv", seller), log.transaction("inv", seller)]
    log.ship(lots, when=start, buyer=buyer, carrier=carrier, transactions=documents)
    for lot in lots:
        lot.owner = buyer
    leg_start = start
    if via is not None:
        departing = log.after(start, *via.hours_before)
        arriving = log.after(departing, *via.queue_hours)
        log.border(
            lots, via.site, "departing", when=departing, carrier=carrier, transactions=documents
        )
        log.border(
            lots, via.site, "arriving", when=arriving, carrier=carrier, transactions=documents
        )
        leg_start = arriving
    arrival = log.after(leg_start, days[0] * 24, days[1] * 24)
    log.receive(
        lots, to, when=arrival, seller=seller, buyer=buyer, carrier=carrier, transactions=documents
    )
    for lot in lots:
        lot.site = to
        lot.at = arrival
    return arrival


def sea(log: EventLog, lots: list[Lot], to: str, *, days: tuple[float, float]) -> str:
    """Pack lots into a container at the port where they are, ship them, unpack at ``to``.

    Returns the container's SSCC.
    """
    port = lots[0].site
    terminal = SITE_BY_KEY[port].operator or lots[0].owner
    container = log.sscc(terminal)
    packed = log.after(max(lot.at for lot in lots), 24, 96)
    log.aggregate(container, lots, port, when=packed, action="ADD")
    for lot in lots:
        lot.at = packed
    move(log, lots, to, buyer=lots[0].owner, carrier=SHIPPING_LINE, days=days, wait_hours=(12, 72))
    unpacked = log.after(lots[0].at, 2, 12)
    log.aggregate(container, lots, to, when=unpacked, action="DELETE")
    for lot in lots:
        lot.at = unpacked
    return container


def transform(
    log: EventLog,
    inputs: list[Lot],
    *,
    product: tuple[str, str],
    form: str,
    grade: tuple[float, float],
    recovery: tuple[float, float],
    wait_hours: tuple[float, float],
    uom: str,
) -> Lot:
    """Process lots into a new product lot at their site; element out = element in x recovery."""
    first = inputs[0]
    when = log.after(max(lot.at for lot in inputs), *wait_hours)
    element_kg = sum(lot.element_kg() for lot in inputs) * log.rng.uniform(*recovery)
    out_grade = round(log.rng.uniform(*grade), 2)
    kg = element_kg / (out_grade / 100.0)
    output = new_lot(
        log,
        first.owner,
        product,
        mineral=first.mineral,
        form=form,
        site=first.site,
        when=when,
        grade=out_grade,
        amount=kg / 1000.0 if uom == "TNE" else kg,
        uom=uom,
    )
    log.transform(inputs, output)
    return output


def blend(
    log: EventLog, inputs: list[Lot], *, product: tuple[str, str], wait_hours: tuple[float, float]
) -> Lot:
    """Blend and repack concentrate lots into one export lot (a trader's transformation).

    A little mass is lost to spillage and sampling; the grade is what the blend works out to,
    rounded down so that the contained element never exceeds the inputs'.
    """
    first = inputs[0]
    when = log.after(max(lot.at for lot in inputs), *wait_hours)
    kg = sum(lot.kg() for lot in inputs) * log.rng.uniform(0.985, 0.995)
    element_kg = sum(lot.element_kg() for lot in inputs) * 0.985
    grade = int(element_kg / kg * 10_000) / 100
    output = new_lot(
        log,
        first.owner,
        product,
        mineral=first.mineral,
        form="concentrate",
        site=first.site,
        when=when,
        grade=grade,
        amount=kg,
        uom=first.uom,
    )
    log.transform(inputs, output)
    return output


def later(when: datetime, days: float) -> datetime:
    """``when`` plus a number of days."""
    return when + timedelta(days=days)
