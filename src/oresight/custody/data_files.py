"""Reading the custody pillar's data files: the YAML tables packaged under ``custody/data``.

The rules' reference tables (transport speeds, site output ceilings, recoveries, the default CAHRA
list) ship with the package and can be replaced by a file of the user's. Both are read through
here, so that a file that is not valid YAML, or an entry that does not fit its model, is reported
the same way: an :class:`InvalidInput` naming the file, and the record and field where known.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
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


def read_text_file(path: Path) -> str:
    """The text of a user's data file (UTF-8, a byte-order mark allowed); a file that cannot be
    read, or is not UTF-8, is an :class:`InvalidInput` naming it."""
    try:
        return path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise InvalidInput(f"cannot read the file: {exc.strerror or exc}", file=str(path)) from None
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"not UTF-8 text (byte {exc.start})", file=str(path)) from None


def parse_yaml(text: str, *, file: str) -> Any:
    """The YAML document in ``text``, read safely and strictly: a key given twice in one mapping
    is refused rather than the last one silently kept. :class:`InvalidInput` naming ``file``,
    with the line and column of the problem, if it is not such YAML."""
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "cannot be parsed"
        raise InvalidInput(f"not valid YAML{where}: {problem}", file=file) from None


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses a key given twice in one mapping (instead of keeping the last)."""


def _unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    # Only the keys written in this mapping count: keys merged in from an anchor (``<<: *base``)
    # may be overridden, as YAML's merge keys intend.
    written = [key_node for key_node, _ in node.value if key_node.tag != _MERGE_TAG]
    keys = [loader.construct_object(key_node, deep=True) for key_node in written]
    for index, key in enumerate(keys):
        if isinstance(key, str) and key in keys[:index]:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} is given twice", written[index].start_mark
            )
    return loader.construct_mapping(node, deep=True)


_MERGE_TAG = "tag:yaml.org,2002:merge"
_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_mapping)


def first_error(exc: ValidationError | TypeError) -> str:
    """The first problem of a rejected entry, with the path of its field (``max_kmh: ...``).

    A ``TypeError`` (an entry whose keys cannot be field names) says what is wrong itself.
    """
    if isinstance(exc, ValidationError):
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        return f"{where}: {error['msg']}"
    return str(exc)
