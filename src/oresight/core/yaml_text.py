"""YAML text read safely and strictly, for every data table of oresight (pure: text in, data out).

The reference tables that ship with the pillars (transport speeds, recoveries, CAHRA lists, the
risk catalogue and profiles, trade country codes and HS codes) and the files users put in their
place are all read here, so that each refuses the same things the same way: a document that is
not YAML, and a key given twice in one mapping (YAML's own loaders keep the last one silently,
which hides a typo). Errors are :class:`~oresight.core.errors.InvalidInput` naming the file with
the line and column of the problem.
"""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import ValidationError

from oresight.core.errors import InvalidInput


def parse_yaml(text: str, *, file: str, what: str | None = None) -> Any:
    """The YAML document in ``text``, read with a safe loader that refuses a key given twice in
    one mapping. :class:`InvalidInput` naming ``file`` (and ``what`` it was meant to hold), with
    the line and column of the problem, if it is not such YAML."""
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "cannot be parsed"
        subject = f"{what} is not" if what else "not"
        raise InvalidInput(f"{subject} valid YAML{where}: {problem}", file=file) from None


def first_error(exc: ValidationError | TypeError) -> str:
    """The first problem of a rejected entry, with the path of its field (``max_kmh: ...``).

    A ``TypeError`` (an entry whose keys cannot be field names) says what is wrong itself.
    """
    if isinstance(exc, ValidationError):
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        return f"{where}: {error['msg']}" if where else str(error["msg"])
    return str(exc)


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses a key given twice in one mapping (instead of keeping the last)."""


def _unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    # Only the keys written in this mapping count: keys merged in from an anchor (``<<: *base``)
    # may be overridden, as YAML's merge keys intend.
    written = [key_node for key_node, _ in node.value if key_node.tag != _MERGE_TAG]
    keys = [loader.construct_object(key_node, deep=True) for key_node in written]
    for index, key in enumerate(keys):
        if key in keys[:index]:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping",
                node.start_mark,
                f"key {key!r} is given twice",
                written[index].start_mark,
            )
    return loader.construct_mapping(node, deep=True)


_MERGE_TAG = "tag:yaml.org,2002:merge"
_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_mapping)
