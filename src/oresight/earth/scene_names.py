"""The names of downloaded Sentinel-2 and Landsat band files: which band of which scene a file
is, and what the product name says of the scene (id, platform, date, processing baseline).

Used by :mod:`oresight.earth.scene_files`, which turns the scenes of a folder into STAC items.

**Which files.** Files ending ``.tif``, ``.tiff`` or ``.jp2`` anywhere under the folder, named:

* Sentinel-2 L2A: ``..._B02.tif``, ``..._B02_10m.jp2`` or ``B02.tif``, up to ``B12``, ``B8A`` and
  ``SCL`` (the SAFE product's ``IMG_DATA/R10m``, ``R20m``, ``R60m`` files, or a service's
  downloads). A band given at several resolutions is read at the finest; bands on different grids
  (20 m SWIR beside 10 m visible) are each described on their own grid, and loading resamples them
  onto one, as for a catalog's items.
* Landsat 8/9 Collection 2 Level-2: ``LC08_L2SP_PPPRRR_YYYYMMDD_yyyymmdd_02_T1_SR_B2.TIF`` up to
  ``_SR_B7``, and ``_QA_PIXEL``.

The files of one scene lie in one folder (or in the ``R10m``/``R20m``/``R60m`` folders of one)
and share the prefix before the band name: scenes are told apart by folder or by prefix. Other
files (``TCI``, ``AOT``, ``ST_B10``, previews) are left alone.

**What the names say.** The product name (``S2A_MSIL2A_20240115T080221_N0510_R035_T35LQC_...``,
Earth Search's ``S2A_35LQC_20240115_0_L2A`` or ``LC08_L2SP_...``), in the prefix or the name of a
folder above the files, gives the scene's id, platform and acquisition date and, for Sentinel-2,
the processing baseline (``N0510`` is 05.10). Without one, the date is the first ``YYYYMMDD``
(with its ``THHMMSS`` if any) in the prefix, then in the folder names up to the folder given;
never the files' ``TIFFTAG_DATETIME``, which is when a file was written, not when the ground was
seen (a scene without a date in its names is refused). A date without a time is placed at 10:30
local solar time, the pass of both missions, so that the scene falls on its own solar day.
Without a baseline the reflectance offset follows the date
(:func:`oresight.earth.stac.item_boa_offset`): files that a service already shifted back need
the service's items (``--items``) instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from oresight.core.errors import InvalidInput
from oresight.earth.bands import Sensor

_BAND_FILES = (
    (Sensor.LANDSAT_C2_L2, re.compile(r"^(?:(?P<prefix>.+?)_)?(?P<band>SR_B\d|QA_PIXEL)$", re.I)),
    (
        Sensor.SENTINEL2_L2A,
        re.compile(r"^(?:(?P<prefix>.+?)_)?(?P<band>B(?:0[1-9]|1[0-2]|8A)|SCL)(?:_\d{2}m)?$", re.I),
    ),
)
_SENTINEL2_PRODUCT = re.compile(
    r"S2(?P<unit>[A-D])_MSI(?P<level>L\w{2})_(?P<sensed>\d{8}T\d{6})_N(?P<baseline>\d{4})_"
    r"R\d{3}_T\w{5}_\d{8}T\d{6}",
    re.I,
)
_SENTINEL2_COG = re.compile(
    r"S2(?P<unit>[A-D])_\d{1,2}[A-Z]{3}_(?P<sensed>\d{8})_\d+_(?P<level>L\w{2})", re.I
)
_LANDSAT_PRODUCT = re.compile(
    r"L(?P<instrument>[COTEM])(?P<mission>\d{2})_(?P<level>L\w{3})_\d{6}_(?P<sensed>\d{8})_"
    r"\d{8}_(?P<collection>\d{2})_[A-Z0-9]{2}",
    re.I,
)
_DATE = re.compile(r"(?<!\d)(?P<day>\d{8})(?:T(?P<time>\d{6}))?(?!\d)")
_RESOLUTION_FOLDER = re.compile(r"^R\d{2}m$", re.I)


@dataclass(frozen=True, slots=True)
class BandFile:
    """A file named as one band of one scene."""

    path: Path
    sensor: Sensor
    band: str
    scene_dir: Path
    prefix: str


@dataclass(frozen=True, slots=True)
class Product:
    """What the names of a scene's files and folders say about it."""

    id: str
    platform: str | None
    when: datetime | None
    timed: bool
    """Whether ``when`` holds a time of day, not only a date."""
    baseline: str | None


