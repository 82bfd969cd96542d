"""Load YAML and remember where each key sits, so errors can name ``file:line``."""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from sadap.core.errors import ConfigError
from sadap.core.files import not_utf8
from sadap.core.settings_types import LazyAnnotation

Loc = tuple[str | int, ...]
# Mapping keys and sequence items in a document once its aliases are expanded. A real config has
# a few thousand; an "alias bomb" (anchors nested in anchors) has billions.
MAX_NODES = 100_000
# Lists and mappings inside each other. A real config nests a few levels; hundreds would run
# Python's recursion out while reading it.
MAX_DEPTH = 100


class _TooLarge(Exception):
    pass


class _Loop(Exception):
    """An alias (``*name``) inside the value its anchor (``&name``) names: a value containing itself."""

    def __init__(self, line: int):
        self.line = line


class _TooDeep(Exception):
    def __init__(self, line: int):
        self.line = line


class LineMap:
    """Line numbers (1-based) of every mapping key and sequence item in a YAML document."""

    def __init__(self, lines: dict[Loc, int] | None = None):
        self.lines = lines or {}

    @classmethod
    def from_node(cls, node: yaml.Node | None, duplicates: list[str] | None = None) -> "LineMap":
        """Lines of ``node``'s keys and items. Keys repeated in one mapping are appended to
        ``duplicates`` as ``(where, key, first line, second line)`` messages. Raises
        ``_TooLarge`` past MAX_NODES (counted with aliases expanded), ``_Loop`` where a value
        contains itself through an alias and ``_TooDeep`` past MAX_DEPTH levels."""
        lines: dict[Loc, int] = {}
        count = 0
        inside: set[int] = set()  # the lists and mappings being walked: a value's ancestors

        def walk(n: yaml.Node, loc: Loc) -> None:
            if not isinstance(n, (yaml.MappingNode, yaml.SequenceNode)):
                return
            if id(n) in inside:
                raise _Loop(n.start_mark.line + 1)
            if len(loc) >= MAX_DEPTH:
                raise _TooDeep(n.start_mark.line + 1)
            inside.add(id(n))
            walk_items(n, loc)
            inside.discard(id(n))

        def walk_items(n: yaml.Node, loc: Loc) -> None:
            nonlocal count
            if isinstance(n, yaml.MappingNode):
                seen: dict[str, tuple[int, int]] = {}
                for key_node, value_node in n.value:
                    count += 1
                    if count > MAX_NODES:
                        raise _TooLarge
                    key = key_node.value
                    line = key_node.start_mark.line + 1
                    if duplicates is not None and key_node.tag != "tag:yaml.org,2002:merge" and isinstance(key, str):
                        at = (line, key_node.start_mark.column + 1)
                        if key in seen and seen[key] != at:
                            # `{name: a, name: b}` repeats a key on one line: say the columns.
                            first = (f"first at line {seen[key][0]}" if seen[key][0] != line
                                     else f"first at column {seen[key][1]}, again at column {at[1]}")
                            duplicates.append(f"{line}: {format_loc(loc + (key,))}: duplicate key {key!r} ({first}); keep one")
                        seen.setdefault(key, at)
                    lines.setdefault(loc + (key,), line)
                    walk(value_node, loc + (key,))
            elif isinstance(n, yaml.SequenceNode):
                for i, item in enumerate(n.value):
                    count += 1
                    if count > MAX_NODES:
                        raise _TooLarge
                    lines[loc + (i,)] = item.start_mark.line + 1
                    walk(item, loc + (i,))

        if node is not None:
            lines[()] = node.start_mark.line + 1
            walk(node, ())
        return cls(lines)

    def line(self, loc: Loc) -> int | None:
        """Line of ``loc`` or of its nearest ancestor that has one."""
        loc = tuple(loc)
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return self.lines.get(())

    def sub(self, prefix: Loc) -> "LineMap":
        """The line map of the part of the document under ``prefix``."""
        n = len(prefix)
        return LineMap({k[n:]: v for k, v in self.lines.items() if k[:n] == tuple(prefix)})


