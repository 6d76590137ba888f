"""The parts of the ownership and control network behind :mod:`oresight.screening.ownership`.

``shares`` reads percentages as written in the wild, ``dates`` decides whether a relationship or
a sanction is in force on a day, ``graph`` builds the network from FtM relationship entities,
``sanctions`` derives the sanctioned set from FtM Sanction entities, ``paths`` enumerates bounded
explanation paths and ``verdict`` holds the self-explaining result types.
"""
