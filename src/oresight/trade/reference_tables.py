"""The trade pillar's packaged reference tables (``trade/data/*.yaml``), read and checked alike.

Each table (country-code exceptions, HS codes of critical minerals) is YAML read strictly by
:mod:`oresight.core.yaml_text` and checked entry by entry against a pydantic model; a bad entry is
an :class:`InvalidInput` naming the file, the entry and the field.
"""

from __future__ import annotations

from importlib import resources
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from oresight.core.errors import InvalidInput
from oresight.core.yaml_text import first_error, parse_yaml

Model = TypeVar("Model", bound=BaseModel)


def packaged_file_name(name: str) -> str:
    """The name errors give a packaged table (``oresight/trade/data/<name>``)."""
    return f"oresight/trade/data/{name}"


def read_packaged_table(name: str) -> Any:
    """The YAML document of the packaged table ``name``."""
    text = resources.files("oresight.trade").joinpath("data", name).read_text("utf-8")
    return parse_yaml(text, file=packaged_file_name(name))


def validated(model: type[Model], raw: Any, *, file: str, record: str | None = None) -> Model:
    """``raw`` checked against ``model``; :class:`InvalidInput` naming ``file``, ``record`` and
    the field of the first problem otherwise."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        if record is None:
            raise InvalidInput(first_error(exc), file=file) from None
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"]) or None
        raise InvalidInput(error["msg"], file=file, record=record, field=field) from None
