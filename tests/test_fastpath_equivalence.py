"""The per-mention shortcuts of #19 give exactly what the plain steps give, on real Wisesight
messages: linear-v3's character n-grams looked up as arrays (same features, same order), the
near-duplicate index's search, and the masks' and normalisation's skips
where a rule cannot match."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import numpy as np
import pytest

from enrich import dedup, normalize, privacy
from enrich.normalize import normalize as normalise
from enrich.sentiment import get_model
from enrich.tokenize import tokenize

WISESIGHT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "wisesight-sentiment"
ODD = ["", "   ", "a", "ab", "abc def", "x\x00y z", "ＡＢＣ İstanbul ǅ", "😀😀 ok", "a" * 60, "ดี\u00a0มาก\u3000ครับ",
       "hahaha HAHAHA ถถถถ 55555 ๕๕๕", "โทร ๐๘๑-๒๓๔-๕๖๗๘", "www.example.com/x ดูที่ http://a.b/c", "ก่่่า เเปลก ํา ไปๅ"]


def _messages(split: str, limit: int | None = None) -> list[str]:
    path = WISESIGHT / f"{split}.jsonl"
    if not path.exists():
        pytest.skip(f"{path} not present")
    lines = path.read_text(encoding="utf-8").splitlines()[:limit]
    return [json.loads(line)["text"] for line in lines]


def test_char_ngrams_by_table_are_the_dictionary_lookups_in_order():
    model = get_model("linear-v3")
    table = model._char_table()
    assert table is not None  # the shipped model takes the fast path
    raw = _messages("test") + ODD
    texts = [normalise(privacy.mask_personal_data(t)) for t in raw]
    tokens = [tokenize(t) for t in texts]
    try:
        for i in range(0, len(texts), 300):
            model._chars = table
            fast = model._features(texts[i:i + 300], tokens[i:i + 300])
            model._chars = None  # the dictionary path
            plain = model._features(texts[i:i + 300], tokens[i:i + 300])
            for a, b in zip(fast[:3], plain[:3]):
                np.testing.assert_array_equal(a, b)
            assert len(fast[2]) > 1000 * min(300, len(texts) - i) // 10
        model._chars = None
        plain_scores = model.scores(texts, tokens)
        model._chars = table
        fast_scores = model.scores(texts, tokens)
        for a, b in zip(fast_scores, plain_scores):
            np.testing.assert_array_equal(a, b)  # bit for bit: same features, same summation order
    finally:
        model._chars = table


class _PlainIndex:
    """The banded search as it was first written: a Python list per bucket, scanned in order."""

    def __init__(self, max_distance: int) -> None:
        self.max_distance = max_distance
        self.bands: list[dict[int, list[tuple[int, str]]]] = [{} for _ in range(dedup.BANDS)]

    def add(self, value: int, mention_id: str) -> None:
        for band, part in zip(self.bands, dedup._band_parts(value)):
            band.setdefault(part, []).append((value, mention_id))

    def find(self, value: int) -> str | None:
        best = None
        for band, part in zip(self.bands, dedup._band_parts(value)):
            for other, mention_id in band.get(part, ()):
                d = dedup.distance(value, other)
                if d <= self.max_distance and (best is None or d < best[0]):
                    best = (d, mention_id)
        return best[1] if best else None


def _same_answers(hashes: list[int], max_distance: int) -> int:
    index, plain = dedup.SimHashIndex(max_distance), _PlainIndex(max_distance)
    found = 0
    for n, value in enumerate(hashes):
        answer = plain.find(value)
        assert index.find(value) == answer, n
        found += answer is not None
        index.add(value, f"m{n}")
        plain.add(value, f"m{n}")
    assert any(b._vals is not None for band in index._bands for b in band.values())  # numpy buckets met
    return found


def test_index_find_is_the_first_nearest_in_band_order():
    texts = [normalise(t) for t in _messages("train")]  # the whole split: some buckets grow large
    hashes = [h for h in map(dedup.simhash, texts) if h is not None]
    assert _same_answers(hashes, 7) > 10
    assert _same_answers(hashes, 3) > 10


def test_index_ties_in_large_buckets_go_to_the_first_met():
    # Hashes crowded around a few centres: large buckets, many ties at each distance.
    rng = random.Random(19)
    centres = [rng.getrandbits(64) for _ in range(4)]
    hashes = []
    for _ in range(3000):
        value = rng.choice(centres)
        for _ in range(rng.randrange(0, 9)):
            value ^= 1 << rng.randrange(64)
        hashes.append(value)
    assert _same_answers(hashes, 6) > 2000


def test_masks_and_normalisation_skip_only_what_cannot_match():
    plain_masks = [
        lambda t: privacy._URL.sub(lambda m: privacy.URL_MASK + m.group(0)[len(m.group(0).rstrip(privacy._URL_TRAILING)):], t),
        lambda t: privacy._EMAIL_SPELLED.sub(privacy.EMAIL_MASK, privacy._EMAIL.sub(privacy.EMAIL_MASK, t))
        if "at" in privacy._EMAIL.sub(privacy.EMAIL_MASK, t).lower() or "แอท" in t else privacy._EMAIL.sub(privacy.EMAIL_MASK, t),
    ]
    texts = _messages("train")[::4] + ODD
    for text in texts:
        assert privacy.mask_urls(text) == plain_masks[0](text)
        assert privacy.mask_emails(text) == plain_masks[1](text)
        assert privacy.mask_handles(text) == privacy._HANDLE.sub(privacy.HANDLE_MASK, text)
        assert normalize.thai_digits(text) == text.translate(normalize._THAI_DIGITS)
        assert normalize.laughter(text) == normalize._LAUGH.sub("555", text)
        assert normalize.strip_invalid(text) == "".join(
            ch for ch in re.sub("[\ud800-\udfff]", "", text) if ch in "\n\t" or not (ord(ch) < 32 or 127 <= ord(ch) < 160))
    # numbers: the phone and ID masks leave a text without digits alone, and mask the rest as before
    with_digits = [t for t in texts if privacy._DIGIT.search(t)]
    assert len(with_digits) > 300
    assert sum(privacy.mask_phones(t) != t for t in with_digits) > 5
    for text in texts:
        if not privacy._DIGIT.search(text):
            assert privacy._PHONE.search(text) is None and privacy._NATIONAL_ID.search(text) is None
            assert privacy._ID_GROUPS.search(text) is None and privacy._PHONE_SPACED.search(text) is None
