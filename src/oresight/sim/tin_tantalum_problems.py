"""The problems planted in the tin and tantalum chain.

* Tantalum batch B: a lot that a comptoir buys from a négociant with no record of where it was dug
  (laundered material), and a lot from a site that claims a licensed zone but lies ~15 km outside
  it. The laundered lot has consequences downstream: the exporter that blends it and the refiner
  that refines the blend both pass on more tantalum as traced than their traced inputs allow.
* Tin batch B: the tag of a cassiterite lot, already blended at Bukavu, reappears days later on a
  bag commissioned at another site (tag laundering).
* Tin batch C: the smelter records ingots holding far more tin than the concentrate it smelted.
"""

from __future__ import annotations

from datetime import datetime

from oresight.core.findings import FindingCode, SubjectType
from oresight.sim.epcis_builder import EventLog, Lot, local_day
from oresight.sim.flows import ROAD, blend, move, new_lot
from oresight.sim.manifest import ChainOutcome, ExpectedKind, PlantedProblem
from oresight.sim.tin_tantalum_steps import (
    HAULIER_CD,
    SITE_CODES,
    TO_COMPTOIR_DAYS,
    concentrate_lot,
    refine_tantalum,
    site_lots,
    smelt_tin,
    to_kigali,
)
from oresight.sim.world import PARTY_BY_KEY, SITE_BY_KEY, site_id
from oresight.sim.world_files import km_outside
from oresight.sim.world_specs import great_circle_km

_LOT = SubjectType.LOT.value
_EVENT = SubjectType.EVENT.value
_FACILITY = SubjectType.FACILITY.value
_MASS_BALANCE = FindingCode.CUSTODY_MASS_BALANCE.value


def laundered_and_outside(log: EventLog, start: datetime) -> ChainOutcome:
    """Tantalum batch B: a laundered lot and a lot from outside its claimed zone."""
    clean = site_lots(log, "a-ngungu", 2, start)
    goma_blend = blend(log, clean, product=("026159", "GOM"), wait_hours=(24, 96))

    outside_site = SITE_BY_KEY["a-kalungu"]
    outside = concentrate_lot(log, "a-kalungu", log.after(start, 30, 60))
    outside_event = log.event_ids(outside.epc_class, "commissioning")[0]

    # The laundered lot: a négociant walks in with bags under a Ngungu-style tag that was never
    # commissioned anywhere. The comptoir books the purchase with no paperwork.
    comptoir = "grands-lacs-minerais"
    received_at = log.after(max(goma_blend.at, outside.at), 6, 48)
    laundered = new_lot(
        log,
        "coeming",
        ("026159", SITE_CODES["a-ngungu"]),
        mineral="tantalum",
        form="concentrate",
        site="t-goma",
        when=received_at,
        grade=round(log.rng.uniform(22.0, 27.0), 2),
        amount=log.rng.uniform(1200, 2200),
        uom="KGM",
    )
    laundered.owner = comptoir
    log.receive(
        [laundered],
        "t-goma",
        when=received_at,
        seller="p-bahati",
        buyer=comptoir,
        carrier="p-bahati",
        transactions=[],
        mode=None,
    )

    to_kigali(log, [goma_blend, outside, laundered])
    export_lot = blend(
        log, [goma_blend, outside, laundered], product=("026159", "KGL"), wait_hours=(24, 120)
    )
    oxide = refine_tantalum(log, export_lot)

    area = SITE_BY_KEY["zea-ngungu"]
    licence = outside_site.licence or ("", "", "")
    outcome = ChainOutcome()
    outcome.planted += [
        PlantedProblem(
            code=FindingCode.CUSTODY_BROKEN_CHAIN.value,
            subject_type=_LOT,
            subject_id=laundered.epc_class,
            description=(
                f"Coltan lot {laundered.epc_class} ({laundered.amount} kg) was received by "
                f"{PARTY_BY_KEY[comptoir].name} in Goma on {local_day('t-goma', received_at)} from "
                f"the négociant {PARTY_BY_KEY['p-bahati'].name}, shipped on to Kigali and "
                f"blended into export lot {export_lot.epc_class}; it was never commissioned "
                "at any site nor produced by any transformation."
            ),
        ),
        PlantedProblem(
            code=FindingCode.CUSTODY_UNLICENSED_ORIGIN.value,
            subject_type=_EVENT,
            subject_id=outside_event,
            description=(
                f"Coltan lot {outside.epc_class} was commissioned at {outside_site.name} "
                f"({site_id(outside_site)}), which claims licence {licence[0]} (valid "
                f"{licence[1]} to {licence[2]}) of {area.name}, but lies about "
                f"{km_outside(outside_site, area):.0f} km outside that zone and outside every "
                "other licensed area."
            ),
        ),
    ]
    untraced = f"{laundered.element_kg():,.0f} kg of tantalum"
    kigali, lushan = SITE_BY_KEY["t-kigali"], SITE_BY_KEY["r-lushan"]
    outcome.consequences += [
        PlantedProblem(
            code=_MASS_BALANCE,
            subject_type=_FACILITY,
            subject_id=site_id(kigali),
            kind=ExpectedKind.CONSEQUENCE,
            follows_from=(laundered.epc_class,),
            description=(
                f"Follows from the laundered lot {laundered.epc_class} ({untraced} with no "
                f"recorded origin): {PARTY_BY_KEY['nyabarongo-minerals'].name} blended it into "
                f"export lot {export_lot.epc_class} at {kigali.name}, so under the UNTP "
                "mass-balance model the tantalum it passed on as traced that year exceeds what "
                "its inputs of verified origin allow."
            ),
        ),
        PlantedProblem(
            code=_MASS_BALANCE,
            subject_type=_FACILITY,
            subject_id=site_id(lushan),
            kind=ExpectedKind.CONSEQUENCE,
            follows_from=(laundered.epc_class,),
            description=(
                f"Follows from the laundered lot {laundered.epc_class}: export lot "
                f"{export_lot.epc_class}, which holds its {untraced}, was refined at "
                f"{lushan.name} into oxide lot {oxide.epc_class}, so under the UNTP mass-balance "
                "model the refinery passed on more tantalum as traced that year than its inputs "
                "of verified origin allow."
            ),
        ),
    ]
    return outcome


