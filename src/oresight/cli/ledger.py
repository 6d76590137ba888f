"""``oresight ledger``: the workspace's verifiable custody log, and offline proof checking."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from oresight.cli.context import (
    EXIT_FAIL_ON,
    BarSink,
    LazyModule,
    WorkspaceOption,
    err_console,
    friendly_errors,
    opened,
    out_console,
    progress_bars,
)
from oresight.core.errors import InvalidInput

if TYPE_CHECKING:
    from oresight.store.database import Workspace
    from oresight.workflows import ledger as workflow
    from oresight.workflows.ledger import Receipt
else:
    workflow = LazyModule("oresight.workflows.ledger")

ledger_app = typer.Typer(
    help="The verifiable custody ledger: an append-only Merkle log with signed checkpoints, "
    "witness cosignatures and offline proof bundles.",
    no_args_is_help=True,
)


def read_input(path: Path) -> bytes:
    """The bytes of a file the user named; an unreadable one is bad input (exit 2)."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read the file: {exc.strerror}", file=str(path)) from None


def write_output(data: bytes, out: Path | None, *, what: str) -> None:
    """Write a note or bundle to ``out``, or to standard output when none is given."""
    if out is None:
        out_console.file.write(data.decode())
        return
    out.write_bytes(data)
    err_console.print(f"{what} written to [bold]{out}[/]")


def _checkpoint_line(note: bytes | None) -> str:
    return workflow.describe_checkpoint(note)


def print_receipts(receipts: list[Receipt], folder: Path | None) -> None:
    """Say what the log accepted, and write the receipts' bundles to ``folder``."""
    if not receipts:
        err_console.print("Ledger: nothing new to append.")
        return
    size = receipts[-1].tree_size
    err_console.print(
        f"Ledger: appended {len(receipts)} event(s), entries {receipts[0].index}.."
        f"{receipts[-1].index}; tree size now {size}."
    )
    if folder is not None:
        paths = workflow.write_receipts(receipts, folder)
        err_console.print(f"Inclusion receipts (tlog-proof bundles): {len(paths)} in {folder}")
    else:
        for receipt in receipts[:10]:
            out_console.print(f"{receipt.index}\t{receipt.event_id}")
        if len(receipts) > 10:
            out_console.print(f"... and {len(receipts) - 10} more (use --receipts DIR)")


