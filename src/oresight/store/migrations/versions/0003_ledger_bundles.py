"""Custody ledger: entries in bundles of 1,024 and a log-structured key index.

Replaces ``ledger_entries`` (a row per entry with a unique index of random key hashes, which every
append wrote all over) by ``ledger_bundles`` and the key index's ``ledger_key_runs`` and
``ledger_key_blocks``. Entries already in a workspace are moved over as they are, in one run.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import numpy as np
import sqlalchemy as sa
from alembic import op

from oresight.core.errors import StoreError
from oresight.store import ledger_packing as packing

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

_MOVE_BATCH = 4 * packing.BUNDLE_SIZE


def upgrade() -> None:
    """Apply this migration."""
    bundles = op.create_table(
        "ledger_bundles",
        # INTEGER on SQLite makes idx the rowid: bundles append to the end of the table's B-tree.
        sa.Column(
            "idx",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("idx", name=op.f("pk_ledger_bundles")),
    )
    runs = op.create_table(
        "ledger_key_runs",
        sa.Column(
            "run",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("stop", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("run", name=op.f("pk_ledger_key_runs")),
    )
    blocks = op.create_table(
        "ledger_key_blocks",
        sa.Column("run", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("first_hash", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("pairs", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("run", "first_hash", name=op.f("pk_ledger_key_blocks")),
    )
    _move_entries(bundles, runs, blocks)
    op.drop_table("ledger_entries")


def _move_entries(bundles: sa.Table, runs: sa.Table, blocks: sa.Table) -> None:
    """Pack the rows of ``ledger_entries`` into bundles and one run of the key index."""
    conn = op.get_bind()
    entries = sa.table("ledger_entries", sa.column("idx"), sa.column("key"), sa.column("data"))
    size = 0
    hashes: list[np.ndarray] = []
    while True:
        rows = conn.execute(
            sa.select(entries.c.idx, entries.c.key, entries.c.data)
            .where(entries.c.idx >= size)
            .order_by(entries.c.idx)
            .limit(_MOVE_BATCH)
        ).all()
        if not rows:
            break
        gap = next((size + o for o, row in enumerate(rows) if row[0] != size + o), None)
        if gap is not None:
            raise StoreError(
                f"ledger_entries lacks entry {gap}: the ledger is damaged, so it is not moved "
                "to the new layout; restore the workspace from a backup before upgrading"
            )
        keys = [packing.encode_key(key) for _, key, _ in rows]
        datas = [bytes(data) for _, _, data in rows]
        conn.execute(
            sa.insert(bundles),
            [
                {"idx": bundle, "count": count, "data": packing.pack_bundle(keys[a:b], datas[a:b])}
                for bundle, count, a, b in packing.bundles(size, keys, datas)
            ],
        )
        hashes.append(packing.key_hashes(keys))
        size += len(rows)
    if not size:
        return
    run_hashes, run_indexes = packing.sorted_run(
        np.concatenate(hashes), np.arange(size, dtype=np.int64)
    )
    conn.execute(
        sa.insert(blocks),
        [
            {"run": 0, "first_hash": head, "pairs": blob}
            for head, blob in packing.run_blocks(run_hashes, run_indexes)
        ],
    )
    conn.execute(sa.insert(runs), {"run": 0, "stop": size})


def downgrade() -> None:
    """Revert this migration (the entries go back to a row each)."""
    op.create_table(
        "ledger_entries",
        sa.Column(
            "idx",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("key_hash", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.String(length=512), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("idx", name=op.f("pk_ledger_entries")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_ledger_entries_key_hash")),
    )
    conn = op.get_bind()
    entries = sa.table(
        "ledger_entries",
        sa.column("idx"),
        sa.column("key_hash"),
        sa.column("key"),
        sa.column("data"),
    )
    bundles = sa.table("ledger_bundles", sa.column("idx"), sa.column("count"), sa.column("data"))
    for bundle, count, blob in conn.execute(
        sa.select(bundles.c.idx, bundles.c.count, bundles.c.data)
    ):
        keys, datas = packing.unpack_bundle(bytes(blob), count, where=f"entry bundle {bundle}")
        key_hashes = packing.key_hashes(keys).tolist()
        conn.execute(
            sa.insert(entries),
            [
                {
                    "idx": bundle * packing.BUNDLE_SIZE + offset,
                    "key_hash": key_hash,
                    "key": packing.decode_key(key, where=f"entry bundle {bundle}"),
                    "data": data,
                }
                for offset, (key, data, key_hash) in enumerate(
                    zip(keys, datas, key_hashes, strict=True)
                )
            ],
        )
    op.drop_table("ledger_key_blocks")
    op.drop_table("ledger_key_runs")
    op.drop_table("ledger_bundles")