def reused_tag(log: EventLog, start: datetime) -> PlantedProblem:
    """Tin batch B: a cassiterite tag used again on a bag at another site, after its lot was
    blended; the blend itself goes on to the smelter as usual."""
    cassiterite = site_lots(log, "a-kalehe-sn", 3, start)
    tin_export = blend(log, cassiterite, product=("026090", "BKV"), wait_hours=(24, 96))
    to_kigali(log, [tin_export])
    smelt_tin(log, tin_export)

    # The tag of the first lot, kept back after the blend, is put on a bag at Ngungu, which is
    # then sold to the Goma comptoir as that lot: same identifier, weight and grade.
    first, origin_site, second_site = cassiterite[0], "a-kalehe-sn", "a-ngungu"
    blend_left = log.first_time(tin_export.epc_class, "shipping")
    commissioned_at = log.after(blend_left, 6 * 24, 12 * 24)
    again = Lot(first.epc_class, "tin", "concentrate", first.grade, first.amount, "KGM",
                "coeming", second_site, commissioned_at)  # fmt: skip
    log.commission(again)
    comptoir = "t-goma"
    move(
        log,
        [again],
        comptoir,
        buyer=SITE_BY_KEY[comptoir].operator or "",
        carrier=HAULIER_CD,
        days=TO_COMPTOIR_DAYS[second_site],
        mode=ROAD,
    )
    sites = SITE_BY_KEY[origin_site], SITE_BY_KEY[second_site]
    first_day = local_day(origin_site, log.first_time(first.epc_class, "commissioning"))
    return PlantedProblem(
        code=FindingCode.CUSTODY_TAG_REUSE.value,
        subject_type=_LOT,
        subject_id=first.epc_class,
        description=(
            f"Cassiterite lot {first.epc_class} ({first.amount} kg at {first.grade} % Sn) was "
            f"commissioned at {sites[0].name} ({site_id(sites[0])}) on {first_day} and blended "
            f"at Bukavu into export lot {tin_export.epc_class}. On "
            f"{local_day(second_site, commissioned_at)} the same identifier was commissioned "
            f"again at {sites[1].name} ({site_id(sites[1])}), {great_circle_km(*sites):.0f} km "
            f"away, by {PARTY_BY_KEY['coeming'].name}, and sold to the Goma comptoir: its tag "
            "was used a second time, on material of unknown origin."
        ),
    )


def inflated_smelting(log: EventLog, start: datetime) -> PlantedProblem:
    """Tin batch C: ingots declaring a third more tin than the concentrate smelted held."""
    cassiterite = site_lots(log, "a-kalehe-sn", 3, start)
    tin_export = blend(log, cassiterite, product=("026090", "BKV"), wait_hours=(24, 96))
    to_kigali(log, [tin_export])
    factor = log.rng.uniform(1.28, 1.4)
    ingots = smelt_tin(log, tin_export, declared_factor=factor)
    event = log.last_event_id
    smelter = SITE_BY_KEY["s-perai"]
    tin_in, tin_out = tin_export.element_kg(), ingots.element_kg()
    return PlantedProblem(
        code=_MASS_BALANCE,
        subject_type=_EVENT,
        subject_id=event,
        description=(
            f"{smelter.name} ({site_id(smelter)}) recorded ingot lot {ingots.epc_class} "
            f"({ingots.amount:,.1f} kg at {ingots.grade} % Sn, {tin_out:,.0f} kg of tin) as made "
            f"from concentrate lot {tin_export.epc_class} ({tin_export.amount:,.1f} kg at "
            f"{tin_export.grade} % Sn, {tin_in:,.0f} kg of tin): the ingots hold "
            f"{tin_out / tin_in:.2f} times the tin that went in, so some {tin_out - tin_in:,.0f} "
            "kg came from material the smelter never recorded receiving."
        ),
    )
