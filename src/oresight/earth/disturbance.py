"""Mining disturbance in one composite: a score per pixel, a cleaned mask, and change between two.

**Features.** From the composite's reflectance (:mod:`oresight.earth.indices`), per pixel:

* ``ndvi`` — vegetation; a mine strips it (a single composite cannot see the loss itself, so low
  NDVI stands for it);
* ``bsi`` — the bare soil index, high over stripped ground and spoil;
* ``mndwi`` and ``ndti`` — open water, and sediment in it;
* ``turbid_water`` — ``max(mndwi, 0) * ndti``: open water AND turbid. Pit lakes and tailings
  ponds are muddy (red above green), rivers, lakes and fish ponds mostly are not, so this term
  tells a mining pond from clear water, which NDVI alone would both call "not vegetated";
* ``swir_nd`` — ``(swir16 - swir22) / (swir16 + swir22)``, high over clays (kaolinite absorbs
  near 2.2 um), the weathered saprolite and tailings of a pit; low over quartz sand bars. Only
  where the ground is bright enough in the SWIR (``swir16 + swir22 >= DARK_SWIR``); over
  water and deep shadow both bands are near zero, their ratio is noise, and the feature is 0;
* ``ndvi_texture`` and ``bsi_texture`` — the standard deviation of NDVI and BSI in a
  ``window`` x ``window`` neighbourhood (NaN neighbours left out). A working mine is a patchwork
  of pits, ponds and spoil; a field, a sandbar or a natural bare patch is even.

**Score.** A logistic model, ``score = 1 / (1 + exp(-(intercept + sum(weight * feature))))``, in
[0, 1]. The coefficients (:data:`DEFAULT_MODEL`) were fitted offline with scikit-learn on
synthetic scenes (:mod:`oresight.sim.scenes`); :data:`DEFAULT_MODEL`'s ``trained_on`` says on
which, and ``python benchmarks/earth_accuracy.py --fit`` regenerates them. They are
a documented starting point fitted on simulated spectra, not a model trained on real imagery.

**Not observed.** Pixels whose ``clear_count`` is 0 (never seen clear) have a NaN score, as do
pixels with a NaN band: a NaN says "no evidence", never "no mining".

**Clean-up.** :func:`disturbed` thresholds the score and removes specks: groups of fewer than
``min_pixels`` disturbed pixels that share an edge (4-connectivity) are dropped; single noisy
pixels are not mines, and 10 pixels at 10 m (0.1 ha) are below the smallest scars worth
reporting.

**Scale.** Everything works on numpy-backed and Dask-backed xarray alike, and gives the same
numbers. The score and the speck removal are one compiled kernel (:mod:`oresight.earth.kernels`,
numba): one pass over a block, about 25 ns a pixel, where the same arithmetic as a chain of
numpy operations took about 150. Under Dask a block is a strip of whole rows (a composite
chunked otherwise is rechunked to them), given the rows of the strips above and below that the
texture's half window and ``min_pixels - 1`` more cover (a group of fewer pixels cannot reach
further): one task a strip, the same code on a ``dask.distributed`` cluster, and only those
rows travel between workers. DN bands can be scanned with their reflectance rules
(:func:`scan`'s ``rules``), converted as they are read. :func:`disturbance_features` computes
the features with numpy array maths, for fitting the model and looking at what it sees; a test
holds the kernel to it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from oresight.core.errors import InvalidInput
from oresight.earth.bands import AffineRule
from oresight.earth.extra import require_extra
from oresight.earth.indices import (
    NIR_NAMES,
    bare_soil_index,
    mndwi,
    ndti,
    ndvi,
    swir_normalised_difference,
)

if TYPE_CHECKING:
    import xarray as xr

REFLECTANCE_BANDS = ("blue", "green", "red", "nir", "swir16", "swir22")
FEATURES = (
    "ndvi",
    "bsi",
    "mndwi",
    "ndti",
    "turbid_water",
    "swir_nd",
    "ndvi_texture",
    "bsi_texture",
)
"""The model's inputs, in the order the fit reports them."""
DEFAULT_WINDOW = 5
"""Texture neighbourhood, pixels (50 m at 10 m pixels)."""
DEFAULT_MIN_PIXELS = 10
"""Smallest group of disturbed pixels kept (0.1 ha at 10 m)."""
DARK_SWIR = 0.05
"""Below this sum of the two SWIR reflectances, ``swir_nd`` is taken as 0 (see above)."""
LOGIT_LIMIT = 30.0
"""The linear term is clipped to ±this before the exponential: the score is then within
1e-13 of 0 or 1, and ``exp`` never overflows."""