@ledger_app.command("init")
def init(
    origin: Annotated[
        str | None,
        typer.Option(help="The log's origin line (default: oresight.local/<workspace name>)."),
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Create the log's signing key and an empty party key registry."""
    with friendly_errors(), opened(workspace) as ws:
        key = workflow.init_ledger(ws, origin=origin)
        paths = workflow.ledger_paths(ws)
        err_console.print(f"Ledger ready. Log public key ({paths.log_pub}):")
        out_console.print(key.to_text(), highlight=False)


@ledger_app.command("add-key")
def add_key(
    party: Annotated[str, typer.Argument(help="FtM entity id of the submitting party.")],
    workspace: WorkspaceOption = None,
) -> None:
    """Generate a signing key for a party and register it (rotating any current key)."""
    with friendly_errors(), opened(workspace) as ws:
        key, path = workflow.add_party_key(ws, party)
        err_console.print(f"Registered key {key.key_id} for {party}; private key: {path}")


@ledger_app.command("revoke-key")
def revoke_key(
    key_id: Annotated[str, typer.Argument(help="The key id to revoke.")],
    reason: Annotated[str, typer.Option(help="Why the key is revoked.")],
    workspace: WorkspaceOption = None,
) -> None:
    """Revoke a party key from now on; entries it signed before stay verifiable."""
    with friendly_errors(), opened(workspace) as ws:
        key = workflow.revoke_party_key(ws, key_id, reason=reason)
        err_console.print(f"Revoked key {key.key_id} of {key.party_id} at {key.revoked_at}")


SubmitterOption = Annotated[
    str | None,
    typer.Option(help="FtM id of the submitting party (default: each event's owner)."),
]
KeyOption = Annotated[
    Path | None,
    typer.Option(help="The submitter's private key (PEM); default: the workspace's key for it."),
]
ReceiptsOption = Annotated[
    Path | None, typer.Option(help="Write each event's inclusion receipt into this folder.")
]


def submit_to_ledger(
    ws: Workspace,
    *,
    submitter: str | None,
    key: Path | None,
    receipts: Path | None,
    event_ids: list[str] | None = None,
) -> None:
    """Sign and append events (all new ones, or ``event_ids``), then report the receipts."""
    pem = read_input(key) if key is not None else None
    with progress_bars("ledger") as bar:
        done = workflow.submit_events(
            ws, party_id=submitter, private_key=pem, event_ids=event_ids, progress=BarSink(bar)
        )
    print_receipts(done, receipts)


@ledger_app.command("submit")
def submit(
    submitter: SubmitterOption = None,
    key: KeyOption = None,
    receipts: ReceiptsOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Append every custody event of the workspace that is not yet in the log."""
    with friendly_errors(), opened(workspace) as ws:
        submit_to_ledger(ws, submitter=submitter, key=key, receipts=receipts)


@ledger_app.command("status")
def status(workspace: WorkspaceOption = None) -> None:
    """The log's origin, size, latest checkpoint and registered keys."""
    with friendly_errors(), opened(workspace) as ws:
        log = workflow.open_log(ws)
        out_console.print(f"origin:     {log.origin}")
        out_console.print(
            f"log key:    {log.log_key.verifier_key.to_text()}", highlight=False, soft_wrap=True
        )
        out_console.print(f"checkpoint: {_checkpoint_line(log.latest_checkpoint())}")
        table = Table(title="Party keys")
        for column in ("party", "key id", "valid from", "valid until", "revoked"):
            table.add_column(column)
        for k in log.registry:
            table.add_row(
                k.party_id,
                k.key_id,
                str(k.valid_from),
                str(k.valid_until or "—"),
                str(k.revoked_at or "—"),
            )
        out_console.print(table)


@ledger_app.command("checkpoint")
def checkpoint(workspace: WorkspaceOption = None) -> None:
    """Print the latest signed checkpoint (a C2SP signed note)."""
    with friendly_errors(), opened(workspace) as ws:
        note = workflow.open_log(ws).latest_checkpoint()
        if note is None:
            raise InvalidInput("the ledger is empty: no checkpoint yet")
        write_output(note, None, what="Checkpoint")


@ledger_app.command("log")
def log(
    start: Annotated[int, typer.Option(help="First entry index.")] = 0,
    limit: Annotated[int, typer.Option(help="How many entries.")] = 20,
    workspace: WorkspaceOption = None,
) -> None:
    """List log entries: index, accepted at, event, submitter, key."""
    with friendly_errors(), opened(workspace) as ws:
        entries = workflow.open_log(ws).entries(start, start + limit)
        table = Table(title=f"Ledger entries {start}..{start + len(entries) - 1}")
        for column in ("index", "accepted at", "event id", "party", "key id"):
            table.add_column(column, overflow="fold")
        for offset, leaf in enumerate(entries):
            table.add_row(
                str(start + offset),
                leaf.accepted_at.isoformat(),
                leaf.event_id,
                leaf.submission.party_id,
                leaf.submission.key_id,
            )
        out_console.print(table)


@ledger_app.command("proof")
def proof(
    event_id: Annotated[str, typer.Argument(help="The custody event's id.")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the bundle here.")] = None,
    size: Annotated[int | None, typer.Option(help="Prove against this tree size.")] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Write an offline inclusion proof bundle (C2SP tlog-proof) for one event."""
    with friendly_errors(), opened(workspace) as ws:
        bundle = workflow.open_log(ws).proof_bundle(event_id, size=size)
        write_output(bundle, out, what="Proof bundle")


@ledger_app.command("verify-proof")
def verify_proof(
    bundle: Annotated[Path, typer.Argument(help="A tlog-proof bundle file.")],
    log_key: Annotated[str, typer.Option(help="The log's public key text, or a file holding it.")],
    witness_key: Annotated[
        list[str] | None,
        typer.Option(help="A witness public key (text or file); repeatable."),
    ] = None,
    threshold: Annotated[
        int | None, typer.Option(help="How many of the witnesses must have cosigned.")
    ] = None,
    registry: Annotated[
        Path | None, typer.Option(help="Party key registry JSON: also check the submitter.")
    ] = None,
) -> None:
    """Verify a proof bundle offline (no workspace, no database, no network)."""
    with friendly_errors():
        data = read_input(bundle)
        result = workflow.verify_proof_bundle(
            data,
            log_key=_key_text(log_key),
            witness_keys=[_key_text(k) for k in witness_key or ()],
            threshold=threshold,
            registry=workflow.read_key_file(registry) if registry else None,
        )
        leaf = result.leaf
        out_console.print(
            f"OK: entry {result.proof.index} of {result.proof.checkpoint.origin} at tree size "
            f"{result.proof.checkpoint.size}, {len(result.proof.cosignatures)} witness "
            f"cosignature(s)\n  event {leaf.event_id}\n  event hash {leaf.submission.event_hash}"
            f"\n  submitted by {leaf.submission.party_id} (key {leaf.submission.key_id}"
            f"{', signature verified' if result.submitter_verified else ''}), accepted "
            f"{leaf.accepted_at.isoformat()}",
            highlight=False,
            soft_wrap=True,
        )


def _key_text(value: str) -> str:
    path = Path(value)
    if "+" not in value and path.is_file():
        return workflow.read_key_file(path)
    return value.strip()


@ledger_app.command("witness-key")
def witness_key(
    name: Annotated[str, typer.Argument(help="The witness's name, e.g. witness.example.org.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the private key.")],
) -> None:
    """Generate a witness signing key; print its public key."""
    with friendly_errors():
        public = workflow.generate_witness_key(name, out)
        err_console.print(f"Witness private key written to {out}; public key:")
        out_console.print(public.to_text(), highlight=False)


@ledger_app.command("witness")
def witness(
    key: Annotated[Path, typer.Option(help="The witness's private key file.")],
    state: Annotated[Path, typer.Option(help="The witness's state file (last cosigned).")],
    workspace: WorkspaceOption = None,
) -> None:
    """Act as a witness: cosign the log's latest checkpoint if it is consistent with the last
    one this witness cosigned, and store the cosigned copy."""
    with friendly_errors(), opened(workspace) as ws:
        note = workflow.witness_cosign(ws, witness_key=key, state=state)
        err_console.print(f"Cosigned: {_checkpoint_line(note)}")


@ledger_app.command("witness-request")
def witness_request(
    from_size: Annotated[
        int, typer.Option("--from", help="The size the witness last cosigned (0: never).")
    ] = 0,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write it here.")] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Operator side: the latest checkpoint and its consistency proof, for a remote witness."""
    with friendly_errors(), opened(workspace) as ws:
        request = workflow.witness_request(ws, old_size=from_size)
        write_output(request, out, what="Witness request")


@ledger_app.command("cosign")
def cosign(
    request: Annotated[Path, typer.Argument(help="A witness request from the operator.")],
    key: Annotated[Path, typer.Option(help="The witness's private key file.")],
    state: Annotated[Path, typer.Option(help="The witness's state file (last cosigned).")],
    log_key: Annotated[
        list[str], typer.Option(help="Public key (text or file) of a log this witness follows.")
    ],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the note here.")] = None,
) -> None:
    """Witness side, no workspace: cosign the request's checkpoint if it provably extends the
    last one this witness cosigned; write the cosigned note."""
    with friendly_errors():
        data = read_input(request)
        note = workflow.cosign_request(
            data, witness_key=key, state=state, log_keys=[_key_text(k) for k in log_key]
        )
        err_console.print(f"Cosigned: {_checkpoint_line(note)}")
        write_output(note, out, what="Cosigned checkpoint")


@ledger_app.command("add-cosignature")
def add_cosignature(
    note: Annotated[Path, typer.Argument(help="A checkpoint note a witness cosigned.")],
    workspace: WorkspaceOption = None,
) -> None:
    """Operator side: store a checkpoint a remote witness returned cosigned."""
    with friendly_errors(), opened(workspace) as ws:
        data = read_input(note)
        workflow.add_cosignature(ws, data)
        err_console.print(f"Stored: {_checkpoint_line(data)}")


@ledger_app.command("audit")
def audit(workspace: WorkspaceOption = None) -> None:
    """Recompute the tree from the stored leaves; name the first entry that no longer matches
    (exit code 1 when anything does)."""
    with friendly_errors(), opened(workspace) as ws:
        log_ = workflow.open_log(ws)
        with progress_bars("audit"):
            report = log_.audit()
    if report.ok:
        out_console.print(f"OK: {report.size} entries; every leaf, node and signature checks out.")
        return
    first = report.first
    assert first is not None
    out_console.print(
        f"TAMPERED: {len(report.problems)} problem(s); first: {first.describe()}",
        highlight=False,
        soft_wrap=True,
    )
    for problem in report.problems[1:10]:
        out_console.print(f"  {problem.describe()}", highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_FAIL_ON)
