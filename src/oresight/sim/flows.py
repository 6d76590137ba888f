"""The steps that every demo chain is made of: extract, move (by road or sea), transform, blend.

Each step records its EPCIS events in an :class:`EventLog` and updates the lots it touches (where
they are, whose, since when). Durations are drawn from ranges that fit the real distances, so that
travel-time checks find nothing to object to in the clean chains.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from oresight.sim.epcis_builder import EventLog, Lot
from oresight.sim.world import SITE_BY_KEY

SHIPPING_LINE = "indigo-lines"
ROAD = "road"
SEA = "sea"
"""Transport modes as oresight's ``ore:transportMode`` names them."""


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
    mode: str | None = None,
) -> datetime:
    """Ship lots from where they are to ``to``; title passes to ``buyer`` at shipping.

    Returns the arrival time. ``days`` is the travel time after the border, if any. Where
    ``mode`` is given (``road``, ``sea``), every event of the leg declares it in
    ``ore:transportMode``, as a shipper's system that records it would.
    """
    seller = lots[0].owner
    start = log.after(max(lot.at for lot in lots), *wait_hours)
    documents = [log.transaction("desadv", seller), log.transaction("inv", seller)]
    log.ship(lots, when=start, buyer=buyer, carrier=carrier, transactions=documents, mode=mode)
    for lot in lots:
        lot.owner = buyer
    leg_start = start
    if via is not None:
        departing = log.after(start, *via.hours_before)
        arriving = log.after(departing, *via.queue_hours)
        for step, when in (("departing", departing), ("arriving", arriving)):
            log.border(
                lots, via.site, step, when=when, carrier=carrier, transactions=documents, mode=mode
            )
        leg_start = arriving
    arrival = log.after(leg_start, days[0] * 24, days[1] * 24)
    log.receive(
        lots,
        to,
        when=arrival,
        seller=seller,
        buyer=buyer,
        carrier=carrier,
        transactions=documents,
        mode=mode,
    )
    for lot in lots:
        lot.site = to
        lot.at = arrival
    return arrival


def sea(
    log: EventLog,
    lots: list[Lot],
    to: str,
    *,
    days: tuple[float, float],
    mode: str | None = None,
) -> str:
    """Pack lots into a container at the port where they are, ship them, unpack at ``to``.

    Returns the container's SSCC. ``mode`` (``sea``), where given, is declared as in :func:`move`.
    """
    port = lots[0].site
    terminal = SITE_BY_KEY[port].operator or lots[0].owner
    container = log.sscc(terminal)
    packed = log.after(max(lot.at for lot in lots), 24, 96)
    log.aggregate(container, lots, port, when=packed, action="ADD")
    for lot in lots:
        lot.at = packed
    move(
        log,
        lots,
        to,
        buyer=lots[0].owner,
        carrier=SHIPPING_LINE,
        days=days,
        wait_hours=(12, 72),
        mode=mode,
    )
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
    declared_factor: float = 1.0,
) -> Lot:
    """Process lots into a new product lot at their site; element out = element in x recovery.

    ``declared_factor`` above 1 records an output holding that many times the element the
    process really recovered: material the processor never recorded coming in.
    """
    first = inputs[0]
    when = log.after(max(lot.at for lot in inputs), *wait_hours)
    element_kg = sum(lot.element_kg() for lot in inputs) * log.rng.uniform(*recovery)
    element_kg *= declared_factor
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


def batch_start(log: EventLog, year: int, month: int, day: int, spread_days: int) -> datetime:
    """A batch's first moment: early on a day drawn from ``spread_days`` after the given one."""
    return datetime(year, month, day, 5, tzinfo=UTC) + timedelta(
        days=log.rng.randint(0, spread_days), minutes=log.rng.randint(0, 180)
    )
