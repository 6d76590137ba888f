"""How the ledger's entries and key index are packed into database rows.

Entries go into **bundles** of 1,024 consecutive entries per row (as C2SP tlog-tiles' entry bundles
group entries), so an append writes one row per thousand entries instead of one per entry; only
the right-edge bundle is partial, and the next append rewrites it. A bundle of ~200 KB spills over
into SQLite overflow pages, which are filled to the last byte, whereas a blob that just fits a
64 KiB page leaves the rest of that page empty. A bundle's blob is::

    (count + 1) little-endian u32 offsets into the keys   | (count + 1) u32 offsets into the data
    | the keys (UTF-8), back to back                       | the entries' leaf data, back to back

The **key index** maps a key (an event id) to its entry through an 8-byte hash of the key. It is
log-structured: each append writes one sorted *run* of ``(key hash, entry index)`` pairs for its
entries, cut into blocks of about 512 pairs (equal hashes never straddle two blocks, so a lookup
reads one block per run); runs are merged eight at a time as they pile up
(:func:`runs_to_merge`), which keeps O(log n) runs and writes each pair O(log n) times, always
at the end of the tables' B-trees instead of at random places. A block's blob is the pairs'
hashes then their indexes, both little-endian signed 64-bit. Equal hashes of different keys are
kept side by side and told apart by reading the entries.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterator, Sequence
from itertools import accumulate, pairwise

import numpy as np
import numpy.typing as npt

from oresight.core.errors import StoreError

BUNDLE_SIZE = 1024
"""Entries per bundle row."""
BLOCK_PAIRS = 512
"""Target ``(hash, index)`` pairs per key-index block."""
MERGE_WIDTH = 8
"""Runs of the key index merged at a time (see :func:`runs_to_merge`)."""
_HASHES = np.dtype("<i8")
_sha256 = hashlib.sha256

Int64Array = npt.NDArray[np.int64]


def encode_key(key: str) -> bytes:
    """A key as stored: its UTF-8 (lone surrogates kept, so that any ``str`` round-trips)."""
    return key.encode("utf-8", "surrogatepass")


def key_hashes(encoded_keys: Sequence[bytes]) -> Int64Array:
    """The 8-byte hash of each key: the first 8 bytes of SHA-256 of its UTF-8, as signed
    little-endian 64-bit integers (what the database's BIGINT columns hold)."""
    digests = b"".join([_sha256(key).digest() for key in encoded_keys])
    # Every fourth 8-byte word of the joined digests is a digest's first 8 bytes.
    return np.frombuffer(digests, dtype=_HASHES)[::4].astype(np.int64)


def pack_bundle(keys: Sequence[bytes], datas: Sequence[bytes]) -> bytes:
    """One bundle row's blob for these encoded keys and leaf data (see the module docstring)."""
    count = len(keys)
    layout = f"<{count + 1}I"
    key_offsets = struct.pack(layout, 0, *accumulate(map(len, keys)))
    data_offsets = struct.pack(layout, 0, *accumulate(map(len, datas)))
    return b"".join((key_offsets, data_offsets, *keys, *datas))


def unpack_bundle(blob: bytes, count: int, *, where: str) -> tuple[list[bytes], list[bytes]]:
    """Encoded keys and leaf data of a bundle blob holding ``count`` entries; a blob that does
    not parse is a :class:`StoreError` naming ``where`` (which bundle)."""
    header = 8 * (count + 1)
    if count < 1 or len(blob) < header:
        raise StoreError(
            f"ledger {where} is damaged: {len(blob)} bytes cannot hold {count} entries"
        )
    offsets = struct.unpack_from(f"<{2 * (count + 1)}I", blob)
    key_offsets, data_offsets = offsets[: count + 1], offsets[count + 1 :]
    keys_at = header
    datas_at = keys_at + key_offsets[-1]
    if (
        key_offsets[0] != 0
        or data_offsets[0] != 0
        or datas_at + data_offsets[-1] != len(blob)
        or any(a > b for a, b in pairwise(key_offsets))
        or any(a > b for a, b in pairwise(data_offsets))
    ):
        raise StoreError(f"ledger {where} is damaged: its offsets do not match its length")
    keys = [blob[keys_at + a : keys_at + b] for a, b in pairwise(key_offsets)]
    datas = [blob[datas_at + a : datas_at + b] for a, b in pairwise(data_offsets)]
    return keys, datas


def one_of_bundle(blob: bytes, count: int, offset: int, *, where: str) -> tuple[bytes, bytes]:
    """The encoded key and leaf data of entry ``offset`` of a bundle, without unpacking the
    others (a lookup's cost: two offsets per column)."""
    header = 8 * (count + 1)
    if not 0 <= offset < count or len(blob) < header:
        raise StoreError(f"ledger {where} is damaged: it cannot hold entry {offset} of {count}")
    key_start, key_stop = struct.unpack_from("<2I", blob, 4 * offset)
    (keys_length,) = struct.unpack_from("<I", blob, 4 * count)
    data_start, data_stop = struct.unpack_from("<2I", blob, 4 * (count + 1 + offset))
    datas_at = header + keys_length
    if not (key_start <= key_stop <= keys_length and data_start <= data_stop) or (
        datas_at + data_stop > len(blob)
    ):
        raise StoreError(f"ledger {where} is damaged: its offsets do not match its length")
    key = blob[header + key_start : header + key_stop]
    return key, blob[datas_at + data_start : datas_at + data_stop]


def decode_key(encoded: bytes, *, where: str) -> str:
    """A stored key back as ``str``."""
    try:
        return encoded.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError as exc:
        raise StoreError(f"ledger {where} holds a key that is not UTF-8: {exc}") from exc


def bundles(
    first: int, keys: Sequence[bytes], datas: Sequence[bytes]
) -> Iterator[tuple[int, int, int, int]]:
    """``(bundle index, count, start, stop)`` for entries ``first ..`` given as the slices
    ``[start, stop)`` of ``keys``/``datas``: the bundles an append touches, the first possibly
    partial (the caller merges it with what the stored bundle already holds)."""
    end = first + len(keys)
    index = first
    while index < end:
        bundle = index // BUNDLE_SIZE
        stop = min(end, (bundle + 1) * BUNDLE_SIZE)
        yield bundle, stop - bundle * BUNDLE_SIZE, index - first, stop - first
        index = stop


def sorted_run(hashes: Int64Array, indexes: Int64Array) -> tuple[Int64Array, Int64Array]:
    """Pairs ordered by hash, then by index; ``indexes`` must rise, as an append's do."""
    order = np.argsort(hashes, kind="stable")
    return hashes[order], indexes[order]


def run_blocks(hashes: Int64Array, indexes: Int64Array) -> Iterator[tuple[int, bytes]]:
    """A sorted run cut into blocks: ``(first hash, blob)``; equal hashes stay in one block."""
    count = len(hashes)
    start = 0
    while start < count:
        stop = min(count, start + BLOCK_PAIRS)
        while stop < count and hashes[stop] == hashes[stop - 1]:
            stop += 1
        block = (
            hashes[start:stop].astype(_HASHES).tobytes()
            + indexes[start:stop].astype(_HASHES).tobytes()
        )
        yield int(hashes[start]), block
        start = stop


def unpack_block(blob: bytes, *, where: str) -> tuple[Int64Array, Int64Array]:
    """The ``(hashes, indexes)`` of a key-index block."""
    if not blob or len(blob) % 16:
        raise StoreError(f"ledger {where} is damaged: {len(blob)} bytes is not a list of pairs")
    half = len(blob) // 2
    hashes = np.frombuffer(blob, dtype=_HASHES, count=half // 8)
    indexes = np.frombuffer(blob, dtype=_HASHES, offset=half)
    return hashes.astype(np.int64, copy=False), indexes.astype(np.int64, copy=False)


def indexes_with_hash(blob: bytes, key_hash: int, *, where: str) -> list[int]:
    """Entry indexes a block lists under ``key_hash``."""
    hashes, indexes = unpack_block(blob, where=where)
    low = int(np.searchsorted(hashes, key_hash, side="left"))
    high = int(np.searchsorted(hashes, key_hash, side="right"))
    return [int(i) for i in indexes[low:high]]


def merge_runs(runs: Sequence[tuple[Int64Array, Int64Array]]) -> tuple[Int64Array, Int64Array]:
    """One sorted run holding the pairs of several runs over consecutive entry ranges, given
    oldest first (a stable sort of the concatenation then keeps equal hashes in index order)."""
    hashes = np.concatenate([h for h, _ in runs])
    indexes = np.concatenate([i for _, i in runs])
    order = np.argsort(hashes, kind="stable")
    return hashes[order], indexes[order]


def runs_to_merge(sizes: Sequence[int]) -> int:
    """How many of the newest runs to merge into one after an append, given every run's entry
    count, oldest first, the append's own run last: 0, or at least 2.

    The newest :data:`MERGE_WIDTH` runs merge whenever the oldest of them is no larger than the
    others together, and again while that holds. Each run left standing is then larger than the
    next :data:`MERGE_WIDTH` - 1 together, so there are O(log n) runs, and an entry's pair is
    rewritten about log8(n / batch) times; a small run never strands behind a large one.
    """
    sizes = list(sizes)
    take = 1
    while len(sizes) >= MERGE_WIDTH and sizes[-MERGE_WIDTH] <= sum(sizes[1 - MERGE_WIDTH :]):
        sizes[-MERGE_WIDTH:] = [sum(sizes[-MERGE_WIDTH:])]
        take += MERGE_WIDTH - 1
    return take if take > 1 else 0
