"""Keep or drop each block of a page saved as text, with the reason for every drop.

The method carries what works on HTML over to plain text:

1. Blocks are lines (a saved page puts each block element on its own line; paragraphs are separated
   by a blank line; list items start with `* `, nested ones with `+ ` or `o `).
2. Each block gets features: words, characters, stopword density for the page's language (jusText),
   whether it ends like a sentence, whether it is a list item, upper-case share, and cue phrases by
   kind and language (newsletter, subscribe, share, legal, cookie, related, comments, ...), all from
   data files under config/rules/.
3. A first class per block, as jusText does: good (long prose), near-good, short, bad.
4. The article is one contiguous region: the run of blocks with the largest sum of scores (good
   text counts for, short and bad blocks against: a maximum-sum subarray, as in Body Text
   Extraction). A short block that closes the article ("Comments", "Related articles") ends it.
5. Verdicts: outside the region everything is dropped (the reason is its cue, else its side of the
   article); inside, short blocks take the class of the article around them (context smoothing) and
   only blocks with a cue, or bad runs of list items, are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from archiver.pipeline.identity import block_hash
from archiver.pipeline.rules import load_rules

__all__ = ["KEEP", "Verdict", "classify", "join_blocks", "split_blocks"]


@dataclass(frozen=True)
class Verdict:
    keep: bool
    reason: str | None = None


KEEP = Verdict(True)

# ---------------------------------------------------------------- tunables (structure, not language)

LENGTH_LOW = 70  # characters: below, a block is short (jusText)
LENGTH_HIGH = 200  # characters: above, a block with enough stopwords is good
STOP_LOW = 0.22  # stopword density: below, a block is bad
STOP_HIGH = 0.30  # stopword density: above, a long block is good
PHRASE_MAX_WORDS = 25  # cue phrases speak for blocks up to this many words
BANNER_MAX_WORDS = 80  # cookie and legal cues speak for banners up to this many words
HEADER_BLOCKS = 4  # short blocks right before the article are its header (title, date, byline)
LANG_SAMPLE_WORDS = 400

_WORD = re.compile(r"\w+")
_LETTERS = re.compile(r"[^\W\d_]+")
_BULLET = re.compile(r"^(?:[*+o•·▪◦‣-])\s+")
_SENTENCE_END = re.compile(r"[.!?…:;»\"'”“)\]]\s*$")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_STRIP_LINE = re.compile(r"^[\W\d_]+|[\W\d_]+$")
_COUNT = re.compile(r"\(\d+\)|\d+")


# ---------------------------------------------------------------- data


@dataclass(frozen=True)
class _Cues:
    phrases: re.Pattern[str]
    phrase_kind: dict[str, str]
    lines: dict[str, str]
    ends: re.Pattern[str]
    end_kind: dict[str, str]


def _pattern(phrases: Iterable[str]) -> re.Pattern[str]:
    """One alternation; word boundaries where a phrase starts or ends with a letter, `*` = any ending."""
    parts = []
    for phrase in sorted(set(phrases), key=len, reverse=True):
        stem = phrase.rstrip("*")
        left = r"(?<!\w)" if stem[:1].isalnum() else ""
        right = r"(?!\w)" if stem[-1:].isalnum() and not phrase.endswith("*") else ""
        parts.append(left + re.escape(stem) + right)
    return re.compile("|".join(parts) if parts else r"(?!x)x")


def _fold(text: str) -> str:
    return text.casefold().replace("’", "'").replace("ʼ", "'")


@cache
def _cues() -> _Cues:
    """Every language's cues at once: a footer in English on a French page is still a footer."""
    rules = load_rules("boilerplate")
    phrase_kind: dict[str, str] = {}
    for kind, by_language in rules.get("phrases", {}).items():
        for phrases in by_language.values():
            for phrase in phrases:
                phrase_kind.setdefault(_fold(phrase).rstrip("*"), kind)
    lines: dict[str, str] = {}
    for kind, by_language in rules.get("lines", {}).items():
        for phrases in by_language.values():
            for phrase in phrases:
                lines.setdefault(_fold(phrase), kind)
    end_kind: dict[str, str] = {}
    for kind, by_language in rules.get("ends", {}).items():
        for phrases in by_language.values():
            for phrase in phrases:
                end_kind.setdefault(_fold(phrase).rstrip("*"), kind)
    all_phrases = [_fold(p) for by in rules.get("phrases", {}).values() for ps in by.values() for p in ps]
    all_ends = [_fold(p) for by in rules.get("ends", {}).values() for ps in by.values() for p in ps]
    return _Cues(_pattern(all_phrases), phrase_kind, lines, _pattern(all_ends), end_kind)


