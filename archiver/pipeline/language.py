"""The language of a page (ISO 639-1), from py3langid's shipped model on a sample of the page's prose.

py3langid counts byte n-grams by walking an automaton over the text's UTF-8 bytes, one Python step
per byte, then adds up the log-probabilities of the n-grams it met. The walk was the largest cost of
the whole metadata step, so it is done here with numpy instead (`_Model.counts`), giving the same
counts and therefore the same scores, to the bit: the automaton's state after any byte depends only
on the last `depth` bytes (it recognises n-grams of at most that many bytes), so the states at all
positions are found by `depth` vectorised table lookups rather than one lookup per byte. With another
py3langid whose model lacks the attributes used here, its own `rank` is used, as shipped.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import cache, lru_cache
from itertools import islice
from typing import Any, Protocol

import numpy as np

LANGUAGE_FIRST_CHARS = 250  # the language is read from this much prose first...
LANGUAGE_SAMPLE_CHARS = 1000  # ...and from up to this much when the first reading is unsure
LANGUAGE_CACHE = 512  # samples whose language a worker remembers (a sample is 1,000 characters at most)
LANGUAGE_MARGIN = 15.0  # sure: the best language leads the next by this much log-likelihood

_LETTER = re.compile(r"[^\W\d_]")
_BULLET = re.compile(r"^\s*(?:[*+•·o-]|\d{1,3}[.)])\s+")
_PROSE_RUN = re.compile(r"^[^\n]{50,}(?:\n[^\n]{50,})*(?:\n[^\n]+)?", re.M)
_SENTENCE_ENDS = frozenset(".!?…\"”»'’)")


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the page's language, or None for a page without enough letters to tell.

    The cost is in proportion to the sample: LANGUAGE_FIRST_CHARS of prose are read first, up to
    LANGUAGE_SAMPLE_CHARS only when the best language does not lead the next by LANGUAGE_MARGIN
    (close languages, mixed text).
    """
    sample = _language_sample(text)
    if sum(1 for _ in islice(_LETTER.finditer(sample), 20)) < 20:  # stops at the 20th letter
        return None
    return _language_of(sample)


@lru_cache(maxsize=LANGUAGE_CACHE)
def _language_of(sample: str) -> str | None:
    """The language of a sample of prose, cached: a file dropped again, or saved again with another
    header or footer, has the same first prose, so the classifier runs once per worker for it."""
    model = _model()
    if len(sample) > LANGUAGE_FIRST_CHARS + 100:
        (code, best), (_next, second) = islice(model.ranked(sample[:LANGUAGE_FIRST_CHARS]), 2)
        if best - second >= LANGUAGE_MARGIN and len(code) == 2:
            return code
    # The model knows some languages only by a longer code: then the best one with an ISO 639-1 code.
    return next((code for code, _score in model.ranked(sample) if len(code) == 2), None)


def _language_sample(text: str) -> str:
    """The first prose of the page, up to LANGUAGE_SAMPLE_CHARS; the top of the page without prose.

    Prose is a run of long lines (a paragraph on one line, or wrapped at 60-80 columns) that ends a
    sentence and is not a list item: menus, tickers, cookie banners in English on a German page
    and PHP warnings above the article are not prose, and they mislead the classifier.
    """
    parts: list[str] = []
    size = 0
    for match in _PROSE_RUN.finditer(text, 0, 60_000):
        run = match.group()
        if len(run) < 100 or run[-1] not in _SENTENCE_ENDS or run.count(" ") * 12 < len(run) or _BULLET.match(run):
            continue
        parts.append(run.replace("\n", " "))
        size += len(run) + 1
        if size >= LANGUAGE_SAMPLE_CHARS:
            break
    if size < 150:
        return text[:LANGUAGE_SAMPLE_CHARS]
    return " ".join(parts)[:LANGUAGE_SAMPLE_CHARS]


# ---------------------------------------------------------------------------------------- the model


class _Ranker(Protocol):
    def ranked(self, text: str) -> Iterator[tuple[str, float]]:
        """Languages best first with their scores, one entry per code (py3langid's `rank`)."""
        ...


ROWS_AT_ONCE = 2048  # rows of the transition table read at once when measuring the automaton
RAW_FLOOR = float(np.finfo(np.float32).min)  # py3langid's score of a masked column or a featureless text


