"""Reading the custody pillar's data files: the YAML tables packaged under ``custody/data``.

The rules' reference tables (transport speeds, site output ceilings, recoveries, the default CAHRA
list) ship with the package and can be replaced by a file of the user's. Both are read through
here (their YAML through :mod:`oresight.core.yaml_text`), so that a file that is not valid YAML, or
an entry that does not fit its model, is reported the same way: an :class:`InvalidInput` naming
the file, and the record and field where known.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from oresight.core.errors import InvalidInput

DATA_FOLDER = "data"
"""Where the packaged data files lie, inside ``oresight.custody``."""


def packaged_file_name(name: str) -> str:
    """The name errors give a packaged data file (``oresight/custody/data/<name>``)."""
    return f"oresight/custody/{DATA_FOLDER}/{name}"


def read_packaged_text(name: str) -> str:
    """The text (UTF-8) of the packaged data file ``name``."""
    return resources.files("oresight.custody").joinpath(DATA_FOLDER, name).read_text("utf-8")


def read_text_file(path: Path) -> str:
    """The text of a user's data file (UTF-8, a byte-order mark allowed); a file that cannot be
    read, or is not UTF-8, is an :class:`InvalidInput` naming it."""
    try:
        return path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise InvalidInput(f"cannot read the file: {exc.strerror or exc}", file=str(path)) from None
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"not UTF-8 text (byte {exc.start})", file=str(path)) from None
