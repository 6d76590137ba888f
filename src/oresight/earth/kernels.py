"""Compiled per-block kernels of the disturbance scan (numba, from the ``oresight[earth]`` extra).

The score of a block used to be a chain of numpy operations, each a pass over the whole block
with its own temporary: about 150 ns a pixel, most of it memory traffic. Here
(:func:`scan_strip`) each pixel is read once, converted from DN to reflectance, its features and
the linear term computed row by row in the CPU's caches, in tiles of columns so that the texture
(the local standard deviation of NDVI and BSI), kept in a ring of a few rows of window sums,
stays in a core's own cache; then the disturbed mask's groups are found as runs of columns
joined by union-find, so that specks are told from mines without a label a pixel: about 26 ns
a pixel in all on a 2 GHz Zen 2 core (AVX2). Beside it, the DN-to-reflectance rule of every
sensor in one pass (:func:`affine_reflectance`), the removal of specks from a mask
(:func:`without_specks`) and the new ground between two scans (:func:`new_ground_strip`), on
the same groups of runs.

A block is a strip of whole rows, given the rows of its neighbours above and below as arrays
of their own: the kernel reads them in place, so no padded copy of the block is ever made
(Dask's ``map_overlap`` concatenates one). The kernels release the GIL, so Dask's threads run
them side by side, and write into arrays the caller allocates with numpy (which asks the kernel
for huge pages, so a fresh block does not fault every 4 KiB). Helpers called once a pixel take
scalars only: a call that takes arrays counts references to them each time, even inlined (and
so does an array variable given a new array inside a pixel's loop); loops index slices taken
before them, which vectorise where offsets computed inside do not.

The arithmetic is the one :mod:`oresight.earth.disturbance` documents: features in float32
(NaN where not observed, or where a normalised difference has a zero denominator), window sums
in float64, added in a fixed order (never running sums), so that a pixel's value depends on its
neighbourhood only and a Dask block, a tile and the whole array agree to the bit; the
standard deviation's root and division and the logistic in float32 (within 2 units in the last
place of float64's). The raster's edges are mirrored (the edge pixel repeated: SciPy's
``reflect``, numpy's ``symmetric``).

This module imports numba at its top: import it through
:func:`oresight.earth.extra.require_extra`, never directly from a module that must load without
the extra. Kernels are compiled on first use and cached beside the module (numba's ``cache``).
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

# Every loop below runs along one row over a few 1-D arrays: LLVM vectorises loops of that
# shape (8 float32 or 4 float64 lanes), and rows of a block stay in the CPU's caches.

_jit = numba.njit(nogil=True, cache=True, error_model="numpy")
"""Compiled once, cached on disk beside the module; the GIL released."""


@numba.njit(nogil=True, cache=True, error_model="numpy", inline="always")
def _normalised(a: Any, b: Any) -> Any:
    """``(a - b) / (a + b)``, NaN where ``a + b`` is 0."""
    total = a + b
    return (a - b) / total if total != 0 else np.float32(np.nan)


@_jit
def _mirror(index: int, size: int) -> int:
    """``index`` mirrored into ``[0, size)``, the edge pixel repeated (again and again when
    ``size`` is smaller than the reach)."""
    while index < 0 or index >= size:
        index = -index - 1 if index < 0 else 2 * size - 1 - index
    return index


@_jit
def _linear_row(
    blue: Any,
    green: Any,
    red: Any,
    nir: Any,
    swir16: Any,
    swir22: Any,
    vegetation_row: Any,
    bare_row: Any,
    clear: Any,
    weights: Any,
    intercept: float,
    dark_swir: float,
    linear: Any,
) -> None:
    """The linear term of the six spectral features of one row (the texture comes later); NaN
    where not observed or a band is NaN. NDVI and BSI come computed (:func:`_vegetation_row`,
    :func:`_bare_row`), as the texture needs them too."""
    zero = np.float32(0.0)
    nan = np.float32(np.nan)
    dark = np.float32(dark_swir)
    start = np.float32(intercept)
    w0, w1, w2 = np.float32(weights[0]), np.float32(weights[1]), np.float32(weights[2])
    w3, w4, w5 = np.float32(weights[3]), np.float32(weights[4]), np.float32(weights[5])
    for column in range(linear.shape[0]):
        b = np.float32(blue[column])
        g = np.float32(green[column])
        r = np.float32(red[column])
        n = np.float32(nir[column])
        s1 = np.float32(swir16[column])
        s2 = np.float32(swir22[column])
        vegetation = vegetation_row[column]
        bare = bare_row[column]
        water = _normalised(g, s1)
        turbidity = _normalised(r, g)
        turbid_water = (water if water > zero else zero) * turbidity
        turbid_water = turbid_water if water == water else nan
        swir_nd = _normalised(s1, s2)
        swir_nd = zero if s1 + s2 < dark else swir_nd  # NaN sums keep their NaN
        value = start
        value += w0 * vegetation if w0 != 0 else zero
        value += w1 * bare if w1 != 0 else zero
        value += w2 * water if w2 != 0 else zero
        value += w3 * turbidity if w3 != 0 else zero
        value += w4 * turbid_water if w4 != 0 else zero
        value += w5 * swir_nd if w5 != 0 else zero
        complete = (b + g + r + n + s1 + s2) == (b + g + r + n + s1 + s2)
        linear[column] = value if (clear[column] > 0) & complete else nan


@_jit
def _vegetation_row(nir: Any, red: Any, clear: Any, values: Any) -> None:
    """NDVI of one row into ``values`` (NaN where not observed)."""
    nan = np.float32(np.nan)
    for column in range(values.shape[0]):
        vegetation = _normalised(np.float32(nir[column]), np.float32(red[column]))
        values[column] = vegetation if clear[column] > 0 else nan


@_jit
def _bare_row(swir16: Any, red: Any, nir: Any, blue: Any, clear: Any, values: Any) -> None:
    """BSI of one row into ``values`` (NaN where not observed)."""
    nan = np.float32(np.nan)
    for column in range(values.shape[0]):
        soil = np.float32(swir16[column]) + np.float32(red[column])
        cover = np.float32(nir[column]) + np.float32(blue[column])
        values[column] = _normalised(soil, cover) if clear[column] > 0 else nan


@_jit
def _texture_row(
    row: Any,
    lead: int,
    start: int,
    width: int,
    half: int,
    sums: Any,
    counts: Any,
    value: Any,
    square: Any,
    valid: Any,
) -> None:
    """Window sums along a row of a feature (NaN left out) for the columns ``start`` to
    ``start + len(counts)`` of a raster ``width`` wide: of the values and of their squares
    (float64) into ``sums[0:2]``, of the valid pixels (float32, whole numbers, exact) into
    ``counts``. ``row`` holds the feature from column ``start - lead`` on, through the half
    window beyond the columns (or the raster's edge, where they are mirrored). ``value``,
    ``square`` and ``valid`` are scratch, ``2 * half`` longer than the columns: the row
    converted once."""
    columns = counts.shape[0]
    zero, one = np.float32(0.0), np.float32(1.0)
    low, high = max(half - start, 0), min(columns + 2 * half, width - start + half)
    # The columns on the raster, from the row (slices first: plain indices vectorise).
    features = row[lead - half + low : lead - half + high]
    values, squares, seen = value[low:high], square[low:high], valid[low:high]
    for column in range(features.shape[0]):
        feature = features[column]
        converted = np.float64(feature) if feature == feature else 0.0
        values[column] = converted
        squares[column] = converted * converted
        seen[column] = one if feature == feature else zero
    outside = low + columns + 2 * half - high
    for beyond in range(outside):  # the columns beyond the raster's edges: mirrored ones
        padded = beyond if beyond < low else high + beyond - low
        source = _mirror(start - half + padded, width) - start + half
        value[padded] = value[source]
        square[padded] = square[source]
        valid[padded] = valid[source]
    window = 2 * half + 1
    # The default window as a constant, so that the compiler unrolls and vectorises it (3x
    # faster than with the window known only at run time).
    if window == 5:
        _window_sums(sums, counts, value, square, valid, 5)
    else:
        _window_sums(sums, counts, value, square, valid, window)


@_jit
def _window_sums(sums: Any, counts: Any, value: Any, square: Any, valid: Any, window: int) -> None:
    _window_sum(sums[0], value, window)
    _window_sum(sums[1], square, window)
    _window_sum(counts, valid, window)


@_jit
def _window_sum(into: Any, row: Any, window: int) -> None:
    """``into[c] = row[c] + row[c + 1] + ... + row[c + window - 1]``, added left to right (in
    ``into``'s type): the first three terms, then two at a time. The default window's five in
    one pass (its loop over the terms unrolled), others a pass a pair."""
    width = into.shape[0]
    if window == 1:
        for column in range(width):
            into[column] = row[column]
        return
    if window == 5:
        for column in range(width):
            into[column] = (
                ((row[column] + row[column + 1]) + row[column + 2]) + row[column + 3]
            ) + row[column + 4]
        return
    for column in range(width):
        into[column] = (row[column] + row[column + 1]) + row[column + 2]
    for offset in range(3, window, 2):
        for column in range(width):
            into[column] = (into[column] + row[column + offset]) + row[column + offset + 1]


@_jit
def _vertical_sums(
    into: Any, counted: Any, ring: Any, counts: Any, slots: Any, window: int
) -> None:
    """The window sums of the rows in ``slots`` (a fixed order, as along the rows): of the
    four float64 quantities of ``ring`` into ``into`` and of the two counts into ``counted``."""
    for quantity in range(4):
        _vertical_sum(into[quantity], ring, slots, quantity, window)
    for quantity in range(2):
        _vertical_sum(counted[quantity], counts, slots, quantity, window)


@_jit
def _vertical_sum(into: Any, ring: Any, slots: Any, quantity: int, window: int) -> None:
    """The sums of ``ring[slot, quantity]`` over the first ``window`` ``slots``, added in their
    order, three rows in the first pass, then two a pass (as :func:`_window_sum`)."""
    width = into.shape[0]
    a = ring[slots[0], quantity]
    if window == 1:
        into[:] = a
        return
    b = ring[slots[1], quantity]
    c = ring[slots[2], quantity]
    if window == 5:
        d = ring[slots[3], quantity]
        e = ring[slots[4], quantity]
        for column in range(width):
            into[column] = (((a[column] + b[column]) + c[column]) + d[column]) + e[column]
        return
    for column in range(width):
        into[column] = (a[column] + b[column]) + c[column]
    for offset in range(3, window, 2):
        d = ring[slots[offset], quantity]
        e = ring[slots[offset + 1], quantity]
        for column in range(width):
            into[column] = (into[column] + d[column]) + e[column]


@_jit
def _spread_row(total: Any, square: Any, count: Any, spread: Any) -> None:
    """Standard deviation from a window's sums, ``sqrt(n * square - total**2) / n`` (float32;
    NaN where the window saw nothing): the difference in float64, where it cancels, the root
    and the division in float32, eight lanes at a time (float64's take four, and the divider
    is the slowest unit of the scan)."""
    nan = np.float32(np.nan)
    for column in range(spread.shape[0]):
        n = count[column]
        summed = total[column]
        difference = np.float64(n) * square[column] - summed * summed
        root = np.sqrt(np.float32(difference if difference > 0 else 0.0))
        spread[column] = root / n if n > 0 else nan


@numba.njit(nogil=True, cache=True, error_model="numpy", fastmath={"contract"})
def _score_row(values: Any, first: Any, second: Any, weights: Any, limit: float) -> None:
    """The linear term in ``values`` plus the texture's (the spreads of NDVI, ``first``, and
    of BSI, ``second``), clipped to ``±limit``, through the logistic, in place. Multiplications
    and additions may fuse (``contract``): the logistic's polynomial is most of the row."""
    zero = np.float32(0.0)
    low, high = np.float32(-limit), np.float32(limit)
    w6, w7 = np.float32(weights[6]), np.float32(weights[7])
    for column in range(values.shape[0]):
        value = values[column]
        value += w6 * first[column] if w6 != 0 else zero  # a zero weight ignores a NaN
        value += w7 * second[column] if w7 != 0 else zero
        clipped = high if value > high else (low if value < low else value)
        values[column] = _logistic(clipped) if value == value else value