@dataclass(frozen=True)
class DisturbanceModel:
    """The coefficients of the logistic score and the threshold that goes with them."""

    intercept: float
    weights: Mapping[str, float]
    """A weight per name of :data:`FEATURES`; a missing name weighs 0."""
    threshold: float = 0.5
    """Default score at and above which a pixel is disturbed."""
    window: int = DEFAULT_WINDOW
    trained_on: str = ""
    """How the coefficients were obtained."""
    metrics: Mapping[str, float] = field(default_factory=dict)
    """What the fit measured on its own training scenes."""

    def __post_init__(self) -> None:
        unknown = sorted(set(self.weights) - set(FEATURES))
        if unknown:
            raise InvalidInput(
                f"unknown features {unknown}; known: {', '.join(FEATURES)}", field="weights"
            )
        if self.window < 3 or self.window % 2 == 0:
            raise InvalidInput(
                f"expected an odd window of 3 or more, found {self.window}", field="window"
            )
        if not 0 < self.threshold < 1:
            raise InvalidInput(
                f"expected a threshold in (0, 1), found {self.threshold}", field="threshold"
            )


DEFAULT_MODEL = DisturbanceModel(
    intercept=-10.077,
    weights={
        "ndvi": -4.923,
        "bsi": 22.278,
        "mndwi": 14.949,
        "ndti": 52.251,
        "turbid_water": 26.275,
        "swir_nd": 51.223,
        "ndvi_texture": 0.312,
        "bsi_texture": 12.933,
    },
    threshold=0.55,
    window=DEFAULT_WINDOW,
    trained_on=(
        "scikit-learn 1.9.1 LogisticRegression(C=10) on 8 synthetic scene pairs "
        "(oresight.sim.scenes.synthetic_scene, SceneSpec seeds 9001-9008, 1000 x 1000 px of "
        "10 m, period 2023, each with later_scene(seed=1), period 2024): every observed pixel "
        "of scars, hard negatives and river and 20,000 other pixels per scene, 926,821 pixels "
        "(26.7 % disturbed); threshold: the best pooled pixel IoU after clean-up over 0.30-0.80 "
        "in steps of 0.05. Regenerate with `python benchmarks/earth_accuracy.py --fit`."
    ),
    metrics={"fit_pixel_iou": 0.9343},
)
"""The shipped coefficients. Fitted on simulated spectra (see :mod:`oresight.sim.scenes`):
a documented starting point, to be refitted on labelled real composites before its scores are
read as probabilities."""


@dataclass(frozen=True)
class DisturbanceScan:
    """One composite scanned: the score, the cleaned mask and where the ground was seen."""

    score: xr.DataArray
    """float32 in [0, 1], NaN where not observed."""
    disturbed: xr.DataArray
    """bool, after the threshold and the removal of specks."""
    observed: xr.DataArray
    """bool, ``clear_count > 0``."""
    period: str
    threshold: float
    min_pixels: int
    signed: xr.DataArray | None = None
    """The score with the sign of the disturbed pixels flipped, as :func:`scan` computes them
    (``score`` and ``disturbed`` are read from it); :func:`new_ground` reads it in one pass."""