@cache
def _stopwords() -> dict[str, frozenset[str]]:
    return {lang: frozenset(words.split()) for lang, words in load_rules("stopwords").items()}


@cache
def _stopword_index() -> dict[str, tuple[str, ...]]:
    """word -> languages whose stoplist holds it, to check the page's language cheaply."""
    index: dict[str, list[str]] = {}
    for lang, words in _stopwords().items():
        for word in words:
            index.setdefault(word, []).append(lang)
    return {word: tuple(langs) for word, langs in index.items()}


# ---------------------------------------------------------------- blocks


def split_blocks(text: str) -> tuple[list[str], list[int]]:
    """Blocks (non-empty lines) of normalised text and, for each, the index of its paragraph."""
    blocks: list[str] = []
    paragraphs: list[int] = []
    for number, paragraph in enumerate(text.split("\n\n")):
        for line in paragraph.split("\n"):
            if line.strip():
                blocks.append(line.strip())
                paragraphs.append(number)
    return blocks, paragraphs


def join_blocks(blocks: Sequence[str], paragraphs: Sequence[int]) -> str:
    """Kept blocks back into text: one newline inside a paragraph, a blank line between paragraphs."""
    out: list[str] = []
    previous = None
    for block, paragraph in zip(blocks, paragraphs, strict=True):
        if out:
            out.append("\n" if paragraph == previous else "\n\n")
        out.append(block)
        previous = paragraph
    return "".join(out)


# ---------------------------------------------------------------- features and first class

GOOD, NEAR, SHORT, BAD = 3, 2, 1, 0


@dataclass
class _Block:
    words: int
    chars: int
    stop: float
    sentence: bool
    bullet: bool
    cue: str | None  # kind from a cue phrase or a whole-line cue
    end: str | None  # kind of a cue that closes the article
    cls: int = SHORT


def _page_language(blocks: Sequence[str], language: str | None) -> str | None:
    """The detected language, unless the longest blocks' stopwords say another one much more clearly."""
    stop = _stopwords()
    index = _stopword_index()
    longest = sorted(blocks, key=len, reverse=True)[:8]
    words = [w for block in longest for w in _WORD.findall(block.casefold())][:LANG_SAMPLE_WORDS]
    if not words:
        return language if language in stop else None
    hits: dict[str, int] = {}
    for word in words:
        for lang in index.get(word, ()):
            hits[lang] = hits.get(lang, 0) + 1
    if not hits:
        return language if language in stop else None
    best = max(hits, key=hits.__getitem__)
    if language in stop and hits.get(language, 0) >= 0.8 * hits[best]:
        return language
    return best if hits[best] >= 0.15 * len(words) else (language if language in stop else None)


