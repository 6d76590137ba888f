"""Reading element content for CUSTODY.MASS_BALANCE: how much of an element each lot carries.

A lot's element content is its mass (converted to kilograms) times its ``ore:gradePercent``.
:class:`ContentReader` draws the :class:`Balance` of each transformation of the custody graph,
following containers to their contents, assuming a typical grade in the lot's favour where the
parameters allow it, and recording a :class:`DataGap` for every figure it cannot read. The
helpers at the end word those figures the same way in every check of the rule.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from oresight.core.custody import LotMasterData
from oresight.core.findings import DataGap, Subject, SubjectType
from oresight.core.minerals import MINERALS, MaterialForm, Mineral
from oresight.core.sites import Site
from oresight.core.units import Dimension, lookup_unit
from oresight.custody.graph import CustodyGraph, Flow, Transformation
from oresight.custody.mass_balance_params import (
    RULE,
    MassBalanceParams,
    PeriodSpec,
    Window,
    calendar_period,
)
from oresight.custody.recovery_table import MaxRecovery

MAX_CONTAINER_DEPTH = 4
"""How many levels of containers are opened to find the lots in them."""

Side = Literal["input", "output"]


@dataclass(frozen=True)
class Content:
    """The element one lot carries into or out of a transformation."""

    identifier: str
    mineral: Mineral
    form: MaterialForm | None
    kg: float
    grade_percent: float
    assumed_grade: str | None = None
    """How the grade was assumed, where the record gives none."""

    @property
    def element_kg(self) -> float:
        """Mass of contained element in kilograms."""
        return self.kg * self.grade_percent / 100.0

    def data(self) -> dict[str, object]:
        """The figures, for a finding's evidence."""
        data: dict[str, object] = {
            "mineral": self.mineral.value,
            "form": self.form.value if self.form else None,
            "mass_kg": round(self.kg, 3),
            "grade_percent": self.grade_percent,
            "element_kg": round(self.element_kg, 3),
            "grade_source": self.assumed_grade or "ore:gradePercent of the lot master data",
        }
        return data


@dataclass
class Balance:
    """One transformation's element balance for the mineral of its outputs."""

    transformation: Transformation
    mineral: Mineral | None
    inputs: list[tuple[Content, MaxRecovery]] = field(default_factory=list)
    ignored: list[Content] = field(default_factory=list)
    """Inputs labelled with another mineral: they bring none of this one."""
    outputs: list[Content] = field(default_factory=list)
    unresolved_inputs: list[str] = field(default_factory=list)
    unresolved_outputs: list[str] = field(default_factory=list)

    @property
    def input_kg(self) -> float:
        """Element in the inputs that could be read."""
        return sum(c.element_kg for c, _ in self.inputs)

    @property
    def allowed_kg(self) -> float:
        """Element the inputs allow in the outputs: each input's element times its recovery."""
        return sum(c.element_kg * r.value for c, r in self.inputs)

    @property
    def output_kg(self) -> float:
        """Element in the outputs that could be read."""
        return sum(c.element_kg for c in self.outputs)

    @property
    def assumed(self) -> int:
        """How many lots had their grade assumed."""
        return sum(1 for c, _ in self.inputs if c.assumed_grade) + sum(
            1 for c in self.outputs if c.assumed_grade
        )


class Places:
    """Human labels of locations, from the workspace's sites."""

    def __init__(self, sites: Mapping[str, Site]) -> None:
        self.sites = sites

    def __call__(self, location: str | None) -> str:
        if location is None:
            return "an unrecorded location"
        site = self.sites.get(location)
        return site.label() if site else location


