"""The tin and tantalum ("3T") chain: Kivu artisanal sites to Asian smelters through Rwanda.

Cassiterite and coltan concentrate from artisanal sites in South and North Kivu is bought by
comptoirs in Bukavu and Goma, blended, driven across the border to an exporter in Kigali, trucked
to Dar es Salaam and shipped to a tin smelter in Malaysia or a tantalum refiner in China
(:mod:`oresight.sim.tin_tantalum_steps`). Tin batch A and tantalum batch A are clean; tin batches
B and C and tantalum batch B carry planted problems (:mod:`oresight.sim.tin_tantalum_problems`),
and so does the coltan a Burundian exporter declares as its own (:mod:`oresight.sim.burundi`).

The problems stay clear of one another where a facility-wide balance could blur them: besides the
clean batch, the Kigali exporter blends and the Chinese refiner refines only tantalum batch B, so
that the laundered lot in it shows in their mass balances whatever the seed.
"""

from __future__ import annotations

from oresight.sim.burundi import declared_burundian
from oresight.sim.epcis_builder import EventLog
from oresight.sim.flows import batch_start, blend
from oresight.sim.manifest import ChainOutcome
from oresight.sim.tin_tantalum_problems import inflated_smelting, laundered_and_outside, reused_tag
from oresight.sim.tin_tantalum_steps import refine_tantalum, site_lots, smelt_tin, to_kigali


def build_tin_tantalum(log: EventLog) -> ChainOutcome:
    """Record the whole 3T chain; return its planted problems and clean lots."""
    outcome = ChainOutcome()

    # Tin A: Kalehe cassiterite -> Bukavu -> Kigali -> Dar es Salaam -> Malaysian smelter.
    start = batch_start(log, 2023, 3, 1, 30)
    cassiterite = site_lots(log, "a-kalehe-sn", 3, start)
    tin_export = blend(log, cassiterite, product=("026090", "BKV"), wait_hours=(24, 96))
    to_kigali(log, [tin_export])
    ingots = smelt_tin(log, tin_export)
    outcome.clean_lots += [lot.epc_class for lot in [*cassiterite, tin_export, ingots]]

    # Tantalum A: coltan from both Kivus, blended by each comptoir, then again in Kigali.
    start = batch_start(log, 2023, 5, 1, 30)
    north = site_lots(log, "a-ngungu", 2, start)
    south = site_lots(log, "a-kalehe-ta", 2, start)
    goma_blend = blend(log, north, product=("026159", "GOM"), wait_hours=(24, 96))
    bukavu_blend = blend(log, south, product=("026159", "BKV"), wait_hours=(24, 96))
    to_kigali(log, [goma_blend])
    to_kigali(log, [bukavu_blend])
    export_lot = blend(
        log, [goma_blend, bukavu_blend], product=("026159", "KGL"), wait_hours=(24, 120)
    )
    oxide = refine_tantalum(log, export_lot)
    outcome.clean_lots += [
        lot.epc_class for lot in [*north, *south, goma_blend, bukavu_blend, export_lot, oxide]
    ]

    outcome.planted.append(reused_tag(log, batch_start(log, 2023, 6, 1, 20)))
    outcome.add(laundered_and_outside(log, batch_start(log, 2023, 9, 1, 30)))
    outcome.planted.append(inflated_smelting(log, batch_start(log, 2023, 9, 12, 10)))
    # Received by the refiner but not yet refined: its balance is left to tantalum batch B.
    outcome.planted.append(declared_burundian(log, batch_start(log, 2023, 10, 2, 8)))
    return outcome
