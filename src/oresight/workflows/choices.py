"""The choices the workflows offer (formats, export kinds, the default profile), on their own.

Interfaces build their options from these before any workflow is needed: this module imports
nothing heavy, so ``oresight --help`` and every command start without loading the readers,
the store or the matching engine they do not use.
"""

from __future__ import annotations

from enum import StrEnum

DEFAULT_PROFILE = "oecd-3tg"
"""The risk profile an assessment uses when none is named."""


class FileFormat(StrEnum):
    """The input formats oresight recognises."""

    EPCIS = "epcis"
    GEOJSON = "geojson"
    GEOPACKAGE = "gpkg"
    FTM = "ftm"


class ExportKind(StrEnum):
    """What to export, and so in which format."""

    EPCIS = "epcis"
    """Custody events as one EPCIS 2.0 JSON-LD document."""
    SITES = "sites"
    """Sites as a GeoJSON FeatureCollection."""
    PARTIES = "parties"
    """Parties as FollowTheMoney JSON lines."""
    UNTP_DTE = "untp-dte"
    """Custody events as a UNTP Digital Traceability Event credential (VC 2.0, JOSE, Ed25519)."""


class ReportFormat(StrEnum):
    """The formats a report is written in."""

    HTML = "html"
    PDF = "pdf"

    @property
    def default_file(self) -> str:
        """The report's file name in ``<workspace>/reports`` when no output path is given."""
        return f"report.{self.value}"