LN2_HIGH = 0.693145751953125
"""ln 2 in two float32 parts (Cody and Waite): the high part's low bits are zero, so that
``k * LN2_HIGH`` is exact for the ``k`` of a clipped logit."""
LN2_LOW = 1.428606765330187e-06
"""ln 2 - :data:`LN2_HIGH`."""


@numba.njit(nogil=True, cache=True, error_model="numpy", inline="always")
def _logistic(x: Any) -> Any:
    """``1 / (1 + exp(-x))`` in float32 for ``|x| <= 44``, within 2 units in the last place
    of float64's logistic rounded to float32 (equal to it in about 70 % of [-30, 30]; numpy's
    float32 ``exp`` gives 63 %), in arithmetic alone, so that the loop it is in vectorises (a
    call of the library's ``exp`` is one pixel at a time): ``exp(-|x|) = 2**-k * exp(-r)``
    with ``k`` the nearest whole number to ``|x| / ln 2`` and ``|r| <= ln 2 / 2``, ``exp(-r)``
    by its Taylor series to the 8th term (the rest below 6e-9), ``2**-k`` from the six bits
    of ``k``; then ``1 / (1 + e)`` for ``x >= 0``, ``e / (1 + e)`` below."""
    one = np.float32(1.0)
    size = abs(x)
    steps = np.int32(size * np.float32(1.4426950408889634) + np.float32(0.5))
    k = np.float32(steps)
    r = (k * np.float32(-LN2_HIGH) + size) + k * np.float32(-LN2_LOW)
    r = -r
    p = np.float32(1.0 / 40320.0)  # 1/8!
    p = p * r + np.float32(1.0 / 5040.0)
    p = p * r + np.float32(1.0 / 720.0)
    p = p * r + np.float32(1.0 / 120.0)
    p = p * r + np.float32(1.0 / 24.0)
    p = p * r + np.float32(1.0 / 6.0)
    p = p * r + np.float32(0.5)
    p = p * r + one
    p = p * r + one
    p = p * (np.float32(0.5) if steps & 1 else one)
    p = p * (np.float32(0.25) if steps & 2 else one)
    p = p * (np.float32(2.0**-4) if steps & 4 else one)
    p = p * (np.float32(2.0**-8) if steps & 8 else one)
    p = p * (np.float32(2.0**-16) if steps & 16 else one)
    p = p * (np.float32(2.0**-32) if steps & 32 else one)
    return (one if x >= 0 else p) / (one + p)