def disturbance_features(composite: xr.Dataset, *, window: int = DEFAULT_WINDOW) -> xr.Dataset:
    """The :data:`FEATURES` of every pixel of ``composite`` (float32; NaN where not observed),
    computed in memory with numpy array maths: the model's inputs as the compiled score sees
    them, up to float rounding (for fitting the model and looking at what it sees; a
    Dask-backed composite is read whole)."""
    xarray = require_extra("xarray")
    features = _feature_arrays(_observed_arrays(composite), window)
    template = composite["clear_count"]
    dataset: xr.Dataset = xarray.Dataset(
        {name: template.copy(data=features[name]) for name in FEATURES}
    )
    return dataset


def disturbance_score(
    composite: xr.Dataset,
    *,
    model: DisturbanceModel = DEFAULT_MODEL,
    rules: Mapping[str, AffineRule] | None = None,
) -> xr.DataArray:
    """The score in [0, 1] of every pixel (float32), NaN where ``clear_count`` is 0 or a band is
    NaN. Lazy when the composite is Dask-backed; ``rules`` as for :func:`scan`.

    The whole computation (reflectance masked, features, texture, logistic) runs as one
    compiled kernel per block (:func:`oresight.earth.kernels.scan_strip`, given the rows of the
    blocks above and below within the texture's half window under Dask): one task per block
    rather than one per operation, and the same kernel on a whole array, so both give the same
    numbers."""
    data = _scanned(composite, model=model, threshold=math.nan, min_pixels=1, rules=rules)
    score: xr.DataArray = composite["clear_count"].copy(data=data)
    score.name = "disturbance_score"
    score.attrs = {"period": composite.attrs.get("period", "")}
    return score


def _feature_arrays(bands: Mapping[str, Any], window: int) -> dict[str, Any]:
    """The :data:`FEATURES` of a block's bands (numpy, NaN where not observed)."""
    vegetation = ndvi(bands["nir"], bands["red"])
    bare = bare_soil_index(bands["swir16"], bands["red"], bands["nir"], bands["blue"])
    water = mndwi(bands["green"], bands["swir16"])
    turbidity = ndti(bands["red"], bands["green"])
    swir = bands["swir16"] + bands["swir22"]
    swir_nd = swir_normalised_difference(bands["swir16"], bands["swir22"])
    return {
        "ndvi": vegetation,
        "bsi": bare,
        "mndwi": water,
        "ndti": turbidity,
        "turbid_water": np.clip(water, 0, None) * turbidity,
        "swir_nd": np.where((swir >= DARK_SWIR) | np.isnan(swir), swir_nd, np.float32(0.0)),
        "ndvi_texture": _local_std(vegetation, window),
        "bsi_texture": _local_std(bare, window),
    }


def disturbed(
    score: xr.DataArray, threshold: float | None = None, *, min_pixels: int = DEFAULT_MIN_PIXELS
) -> xr.DataArray:
    """``score >= threshold`` (default: the default model's), specks below ``min_pixels``
    removed; NaN (not observed) is never disturbed."""
    limit = DEFAULT_MODEL.threshold if threshold is None else threshold
    return remove_specks(score >= limit, min_pixels)


def new_disturbance(
    before: xr.DataArray,
    after: xr.DataArray,
    threshold: float | None = None,
    *,
    min_pixels: int = DEFAULT_MIN_PIXELS,
) -> xr.DataArray:
    """Ground disturbed in ``after`` that was not in ``before``, where both periods observed it.

    Both are scores of the same grid (an error otherwise). A pixel is new when it belongs to
    the cleaned mask of ``after`` (:func:`disturbed`), was below ``threshold`` in ``before``,
    and is not NaN in ``before``; specks left by the difference are removed again.
    """
    _check_same_grid(before, after)
    limit = DEFAULT_MODEL.threshold if threshold is None else threshold
    return _newly(before, disturbed(after, limit, min_pixels=min_pixels), limit, min_pixels)


