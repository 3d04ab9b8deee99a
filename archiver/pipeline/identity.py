"""Identity of a document: the hash of its canonical clean body, and a sketch for near-duplicates."""

from __future__ import annotations

import hashlib
import heapq
import re
import unicodedata
import zlib

_WHITESPACE = re.compile(r"\s+")
_WORD = re.compile(r"\w+")
SKETCH_SIZE = 16


def canonical_body(body: str) -> str:
    """NFC with every run of whitespace collapsed to one space: line wrapping does not change identity."""
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFC", body)).strip()


def content_hash(body: str) -> str:
    return hashlib.sha256(canonical_body(body).encode("utf-8")).hexdigest()


def block_hash(block: str) -> str:
    """Hash of a paragraph with case, digits and punctuation folded, so a footer with a new year still matches."""
    words = _WORD.findall(unicodedata.normalize("NFC", block).casefold())
    folded = " ".join("0" if w.isdigit() else w for w in words)
    return hashlib.blake2b(folded.encode("utf-8"), digest_size=8).hexdigest()


def _shingle_hash(gram: bytes) -> int:
    """63 bits (fits a signed BIGINT) from two C-speed checksums: cheap, stable across processes."""
    return (zlib.crc32(gram) << 31) ^ zlib.adler32(gram)


def sketch(body: str, shingle: int = 3) -> tuple[int, ...]:
    """Bottom-k MinHash sketch of word 3-shingles (Broder): a few changed words change few of its values."""
    words = _WORD.findall(body.casefold())
    grams = {" ".join(words[i : i + shingle]).encode("utf-8") for i in range(max(1, len(words) - shingle + 1))}
    return tuple(sorted(heapq.nsmallest(SKETCH_SIZE, {_shingle_hash(g) for g in grams})))


def resemblance(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """Estimated Jaccard similarity of two bodies from their sketches."""
    if not a or not b:
        return 0.0
    union_bottom = heapq.nsmallest(SKETCH_SIZE, set(a) | set(b))
    shared = set(a) & set(b)
    return sum(1 for value in union_bottom if value in shared) / len(union_bottom)