class ContentReader:
    """Reads element content from the graph, recording a data gap for what it cannot read."""

    def __init__(self, graph: CustodyGraph, params: MassBalanceParams, place: Places) -> None:
        self.graph = graph
        self.params = params
        self.table = params.table()
        self.place = place
        self.gaps: dict[tuple[str, str], DataGap] = {}

    def gap(self, missing: str, subject: Subject | None, explanation: str) -> None:
        """Record that ``missing`` kept a check from being made (once per subject and field)."""
        self.gaps.setdefault(
            (subject.id if subject else "", missing),
            DataGap(rule=RULE, missing=missing, explanation=explanation, subject=subject),
        )

    def balances(self, record: Transformation) -> list[Balance]:
        """Its balance for the outputs' mineral; without outputs, one per mineral consumed."""
        master = record.output_master
        target = master.form if master else None
        context = (
            f"Mass balance of transformation {record.main_event.event_id} at "
            f"{self.place(record.location)}"
        )
        inputs: list[Content] = []
        unresolved: list[str] = []
        for flow in record.inputs:
            self._read(flow, "input", None, context, record.time, inputs, unresolved)
        if not record.outputs:
            # Consumption alone: kept for the facility's balance, one per mineral consumed.
            minerals = sorted({c.mineral for c in inputs})
            return [
                Balance(
                    record,
                    mineral,
                    inputs=[(c, self.table.default) for c in inputs if c.mineral is mineral],
                    unresolved_inputs=list(unresolved),
                )
                for mineral in minerals
            ]
        mineral = master.mineral if master and master.mineral else None
        if mineral is None:
            found = {c.mineral for c in inputs}
            mineral = found.pop() if len(found) == 1 else None
        result = Balance(record, mineral, unresolved_inputs=unresolved)
        if mineral is None:
            event = record.main_event
            self.gap(
                "ore:mineral",
                Subject(type=SubjectType.EVENT, id=event.event_id),
                f"{context} could not be drawn: its outputs carry no ore:mineral in the "
                "event's ilmd, and its inputs do not share one known mineral. Add "
                "ore:mineral to the transformation's lot master data.",
            )
            result.unresolved_outputs = [f.identifier for f in record.outputs]
            return [result]
        for content in inputs:
            if content.mineral is mineral:
                recovery = self.table.max_recovery(mineral, content.form, target)
                result.inputs.append((content, recovery))
            else:
                result.ignored.append(content)
        for flow in record.outputs:
            self._read(
                flow,
                "output",
                master,
                context,
                record.time,
                result.outputs,
                result.unresolved_outputs,
                mineral=mineral,
            )
        return [result]

    def _read(
        self,
        flow: Flow,
        side: Side,
        master: LotMasterData | None,
        context: str,
        when: datetime,
        into: list[Content],
        unresolved: list[str],
        *,
        mineral: Mineral | None = None,
        depth: int = 0,
    ) -> None:
        identifier = flow.identifier
        if side == "input":
            master = self.graph.master_data(identifier)
        entry = flow.quantity
        if entry is None:
            members = self.graph.contents(identifier, when)
            if members and depth < MAX_CONTAINER_DEPTH:
                for member in members:
                    child = Flow(member.child, member.quantity, flow.event_id)
                    self._read(
                        child,
                        side,
                        master,
                        context,
                        when,
                        into,
                        unresolved,
                        mineral=mineral,
                        depth=depth + 1,
                    )
                return
            unresolved.append(identifier)
            self.gap(
                "quantity",
                _lot_subject(identifier),
                f"{context} could not be drawn: {identifier} is listed as an EPC with no "
                "quantity, and no container contents are recorded for it at that time. Give its "
                "mass in a quantityList entry with a mass unit such as KGM or TNE.",
            )
            return
        problem = _mass_problem(entry.quantity, entry.uom)
        if problem is not None:
            unresolved.append(identifier)
            field_name = "quantity" if entry.quantity is None else "uom"
            self.gap(
                field_name,
                _lot_subject(identifier),
                f"{context} could not be drawn: event {flow.event_id} gives lot {identifier} "
                f"{problem}. Give its mass with a mass unit such as KGM or TNE.",
            )
            return
        assert entry.quantity is not None and entry.uom is not None
        kg = entry.quantity * lookup_unit(entry.uom).factor
        lot_mineral = (master.mineral if master else None) or mineral
        form = master.form if master else None
        if lot_mineral is None:
            unresolved.append(identifier)
            where = self._master_source(identifier, side)
            self.gap(
                "ore:mineral",
                _lot_subject(identifier),
                f"{context} could not be drawn: lot {identifier} has no ore:mineral ({where}).",
            )
            return
        grade = master.grade_percent if master else None
        assumed: str | None = None
        if grade is None:
            typical = self.table.typical_grade(lot_mineral, form)
            if typical is None or not self.params.assume_typical_grades:
                unresolved.append(identifier)
                where = self._master_source(identifier, side)
                why = (
                    "typical grades are not allowed by the parameters"
                    if typical is not None
                    else f"the recovery table has no typical grade for {lot_mineral.value} "
                    f"{form.value if form else 'of unknown ore:form'}"
                )
                self.gap(
                    "ore:gradePercent",
                    _lot_subject(identifier),
                    f"{context} could not be drawn: lot {identifier} has no ore:gradePercent "
                    f"({where}), and {why}. Give the lot's assayed grade.",
                )
                return
            end = "high" if side == "input" else "low"
            grade = typical.high if side == "input" else typical.low
            assumed = (
                f"typical grade assumed, giving the record the benefit of the doubt: "
                f"{grade:g} %, the {end} end of {typical.low:g}-{typical.high:g} % for "
                f"{lot_mineral.value} {form.value if form else ''} ({typical.citation})"
            )
        into.append(Content(identifier, lot_mineral, form, kg, grade, assumed))

    def _master_source(self, identifier: str, side: Side) -> str:
        node = self.graph.lot(identifier)
        origin = node.origin if node else None
        if side == "output" or origin is not None:
            event = origin.event_id if origin else "the transformation"
            return f"lot master data (ilmd) of event {event}"
        return "no event records the lot's origin, so it has no lot master data"


