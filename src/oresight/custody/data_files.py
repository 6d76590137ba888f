"""Reading the custody pillar's data files: the YAML tables packaged under ``custody/data``.

The rules' reference tables (transport speeds, site output ceilings, recoveries, the default CAHRA
list) ship with the package and can be replaced by a file of the user's. Both are read through
here, so that a file that is not valid YAML, or an entry that does not fit its model, is reported
the same way: an :class:`InvalidInput` naming the file, and the record and field where known.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml
from pydantic import ValidationError

from oresight.core.errors import InvalidInput

DATA_FOLDER = "data"
"""Where the packaged data files lie, inside ``oresight.custody``."""


def packaged_file_name(name: str) -> str:
    """The name errors give a packaged data file (``oresight/custody/data/<name>``)."""
    return f"oresight/custody/{DATA_FOLDER}/{name}"


def read_packaged_text(name: str) -> str:
    """The text (UTF-8) of the packaged data file ``name``."""
    return resources.files("oresight.custody").joinpath(DATA_FOLDER, name).read_text("utf-8")


def parse_yaml(text: str, *, file: str) -> Any:
    """The YAML document in ``text``; :class:`InvalidInput` naming ``file`` if it is not YAML."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidInput(f"not valid YAML: {exc}", file=file) from None


def first_error(exc: ValidationError | TypeError) -> str:
    """The first problem of a rejected entry, with the path of its field (``max_kmh: ...``).

    A ``TypeError`` (an entry whose keys cannot be field names) says what is wrong itself.
    """
    if isinstance(exc, ValidationError):
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        return f"{where}: {error['msg']}"
    return str(exc)
