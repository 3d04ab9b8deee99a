"""Identity of a document: the hash of its canonical clean body, and a sketch for near-duplicates."""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from collections.abc import Sequence

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
    return words_hash(_WORD.findall(block.casefold()))


def words_hash(words: Sequence[str]) -> str:
    """block_hash of a line from its casefolded words (`\\w+` of `block.casefold()`), for callers that have them.

    Numbers become "0" after the split rather than before: a run of digits lies inside one word
    and "0" is a word character too, so the words and the hash are the same.
    """
    folded = _DIGITS.sub("0", " ".join(words))
    return hashlib.blake2b(folded.encode("utf-8"), digest_size=8).hexdigest()


BUCKETS = 16  # one-permutation MinHash: the minimum hash in each of 16 buckets of the hash space
BANDS = 4  # LSH: 4 bands of 4 minima; two texts share a band with probability J**4 per band
_EMPTY = (1 << 64) - 1


SKETCH_CHARS = 2500  # the sketch reads the start of the body: a near-duplicate's start is near-identical too


def shingles(body: str) -> set[bytes]:
    """Word 3-shingles, as bytes for the checksums."""
    return _shingles(_WORD.findall(body.casefold()))


def _shingles(words: Sequence[str]) -> set[bytes]:
    if len(words) < 3:
        return {" ".join(words).encode("utf-8")}
    return {f"{a} {b} {c}".encode() for a, b, c in zip(words, words[1:], words[2:], strict=False)}


def sketch(body: str) -> tuple[int, ...]:
    """LSH band keys of a one-permutation MinHash of word 3-shingles (Li, Owen & Zhang 2012).

    Two bodies with Jaccard similarity J share at least one of the 4 keys with probability
    1 - (1 - J**4)**4: 98 % at J = 0.9, under 0.01 % at J = 0.2. So a lookup by key finds
    near-duplicates and almost nothing else, whatever phrases a corpus repeats.
    """
    return sketch_of_words(_WORD.findall(body[:SKETCH_CHARS].casefold()))


def sketch_of_words(words: Sequence[str]) -> tuple[int, ...]:
    """sketch() from the words of `body[:SKETCH_CHARS].casefold()`, for callers that have them (head_words)."""
    minima = [_EMPTY] * BUCKETS
    for gram in _shingles(words):
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


def head_words(blocks: Sequence[str], paragraphs: Sequence[int], words: Sequence[Sequence[str]]) -> list[str]:
    """The words of `body[:SKETCH_CHARS].casefold()`, where body is join_blocks(blocks, paragraphs)
    and `words` holds each block's casefolded words: only the block that the cut falls in is split again.

    Exact because casefold maps each character on its own and the line ends between blocks are no
    word characters: the words of the body are the words of its blocks, one after the other.
    """
    out: list[str] = []
    end = 0  # where the body written so far ends
    for i, (block, block_words) in enumerate(zip(blocks, words, strict=True)):
        if i:
            end += 1 if paragraphs[i] == paragraphs[i - 1] else 2  # join_blocks' "\n" or "\n\n"
        if end >= SKETCH_CHARS:
            break
        if end + len(block) > SKETCH_CHARS:
            out += _WORD.findall(block[: SKETCH_CHARS - end].casefold())
            break
        out += block_words
        end += len(block)
    return out


def jaccard(a: str, b: str) -> float:
    """Exact Jaccard similarity of the word 3-shingles of two bodies (run only on LSH candidates)."""
    return jaccard_of(shingles(a), shingles(b))


def jaccard_of(first: set[bytes], second: set[bytes]) -> float:
    union = len(first | second)
    return len(first & second) / union if union else 1.0
