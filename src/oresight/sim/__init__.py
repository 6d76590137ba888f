"""A deterministic demo world of cobalt and tin/tantalum supply chains, with planted problems.

The world is written as the files a user would bring (EPCIS 2.0 events, GeoJSON sites, FtM
parties, USGS production tables), so that every part of oresight can be shown and tested on it
end to end. Its manifest is the answer key: the findings an assessment must raise, and why.
"""

from oresight.sim.demo import build_demo_world
from oresight.sim.manifest import DemoManifest, ExpectedKind, PlantedProblem

__all__ = ["DemoManifest", "ExpectedKind", "PlantedProblem", "build_demo_world"]