def load_yaml(path: str | Path) -> tuple[Any, LineMap]:
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ConfigError(not_utf8(path, data, err)) from None
    return parse_yaml(text, str(path))


#: PyYAML's loader on libyaml (C) where PyYAML was built with it, else None. Its nodes are the
#: pure-Python loader's, marks (lines) included, about ten times as fast; what it refuses is
#: parsed again by the pure-Python loader, whose messages the errors quote.
CSafeLoader: Any = getattr(yaml, "CSafeLoader", None)


def compose(text: str, pure: bool = False) -> yaml.Node | None:
    """The node graph of ``text`` (what ``yaml.compose`` with the safe loader gives): through
    libyaml where PyYAML has it (unless ``pure``), and through the pure-Python loader where libyaml
    fails, so that an error (its line and message) is the pure-Python loader's."""
    if CSafeLoader is not None and not pure:
        try:
            node: yaml.Node | None = yaml.compose(text, Loader=CSafeLoader)
            return node
        except yaml.YAMLError:
            pass
    return yaml.compose(text, Loader=yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """``yaml.safe_load(text)``, through libyaml where PyYAML has it (the same values; the
    pure-Python loader again where libyaml fails, for its error): for the shipped lexicons."""
    node = compose(text)
    return yaml.SafeLoader("").construct_document(node) if node is not None else None


def _too_deep(name: str, line: int | None = None) -> ConfigError:
    where = f"{name}:{line}" if line else name
    return ConfigError(
        f"{where}: lists or mappings nest more than {MAX_DEPTH} levels deep; refused — write them flatter"
    )


def _reader_error(err: yaml.reader.ReaderError, text: str, name: str) -> ConfigError:
    """One line for a character YAML does not allow (a control character, say): where and which."""
    code = err.character if isinstance(err.character, int) else ord(str(err.character)[:1] or " ")
    shown = f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
    kind = "control character" if code < 0x20 or 0x7F <= code <= 0x9F else "character"
    if 0 <= err.position <= len(text):
        line = text.count("\n", 0, err.position) + 1
        column = err.position - (text.rfind("\n", 0, err.position) + 1) + 1
        return ConfigError(
            f"{name}:{line}: {kind} {shown} (column {column}) is not allowed in YAML; remove it "
            "(allowed: tab, line breaks and printable characters)"
        )
    return ConfigError(f"{name}: {kind} {shown} is not allowed in YAML; remove it "
                       "(allowed: tab, line breaks and printable characters)")


def parse_yaml(text: str, name: str) -> tuple[Any, LineMap]:
    """Parse ``text``; duplicate keys are errors (naming both lines), and a document that
    expands (through aliases) past MAX_NODES values is refused at once, as is one where a
    value contains itself through an alias or that nests past MAX_DEPTH levels."""
    try:
        node = compose(text)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark
        line = mark.line + 1 if mark else "?"
        raise ConfigError(f"{name}:{line}: YAML syntax error: {err.problem}") from None
    except yaml.reader.ReaderError as err:
        raise _reader_error(err, text, name) from None
    except yaml.YAMLError as err:
        raise ConfigError(f"{name}: YAML error: {' '.join(str(err).split())}") from None
    except RecursionError:  # nesting that the pure-Python loader cannot follow
        raise _too_deep(name) from None
    duplicates: list[str] = []
    try:
        lines = LineMap.from_node(node, duplicates)
    except _TooLarge:
        raise ConfigError(
            f"{name}: more than {MAX_NODES} values once its aliases (*name) are expanded; "
            "refused (an alias bomb?) — write the settings out or use fewer nested aliases"
        ) from None
    except _Loop as err:
        raise ConfigError(
            f"{name}:{err.line}: an alias (*name) refers to the value that contains it (its own &name), "
            "so the value would contain itself; refused — use an alias only outside the value it names"
        ) from None
    except _TooDeep as err:
        raise _too_deep(name, err.line) from None
    if duplicates:
        raise ConfigError("\n".join(f"{name}:{d}" for d in duplicates))
    try:  # the values from the nodes just composed (as yaml.safe_load would, without parsing twice)
        data = yaml.SafeLoader("").construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark
        line = mark.line + 1 if mark else "?"
        raise ConfigError(f"{name}:{line}: YAML syntax error: {err.problem}") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"{name}: YAML error: {' '.join(str(err).split())}") from None
    return data, lines


