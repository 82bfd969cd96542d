"""Labels a person corrects by hand (``sadap label``, the workspace's mention page).

Each value is checked against the label registries: sentiment and expectation levels from the
mention model, categories and complaint types from the configured lexicons (shipped names,
names added in ``sadap.yaml``, and ``other``). The store writes the corrected mention at once and
keeps the history (who, when, what); ``sadap reenrich`` keeps corrected labels and ``sadap train``
learns from them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import get_args

from enrich.voc import OTHER, Lexicons
from sadap.app.config import Config
from sadap.core.errors import InputError
from sadap.core.mention import ExpectationLevel, LabelCorrection, Mention, SentimentLabel
from sadap.core.timeutil import now_utc
from sadap.store import Store

# The fields a person may correct: (option / form name, LabelCorrection field).
FIELDS = {"sentiment": "sentiment", "expectation": "expectation", "category": "category",
          "complaint": "is_complaint", "type": "complaint_type"}
YES = ("yes", "true", "1", "y", "ใช่")
NO = ("no", "false", "0", "n", "ไม่")


def choices(config: Config) -> dict[str, list[str]]:
    """The allowed values of each correctable field, as the configured lexicons name them."""
    lexicons = Lexicons.from_config(config.enrich)
    return {
        "sentiment": list(get_args(SentimentLabel)),
        "expectation": list(get_args(ExpectationLevel)),
        "category": [*lexicons.category_names, OTHER],
        "complaint": ["yes", "no"],
        "type": [*lexicons.type_names, OTHER],
    }


def parse(values: Mapping[str, str | None], allowed: Mapping[str, list[str]], by: str) -> LabelCorrection:
    """A correction from option or form values (blank: not corrected); a bad value raises one line
    naming the field and what is allowed."""
    out: dict[str, object] = {}
    for name, value in values.items():
        if name not in FIELDS:
            raise InputError(f"{name}: not a correctable label; use {', '.join(FIELDS)}")
        value = (value or "").strip()
        if not value:
            continue
        if name == "complaint":
            low = value.lower()
            if low not in YES + NO:
                raise InputError(f"complaint {value!r}: use yes or no")
            out[FIELDS[name]] = low in YES
            continue
        if value not in allowed[name]:
            raise InputError(f"{name} {value!r} is not one of: {', '.join(allowed[name])}")
        out[FIELDS[name]] = value
    if not out:
        raise InputError(f"nothing to correct: give at least one of {', '.join('--' + n for n in FIELDS)}")
    if out.get("is_complaint") is False and out.get("complaint_type") is not None:
        raise InputError("type: a mention that is no complaint has no complaint type (drop --type or use --complaint yes)")
    return LabelCorrection.model_validate({**out, "by": by, "at": now_utc()})


def correct(store: Store, config: Config, mention_id: str, values: Mapping[str, str | None], by: str) -> Mention:
    """Check ``values``, then store the correction; the corrected mention."""
    correction = parse(values, choices(config), by)
    fixed = store.correct(mention_id, correction)
    if fixed is None:
        raise InputError(f"no mention {mention_id!r}")
    return fixed
