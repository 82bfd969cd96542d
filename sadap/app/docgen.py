"""Generate docs/configuration.md from the settings models, so the docs cannot drift.

    python -m sadap.app.docgen > docs/configuration.md
"""

from __future__ import annotations

import sys
import types
import typing
from datetime import timedelta
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from alerts.registry import rule_types
from alerts.rules.base import RuleOptions
from sadap.app.config import Config
from sadap.core.settings_types import resolved
from sadap.core.timeutil import format_duration


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if annotation is timedelta:
        return "duration"
    if getattr(annotation, "__name__", "") == "AwareDatetime":
        return "time (ISO 8601 with offset)"
    if origin is typing.Literal:
        return " \\| ".join(f"`{a}`" for a in typing.get_args(annotation))
    if origin in (list, tuple):
        (inner, *_) = typing.get_args(annotation) or (str,)
        return f"list of {_type_name(inner)}"
    if origin is typing.Union or origin is types.UnionType:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return " or ".join(dict.fromkeys(_type_name(a) for a in args))
    if origin is typing.Annotated:
        return _type_name(typing.get_args(annotation)[0])
    if origin is dict:
        return "mapping"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "mapping"
    return getattr(annotation, "__name__", str(annotation))


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "required"
    value = field.get_default(call_default_factory=True, validated_data={})
    if value is PydanticUndefined:
        return ""
    if isinstance(value, timedelta):
        return f"`{format_duration(value)}`"
    if isinstance(value, BaseModel):
        return "see below"
    if isinstance(value, list) and value and isinstance(value[0], BaseModel):
        return "see below"
    return f"`{value!r}`" if value not in (None, [], {}) else "`" + repr(value) + "`"


def model_table(model: type[BaseModel], prefix: str = "", skip: tuple[str, ...] = ()) -> list[str]:
    rows = ["| key | type | default | meaning |", "|---|---|---|---|"]
    for name, field in model.model_fields.items():
        if name in skip:
            continue
        desc = (field.description or "").replace("\n", " ")
        rows.append(f"| `{prefix}{name}` | {_type_name(field.annotation)} | {_default(field)} | {desc} |")
    return rows


def _models(annotation: Any) -> list[type[BaseModel]]:
    """The settings models a field holds (through Optional, list, Annotated and unions)."""
    origin = typing.get_origin(annotation)
    if origin is None:
        return [annotation] if isinstance(annotation, type) and issubclass(annotation, BaseModel) else []
    return [m for arg in typing.get_args(annotation) for m in _models(arg)]


def _is_list(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _is_list(typing.get_args(annotation)[0])
    return origin in (list, tuple)


def _tag(model: type[BaseModel]) -> tuple[str, str] | None:
    """The field and value that tell a union's member apart (``kind: rss``, ``type: webhook``)."""
    for name, field in model.model_fields.items():
        args = typing.get_args(field.annotation)
        if typing.get_origin(field.annotation) is typing.Literal and len(args) == 1:
            return name, str(args[0])
    return None


def _common_base(models: list[type[BaseModel]]) -> type[BaseModel]:
    for base in models[0].__mro__:
        if isinstance(base, type) and issubclass(base, BaseModel) and all(issubclass(m, base) for m in models):
            return base
    return BaseModel


def _doc(model: type[BaseModel]) -> str:
    return " ".join((model.__doc__ or "").split())


def _section(path: str, annotation: Any, level: int = 2) -> list[str]:
    """The reference for one setting holding models, then its nested ones, walking the models."""
    annotation = resolved(annotation)  # `sources[]`: the union of the kinds, built on first use
    models = _models(annotation)
    if not models:
        return []
    name = path + ("[]" if _is_list(annotation) else "")
    hashes = "#" * level
    if len(models) == 1:
        model = models[0]
        out = [f"{hashes} `{name}`", "", _doc(model), "", *model_table(model, f"{name}."), ""]
        for field_name, field in model.model_fields.items():
            out += _section(f"{name}.{field_name}", field.annotation, level)
        return out
    base = _common_base(models)
    tags = [_tag(m) for m in models]
    tag_field = tags[0][0] if tags[0] else "type"
    out = [f"{hashes} `{name}`", "", _doc(base), "", f"Each entry has a `{tag_field}`; what else it takes depends on it.", ""]
    shared = tuple(f for f in base.model_fields if f != tag_field) if base is not BaseModel else ()
    if len(shared) > 1:
        out += ["Every entry has:", "", *model_table(base, f"{name}.", skip=(tag_field,)), ""]
    for model, tag in zip(models, tags):
        value = tag[1] if tag else model.__name__
        own = shared if len(shared) > 1 else ()
        table = model_table(model, "", skip=(tag_field, *own))
        out += [f"{hashes}# {tag_field} `{value}`", "", _doc(model), "", *(table + [""] if len(table) > 2 else [])]
    return out


def render() -> str:

    out = [
        "# Configuration reference",
        "",
        "<!-- generated by `python -m sadap.app.docgen > docs/configuration.md`; a test checks it is current -->",
        "",
        "Sadap reads one YAML file, `sadap.yaml`, found via `--config`, then `$SADAP_CONFIG`, then",
        "`./sadap.yaml`; with none, the defaults below apply. `sadap init` writes a commented starter.",
        "Unknown keys are errors (`file:line: key: unknown key (allowed: ...)`). Durations are a number",
        "and a unit: `30s`, `15m`, `24h`, `7d`, `1w`; a number alone (`60`) is an error, not seconds.",
        "Secrets never go in the file: settings ending in `_env` name the environment variable that",
        "holds them.",
        "",
        "## Top level",
        "",
        *model_table(Config),
        "",
    ]
    for name, field in Config.model_fields.items():
        out += _section(name, field.annotation)
    out += [
        "## `rules[]`",
        "",
        "Every rule type has these options (alert hygiene included):",
        "",
        *model_table(RuleOptions),
        "",
    ]
    for type_name, cls in sorted(rule_types().items()):
        own = [n for n in cls.Options.model_fields if n not in RuleOptions.model_fields]
        doc = " ".join((sys.modules[cls.__module__].__doc__ or "").split())
        out += [f"### type `{type_name}`", "", doc, ""]
        rows = model_table(cls.Options)
        out += rows[:2] + [r for r in rows[2:] if any(r.startswith(f"| `{n}`") for n in own)] + [""]
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    print(render(), end="")
