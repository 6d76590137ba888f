"""Domain types of oresight: minerals, quantities, sites, parties, custody events, findings.

Nothing here imports the rest of oresight or performs I/O; every other layer builds on it.
"""