def new_ground(before: DisturbanceScan, after: DisturbanceScan) -> xr.DataArray:
    """:func:`new_disturbance` of two scans of one grid: the cleaned mask of ``after`` (already
    computed by its scan, so not computed again) where ``before`` observed the ground below
    ``after``'s threshold, specks left by the difference removed; from the scans' signed
    scores, one compiled pass a block (:func:`oresight.earth.kernels.new_ground_strip`)."""
    _check_same_grid(before.score, after.score)
    if before.signed is None or after.signed is None:
        return _newly(before.score, after.disturbed, after.threshold, after.min_pixels)
    options = {"limit": after.threshold, "min_pixels": after.min_pixels}
    arrays = [before.signed.data, after.signed.data]
    depth = max(after.min_pixels - 1, 0)
    data = _in_strips(_new_ground_strip, arrays, depth, bool, **options)
    new: xr.DataArray = after.disturbed.copy(data=data)
    return new


def _new_ground_strip(*blocks: NDArray[Any], limit: float, min_pixels: int) -> NDArray[np.bool_]:
    """:func:`oresight.earth.kernels.new_ground_strip` of one block: ``blocks`` are the two
    signed scores of the block, then of the rows above it, then of the rows below."""
    kernels = require_extra("oresight.earth.kernels")
    before, after, before_above, after_above, before_below, after_below = (
        np.ascontiguousarray(block, dtype=np.float32) for block in blocks
    )
    kept = np.empty(before.shape, dtype=bool)
    kernels.new_ground_strip(
        (before_above, before, before_below),
        (after_above, after, after_below),
        limit,
        min_pixels,
        kept,
    )
    return kept


def _newly(
    before: xr.DataArray, disturbed_after: xr.DataArray, limit: float, min_pixels: int
) -> xr.DataArray:
    """The pixels of ``disturbed_after`` that ``before`` (a score) saw below ``limit``, specks
    left by the difference removed."""
    was_clear = before.notnull() & ~(before >= limit)
    return remove_specks(disturbed_after & was_clear, min_pixels)


def scan(
    composite: xr.Dataset,
    *,
    model: DisturbanceModel = DEFAULT_MODEL,
    threshold: float | None = None,
    min_pixels: int = DEFAULT_MIN_PIXELS,
    rules: Mapping[str, AffineRule] | None = None,
) -> DisturbanceScan:
    """Score ``composite`` and clean its mask; the period is ``composite.attrs["period"]``.

    The score and the cleaned mask are the same numbers as :func:`disturbance_score` and
    :func:`disturbed` of it, computed in one pass: under Dask, one task a block, given the rows
    of the blocks above and below that the texture's half window and the reach of a speck
    cover.

    The composite's bands are reflectance, or with ``rules`` (by band variable:
    :func:`oresight.earth.rasters.reflectance_rules`) DN that the scan converts as it reads
    them, the same numbers as :func:`~oresight.earth.rasters.to_reflectance` without writing
    the reflectance out."""
    limit = model.threshold if threshold is None else threshold
    data = _scanned(composite, model=model, threshold=limit, min_pixels=min_pixels, rules=rules)
    signed = composite["clear_count"].copy(data=data)
    score = abs(signed)
    score.name = "disturbance_score"
    score.attrs = {"period": composite.attrs.get("period", "")}
    return DisturbanceScan(
        score=score,
        disturbed=signed < 0,
        observed=_observed_mask(composite["clear_count"]),
        period=str(composite.attrs.get("period", "")),
        threshold=limit,
        min_pixels=min_pixels,
        signed=signed,
    )


def _observed_mask(clear_count: xr.DataArray) -> xr.DataArray:
    """Where ``clear_count`` saw the ground: itself when it is a boolean "has data" (no pass
    over it), else where it is above 0."""
    if clear_count.dtype == bool:
        return clear_count
    observed: xr.DataArray = clear_count > 0
    return observed


