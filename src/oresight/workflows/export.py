"""Export a workspace's records in the standard formats they came in."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

from oresight.custody.epcis import write_epcis
from oresight.custody.sites import sites_to_geojson
from oresight.screening.ftm import parties_to_ftm_lines
from oresight.store import repository
from oresight.store.database import Workspace


class ExportKind(StrEnum):
    """What to export, and so in which format."""

    EPCIS = "epcis"
    """Custody events as one EPCIS 2.0 JSON-LD document."""
    SITES = "sites"
    """Sites as a GeoJSON FeatureCollection."""
    PARTIES = "parties"
    """Parties as FollowTheMoney JSON lines."""


def export_records(workspace: Workspace, kind: ExportKind, out: Path) -> int:
    """Write every record of ``kind`` to ``out``; return how many were written."""
    with workspace.transaction() as session:
        if kind is ExportKind.EPCIS:
            events = repository.load_events(session)
            text = json.dumps(write_epcis(events), indent=2, ensure_ascii=False) + "\n"
            count = len(events)
        elif kind is ExportKind.SITES:
            sites = repository.load_sites(session)
            text = json.dumps(sites_to_geojson(sites), indent=2, ensure_ascii=False) + "\n"
            count = len(sites)
        else:
            parties = repository.load_parties(session)
            text = parties_to_ftm_lines(parties)
            count = len(parties)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return count
