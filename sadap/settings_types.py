"""Building blocks for settings models: strict models and durations like ``15m``."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict

from sadap.errors import InputError
from sadap.timeutil import parse_duration


def _duration(value: Any) -> timedelta:
    try:
        return parse_duration(value)
    except InputError as err:
        raise ValueError(str(err)) from None


Duration = Annotated[timedelta, BeforeValidator(_duration)]


class Strict(BaseModel):
    """Unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")
