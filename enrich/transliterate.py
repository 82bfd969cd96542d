"""Thai → Latin transliteration for watched names: PyThaiNLP's rule-based Royal Institute
(``royin``) romanisation, which works offline (no model, no download)."""

from __future__ import annotations

import logging
from functools import lru_cache

log = logging.getLogger(__name__)


@lru_cache(maxsize=4096)
def romanize(text: str) -> str:
    """Royal Institute romanisation of Thai ``text``, word by word (split on spaces), lower-cased.

    Latin letters and digits pass through; an empty string when PyThaiNLP cannot do it.

    >>> romanize("แสงทอง")
    'saengthong'
    """
    try:
        from pythainlp.transliterate import romanize as royin

        return " ".join(royin(word, engine="royin").lower() for word in text.split())
    except Exception as err:  # a missing optional part of PyThaiNLP must not stop enrichment
        log.warning("romanisation unavailable: %s", err)
        return ""