def format_loc(loc: Loc) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _members(annotation: Any) -> list[type[BaseModel]]:
    """The models an annotation can hold (through Optional, list, Annotated and unions)."""
    origin = typing.get_origin(annotation)
    if origin is None:
        return [annotation] if isinstance(annotation, type) and issubclass(annotation, BaseModel) else []
    if origin is typing.Annotated:  # a union built on first use: its members
        lazy = [m for m in annotation.__metadata__ if isinstance(m, LazyAnnotation)]
        if lazy:
            return _members(lazy[0].resolve())
    return [m for arg in typing.get_args(annotation) for m in _members(arg)]


def _walk(model: type | None, loc: Loc) -> tuple[Loc, type[BaseModel] | None]:
    """``loc`` without the tags pydantic adds for discriminated unions (``sources[0].rss.every``
    is ``sources[0].every`` in the file), and the model found at its end."""
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return loc, None
    current: list[type[BaseModel]] = [model]
    clean: list[str | int] = []
    for part in loc:
        if isinstance(part, int):
            clean.append(part)
            continue
        tagged = [m for m in current if len(current) > 1 and _tag(m) == part]
        if tagged:
            current = tagged
            continue
        fields = [m.model_fields[part] for m in current if part in m.model_fields]
        clean.append(part)
        current = _members(fields[0].annotation) if fields else []
    return tuple(clean), current[0] if len(current) == 1 else None


def _tag(model: type[BaseModel]) -> str | None:
    for name in ("kind", "type"):
        field = model.model_fields.get(name)
        args = typing.get_args(field.annotation) if field is not None else ()
        if typing.get_origin(field.annotation if field is not None else None) is typing.Literal and len(args) == 1:
            return str(args[0])
    return None


def validation_lines(
    err: ValidationError, path: str | None, lines: LineMap, model: type | None = None, prefix: Loc = ()
) -> list[str]:
    """One readable line per pydantic error: ``file:line: where: what (allowed: ...)``."""
    out = []
    for e in err.errors():
        loc = tuple(p for p in e["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        loc, _ = _walk(model, loc)
        ctx = e.get("ctx") or {}
        if e["type"] in ("union_tag_invalid", "union_tag_not_found"):
            loc = (*loc, str(ctx.get("discriminator", "")).strip("'"))
        full = prefix + loc
        line = lines.line(full)
        where = format_loc(full)
        if e["type"] == "extra_forbidden":
            parent = _walk(model, loc[:-1])[1]
            allowed = list(parent.model_fields) if parent is not None else None
            what = f"unknown key {loc[-1]!r}"
            if allowed:
                what += f" (allowed: {', '.join(allowed)})"
        elif e["type"] == "missing" or e["type"] == "union_tag_not_found":
            what = "required but missing"
        elif e["type"] == "union_tag_invalid":
            allowed_tags = str(ctx.get("expected_tags", "")).replace("'", "")
            what = f"unknown {loc[-1]} {ctx.get('tag')!r} (allowed: {allowed_tags})"
        else:
            msg = e["msg"]
            if msg.startswith("Value error, "):
                msg = msg[len("Value error, "):]
            what = msg
            # A validator that found a secret in the value marks the error `hide_input`: not echoed.
            shown = "input" in e and not ctx.get("hide_input")
            if shown and not isinstance(e["input"], (dict, list)) and repr(e["input"]) not in what:
                what += f" (got {e['input']!r})"
        prefix_txt = f"{path}:{line}" if path and line else (path or f"line {line}")
        out.append(f"{prefix_txt}: {where}: {what}")
    return out