def _names(path: Path, root: Path) -> list[str]:
    """The names of ``path`` (under ``root``, or ``root`` itself) and of each folder above it up
    to ``root`` (included), nearest first. Links are not followed: a linked file is named by
    where it lies in the folder, not by where it points."""
    return [*reversed(path.relative_to(root).parts), root.resolve().name]


def refuse_other_products(path: Path, root: Path) -> None:
    """Refuse a file of a product that a Level-2 scan would read wrong."""
    for name in _names(path, root):
        if (landsat := _LANDSAT_PRODUCT.search(name)) is not None:
            level, collection = landsat["level"].upper(), landsat["collection"]
            mission, instrument = int(landsat["mission"]), landsat["instrument"].upper()
            if not level.startswith("L2"):
                why = f"a Landsat {level} (Level-1) product"
            elif collection != "02":
                why = f"a Landsat Collection {int(collection)} product, scaled otherwise"
            elif mission not in (8, 9) or instrument not in ("C", "O"):
                why = (
                    f"a Landsat {mission} product, whose band numbers name other colours than "
                    "the OLI bands of Landsat 8 and 9 that oresight reads"
                )
            else:
                return
            raise InvalidInput(
                f"{why}: scans need Landsat 8/9 Collection 2 Level-2 surface reflectance "
                "(L2SP or L2SR)",
                file=str(path),
                field="product",
            )
        sentinel = _SENTINEL2_PRODUCT.search(name) or _SENTINEL2_COG.search(name)
        if sentinel is not None:
            if sentinel["level"].upper() != "L2A":
                raise InvalidInput(
                    f"a Sentinel-2 {sentinel['level'].upper()} product: scans need Level-2A "
                    "(surface reflectance with its scene classification, SCL)",
                    file=str(path),
                    field="product",
                )
            return


def band_file(path: Path, root: Path) -> BandFile | None:
    """``path`` as a band of a scene, or None for a file named as no band oresight reads."""
    folder = path.parent
    if _RESOLUTION_FOLDER.match(folder.name) and folder != root:
        folder = folder.parent  # R10m, R20m, R60m of one SAFE granule hold one scene
    stem = path.name[: -len(path.suffix)]
    landsat = _LANDSAT_PRODUCT.search(stem) is not None
    for sensor, pattern in _BAND_FILES:
        if landsat and sensor is not Sensor.LANDSAT_C2_L2:
            continue  # a Landsat file's ST_B10 is no Sentinel-2 B10
        match = pattern.match(stem)
        if match is not None:
            return BandFile(path, sensor, match["band"].upper(), folder, match["prefix"] or "")
    return None


def product(first: BandFile, root: Path) -> Product:
    """The scene's id, platform, date and baseline, from its product name or else its names."""
    names = [first.prefix, *_names(first.scene_dir, root)]
    names = [name.removesuffix(".SAFE").removesuffix(".safe") for name in names if name]
    for name in names:
        if first.sensor is Sensor.SENTINEL2_L2A:
            if (found := _SENTINEL2_PRODUCT.search(name)) is not None:
                baseline = found["baseline"]
                return Product(
                    found[0],
                    f"sentinel-2{found['unit'].lower()}",
                    datetime.strptime(found["sensed"], "%Y%m%dT%H%M%S").replace(tzinfo=UTC),
                    True,
                    f"{baseline[:2]}.{baseline[2:]}",
                )
            if (found := _SENTINEL2_COG.search(name)) is not None:
                when = _day(found["sensed"], None)
                return Product(found[0], f"sentinel-2{found['unit'].lower()}", when, False, None)
        elif (found := _LANDSAT_PRODUCT.search(name)) is not None:
            when = _day(found["sensed"], None)
            return Product(found[0], f"landsat-{int(found['mission'])}", when, False, None)
    for name in names:
        for found in _DATE.finditer(name):
            when = _day(found["day"], found["time"])
            if when is not None:
                return Product(names[0], None, when, found["time"] is not None, None)
    return Product(names[0], None, None, False, None)


def _day(day: str, time: str | None) -> datetime | None:
    """``YYYYMMDD`` (and ``HHMMSS``) as a UTC time, or None where the digits are not a date."""
    try:
        when = datetime.strptime(day + (time or "000000"), "%Y%m%d%H%M%S")
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if 1972 <= when.year <= 2100 else None


__all__: Sequence[str] = ("BandFile", "Product", "band_file", "product", "refuse_other_products")
