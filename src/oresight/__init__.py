"""oresight: intelligence for critical-mineral supply chains.

oresight ingests custody events (GS1 EPCIS 2.0), sites (GeoJSON/GeoPackage) and parties
(FollowTheMoney) into a workspace, cross-checks every custody claim against independent evidence,
and reports what it finds as explained, evidence-carrying findings.
"""

__version__ = "0.1.0"