@_jit
def _row(above: Any, block: Any, below: Any, index: int) -> Any:
    """Row ``index`` of the rows of ``above``, ``block`` and ``below`` stacked (read in place:
    a block and its neighbours' edge rows are never copied into one array)."""
    top = above.shape[0]
    if index < top:
        return above[index]
    index -= top
    if index < block.shape[0]:
        return block[index]
    return below[index - block.shape[0]]


@_jit
def _reflectance_row(dn: Any, rule: Any, fills: Any, out: Any) -> None:
    """One row of DN to reflectance by ``rule`` (add, multiply, shift, divide):
    ``((dn + add) * multiply + shift) / divide``, each step in float32; NaN where the DN is
    ``fills[0]`` or ``fills[1]``."""
    a, m = np.float32(rule[0]), np.float32(rule[1])
    s, d = np.float32(rule[2]), np.float32(rule[3])
    nan = np.float32(np.nan)
    first, second = fills[0], fills[1]
    for column in range(out.shape[0]):
        value = dn[column]
        converted = ((np.float32(value) + a) * m + s) / d
        out[column] = nan if (value == first) | (value == second) else converted


@_jit
def scan_strip(
    bands: Any,
    above: Any,
    below: Any,
    clear: Any,
    clear_above: Any,
    clear_below: Any,
    rules: NDArray[np.float64],
    fills: NDArray[Any],
    weights: NDArray[np.float64],
    intercept: float,
    dark_swir: float,
    half: int,
    limit: float,
    threshold: float,
    min_pixels: int,
    out: NDArray[np.float32],
    halo: NDArray[np.float32],
) -> None:
    """The disturbance score of one block, with the sign of its disturbed pixels flipped, into
    ``out`` (float32, the block's shape; NaN where not observed).

    ``bands`` holds the block's six bands (blue, green, red, nir, swir16, swir22: 2-D arrays
    of one type, DN or reflectance) and ``above`` and ``below`` the rows of its neighbours
    within reach (as many, and as wide; none at the raster's edges, where rows are mirrored),
    ``clear``, ``clear_above`` and ``clear_below`` its clear observations (0: not observed).
    Each band's row ``rules[b]`` (add, multiply, shift, divide) and ``fills[b]`` (two fill
    values of the band's type) turn it to reflectance as it is read; reflectance itself takes
    ``(0, 1, 0, 1)``. ``weights`` in FEATURES order, ``half`` the texture's half window,
    ``limit`` the clip of the linear term.

    Where ``threshold`` is not NaN, the pixels scoring at least it form the disturbed mask:
    its groups of fewer than ``min_pixels`` edge-connected pixels are specks and keep their
    sign; every other disturbed pixel's score is negated (a score there is above 0, so the
    flip is exact). The rows of the neighbours count for the groups, so that a block's pixels
    get the answer the whole raster gives when the neighbours' rows reach ``half`` beyond the
    reach of a speck (``min_pixels - 1``). Scratch: ``halo`` (the neighbours' rows by width,
    float32).

    The block is scored in tiles of :data:`TILE` columns, row after row of each, so that the
    texture's window sums of recent rows stay in the core's own cache (a ring of them across a
    whole Sentinel-2 row is 2 MB); then the mask's groups are found as runs of columns
    (:func:`_flip_big_groups`)."""
    top = above[0].shape[0]
    height, width = bands[0].shape
    tiles = -(-width // TILE)
    columns = -(-width // tiles)  # tiles of equal widths
    for start in range(0, width, columns):
        _score_columns(
            bands,
            above,
            below,
            (clear_above, clear, clear_below),
            rules,
            fills,
            weights,
            intercept,
            dark_swir,
            half,
            limit,
            (halo[:top], out, halo[top:]),
            start,
            min(start + columns, width),
        )
    if threshold != threshold:  # NaN: no mask
        return
    marks = np.empty(width, dtype=np.uint8)
    low = np.float32(threshold)
    if min_pixels <= 1:
        for row in range(height):
            _flip_row(out[row], _marked_row(out[row], low, marks))
        return
    _flip_big_groups((halo[:top], out, halo[top:]), low, min_pixels)


@_jit
def _flip_big_groups(scores: Any, low: Any, min_pixels: int) -> None:
    """Negate the scores of the block (``scores[1]``) that are at least ``low`` and belong to a
    group of ``min_pixels`` or more such pixels sharing edges, the rows above and below
    (``scores[0]``, ``scores[2]``) counting for the groups (:func:`_big_runs`)."""
    top = scores[0].shape[0]
    starts, stops, first, big = _big_runs(scores, low, min_pixels)
    for row in range(scores[1].shape[0]):
        line = scores[1][row]
        for run in range(first[top + row], first[top + row + 1]):
            if big[run]:
                for column in range(starts[run], stops[run]):
                    line[column] = -line[column]


@_jit
def _keep_big_groups(rows: Any, low: Any, min_pixels: int, kept: Any) -> None:
    """``kept`` (the block's shape, bool): the pixels of the block (``rows[1]``) at least
    ``low`` in groups of ``min_pixels`` or more, as :func:`_flip_big_groups` finds them."""
    top = rows[0].shape[0]
    starts, stops, first, big = _big_runs(rows, low, min_pixels)
    kept[:] = False
    for row in range(kept.shape[0]):
        line = kept[row]
        for run in range(first[top + row], first[top + row + 1]):
            if big[run]:
                line[starts[run] : stops[run]] = True


@_jit
def _big_runs(rows: Any, low: Any, min_pixels: int) -> Any:
    """The groups of the pixels at least ``low`` of the rows of (above, block, below) that
    share edges (4-connectivity), as runs: each row's marked pixels as runs of columns
    (:func:`_runs`), each run joined by union-find to the runs of the row above whose columns
    it shares, so that the work grows with the runs, not with the pixels (no label a pixel).
    Returns the runs' starts and stops, the first run of each row (and the count after the
    last) and whether each run's group has ``min_pixels`` pixels or more."""
    total = rows[0].shape[0] + rows[1].shape[0] + rows[2].shape[0]
    width = rows[1].shape[1]
    marks = np.zeros(-(-width // 8) * 8, dtype=np.uint8)  # a whole number of words
    found = np.empty((2, width // 2 + 1), dtype=np.int32)  # a row's runs: starts, stops
    capacity = 4096
    starts = np.empty(capacity, dtype=np.int32)
    stops = np.empty(capacity, dtype=np.int32)
    parent = np.empty(capacity + 1, dtype=np.int32)  # run i is label i + 1
    sizes = np.empty(capacity + 1, dtype=np.int64)
    first = np.empty(total + 1, dtype=np.int64)
    count = 0
    for row in range(total):
        first[row] = count
        runs = _runs(_row(rows[0], rows[1], rows[2], row), low, marks, found)
        if count + runs > capacity:  # rows are not a pixel's loop: arrays may change here
            while count + runs > capacity:
                capacity *= 2
            starts, stops = _grown(starts, capacity), _grown(stops, capacity)
            parent, sizes = _grown(parent, capacity + 1), _grown(sizes, capacity + 1)
        for run in range(runs):
            starts[count + run], stops[count + run] = found[0, run], found[1, run]
            parent[count + run + 1] = count + run + 1
            sizes[count + run + 1] = found[1, run] - found[0, run]
        count += runs
        if row > 0:
            _join_runs(starts, stops, parent, first[row - 1], first[row], count)
    first[total] = count
    _group_sizes(parent, sizes, count)
    big = np.empty(count, dtype=np.bool_)
    for run in range(count):
        big[run] = sizes[parent[run + 1]] >= min_pixels
    return starts, stops, first, big


@_jit
def _runs(scores: Any, low: Any, marks: Any, found: Any) -> int:
    """The runs of columns of a row whose scores are at least ``low``: their starts and stops
    into ``found[0]`` and ``found[1]``; returns how many. ``marks`` is scratch, a whole number
    of 8-byte words: unmarked stretches are skipped a word at a time."""
    width = scores.shape[0]
    _marked_row(scores, low, marks[:width])
    words = marks.view(np.uint64)
    count = 0
    column = 0
    while column < width:
        if words[column >> 3] == 0:  # eight unmarked columns
            column = ((column >> 3) + 1) << 3
            continue
        if not marks[column]:
            column += 1
            continue
        found[0, count] = column
        while column < width and marks[column]:
            column += 1
        found[1, count] = column
        count += 1
    return count


@_jit
def _join_runs(starts: Any, stops: Any, parent: Any, above: int, here: int, count: int) -> None:
    """Join each run of a row (``here`` to ``count``) to the runs of the row above (``above``
    to ``here``) that share a column with it: both rows' runs are in column order."""
    end = here
    while above < end and here < count:
        if stops[above] <= starts[here]:
            above += 1
        elif stops[here] <= starts[above]:
            here += 1
        else:
            a, b = _root(parent, above + 1), _root(parent, here + 1)
            parent[max(a, b)] = min(a, b)
            if stops[above] < stops[here]:
                above += 1
            else:
                here += 1


@_jit
def _grown(values: Any, size: int) -> Any:
    """``values`` copied into a longer array of ``size``."""
    grown = np.empty(size, dtype=values.dtype)
    grown[: values.shape[0]] = values
    return grown


TILE = 2048
"""Columns of a tile of :func:`scan_strip`, at most (the tiles of a block are of equal widths):
its ring of window sums (five rows of six sums) is 400 KB at most, in a core's second-level
cache. Measured on a whole Sentinel-2 row, two threads: tiles of 2048 and 4096 columns 30 ns a
pixel, 1024 33 ns (a tile's rows cost calls), the whole row 32 ns."""


@_jit
def _score_columns(
    bands: Any,
    above: Any,
    below: Any,
    clear: Any,
    rules: Any,
    fills: Any,
    weights: Any,
    intercept: float,
    dark_swir: float,
    half: int,
    limit: float,
    scores: Any,
    start: int,
    stop: int,
) -> None:
    """The scores of the columns ``start`` to ``stop`` of every row of a block (as
    :func:`scan_strip`, which this is the inside of, takes its arguments; ``clear`` and
    ``scores`` are (above, block, below) each), row after row. Each row is read, converted and
    featured through the half window beyond the columns (to the raster's edges, where the
    texture mirrors)."""
    total = above[0].shape[0] + bands[0].shape[0] + below[0].shape[0]
    width = bands[0].shape[1]
    window = 2 * half + 1
    first, last = max(start - half, 0), min(stop + half, width)
    columns, span, lead = stop - start, last - first, start - first
    reflectance = np.empty((6, span), dtype=np.float32)
    features = np.empty((2, span), dtype=np.float32)
    ring = np.empty((window, 4, columns), dtype=np.float64)  # window sums of recent rows
    ring_counts = np.empty((window, 2, columns), dtype=np.float32)
    accumulated = np.empty((4, columns), dtype=np.float64)
    counted = np.empty((2, columns), dtype=np.float32)
    value = np.empty(columns + 2 * half, dtype=np.float64)
    square = np.empty(columns + 2 * half, dtype=np.float64)
    valid = np.empty(columns + 2 * half, dtype=np.float32)
    spreads = np.empty((2, columns), dtype=np.float32)
    slots = np.empty(window, dtype=np.int64)
    done = -1
    for row in range(total):
        while done < min(row + half, total - 1):
            done += 1
            seen = _row(clear[0], clear[1], clear[2], done)[first:last]
            for band in range(6):
                _reflectance_row(
                    _row(above[band], bands[band], below[band], done)[first:last],
                    rules[band],
                    fills[band],
                    reflectance[band],
                )
            _vegetation_row(reflectance[3], reflectance[2], seen, features[0])
            red, nir, blue = reflectance[2], reflectance[3], reflectance[0]
            _bare_row(reflectance[4], red, nir, blue, seen, features[1])
            # The linear term waits in the score's own row until its texture is known.
            inner = slice(lead, lead + columns)
            _linear_row(
                reflectance[0, inner],
                reflectance[1, inner],
                reflectance[2, inner],
                reflectance[3, inner],
                reflectance[4, inner],
                reflectance[5, inner],
                features[0, inner],
                features[1, inner],
                seen[inner],
                weights,
                intercept,
                dark_swir,
                _row(scores[0], scores[1], scores[2], done)[start:stop],
            )
            slot = done % window
            for feature in range(2):
                _texture_row(
                    features[feature],
                    lead,
                    start,
                    width,
                    half,
                    ring[slot, 2 * feature : 2 * feature + 2],
                    ring_counts[slot, feature],
                    value,
                    square,
                    valid,
                )
        for offset in range(window):
            slots[offset] = _mirror(row + offset - half, total) % window
        if window == 5:  # as along the rows
            _vertical_sums(accumulated, counted, ring, ring_counts, slots, 5)
        else:
            _vertical_sums(accumulated, counted, ring, ring_counts, slots, window)
        _spread_row(accumulated[0], accumulated[1], counted[0], spreads[0])
        _spread_row(accumulated[2], accumulated[3], counted[1], spreads[1])
        row_scores = _row(scores[0], scores[1], scores[2], row)[start:stop]
        _score_row(row_scores, spreads[0], spreads[1], weights, limit)


@_jit
def _marked_row(scores: Any, threshold: Any, marks: Any) -> Any:
    """Whether each score of a row is at least ``threshold``, into ``marks`` (returned)."""
    for column in range(scores.shape[0]):
        marks[column] = scores[column] >= threshold
    return marks


@_jit
def _flip_row(scores: Any, marks: Any) -> None:
    for column in range(scores.shape[0]):
        scores[column] = -scores[column] if marks[column] else scores[column]


@_jit
def affine_reflectance(
    dn: NDArray[Any],
    add: float,
    multiply: float,
    shift: float,
    divide: float,
    fills: NDArray[Any],
    out: NDArray[np.float32],
) -> None:
    """``((dn + add) * multiply + shift) / divide`` in float32, NaN where ``dn`` equals one of
    the two ``fills`` (of ``dn``'s type): every sensor's DN-to-reflectance rule in one pass over
    a contiguous block (any shape) into ``out`` (of its shape)."""
    rule = np.array([add, multiply, shift, divide], dtype=np.float64)
    _reflectance_row(dn.ravel(), rule, fills, out.ravel())


@_jit
def without_specks(
    mask: NDArray[np.bool_],
    above: NDArray[np.bool_],
    below: NDArray[np.bool_],
    min_pixels: int,
    kept: NDArray[np.bool_],
) -> None:
    """``mask`` (2-D) without its groups of fewer than ``min_pixels`` True pixels that share an
    edge (4-connectivity), into ``kept``; ``above`` and ``below`` are the rows of its
    neighbours within reach (none at the raster's edges), which count for the groups as in
    :func:`scan_strip` (:func:`_big_runs`)."""
    rows = (above.view(np.uint8), mask.view(np.uint8), below.view(np.uint8))
    _keep_big_groups(rows, np.uint8(1), min_pixels, kept)


@_jit
def new_ground_strip(
    before: Any,
    after: Any,
    limit: float,
    min_pixels: int,
    kept: NDArray[np.bool_],
) -> None:
    """The new ground between two signed scores of one grid (:func:`scan_strip`'s output: the
    score, negated where the cleaned mask holds) into ``kept``: disturbed after, observed
    before and below ``limit`` there, groups of fewer than ``min_pixels`` such pixels dropped.
    ``before`` and ``after`` are each (rows above, block, rows below), as
    :func:`without_specks` takes them."""
    low = np.float32(limit)
    marked = []
    for part in range(3):
        was, now = before[part], after[part]
        marks = np.empty(was.shape, dtype=np.uint8)
        for row in range(was.shape[0]):
            _new_row(was[row], now[row], low, marks[row])
        marked.append(marks)
    _keep_big_groups((marked[0], marked[1], marked[2]), np.uint8(1), min_pixels, kept)


@_jit
def _new_row(was: Any, now: Any, low: Any, marks: Any) -> None:
    """Disturbed now, observed before and below ``low`` then (NaN before compares False)."""
    for column in range(marks.shape[0]):
        marks[column] = (now[column] < 0) & (abs(was[column]) < low)


@_jit
def _group_sizes(parent: Any, sizes: Any, count: int) -> None:
    """Point every label at its root and add its pixels to the root's."""
    for label in range(1, count + 1):
        root = _root(parent, label)
        parent[label] = root
        if root != label:
            sizes[root] += sizes[label]


@_jit
def _root(parent: NDArray[np.int32], label: int) -> int:
    """The root of ``label``'s group, halving the path on the way."""
    while parent[label] != label:
        parent[label] = parent[parent[label]]
        label = parent[label]
    return label
