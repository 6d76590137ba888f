"""Small builders of custody events and sites for the custody rule tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from oresight.core.custody import (
    Action,
    CustodyEvent,
    EventType,
    LotMasterData,
    QuantityElement,
)
from oresight.core.minerals import MaterialForm, Mineral
from oresight.core.sites import Licence, Site, SiteKind

T0 = datetime(2024, 3, 1, 6, 0, tzinfo=UTC)


def at(days: float) -> datetime:
    """``days`` after the start of the test timeline."""
    return T0 + timedelta(days=days)


def commission(
    event_id: str, lot: str, site: str, day: float, *, read_point: str | None = None
) -> CustodyEvent:
    """An extraction: ore lot created at a site."""
    return CustodyEvent(
        event_id=event_id,
        type=EventType.OBJECT,
        action=Action.ADD,
        biz_step="commissioning",
        event_time=at(day),
        event_time_zone_offset="+02:00",
        biz_location=site,
        read_point=read_point,
        quantity_list=(QuantityElement(epc_class=lot, quantity=12.5, uom="TNE"),),
        lot_master=LotMasterData(mineral=Mineral.COBALT, form=MaterialForm.ORE, grade_percent=2.1),
    )


def move(event_id: str, lot: str, site: str, day: float, step: str = "shipping") -> CustodyEvent:
    """A shipping or receiving observation of a lot."""
    return CustodyEvent(
        event_id=event_id,
        type=EventType.OBJECT,
        action=Action.OBSERVE,
        biz_step=step,
        event_time=at(day),
        event_time_zone_offset="+02:00",
        biz_location=site,
        quantity_list=(QuantityElement(epc_class=lot, quantity=12.5, uom="TNE"),),
    )


def transform(event_id: str, inputs: list[str], output: str, site: str, day: float) -> CustodyEvent:
    """A processing step turning input lots into one output lot."""
    return CustodyEvent(
        event_id=event_id,
        type=EventType.TRANSFORMATION,
        biz_step="https://ref.gs1.org/cbv/BizStep-commissioning",
        event_time=at(day),
        event_time_zone_offset="+02:00",
        biz_location=site,
        input_quantity_list=tuple(
            QuantityElement(epc_class=i, quantity=10, uom="TNE") for i in inputs
        ),
        output_quantity_list=(QuantityElement(epc_class=output, quantity=1, uom="TNE"),),
    )


def square(lon: float, lat: float, half: float) -> dict[str, Any]:
    """A square polygon around a point (degrees)."""
    ring = [
        [lon - half, lat - half],
        [lon + half, lat - half],
        [lon + half, lat + half],
        [lon - half, lat + half],
        [lon - half, lat - half],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def site(
    site_id: str,
    kind: SiteKind,
    geometry: dict[str, Any],
    *,
    licence: tuple[date | None, date | None] | None = (date(2020, 1, 1), date(2030, 1, 1)),
) -> Site:
    """A site with a licence valid between the two dates (or none)."""
    return Site(
        id=site_id,
        name=site_id.rsplit(":", 1)[-1],
        kind=kind,
        country="CD",
        geometry=geometry,
        licence=None
        if licence is None
        else Licence(number=f"PE {site_id[-2:]}", valid_from=licence[0], valid_to=licence[1]),
    )