class _Model:
    """py3langid's model with its feature table widened from float16 to float32 and its walk vectorised.

    numpy converts float16 rows to float32 element by element when it multiplies them, a third of
    the scoring; every float16 is a float32 and the product is the float32 one either way, so the
    scores are the same to the bit, for ~28 MB more per worker.
    """

    def __init__(self, identifier: Any) -> None:
        self.classes: list[str] = list(identifier.nb_classes)
        self.table = np.asarray(identifier.nb_ptc, dtype=np.float32)
        self.prior = np.asarray(identifier.nb_pc)
        self.nextmove = np.asarray(identifier.tk_nextmove)  # an array.array: shared, not copied
        rows = np.asarray(identifier.tk_row, dtype=np.intp)  # each state's row of the transition table
        self.rowbase = rows << 8
        self.output = np.asarray(identifier.tk_output)
        self.depth = _automaton_depth(self.nextmove, rows)
        first: dict[str, int] = {}
        self.aliases: list[tuple[int, int]] = []  # (first column, later column) of one code
        for column, code in enumerate(self.classes):
            if code in first:
                self.aliases.append((first[code], column))
            else:
                first[code] = column

    def counts(self, data: bytes) -> tuple[np.ndarray, np.ndarray]:
        """The n-gram features met in `data` and how often, in order of first meeting (as py3langid's walk)."""
        text = np.frombuffer(data, dtype=np.uint8)
        size = len(text)
        states = np.zeros(size, dtype=np.intp)
        for back in range(min(self.depth, size) - 1, -1, -1):  # position i reads byte i - back
            states[back:] = self.nextmove[self.rowbase[states[back:]] + text[: size - back]]
        features = self.output[states]
        features = features[features >= 0]
        unique, first_seen, counts = np.unique(features, return_index=True, return_counts=True)
        order = np.argsort(first_seen, kind="stable")
        return unique[order], counts[order]

    def scores(self, text: str) -> np.ndarray:
        if text.isupper():
            text = text.lower()
        data = unicodedata.normalize("NFC", text).encode("utf8", errors="surrogatepass")
        features, counts = self.counts(data)
        if len(features) == 0:
            scores = np.full(len(self.classes), RAW_FLOOR, dtype=np.float32)
        else:
            scores = np.log1p(counts.astype(np.float32)) @ self.table[features] + self.prior
        for kept, dropped in self.aliases:
            scores[kept] = max(scores[kept], scores[dropped])
            scores[dropped] = RAW_FLOOR
        return scores

    def ranked(self, text: str) -> Iterator[tuple[str, float]]:
        scores = self.scores(text)
        seen: set[str] = set()
        for column in np.argsort(-scores, kind="stable").tolist():
            code = self.classes[column]
            if code not in seen:
                seen.add(code)
                yield code, float(scores[column])


class _Shipped:
    """py3langid as shipped, for a version whose model this module does not know."""

    def __init__(self, identifier: Any) -> None:
        self.identifier = identifier

    def ranked(self, text: str) -> Iterator[tuple[str, float]]:
        return iter(self.identifier.rank(text))


def _automaton_depth(nextmove: np.ndarray, rows: np.ndarray) -> int:
    """The longest byte string the automaton remembers: the number of breadth-first steps from the start
    state that reach every state (a state stands for the longest n-gram prefix ending at the byte read).

    States share rows of the transition table (`rows`: each state's row): a row's targets are found the
    first time a state using it is reached, so each row is read once (~0.1 s at start-up).
    """
    reached = np.zeros(len(rows), dtype=bool)
    reached[0] = True
    read = np.zeros(int(rows.max()) + 1, dtype=bool)
    frontier = np.zeros(1, dtype=np.intp)
    depth = 0
    every_byte = np.arange(256, dtype=np.intp)
    while True:
        new_rows = np.unique(rows[frontier])
        new_rows = new_rows[~read[new_rows]]
        read[new_rows] = True
        found = np.zeros(len(rows), dtype=bool)
        for chunk in range(0, len(new_rows), ROWS_AT_ONCE):  # a few MB at a time, not 150 MB at once
            bases = new_rows[chunk : chunk + ROWS_AT_ONCE] << 8
            found[nextmove[(bases[:, None] + every_byte).ravel()]] = True
        found &= ~reached
        frontier = np.flatnonzero(found)
        if len(frontier) == 0:
            return depth
        reached |= found
        depth += 1


@cache
def _model() -> _Ranker:
    """Loaded once per process (the forkserver loads it before forking the workers)."""
    import py3langid

    try:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        return _Model(LanguageIdentifier.from_model_file(MODEL_FILE))
    except (ImportError, AttributeError, TypeError, ValueError):
        return _Shipped(py3langid)
