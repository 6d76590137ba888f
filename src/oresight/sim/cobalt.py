"""The cobalt chain: Copperbelt mines and artisanal sites to a battery-cell factory in Hungary.

Batches of ore become lots of cobalt hydroxide near Kolwezi, which travel by road through
Kasumbalesa to Dar es Salaam, by sea to a refinery in China (cobalt sulphate), then to a cathode
maker in Korea and a cell maker in Hungary (:mod:`oresight.sim.cobalt_steps`). Batches A and B
are clean; batches C, D and E carry the planted problems (:mod:`oresight.sim.cobalt_problems`).
"""

from __future__ import annotations

from oresight.sim.cobalt_problems import (
    backdated_and_lapsed,
    front_site_and_park,
    impossible_corridor_leg,
)
from oresight.sim.cobalt_steps import artisanal_lots, downstream, mine_lots
from oresight.sim.epcis_builder import EventLog
from oresight.sim.flows import batch_start
from oresight.sim.manifest import ChainOutcome


def build_cobalt(log: EventLog) -> ChainOutcome:
    """Record the whole cobalt chain; return its planted problems and clean lots."""
    outcome = ChainOutcome()

    start = batch_start(log, 2023, 2, 1, 25)
    batch_a = mine_lots(log, "m-kanyama", 3, start)
    batch_a += artisanal_lots(log, "a-kasanza", "t-musompo", 2, start)
    outcome.clean_lots += [lot.epc_class for lot in batch_a + downstream(log, batch_a)]

    start = batch_start(log, 2023, 4, 15, 25)
    batch_b = mine_lots(log, "m-lupoto", 2, start)
    batch_b += mine_lots(log, "m-mwilu", 2, start)
    batch_b += artisanal_lots(log, "a-mukoma", "t-likasi", 2, start)
    outcome.clean_lots += [lot.epc_class for lot in batch_b + downstream(log, batch_b)]

    # Early enough that its products reach the cathode and cell makers within the year, where
    # the clean batches' material is enough to absorb its backdated lot in their mass balances.
    start = batch_start(log, 2023, 5, 2, 18)
    batch_c, planted = backdated_and_lapsed(log, start)
    downstream(log, batch_c)
    outcome.planted += planted

    # Within the third quarter, so that the front site's output is summed over one period.
    start = batch_start(log, 2023, 7, 3, 12)
    batch_d, planted = front_site_and_park(log, start)
    downstream(log, batch_d)
    outcome.planted += planted

    start = batch_start(log, 2023, 10, 2, 14)
    outcome.planted.append(impossible_corridor_leg(log, start))
    return outcome
