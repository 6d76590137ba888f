"""The one door to the imagery libraries of the optional ``oresight[earth]`` extra.

rasterio, rioxarray, xarray, dask, odc-stac, pystac-client, scipy and numba are heavy (GDAL and
LLVM wheels among them), so oresight installs them only with ``pip install 'oresight[earth]'``.
Modules of the earth pillar import them through :func:`require_extra` inside the functions that
need them, never at module top level (:mod:`oresight.earth.kernels`, which imports numba at its
top, is itself imported only through :func:`require_extra`): ``import oresight.earth`` keeps
working without the extra, and a call that needs it fails with :class:`EarthUnavailable`, which
says what to install, instead of a raw ``ImportError``.
"""

from __future__ import annotations

import importlib
from typing import Any

from oresight.core.errors import OresightError

EARTH_EXTRA = "oresight[earth]"
INSTALL_HINT = f"pip install '{EARTH_EXTRA}'"


class EarthUnavailable(OresightError):
    """An imagery library of the ``oresight[earth]`` extra is not installed (or fails to import)."""

    def __init__(self, module: str, reason: str) -> None:
        self.module = module
        self.reason = reason
        super().__init__(
            f"imagery support needs the '{module}' package, which could not be imported "
            f"({reason}); install the earth extra: {INSTALL_HINT}"
        )


def require_extra(module: str) -> Any:
    """Import ``module`` (e.g. ``"rioxarray"`` or ``"rasterio.errors"``) from the earth extra.

    Returns the module; its type is ``Any`` because the imagery libraries are typed loosely (or
    not at all), and callers use them as such. Raises :class:`EarthUnavailable` naming the extra
    when the import fails.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise EarthUnavailable(module, str(exc) or type(exc).__name__) from exc