def _lot_subject(identifier: str) -> Subject:
    return Subject(type=SubjectType.LOT, id=identifier)


def _mass_problem(quantity: float | None, uom: str | None) -> str | None:
    if quantity is None:
        return "no quantity"
    if uom is None:
        return f"{quantity:g} with no unit, a count of instances rather than a mass"
    try:
        unit = lookup_unit(uom)
    except ValueError:
        return f"{quantity:g} in the unknown unit {uom!r}"
    if unit.dimension is not Dimension.MASS:
        return f"{quantity:g} {unit.name} ({uom}), which is not a mass"
    return None


# -- grouping and wording -------------------------------------------------------------------------

FacilityGroups = dict[tuple[str, Mineral], dict[Window, list[Balance]]]
"""Balances by facility (location) and mineral, then by period."""


def group_by_facility(balances: Iterable[Balance], spec: PeriodSpec) -> FacilityGroups:
    """The balances with a location and a mineral, by facility, mineral and period of ``spec``."""
    groups: FacilityGroups = defaultdict(lambda: defaultdict(list))
    for balance in balances:
        location = balance.transformation.location
        if location is None or balance.mineral is None:
            continue
        window = calendar_period(balance.transformation.time, spec)
        groups[(location, balance.mineral)][window].append(balance)
    return groups


def excess_percent(excess_kg: float, allowed_kg: float) -> float:
    """The excess as a percentage of what was allowed; infinite where nothing was."""
    return excess_kg / allowed_kg * 100 if allowed_kg > 0 else math.inf


def percent_text(percent: float) -> str:
    """An excess percentage in words."""
    return "with no input to allow any of it" if math.isinf(percent) else f"{percent:.1f} %"


def kg_text(value: float) -> str:
    """A mass of element in words."""
    return f"{value:,.1f} kg"


def element_name(mineral: Mineral) -> str:
    """The mineral and its element, as the explanations name them."""
    return f"{mineral.value.replace('_', ' ')} ({MINERALS[mineral].element})"
