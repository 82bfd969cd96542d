"""Exact and near-duplicate detection: a hash of the normalised text and a 64-bit SimHash
over character shingles, with a banded index for fast lookups."""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterator

_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
BITS = 64
BANDS = 8  # 8 bands of 8 bits: any two hashes within 7 bits share at least one band.
MIN_LENGTH = 30  # shorter texts have too few shingles for SimHash to mean anything.


def _compact(normalised_text: str) -> str:
    return _NOT_WORD.sub("", normalised_text.lower())


def text_hash(normalised_text: str) -> str:
    """Same for texts that differ only in spacing, punctuation and case."""
    return hashlib.sha1(_compact(normalised_text).encode("utf-8")).hexdigest()


def simhash(normalised_text: str, shingle: int = 4) -> int | None:
    """A 64-bit SimHash over the character ``shingle``-grams of the compacted text: bit ``b`` is
    set when more shingles' BLAKE2b-64 hashes have bit ``b`` set than not."""
    text = _compact(normalised_text)
    if len(text) < MIN_LENGTH:
        return None
    import numpy as np  # numpy counts the 64 bit columns; a Python loop over them cost 0.7 ms a text

    digests = b"".join(
        hashlib.blake2b(text[i : i + shingle].encode("utf-8"), digest_size=8).digest()
        for i in range(len(text) - shingle + 1)
    )
    # Each digest is a big-endian integer; as little-endian bytes, bit b of the integer is
    # bit b of the unpacked row.
    hashes = np.frombuffer(digests, dtype=">u8").astype("<u8")
    bits = np.unpackbits(hashes.view(np.uint8).reshape(-1, 8), axis=1, bitorder="little")
    ones = bits.sum(axis=0, dtype=np.int64)
    majority = np.flatnonzero(2 * ones > len(hashes))
    return sum(1 << int(bit) for bit in majority)


def distance(a: int, b: int) -> int:
    return (a ^ b).bit_count()


class SimHashIndex:
    """Finds a stored hash within ``max_distance`` bits (``max_distance`` < BANDS)."""

    def __init__(self, max_distance: int = 6):
        self.max_distance = min(max_distance, BANDS - 1)
        self._bands: list[dict[int, list[tuple[int, str]]]] = [defaultdict(list) for _ in range(BANDS)]

    @staticmethod
    def _parts(value: int) -> Iterator[tuple[int, int]]:
        width = BITS // BANDS
        mask = (1 << width) - 1
        for band in range(BANDS):
            yield band, (value >> (band * width)) & mask

    def add(self, value: int, mention_id: str) -> None:
        entry = (value, mention_id)
        for band, part in zip(self._bands, _band_parts(value)):
            band[part].append(entry)

    def find(self, value: int) -> str | None:
        """The nearest stored hash's mention within ``max_distance`` (the first one found, bands in
        order, at a tie), or None."""
        best: tuple[int, str] | None = None
        limit = self.max_distance
        for band, part in zip(self._bands, _band_parts(value)):
            entries = band.get(part)
            if not entries:
                continue
            for d, (_, mention_id) in zip([(value ^ other).bit_count() for other, _ in entries], entries):
                if d <= limit and (best is None or d < best[0]):
                    best = (d, mention_id)
        return best[1] if best else None


_BAND_SHIFTS = tuple(range(0, BITS, BITS // BANDS))
_BAND_MASK = (1 << (BITS // BANDS)) - 1


def _band_parts(value: int) -> list[int]:
    """Each band's bits of ``value``, band 0 first (what :meth:`SimHashIndex._parts` yields)."""
    return [(value >> shift) & _BAND_MASK for shift in _BAND_SHIFTS]
