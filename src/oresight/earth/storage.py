"""The earth pillar's own store: detection layers kept in a workspace folder.

Each loaded file is copied as it came (``layers/<id>.geojson``) and described in
``manifest.json``: its source, the period given for it, the area it covers, its digest. Layers
are read back through :func:`~oresight.earth.detections.read_detections` with the same
arguments, so a stored layer means exactly what it meant when it was loaded. The manifest is
replaced in one rename after the copy is written: a failed load leaves the store as it was. The
same file (same SHA-256) loaded twice is stored once.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import shape

from oresight.core.errors import InvalidInput
from oresight.earth.detections import DetectionLayer, read_detections
from oresight.earth.periods import ObservationPeriod, parse_period

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class StoredLayer:
    """What the manifest says of one layer."""

    id: str
    source: str
    file: str
    """The path it was loaded from."""
    sha256: str
    period: str | None
    coverage: dict[str, Any] | None
    loaded_at: str
    detections: int
    periods: list[str]
    repaired: int
    scenes: list[str] = field(default_factory=list)
    """The scenes a scan composited."""
    quicklook: list[float] | None = None
    """The lon/lat bounds of the scan's quick-look (``layers/<id>.png``), when it has one."""


@dataclass(frozen=True)
class NewLayer:
    """A file to store as a detection layer, with what its reading needs to know."""

    path: Path
    source: str | None = None
    period: ObservationPeriod | None = None
    coverage: shapely.Geometry | None = None
    scenes: tuple[str, ...] = ()
    quicklook: tuple[bytes, tuple[float, float, float, float]] | None = None
    """A scan's picture: PNG bytes and lon/lat bounds."""


class DetectionStore:
    """Detection layers in ``folder`` (see the module docstring)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def stored(self) -> list[StoredLayer]:
        """The manifest's layers, in the order they were loaded."""
        path = self.folder / MANIFEST
        if not path.exists():
            return []
        try:
            entries = json.loads(path.read_text(encoding="utf-8"))["layers"]
            return [StoredLayer(**entry) for entry in entries]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InvalidInput(
                f"the detection store's manifest is damaged: {exc}", file=str(path)
            ) from None

    def layers(self) -> list[DetectionLayer]:
        """Every stored layer, read back."""
        return [self._read(entry) for entry in self.stored()]

    def add(
        self,
        path: Path,
        *,
        source: str | None = None,
        period: ObservationPeriod | None = None,
        coverage: shapely.Geometry | None = None,
        scenes: tuple[str, ...] = (),
        quicklook: tuple[bytes, tuple[float, float, float, float]] | None = None,
    ) -> tuple[StoredLayer, bool]:
        """Read ``path`` as a detection layer and store it; (the layer, whether it was new)."""
        (added,) = self.add_all([NewLayer(path, source, period, coverage, scenes, quicklook)])
        return added

    def add_all(self, files: Sequence[NewLayer]) -> list[tuple[StoredLayer, bool]]:
        """Read every file as a detection layer, then store them all with one manifest write:
        a file that does not read stores nothing of any. For each: (the layer, whether it was
        new); a file stored before (same SHA-256), or twice in ``files``, is stored once."""
        present = self.stored()
        known = {entry.sha256: entry for entry in present}
        results: list[tuple[StoredLayer, bool]] = []
        pending: list[tuple[StoredLayer, bytes, NewLayer]] = []
        for new in files:
            try:
                content = new.path.read_bytes()
            except OSError as exc:
                raise InvalidInput(
                    f"cannot read file: {exc.strerror}", file=str(new.path)
                ) from None
            digest = hashlib.sha256(content).hexdigest()
            if digest in known:
                results.append((known[digest], False))
                continue
            entry = _entry(new, digest)
            known[digest] = entry
            pending.append((entry, content, new))
            results.append((entry, True))
        if pending:
            self._write(present, pending)
        return results

    def _write(
        self, present: list[StoredLayer], pending: Sequence[tuple[StoredLayer, bytes, NewLayer]]
    ) -> None:
        layers = self.folder / "layers"
        layers.mkdir(parents=True, exist_ok=True)
        written: list[Path] = []
        try:
            for entry, content, new in pending:
                copy = layers / f"{entry.id}.geojson"
                _write_atomically(copy, content)
                written.append(copy)
                if new.quicklook is not None:
                    picture = layers / f"{entry.id}.png"
                    _write_atomically(picture, new.quicklook[0])
                    written.append(picture)
            entries = [*present, *(entry for entry, _, _ in pending)]
            manifest = {"layers": [asdict(e) for e in entries]}
            _write_atomically(self.folder / MANIFEST, json.dumps(manifest, indent=1).encode())
        except BaseException:
            for path in written:
                path.unlink(missing_ok=True)
            raise

    def _read(self, entry: StoredLayer) -> DetectionLayer:
        layer = read_detections(
            self.folder / "layers" / f"{entry.id}.geojson",
            layer_id=entry.id,
            source=entry.source,
            period=parse_period(entry.period) if entry.period else None,
            coverage=shape(entry.coverage) if entry.coverage else None,
        )
        picture = self.folder / "layers" / f"{entry.id}.png"
        bounds = entry.quicklook
        return replace(
            layer,
            scenes=tuple(entry.scenes),
            quicklook=(str(picture), (bounds[0], bounds[1], bounds[2], bounds[3]))
            if bounds and len(bounds) == 4 and picture.is_file()
            else None,
        )


def _entry(new: NewLayer, digest: str) -> StoredLayer:
    """Read ``new`` (refused with the file, feature and field when it does not read) and
    describe it for the manifest."""
    name = new.source or new.path.stem
    layer_id = f"{slug(name)}-{digest[:8]}"
    layer = read_detections(
        new.path, layer_id=layer_id, source=name, period=new.period, coverage=new.coverage
    )
    coverage = new.coverage
    return StoredLayer(
        id=layer_id,
        source=name,
        file=str(new.path),
        sha256=digest,
        period=new.period.label if new.period else None,
        coverage=None if coverage is None else json.loads(shapely.to_geojson(coverage)),
        loaded_at=datetime.now(UTC).isoformat(timespec="seconds"),
        detections=len(layer.detections),
        periods=[p.label for p in layer.periods],
        repaired=layer.repaired,
        scenes=list(new.scenes),
        quicklook=None if new.quicklook is None else list(new.quicklook[1]),
    )


def slug(text: str) -> str:
    """``text`` as a lower-case name of letters, digits and dashes (a layer id's start)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "layer"


def _write_atomically(path: Path, content: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