def _features(block: str, stopwords: frozenset[str] | None, cues: _Cues) -> _Block:
    bullet_match = _BULLET.match(block)
    text = block[bullet_match.end() :] if bullet_match else block
    folded = _fold(text)
    tokens = _LETTERS.findall(folded)
    words = len(tokens)
    cjk = len(_CJK.findall(text)) if words and not stopwords else 0
    if cjk:
        words = max(words, cjk // 2)
    if stopwords and tokens:
        stop = sum(1 for t in tokens if t in stopwords) / len(tokens)
    else:
        stop = STOP_HIGH if words >= 8 else 0.0
    cue = None
    end = None
    bare = _STRIP_LINE.sub("", _COUNT.sub("", folded)).strip()
    if bare in cues.lines or not bare:
        cue = cues.lines.get(bare, "navigation")
    elif words <= BANNER_MAX_WORDS:
        match = cues.phrases.search(folded)
        if match:
            kind = cues.phrase_kind.get(match.group(0), "boilerplate")
            limit = BANNER_MAX_WORDS if kind in ("cookie", "legal", "caption") else PHRASE_MAX_WORDS
            if words <= limit:
                cue = kind
    if words <= 12:
        match = cues.ends.search(folded)
        if match:
            end = cues.end_kind.get(match.group(0), "related")
    return _Block(
        words=words,
        chars=len(text),
        stop=stop,
        sentence=bool(_SENTENCE_END.search(text)),
        bullet=bool(bullet_match),
        cue=cue,
        end=end,
    )


def _first_class(b: _Block) -> int:
    if b.cue is not None:
        return BAD
    if b.chars < LENGTH_LOW:
        if b.bullet and not b.sentence:
            return BAD
        return SHORT
    if b.stop >= STOP_HIGH:
        return GOOD if b.chars >= LENGTH_HIGH or (b.sentence and not b.bullet) else NEAR
    if b.stop >= STOP_LOW:
        return NEAR
    return BAD


def _score(b: _Block) -> float:
    if b.cls == GOOD:
        return float(b.words)
    if b.cls == NEAR:
        return 0.5 * b.words
    if b.cls == SHORT:
        return -1.0 if not b.bullet else -3.0
    return -4.0 - 0.5 * b.words


def _region(features: Sequence[_Block]) -> tuple[int, int]:
    """[start, end) of the maximum-sum run of block scores; empty when nothing scores above zero."""
    best = 0.0
    best_range = (0, 0)
    total = 0.0
    start = 0
    for i, b in enumerate(features):
        if total <= 0:
            total = 0.0
            start = i
        total += _score(b)
        if total > best:
            best = total
            best_range = (start, i + 1)
    return best_range


# ---------------------------------------------------------------- verdicts


def classify(
    blocks: Sequence[str], language: str | None = None, learned: frozenset[str] = frozenset()
) -> list[Verdict]:
    """One verdict per block. `learned` holds block hashes that recur across one source's documents."""
    if not blocks:
        return []
    cues = _cues()
    lang = _page_language(blocks, language)
    stopwords = _stopwords().get(lang) if lang else None
    features = [_features(block, stopwords, cues) for block in blocks]
    for b in features:
        b.cls = _first_class(b)
    start, end = _region(features)

    # A block that closes the article ("Comments", "Related articles") ends the region, once some
    # article text has been seen; the remainder only counts if a long run of good text follows.
    seen = 0
    for i in range(start, end):
        b = features[i]
        if b.end is not None and b.cls != GOOD and seen >= 40:
            end = i
            break
        if b.cls == GOOD:
            seen += b.words

    verdicts: list[Verdict] = []
    after_reason = "footer"
    for i, (block, b) in enumerate(zip(blocks, features, strict=True)):
        if learned and block_hash(block) in learned:
            verdicts.append(Verdict(False, "learned"))
            continue
        if i < start:
            if b.cue is not None:
                verdicts.append(Verdict(False, b.cue))
            elif i >= start - HEADER_BLOCKS and not b.bullet and b.cls != BAD:
                verdicts.append(Verdict(False, "header"))
            else:
                verdicts.append(Verdict(False, "navigation"))
        elif i >= end:
            if b.end is not None:
                after_reason = b.end
            verdicts.append(Verdict(False, b.cue or after_reason))
        elif b.cue is not None:
            verdicts.append(Verdict(False, b.cue))
        else:
            verdicts.append(KEEP)
    return verdicts
