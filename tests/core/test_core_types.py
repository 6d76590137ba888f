"""Core domain types: units, licences, findings."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from oresight.core.custody import Action, CustodyEvent, EventType, QuantityElement
from oresight.core.findings import (
    Evidence,
    EvidenceKind,
    Finding,
    FindingCode,
    Severity,
    Subject,
    SubjectType,
)
from oresight.core.minerals import MINERALS, Mineral, parse_mineral
from oresight.core.sites import Licence
from oresight.core.units import Quantity


def test_quantity_converts_mass_and_element_content() -> None:
    q = Quantity(value=2.5, unit="TNE", grade_percent=12.0)
    assert q.in_kg() == pytest.approx(2500.0)
    assert q.element_kg() == pytest.approx(300.0)
    assert Quantity(value=3, unit="LBR").in_kg() == pytest.approx(1.36077711)


def test_quantity_refuses_unknown_unit() -> None:
    with pytest.raises(ValidationError, match="unknown unit 'KGX'"):
        Quantity(value=1, unit="KGX")


def test_count_has_no_mass() -> None:
    assert Quantity(value=4).in_kg() is None


def test_licence_validity_is_inclusive() -> None:
    lic = Licence(number="PE 123", valid_from=date(2020, 1, 1), valid_to=date(2024, 12, 31))
    assert lic.valid_on(date(2020, 1, 1))
    assert lic.valid_on(date(2024, 12, 31))
    assert not lic.valid_on(date(2025, 1, 1))
    with pytest.raises(ValidationError, match="before"):
        Licence(number="x", valid_from=date(2024, 1, 1), valid_to=date(2023, 1, 1))


def test_every_mineral_has_hs_codes() -> None:
    assert set(MINERALS) == set(Mineral)
    assert all(len(code) == 6 and code.isdigit() for i in MINERALS.values() for code in i.hs_codes)
    assert parse_mineral("Natural graphite") is Mineral.GRAPHITE
    with pytest.raises(ValueError, match="unknown mineral"):
        parse_mineral("unobtainium")


def test_event_lineage_helpers() -> None:
    event = CustodyEvent(
        event_id="urn:uuid:1",
        type=EventType.TRANSFORMATION,
        event_time=datetime(2024, 1, 1, tzinfo=UTC),
        event_time_zone_offset="+00:00",
        input_quantity_list=(QuantityElement(epc_class="lot:a", quantity=5, uom="TNE"),),
        output_quantity_list=(QuantityElement(epc_class="lot:b", quantity=1, uom="TNE"),),
    )
    assert event.consumed() == ("lot:a",)
    assert event.produced() == ("lot:b",)
    commission = event.model_copy(
        update={"type": EventType.OBJECT, "action": Action.ADD, "epc_list": ("urn:x",)}
    )
    assert commission.produced()[0] == "urn:x"


def test_finding_id_is_stable_and_depends_on_evidence() -> None:
    def make(event_id: str) -> Finding:
        return Finding(
            code=FindingCode.CUSTODY_BROKEN_CHAIN,
            subject=Subject(type=SubjectType.LOT, id="lot:1"),
            severity=Severity.HIGH,
            confidence=0.9,
            title="t",
            explanation="e",
            evidence=(Evidence(kind=EvidenceKind.EVENT, id=event_id),),
            rule="custody.broken_chain",
            rule_version="1",
        )

    assert make("e1").id == make("e1").id
    assert make("e1").id != make("e2").id
    assert Severity.CRITICAL.at_least(Severity.HIGH)
    assert not Severity.LOW.at_least(Severity.MEDIUM)
