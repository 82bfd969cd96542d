"""Exact and near-duplicate detection: a hash of the normalised text and a 64-bit SimHash
over character shingles, with a banded index for fast lookups."""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

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
    """Finds a stored hash within ``max_distance`` bits (``max_distance`` < BANDS).

    Each band's buckets hold the hashes that share that band's bits, in the order they were
    added; a bucket past :data:`_SMALL` entries is a numpy array compared in one step, so a
    week of a busy deployment (hundreds of thousands of hashes, some buckets large because
    short posts look alike) costs a lookup a fraction of a millisecond, not tens of them."""

    def __init__(self, max_distance: int = 6):
        self.max_distance = min(max_distance, BANDS - 1)
        self._ids: list[str] = []
        self._bands: list[dict[int, _Bucket]] = [{} for _ in range(BANDS)]

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, value: int, mention_id: str) -> None:
        seq = len(self._ids)
        self._ids.append(mention_id)
        for band, part in zip(self._bands, _band_parts(value)):
            bucket = band.get(part)
            if bucket is None:
                bucket = band[part] = _Bucket()
            bucket.add(value, seq)

    def find(self, value: int) -> str | None:
        """The nearest stored hash's mention within ``max_distance`` (at a tie, the first one
        met going through the bands in order, each in the order added), or None."""
        below, best = self.max_distance + 1, -1
        for band, part in zip(self._bands, _band_parts(value)):
            bucket = band.get(part)
            if bucket is not None:
                d, seq = bucket.nearest(value, below)
                if seq >= 0:
                    below, best = d, seq
        return self._ids[best] if best >= 0 else None


#: Buckets up to this size are compared in Python (cheaper than numpy's per-call cost).
_SMALL = 48


class _Bucket:
    """The hashes of one band's bucket and their places in the index, in the order added. New
    entries wait in Python lists (adding stays cheap); a lookup in a bucket past :data:`_SMALL`
    entries first moves them into numpy arrays that double when full, then compares at once."""

    __slots__ = ("values", "seqs", "n", "_vals", "_seqs")

    def __init__(self) -> None:
        self.values: list[int] = []  # not yet in the arrays
        self.seqs: list[int] = []
        self.n = 0  # entries in the arrays
        self._vals: np.ndarray[Any, np.dtype[np.uint64]] | None = None
        self._seqs: np.ndarray[Any, np.dtype[np.int64]] | None = None

    def add(self, value: int, seq: int) -> None:
        self.values.append(value)
        self.seqs.append(seq)

    def nearest(self, value: int, below: int) -> tuple[int, int]:
        """The smallest distance to ``value`` under ``below`` and the first entry at it (its
        place in the index), or ``(below, -1)``."""
        if self.n + len(self.values) <= _SMALL:
            best = -1
            for other, seq in zip(self.values, self.seqs):
                d = (value ^ other).bit_count()
                if d < below:
                    below, best = d, seq
            return below, best
        import numpy as np

        vals, seqs = self._arrays()
        distances = np.bitwise_count(vals ^ np.uint64(value))
        i = int(distances.argmin())  # the first at the minimum
        d = int(distances[i])
        return (d, int(seqs[i])) if d < below else (below, -1)

    def _arrays(self) -> tuple[np.ndarray[Any, np.dtype[np.uint64]], np.ndarray[Any, np.dtype[np.int64]]]:
        import numpy as np

        total = self.n + len(self.values)
        if self._vals is None or self._seqs is None or len(self._vals) < total:
            vals, seqs = np.empty(2 * total, dtype=np.uint64), np.empty(2 * total, dtype=np.int64)
            if self._vals is not None and self._seqs is not None:
                vals[: self.n], seqs[: self.n] = self._vals[: self.n], self._seqs[: self.n]
            self._vals, self._seqs = vals, seqs
        if self.values:
            self._vals[self.n : total] = self.values
            self._seqs[self.n : total] = self.seqs
            self.values, self.seqs, self.n = [], [], total
        return self._vals[:total], self._seqs[:total]


_BAND_SHIFTS = tuple(range(0, BITS, BITS // BANDS))
_BAND_MASK = (1 << (BITS // BANDS)) - 1


def _band_parts(value: int) -> list[int]:
    """Each band's bits of ``value``, band 0 first (what :meth:`SimHashIndex._parts` yields)."""
    return [(value >> shift) & _BAND_MASK for shift in _BAND_SHIFTS]
