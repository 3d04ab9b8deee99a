"""Identity of a document: the hash of its canonical clean body, and a sketch for near-duplicates."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence

import numpy as np

from archiver.pipeline.tokens import words as split_words

_WORD = re.compile(r"\w+")
_DIGITS = re.compile(r"\d+")


def canonical_body(body: str) -> str:
    """NFC with every run of whitespace collapsed to one space: line wrapping does not change identity."""
    if not unicodedata.is_normalized("NFC", body):
        body = unicodedata.normalize("NFC", body)
    return " ".join(body.split())  # str.split() splits where re's \s matches: every Unicode space


def content_hash(body: str) -> str:
    return hashlib.sha256(canonical_body(body).encode("utf-8")).hexdigest()


def content_hash_of_lines(lines: Sequence[str], body: str) -> str:
    """content_hash(body), where `body` is `lines` joined by line ends (single or double, as join_blocks).

    The lines of a clean body hold no whitespace but single spaces between words, so its canonical form
    is the lines joined by spaces: found without splitting the body into its words (a twentieth of the
    pipeline). `isprintable` is False for every whitespace character but the space; a line it refuses
    (or one not NFC, or spaced at an end) goes the general way.
    """
    joined = " ".join(lines)
    if (
        "  " in joined
        or joined[:1] == " "
        or joined[-1:] == " "
        or not joined.isprintable()
        or not unicodedata.is_normalized("NFC", joined)
    ):
        return content_hash(body)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


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

# A shingle's hash mixes its three words' hashes: odd multipliers per position (so "a b c" and "c b a"
# differ), then splitmix64's finaliser, so that the low bits that pick a bucket depend on every bit.
_POSITION = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F), np.uint64(0x165667B19E3779F9))
_MIX = (np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB))
_SHIFTS = (np.uint64(30), np.uint64(27), np.uint64(31))
_WORD_HASHES: dict[str, int] = {}  # a process's vocabulary, hashed once (a corpus reuses its words)
WORD_HASH_CACHE = 200_000  # words remembered; beyond, the cache starts again (a few MB at most)


def _word_hashes(words: Sequence[str]) -> list[int]:
    """A 64-bit hash of each word, the same in every process and every version (sketches are stored).

    Looked up in C (map over the cache's __getitem__); only words new to this process are hashed.
    """
    try:
        return list(map(_WORD_HASHES.__getitem__, words))
    except KeyError:
        if len(_WORD_HASHES) >= WORD_HASH_CACHE:
            _WORD_HASHES.clear()
        for word in set(words).difference(_WORD_HASHES):
            data = word.encode("utf-8", "surrogatepass")
            _WORD_HASHES[word] = int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")
        return list(map(_WORD_HASHES.__getitem__, words))


def shingle_hashes(words: Sequence[str]) -> np.ndarray:
    """One 64-bit hash per word 3-shingle (per run of three words), in order; a text of fewer than three
    words is one shingle, its words padded with zeros.

    Hashing each distinct word once and mixing three integers per shingle, in numpy, costs a third of
    hashing each shingle's text.
    """
    hashes = np.array(_word_hashes(words), dtype=np.uint64)
    if len(hashes) < 3:
        hashes = np.concatenate([hashes, np.zeros(3 - len(hashes), dtype=np.uint64)])
    first, second, third = _POSITION
    mixed = hashes[:-2] * first + hashes[1:-1] * second + hashes[2:] * third  # modulo 2**64
    mixed ^= mixed >> _SHIFTS[0]
    mixed *= _MIX[0]
    mixed ^= mixed >> _SHIFTS[1]
    mixed *= _MIX[1]
    mixed ^= mixed >> _SHIFTS[2]
    return mixed


def shingles(body: str) -> np.ndarray:
    """The distinct hashes of a body's word 3-shingles (casefolded), sorted: for an exact Jaccard similarity.

    64-bit hashes stand for the shingles themselves: two different shingles of two articles collide with
    a probability of about 1 in 10**13, far below any difference a threshold of 0.7 could see.
    """
    return _sorted_unique(shingle_hashes(split_words(body.casefold())))


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """np.unique(values) for a short array: a sort and a mask, a quarter of np.unique's time here (numpy 2
    hashes the values first, then sorts what it kept)."""
    ordered = np.sort(values)
    if len(ordered) < 2:
        return ordered
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))]


def sketch(body: str) -> tuple[int, ...]:
    """LSH band keys of a one-permutation MinHash of word 3-shingles (Li, Owen & Zhang 2012).

    Two bodies with Jaccard similarity J share at least one of the 4 keys with probability
    1 - (1 - J**4)**4: 98 % at J = 0.9, under 0.01 % at J = 0.2. So a lookup by key finds
    near-duplicates and almost nothing else, whatever phrases a corpus repeats.
    """
    return sketch_of_words(split_words(body[:SKETCH_CHARS].casefold()))


def sketch_of_words(words: Sequence[str]) -> tuple[int, ...]:
    """sketch() from the words of `body[:SKETCH_CHARS].casefold()`, for callers that have them (head_words).

    The keys are stored (document_sketches): a change to how they are computed needs a migration that
    computes them again for every document (see migration 0004).
    """
    hashes = shingle_hashes(words)
    minima = np.full(BUCKETS, _EMPTY, dtype=np.uint64)
    np.minimum.at(minima, (hashes & np.uint64(BUCKETS - 1)).astype(np.intp), hashes)
    values = minima.tolist()
    per_band = BUCKETS // BANDS
    keys = []
    for band in range(BANDS):
        material = repr((band, values[band * per_band : (band + 1) * per_band])).encode()
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


def jaccard_of(first: np.ndarray, second: np.ndarray) -> float:
    """Jaccard similarity of two results of shingles()."""
    common = len(np.intersect1d(first, second, assume_unique=True))
    union = len(first) + len(second) - common
    return common / union if union else 1.0