def _scanned(
    composite: xr.Dataset,
    *,
    model: DisturbanceModel,
    threshold: float,
    min_pixels: int,
    rules: Mapping[str, AffineRule] | None,
) -> Any:
    """The score of every pixel, negated where the cleaned mask holds (see
    :func:`oresight.earth.kernels.scan_strip`; no mask where ``threshold`` is NaN): numpy for
    an in-memory composite, a Dask array of full-width strips for a Dask-backed one."""
    names = _band_names(composite)
    arrays = [composite[names[band]].data for band in (*REFLECTANCE_BANDS, "clear_count")]
    converting = _conversion(names, rules)
    masking = not math.isnan(threshold)
    reach = max(min_pixels - 1, 0) if masking else 0
    options: dict[str, Any] = {
        "model": model,
        "threshold": threshold,
        "min_pixels": min_pixels,
        "converting": converting,
    }
    return _in_strips(_scan_strip, arrays, model.window // 2 + reach, np.float32, **options)


Conversion = tuple[AffineRule, ...]
"""The reflectance rules of the six bands, in :data:`REFLECTANCE_BANDS` order."""


def _conversion(
    names: Mapping[str, str], rules: Mapping[str, AffineRule] | None
) -> Conversion | None:
    """The rules of the six bands as the kernel takes them; None for reflectance."""
    if rules is None:
        return None
    missing = [names[band] for band in REFLECTANCE_BANDS if names[band] not in rules]
    if missing:
        raise InvalidInput(
            f"no reflectance rule for {', '.join(missing)}; rules were given for "
            f"{', '.join(rules) or 'none'}",
            field="rules",
        )
    return tuple(rules[names[band]] for band in REFLECTANCE_BANDS)


def _scan_strip(
    *blocks: NDArray[Any],
    model: DisturbanceModel,
    threshold: float,
    min_pixels: int,
    converting: Conversion | None,
) -> NDArray[np.float32]:
    """:func:`oresight.earth.kernels.scan_strip` of one block: ``blocks`` are the six bands
    and ``clear_count`` of the block, then of the rows above it, then of the rows below."""
    kernels = require_extra("oresight.earth.kernels")
    bands, above, below = (blocks[at : at + 6] for at in (0, 7, 14))
    clear, clear_above, clear_below = (_clear_rows(blocks[at]) for at in (6, 13, 20))
    if converting is None:
        # Reflectance: one type, float32, so that the kernel is compiled for few signatures.
        bands, above, below = (_rows(group, np.float32) for group in (bands, above, below))
        terms = np.tile(np.array([0.0, 1.0, 0.0, 1.0]), (6, 1))
        fills = np.full((6, 2), np.nan)
    else:
        kind = np.result_type(*bands)
        bands, above, below = (_rows(group, kind) for group in (bands, above, below))
        terms = np.array([rule.terms for rule in converting], dtype=np.float64)
        fills = np.array([rule.fills(kind) for rule in converting])
    weights = np.array([model.weights.get(name, 0.0) for name in FEATURES], dtype=np.float64)
    height, width = bands[0].shape
    top = above[0].shape[0]
    total = top + height + below[0].shape[0]
    out = np.empty((height, width), dtype=np.float32)
    halo = np.empty((total - height, width), dtype=np.float32)
    kernels.scan_strip(
        bands,
        above,
        below,
        clear,
        clear_above,
        clear_below,
        terms,
        fills,
        weights,
        float(model.intercept),
        DARK_SWIR,
        model.window // 2,
        LOGIT_LIMIT,
        threshold,
        min_pixels,
        out,
        halo,
    )
    return out


def _rows(group: Sequence[NDArray[Any]], kind: Any) -> tuple[NDArray[Any], ...]:
    """The arrays of ``group`` as C-contiguous arrays of ``kind`` (no copy where they are)."""
    return tuple(np.ascontiguousarray(block, dtype=kind) for block in group)


def _clear_rows(block: NDArray[Any]) -> NDArray[Any]:
    values = np.ascontiguousarray(block)
    return values.view(np.uint8) if values.dtype == np.bool_ else values


def _in_strips(
    function: Callable[..., NDArray[Any]],
    arrays: Sequence[Any],
    depth: int,
    dtype: Any,
    **options: Any,
) -> Any:
    """``function`` of each block of ``arrays`` (2-D Dask arrays of one grid), rechunked to
    strips of full rows, with the ``depth`` rows above and below it: a task a strip, given the
    strip, then the rows above, then the rows below, of every array in turn (no rows at the
    raster's edges). Numpy arrays are one strip: ``function`` of them, without rows around.

    Unlike ``map_overlap``, nothing is copied into one padded array: the neighbours' rows are
    views of their blocks, and only ``depth`` rows of each travel between workers."""
    if all(isinstance(a, np.ndarray) for a in arrays):
        return function(*arrays, *(a[:0] for a in arrays), *(a[:0] for a in arrays), **options)
    dask_array = require_extra("dask.array")
    strips = [dask_array.asarray(a).rechunk({1: -1}) for a in arrays]
    strips = list(dask_array.core.unify_chunks(*(x for a in strips for x in (a, "yx")))[1])
    starts = np.cumsum((0, *strips[0].chunks[0]))
    aboves = [_halo(a, starts, depth, above=True) for a in strips]
    belows = [_halo(a, starts, depth, above=False) for a in strips]
    return dask_array.map_blocks(
        _strip_task,
        *strips,
        *aboves,
        *belows,
        dtype=dtype,
        meta=np.array((), dtype=dtype),
        chunks=strips[0].chunks,
        function=function,
        count=len(strips),
        last=len(starts) - 2,
        **options,
    )


def _halo(array: Any, starts: NDArray[Any], depth: int, *, above: bool) -> Any:
    """The ``depth`` rows above (or below) each strip of ``array``, a chunk a strip, stacked
    into one Dask array; at the raster's edges, where there are none, a row of the strip
    itself stands in (Dask keeps no empty chunks), which :func:`_strip_task` drops."""
    dask_array = require_extra("dask.array")
    height = int(starts[-1])
    pieces = []
    for start, stop in itertools.pairwise(int(x) for x in starts):
        rows = (max(start - depth, 0), start) if above else (stop, min(stop + depth, height))
        if rows[0] == rows[1]:
            rows = (start, start + 1) if above else (stop - 1, stop)
        piece = array[rows[0] : rows[1]]
        pieces.append(piece.rechunk({0: -1}) if len(piece.chunks[0]) > 1 else piece)
    return dask_array.concatenate(pieces, axis=0)


def _strip_task(
    *blocks: NDArray[Any],
    function: Callable[..., NDArray[Any]],
    count: int,
    last: int,
    block_id: tuple[int, int],
    **options: Any,
) -> NDArray[Any]:
    """``function`` of a strip's blocks, the rows above and the rows below, without the stand-in
    rows of the raster's first and last strips."""
    strips, aboves, belows = blocks[:count], blocks[count : 2 * count], blocks[2 * count :]
    if block_id[0] == 0:
        aboves = tuple(rows[:0] for rows in aboves)
    if block_id[0] == last:
        belows = tuple(rows[:0] for rows in belows)
    return function(*strips, *aboves, *belows, **options)


def remove_specks(mask: xr.DataArray, min_pixels: int) -> xr.DataArray:
    """``mask`` without its groups of fewer than ``min_pixels`` edge-connected True pixels."""
    if min_pixels <= 1:
        return mask
    if mask.ndim != 2:
        raise InvalidInput(f"expected a 2-D mask, found {mask.ndim} dimensions", field="mask")
    cleaned = _in_strips(_without_specks, [mask.data], min_pixels - 1, bool, min_pixels=min_pixels)
    return mask.copy(data=cleaned)


def local_std(values: xr.DataArray, window: int = DEFAULT_WINDOW) -> xr.DataArray:
    """The standard deviation of ``values`` in a ``window`` x ``window`` neighbourhood of each
    pixel (NaN neighbours left out, edges mirrored), float32."""
    if values.chunks is None:
        return values.copy(data=_local_std(np.asarray(values.data), window))
    spread = values.data.map_overlap(
        _local_std, depth=window // 2, boundary="reflect", dtype=np.float32, window=window
    )
    return values.copy(data=spread)


def _local_std(block: NDArray[Any], window: int) -> NDArray[np.float32]:
    """Local standard deviation of a 2-D block, edges mirrored (SciPy's ``reflect``: the edge
    pixel repeated, which is what Dask's ``reflect`` boundary gives too).

    Window sums run along rows then columns with ``scipy.ndimage.correlate1d``, which adds each
    window's values in a fixed order, never as running sums, so each pixel's value depends on its
    neighbourhood only: a Dask block and the whole array agree to the bit. The valid-count sums
    are skipped for a block with no NaN.
    """
    ndimage = require_extra("scipy.ndimage")
    weights = np.ones(window, dtype=np.float64)

    def window_sum(values: NDArray[np.float64]) -> NDArray[np.float64]:
        across = ndimage.correlate1d(values, weights, axis=1, mode="reflect")
        summed: NDArray[np.float64] = ndimage.correlate1d(across, weights, axis=0, mode="reflect")
        return summed

    valid = np.isfinite(block)
    complete = bool(valid.all())
    values = (block if complete else np.where(valid, block, 0.0)).astype(np.float64)
    total = window_sum(values)
    squares = window_sum(values * values)
    count = float(window * window) if complete else window_sum(valid * 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
        variance = np.maximum(squares / count - mean * mean, 0.0)
    spread: NDArray[np.float32] = np.sqrt(variance).astype(np.float32)
    if not complete:
        spread[np.asarray(count) == 0] = np.nan
    return spread


def _without_specks(
    block: NDArray[Any], above: NDArray[Any], below: NDArray[Any], *, min_pixels: int
) -> NDArray[np.bool_]:
    """:func:`oresight.earth.kernels.without_specks` of one block and its neighbours' rows."""
    kernels = require_extra("oresight.earth.kernels")
    mask, above, below = (np.ascontiguousarray(a, dtype=bool) for a in (block, above, below))
    kept = np.empty(mask.shape, dtype=bool)
    kernels.without_specks(mask, above, below, min_pixels, kept)
    return kept


def _observed_arrays(composite: xr.Dataset) -> dict[str, Any]:
    """The composite's reflectance bands in memory, NaN where not observed."""
    names = _band_names(composite)
    bands = (*REFLECTANCE_BANDS, "clear_count")
    return _observed([np.asarray(composite[names[band]].values) for band in bands])


def _observed(arrays: Sequence[NDArray[Any]]) -> dict[str, NDArray[np.float32]]:
    """The six reflectance bands (then ``clear_count``) of a block by common name, float32, NaN
    where ``clear_count`` is 0."""
    *reflectance, clear_count = arrays
    observed = np.asarray(clear_count) > 0
    return {
        band: np.where(observed, np.asarray(values, dtype=np.float32), np.float32(np.nan))
        for band, values in zip(REFLECTANCE_BANDS, reflectance, strict=True)
    }


def _band_names(composite: xr.Dataset) -> dict[str, str]:
    """The composite's variable of each band (``nir`` may be ``nir08``, as Landsat's is); an
    error naming what is missing."""
    names = {band: band for band in (*REFLECTANCE_BANDS, "clear_count")}
    names["nir"] = next((n for n in NIR_NAMES if n in composite.data_vars), "nir")
    missing = [band for band, name in names.items() if name not in composite.data_vars]
    if missing:
        present = ", ".join(str(v) for v in composite.data_vars) or "none"
        raise InvalidInput(
            f"a composite needs {', '.join(missing)}; its variables are: {present}",
            field=missing[0],
        )
    return names


def _check_same_grid(before: xr.DataArray, after: xr.DataArray) -> None:
    if before.shape != after.shape or any(
        not np.array_equal(before[dim].values, after[dim].values)
        for dim in before.dims
        if dim in before.coords and dim in after.coords
    ):
        raise InvalidInput(
            f"the two periods are on different grids: {dict(before.sizes)} and "
            f"{dict(after.sizes)} (or different coordinates); compare composites of one grid",
            field="grid",
        )
