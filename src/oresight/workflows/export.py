"""Export a workspace's records in the standard formats they came in."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from oresight.core.errors import InvalidInput
from oresight.custody.epcis import write_epcis
from oresight.custody.sites import sites_to_geojson
from oresight.custody.untp import (
    dte_credential,
    envelope_credential,
    generate_issuer_key,
    load_private_key,
    private_key_pem,
    public_key_pem,
)
from oresight.screening.ftm import parties_to_ftm_lines
from oresight.store import repository
from oresight.store.database import Workspace
from oresight.workflows.choices import ExportKind


@dataclass(frozen=True)
class Issuer:
    """Who issues exported credentials, and the key they sign with."""

    id: str
    """A DID or an http(s) URL."""
    name: str
    private_key_pem: bytes


@dataclass(frozen=True)
class CredentialExport:
    """What a UNTP export wrote."""

    events: int
    credential: Path
    public_key: Path


def export_records(workspace: Workspace, kind: ExportKind, out: Path) -> int:
    """Write every record of ``kind`` (not ``untp-dte``) to ``out``; return how many."""
    with workspace.transaction() as session:
        if kind is ExportKind.EPCIS:
            events = repository.load_events(session)
            text = json.dumps(write_epcis(events), indent=2, ensure_ascii=False) + "\n"
            count = len(events)
        elif kind is ExportKind.SITES:
            sites = repository.load_sites(session)
            text = json.dumps(sites_to_geojson(sites), indent=2, ensure_ascii=False) + "\n"
            count = len(sites)
        elif kind is ExportKind.PARTIES:
            parties = repository.load_parties(session)
            text = parties_to_ftm_lines(parties)
            count = len(parties)
        else:
            raise InvalidInput("a UNTP export needs an issuer: use export_untp_dte")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return count


def export_untp_dte(workspace: Workspace, out: Path, *, issuer: Issuer) -> CredentialExport:
    """Write every custody event as one enveloped UNTP DTE credential (compact JWS) to ``out``,
    and the issuer's public key (PEM) beside it as ``<out>.pub.pem``."""
    with workspace.transaction() as session:
        events = repository.load_events(session)
    if not events:
        raise InvalidInput("the workspace holds no custody events to export")
    key = load_private_key(issuer.private_key_pem)
    credential = dte_credential(
        events, issuer_id=issuer.id, issuer_name=issuer.name, valid_from=datetime.now(UTC)
    )
    token = envelope_credential(credential, private_key=key, kid=f"{issuer.id}#key-1")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(token + "\n", encoding="utf-8")
    public = out.with_name(out.name + ".pub.pem")
    public.write_bytes(public_key_pem(key.public_key()))
    return CredentialExport(events=len(events), credential=out, public_key=public)


def issuer_key(path: Path) -> tuple[bytes, bool]:
    """The issuer private key PEM at ``path``, made (and written) when absent; True if made."""
    if path.exists():
        return path.read_bytes(), False
    pem = private_key_pem(generate_issuer_key())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pem)
    return pem, True
