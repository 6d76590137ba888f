"""Tiles of the ledger's tree hashes in the workspace database: geometry and appends.

As C2SP tlog-tiles groups them, a tile at tile level ``T`` holds up to 256 consecutive nodes of
node level ``8T`` and the complete nodes of the 7 levels above them, one blob per row. An append
writes about one tile row per 256 entries and rewrites the partial tile at the right edge of each
tile level; a proof reads the few tiles that hold its O(log n) nodes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from oresight.core.errors import StoreError
from oresight.core.ledger import NodeId

HASH_SIZE = 32
"""Bytes of a SHA-256 node hash (RFC 9162)."""
TILE_HEIGHT = 8
"""Node levels per tile: tile level ``T`` holds node levels ``8T .. 8T + 7``."""
TILE_WIDTH = 1 << TILE_HEIGHT
"""Nodes in a full tile's base row."""
_LEVEL_OFFSETS = tuple(
    tuple(sum(width >> j for j in range(k)) for k in range(TILE_HEIGHT + 1))
    for width in range(TILE_WIDTH + 1)
)
"""``[width][k]``: hashes before node level ``k`` in a tile ``width`` nodes wide; ``[width][8]``
is all of them."""


def tile_of(node: NodeId) -> tuple[int, int, int]:
    """``(tile level, tile index, offset)`` of a node: the tile holding it and its position
    among that tile's nodes of the node's level."""
    level, index = node
    tile_level, height = divmod(level, TILE_HEIGHT)
    shift = TILE_HEIGHT - height
    tile_index = index >> shift
    return tile_level, tile_index, index - (tile_index << shift)


def hash_in_tile(stored: Mapping[tuple[int, int], tuple[int, bytes]], node: NodeId) -> bytes | None:
    """The hash of ``node`` in its stored tile; ``None`` if the tile lacks it or is damaged
    (a width or length that do not agree)."""
    level, index = node
    if level < 0 or index < 0:
        return None
    tile_level, tile_index, offset = tile_of(node)
    tile = stored.get((tile_level, tile_index))
    if tile is None:
        return None
    width, hashes = tile
    height = level % TILE_HEIGHT
    if not 0 < width <= TILE_WIDTH or len(hashes) != HASH_SIZE * _LEVEL_OFFSETS[width][-1]:
        return None
    if offset >= width >> height:
        return None
    start = HASH_SIZE * (_LEVEL_OFFSETS[width][height] + offset)
    return hashes[start : start + HASH_SIZE]


def new_tiles(
    size: int,
    new_size: int,
    levels: Sequence[Sequence[bytes]],
    read_old: Any,
) -> list[tuple[int, int, int, bytes]]:
    """``(level, index, width, hashes)`` of every tile an append from ``size`` to ``new_size``
    leaves writes: new tiles, and the stored partial tiles it extends (read with ``read_old``).

    ``levels[L]`` must be exactly the new complete subtrees of node level ``L``, nodes
    ``size >> L`` to ``new_size >> L`` (trailing empty levels may be left out)."""
    top = new_size.bit_length()
    widths = [(new_size >> level) - (size >> level) for level in range(top)]
    by_level = [list(row) for row in levels]
    by_level.extend([] for _ in range(top - len(by_level)))
    if [len(row) for row in by_level] != widths:
        raise StoreError(
            f"ledger append from size {size} to {new_size} must bring its new complete "
            f"subtrees, per level {[w for w in widths if w]}, not {[len(r) for r in levels]}"
        )
    if any(set(map(len, row)) - {HASH_SIZE} for row in by_level):
        raise StoreError(f"every node hash of a ledger append must be {HASH_SIZE} bytes")

    tile_levels = range(0, top, TILE_HEIGHT)
    # Only the first tile of each tile level can be stored already, partly filled.
    partial = [
        (tl, (size >> base) >> TILE_HEIGHT)
        for tl, base in enumerate(tile_levels)
        if (size >> base) % TILE_WIDTH and (new_size >> base) > (size >> base)
    ]
    old = read_old(partial)
    tiles: list[tuple[int, int, int, bytes]] = []
    for tile_level, base in enumerate(tile_levels):
        first, end = size >> base, new_size >> base
        if end == first:
            continue  # no new node at this tile's base level, hence none above it
        for tile_index in range(first >> TILE_HEIGHT, ((end - 1) >> TILE_HEIGHT) + 1):
            start = tile_index << TILE_HEIGHT
            old_width = max(0, first - start)
            width = min(TILE_WIDTH, end - start)
            parts: list[bytes] = []
            if old_width:
                stored = old.get((tile_level, tile_index))
                if (
                    stored is None
                    or stored[0] != old_width
                    or len(stored[1]) != HASH_SIZE * _LEVEL_OFFSETS[old_width][-1]
                ):
                    raise StoreError(
                        f"ledger tile (level {tile_level}, index {tile_index}) should hold "
                        f"{old_width} nodes but is missing or damaged; run `oresight ledger audit`"
                    )
                held = stored[1]
            for height in range(min(TILE_HEIGHT, top - base)):
                level = base + height
                count = width >> height
                if not count:
                    break
                kept = old_width >> height
                if kept:
                    at = HASH_SIZE * _LEVEL_OFFSETS[old_width][height]
                    parts.append(held[at : at + HASH_SIZE * kept])
                level_first = start >> height
                since = level_first + kept - (size >> level)
                parts.extend(by_level[level][since : since + count - kept])
            tiles.append((tile_level, tile_index, width, b"".join(parts)))
    return tiles
