"""The matching engine of screening: names compared, features scored, candidates indexed.

The public surface is :mod:`oresight.screening.matching`; the modules here hold its parts.
"""
