"""The kinds of source ``sources:`` may name: every registered spider, and ``file`` (imported by
the app, not crawled). Their settings, labels and docs all come from here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import Field, TypeAdapter, field_validator

from crawlers.spiders import SPIDERS, SourceOptions


class FileSourceOptions(SourceOptions):
    """A JSONL or CSV file imported on the schedule, as `sadap ingest` does (`url`: the file
    path, relative to the config file)."""

    kind: Literal["file"]

    @field_validator("url")
    @classmethod
    def _web_url(cls, value: str) -> str:
        return value  # a file path, not a web address


FILE_LABEL = ("นำเข้าจากไฟล์", "file import")


# Kinds that arrive by themselves (webhooks), not from `sources:`: labelled, not configured.
INBOUND_LABELS = {"line": ("ไลน์ทางการ (ช่องทางร้องเรียน)", "LINE Official Account")}


def source_kinds() -> dict[str, tuple[str, str]]:
    """Every kind of mention source with its (Thai, English) label: the crawled and imported
    kinds `sources:` accepts, and the inbound ones (LINE)."""
    return {**{kind: spider.label for kind, spider in SPIDERS.items()}, "file": FILE_LABEL, **INBOUND_LABELS}


def source_models() -> dict[str, type[SourceOptions]]:
    """The settings model of each kind of source."""
    return {**{kind: spider.Options for kind, spider in SPIDERS.items()}, "file": FileSourceOptions}


if TYPE_CHECKING:
    SourceConfig = SourceOptions
else:
    SourceConfig = Annotated[Union[tuple(source_models().values())], Field(discriminator="kind")]

_ADAPTER: TypeAdapter[SourceOptions] = TypeAdapter(SourceConfig)


def source_config(**fields: Any) -> SourceOptions:
    """One source's settings, validated against its kind (raises pydantic's ValidationError)."""
    return _ADAPTER.validate_python(fields)
