"""Identity of a document: the hash of its canonical clean body, and a sketch for near-duplicates."""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib

_WORD = re.compile(r"\w+")
_DIGITS = re.compile(r"\d+")


def canonical_body(body: str) -> str:
    """NFC with every run of whitespace collapsed to one space: line wrapping does not change identity."""
    if not unicodedata.is_normalized("NFC", body):
        body = unicodedata.normalize("NFC", body)
    return " ".join(body.split())  # str.split() splits where re's \s matches: every Unicode space


def content_hash(body: str) -> str:
    return hashlib.sha256(canonical_body(body).encode("utf-8")).hexdigest()


def block_hash(block: str) -> str:
    """Hash of a line with case, punctuation and numbers folded, so a footer with a new year still matches."""
    folded = " ".join(_WORD.findall(_DIGITS.sub("0", block.casefold())))
    return hashlib.blake2b(folded.encode("utf-8"), digest_size=8).hexdigest()


BUCKETS = 16  # one-permutation MinHash: the minimum hash in each of 16 buckets of the hash space
BANDS = 4  # LSH: 4 bands of 4 minima; two texts share a band with probability J**4 per band
_EMPTY = (1 << 64) - 1


SKETCH_CHARS = 2500  # the sketch reads the start of the body: a near-duplicate's start is near-identical too


def shingles(body: str) -> set[bytes]:
    """Word 3-shingles, as bytes for the checksums."""
    words = _WORD.findall(body.casefold())
    if len(words) < 3:
        return {" ".join(words).encode("utf-8")}
    return {f"{a} {b} {c}".encode() for a, b, c in zip(words, words[1:], words[2:], strict=False)}


def sketch(body: str) -> tuple[int, ...]:
    """LSH band keys of a one-permutation MinHash of word 3-shingles (Li, Owen & Zhang 2012).

    Two bodies with Jaccard similarity J share at least one of the 4 keys with probability
    1 - (1 - J**4)**4: 98 % at J = 0.9, under 0.01 % at J = 0.2. So a lookup by key finds
    near-duplicates and almost nothing else, whatever phrases a corpus repeats.
    """
    minima = [_EMPTY] * BUCKETS
    for gram in shingles(body[:SKETCH_CHARS]):
        h = (zlib.crc32(gram) << 32) | zlib.adler32(gram)
        bucket = h & (BUCKETS - 1)
        if h < minima[bucket]:
            minima[bucket] = h
    per_band = BUCKETS // BANDS
    keys = []
    for band in range(BANDS):
        material = repr((band, minima[band * per_band : (band + 1) * per_band])).encode()
        keys.append(int.from_bytes(hashlib.blake2b(material, digest_size=8).digest(), "big") >> 1)
    return tuple(keys)


def jaccard(a: str, b: str) -> float:
    """Exact Jaccard similarity of the word 3-shingles of two bodies (run only on LSH candidates)."""
    return jaccard_of(shingles(a), shingles(b))


def jaccard_of(first: set[bytes], second: set[bytes]) -> float:
    union = len(first | second)
    return len(first & second) / union if union else 1.0
