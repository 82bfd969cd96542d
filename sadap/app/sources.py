"""The kinds of source ``sources:`` may name: every registered spider, and ``file`` (imported by
the app, not crawled). Their settings, labels and docs all come from here.

The spiders (and Scrapy with them) are imported only when a configured source is validated or
the kinds are listed: a config without ``sources:`` loads without Scrapy (``sadap ingest`` of a
file starts faster). :data:`LazySourceConfig` is the type ``Config.sources`` declares; it
validates each entry against the full union of the kinds' settings, :data:`SourceConfig`, which
is built on first use."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import BeforeValidator, Field, SerializeAsAny, TypeAdapter, field_validator

from crawlers.options import SourceOptions
from sadap.core.settings_types import LazyAnnotation


class FileSourceOptions(SourceOptions):
    """A JSONL or CSV file imported on the schedule, as `sadap ingest` does (`url`: the file
    path, relative to the config file); its rows without a `source` are stored under this
    source's name, by `sadap run` and `sadap ingest` alike."""

    kind: Literal["file"]

    @field_validator("url")
    @classmethod
    def _web_url(cls, value: str) -> str:
        return value  # a file path, not a web address


FILE_LABEL = ("นำเข้าจากไฟล์", "file import")


# Kinds that arrive by themselves (webhooks), not from `sources:`: labelled, not configured.
INBOUND_LABELS = {"line": ("ไลน์ทางการ (ช่องทางร้องเรียน)", "LINE Official Account")}
# Channels outside the internet through which complaints reach the organisation (standard 003's
# many complaint channels): an imported row's `received_via` column stores it as the mention's kind,
# so equal response and complaint cases tell a call centre's complaints from a counter's.
RECEIVED_CHANNELS = {
    "phone": ("โทรศัพท์ / ศูนย์บริการลูกค้า", "phone / call centre"),
    "email": ("อีเมล", "e-mail"),
    "walk_in": ("ติดต่อด้วยตนเอง", "walk-in"),
    "letter": ("หนังสือ / จดหมาย", "letter"),
    "web_form": ("แบบฟอร์มบนเว็บไซต์", "web form"),
}


def source_kinds() -> dict[str, tuple[str, str]]:
    """Every kind of mention source with its (Thai, English) label: the crawled and imported
    kinds `sources:` accepts, the inbound ones (LINE) and the channels an import names."""
    from crawlers.spiders import SPIDERS  # the spiders import Scrapy: only when asked

    return {**{kind: spider.label for kind, spider in SPIDERS.items()}, "file": FILE_LABEL, **INBOUND_LABELS,
            **RECEIVED_CHANNELS}


def source_models() -> dict[str, type[SourceOptions]]:
    """The settings model of each kind of source."""
    from crawlers.spiders import SPIDERS  # the spiders import Scrapy: only when asked

    return {**{kind: spider.Options for kind, spider in SPIDERS.items()}, "file": FileSourceOptions}


def _union() -> Any:
    return Annotated[Union[tuple(source_models().values())], Field(discriminator="kind")]


@cache
def _adapter() -> TypeAdapter[SourceOptions]:
    return TypeAdapter(_union())


def source_config(**fields: Any) -> SourceOptions:
    """One source's settings, validated against its kind (raises pydantic's ValidationError)."""
    return _adapter().validate_python(fields)


def _validate_source(value: Any) -> Any:
    # pydantic nests the union's errors under this entry's place (`sources.0.rss.url`), as if the
    # union were declared on the field itself.
    return value if isinstance(value, SourceOptions) else _adapter().validate_python(value)


if TYPE_CHECKING:
    SourceConfig = SourceOptions
    LazySourceConfig = SourceOptions
else:
    # Each entry is validated against the union of the kinds' settings (built on first use, so
    # loading a config without sources imports no spider), then kept as that kind's model.
    LazySourceConfig = Annotated[SerializeAsAny[SourceOptions], BeforeValidator(_validate_source),
                                  LazyAnnotation(_union)]


def __getattr__(name: str) -> Any:
    # `SourceConfig`, the full union (spiders imported), on first use.
    if name == "SourceConfig":
        return _union()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
