"""What every policy document shares: models that are frozen and refuse unknown fields, and the
value a number field takes (a whole number, a decimal kept as text so that it stays exact, or a
``$parameter``)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict

__all__ = ["Doc", "Value", "number_or_parameter"]

_PARAM = re.compile(r"^\$[A-Za-z_][A-Za-z0-9_]*$")
_DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")


class Doc(BaseModel):
    """A policy document's model: frozen, unknown fields refused, fields by name or by alias."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


def number_or_parameter(text: Any) -> Any:
    """A number or a ``$parameter``; decimals stay strings so that they stay exact."""
    if isinstance(text, bool):
        raise ValueError("expected a number or a `$parameter`, not a truth value")
    if isinstance(text, int):
        return text
    if isinstance(text, str) and (_PARAM.match(text) or _DECIMAL.match(text)):
        return text
    raise ValueError(f"expected a number or a `$parameter`, got `{text}`")


Value = Annotated[Union[int, str], BeforeValidator(number_or_parameter)]
