"""Building blocks for settings models: strict models and durations like ``15m``."""

from __future__ import annotations

import typing
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict
from pydantic_core import PydanticCustomError

from sadap.core.errors import InputError
from sadap.core.timeutil import DURATION_HELP, format_duration, parse_duration


def parse_duration_setting(value: Any) -> timedelta:
    """A duration setting: raises ValueError (for pydantic) with the allowed form. A YAML
    number (``cooldown: 60``) has no unit and is refused."""
    if isinstance(value, bool) or value is None:  # YAML `yes`/`~` are not durations
        raise ValueError(f"cannot read duration: use {DURATION_HELP}")
    try:
        return parse_duration(value)
    except InputError as err:
        raise ValueError(str(err)) from None


def parse_positive_duration(value: Any) -> timedelta:
    """A duration that must be longer than zero (windows, periods, schedules)."""
    delta = parse_duration_setting(value)
    if delta <= timedelta(0):
        raise ValueError(f"must be longer than 0s (got {value!r}); use for example 15m, 1h or 7d")
    return delta


def at_least(minimum: timedelta, why: str) -> Callable[[Any], timedelta]:
    """A duration setting of at least ``minimum``; ``why`` ends the error line."""

    def parse(value: Any) -> timedelta:
        delta = parse_duration_setting(value)
        if delta < minimum:
            raise ValueError(f"must be at least {format_duration(minimum)} (got {value!r}); {why}")
        return delta

    return parse


Duration = Annotated[timedelta, BeforeValidator(parse_duration_setting)]
PositiveDuration = Annotated[timedelta, BeforeValidator(parse_positive_duration)]


class Strict(BaseModel):
    """Unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


class LazyAnnotation:
    """``Annotated`` metadata naming a setting's full type when it is built on first use (the
    union of the source kinds' settings, whose modules import Scrapy): the docs generator and the
    error messages read the full type through :func:`resolved`."""

    def __init__(self, resolve: Callable[[], Any]) -> None:
        self.resolve = resolve


def resolved(annotation: Any) -> Any:
    """``annotation`` with every lazily built part (:class:`LazyAnnotation`) in full."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        lazy = [m for m in annotation.__metadata__ if isinstance(m, LazyAnnotation)]
        if lazy:
            return lazy[0].resolve()
    if origin is list:
        (inner,) = typing.get_args(annotation)
        return list[resolved(inner)]  # type: ignore[misc]
    return annotation


def secret_in_value(message: str) -> PydanticCustomError:
    """A settings error about a value that holds a secret (a password in a URL): its line says
    ``message`` and never repeats the value (``hide_input``, read by yamlsource.validation_lines)."""
    return PydanticCustomError("secret_in_value", message, {"hide_input": True})
