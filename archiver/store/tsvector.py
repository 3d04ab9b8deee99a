"""PostgreSQL search vectors built in Python, tokenised exactly as search queries are.

PostgreSQL's text-search parser costs about 1.2 ms of server CPU per 6 KB article: most of what
the server spent on an insert when `documents.search` was a generated column, on a machine whose
two cores also run the daemon and its workers. Parsing a tsvector literal (tsvector_in) is cheap,
so the writer builds the vector here and the server only reads it.

Documents and queries now share one tokeniser (`archiver.store.query`): every `[^\\W_]+` token,
folded by `fold()` (which may split it again, e.g. "½" into "1" and "2"). PostgreSQL's parser
indexed some text differently from how queries are split ("chemin-de-fer" as a compound plus its
parts, "3.14" as one number), so a few queries that found nothing now do.

Positions and limits follow PostgreSQL's own for
`setweight(to_tsvector(title), 'A') || setweight(to_tsvector(author), 'B') || setweight(to_tsvector(body), 'C')`:
positions count from 1 over the title, then the author, then the body, each field shifted by the
highest position stored before it (what `||` does); positions stop at 16383, a lexeme keeps its
first 256 positions, and lexemes over 2,047 bytes are left out without taking a position.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import chain, filterfalse

from archiver.store.query import _TOKEN, fold

BODY_CHARS = 500_000  # as the generated column cut it: a tsvector holds at most 1 MB
MAX_POSITION = 16383  # MAXENTRYPOS - 1: later words all share this position
MAX_POSITIONS = 256  # MAXNUMPOS: positions kept per lexeme
MAX_LEXEME_BYTES = 2047  # MAXSTRLEN - 1
MAX_LEXEME_TOTAL = (1 << 20) - 1  # MAXSTRPOS: lexeme bytes a tsvector addresses; later new lexemes are dropped
FOLD_CACHE_SIZE = 200_000
# Characters whose lower case depends on the whole text (final sigma) or splits a token (dotted I):
# text holding one is lowered token by token, as fold() does on the query side.
_LOWER_IN_CONTEXT = ("\u03a3", "\u0130")


class _FoldCache(dict[str, tuple[str, ...]]):
    """token -> its folded tokens. fold() costs microseconds (NFKD) and articles repeat their words."""

    def __missing__(self, token: str) -> tuple[str, ...]:
        folded = self[token] = tuple(_TOKEN.findall(fold(token)))
        return folded


_folded = _FoldCache()
# "1C", "2C"... per weight, made once: a position's text is most of the literal, and formatting it
# for each word would double the cost.
_labels: dict[str, list[str]] = {}


def search_vector(title: str | None, author: str | None, body: str | None) -> str:
    """The tsvector literal for a document: `'lexeme':1A,5A 'other':2B ...` (cast it to tsvector)."""
    vector = _Vector()
    vector.add(title or "", "A")
    vector.add(author or "", "B")
    vector.add((body or "")[:BODY_CHARS], "C")
    return vector.render()


def quote_lexeme(lexeme: str) -> str:
    """A lexeme as tsvector_in reads it: in single quotes, `'` doubled and `\\` escaped."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def field_lexemes(text: str) -> list[str]:
    """The lexemes of one field in order, one per position: the `_TOKEN` tokens of `fold(token)` per token."""
    if len(_folded) > FOLD_CACHE_SIZE:
        _folded.clear()
    return list(chain.from_iterable(map(_folded.__getitem__, _TOKEN.findall(text))))


def tokens(text: str) -> list[str]:
    """`_TOKEN.findall(text)` in a third less time: split on spaces, then on the other marks present."""
    chunks = text.split()
    odd = "".join(filterfalse(str.isalnum, chunks))  # str.isalnum() is what [^\W_] matches
    if not odd:
        return chunks
    for mark in [c for c in set(odd) if not c.isalnum()]:
        text = text.replace(mark, " ")
    return text.split()


def _position_labels(weight: str) -> list[str]:
    labels = _labels.get(weight)
    if labels is None:
        labels = _labels[weight] = [f"{p}{weight}" for p in range(MAX_POSITION + 1)]
    return labels


def _position(label: str) -> int:
    return int(label[:-1])


def _group_quickly(text: str, weight: str, offset: int) -> tuple[dict[str, list[str]], int] | None:
    """Lexeme -> position labels of one field, and how many positions it took, folding each distinct word once.

    None when only the word-by-word path is exact: a word folds to several tokens (every later position
    moves), a character lowers differently in context, or positions reach MAX_POSITION.
    """
    if any(c in text for c in _LOWER_IN_CONTEXT):
        return None
    lowered = text.lower()  # fold() lowers first; lowering everything at once is the same and faster
    words = tokens(lowered)
    n = len(words)
    if offset + n > MAX_POSITION:
        return None
    grouped: defaultdict[str, list[str]] = defaultdict(list)
    for word, label in zip(words, _position_labels(weight)[offset + 1 : offset + n + 1], strict=True):
        grouped[word].append(label)
    if lowered.isascii():  # fold() of ASCII letters and digits is lower()
        return grouped, n
    if len(_folded) > FOLD_CACHE_SIZE:
        _folded.clear()
    accented = {word: grouped.pop(word) for word in list(filterfalse(str.isascii, grouped))}
    for word, labels in accented.items():
        folded = _folded[word]
        if len(folded) != 1:
            return None
        lexeme = folded[0]
        known = grouped.get(lexeme)
        grouped[lexeme] = labels if known is None else sorted(known + labels, key=_position)
    return grouped, n


class _Vector:
    """Positions per lexeme, gathered field after field the way `||` of setweighted vectors merges them."""

    def __init__(self) -> None:
        self.positions: dict[str, list[str]] = {}  # lexeme -> its "12A" labels, in order
        self.full: set[str] = set()  # lexemes holding position MAX_POSITION: they take no more
        self.top = 0  # the highest position stored: the next field is shifted by it
        self.chars = 0  # characters of the lexemes stored: at most 4 bytes each

    def add(self, text: str, weight: str) -> None:
        if text and not self._add_quickly(text, weight):
            self._add_slowly(field_lexemes(text), weight)

    def _add_quickly(self, text: str, weight: str) -> bool:
        """The usual case, mostly in C: no position capped, no lexeme too long or too frequent. False if not."""
        if self.full:
            return False
        found = _group_quickly(text, weight, self.top)
        if found is None:
            return False
        grouped, n = found
        if not n:
            return True
        if (
            max(map(len, grouped)) * 4 > MAX_LEXEME_BYTES
            or (self.chars + sum(map(len, grouped))) * 4 > MAX_LEXEME_TOTAL
        ):
            return False  # a lexeme may be too long, or the vector too large: count bytes exactly
        positions = self.positions
        for lexeme in grouped.keys() & positions.keys():
            grouped[lexeme] = positions[lexeme] + grouped[lexeme]
        if max(map(len, grouped.values())) > MAX_POSITIONS:
            return False
        positions.update(grouped)
        self.chars = sum(map(len, positions))
        self.top += n
        if self.top == MAX_POSITION:
            self.full.update(lexeme for lexeme, labels in grouped.items() if labels[-1] == _position_labels(weight)[-1])
        return True

    def _add_slowly(self, lexemes: list[str], weight: str) -> None:
        """Word by word, with every limit; what `_add_quickly` does when none applies."""
        lexeme_bytes = sum(len(lexeme.encode()) for lexeme in self.positions)
        labels = _position_labels(weight)
        positions, full = self.positions, self.full
        position = self.top
        for lexeme in lexemes:
            items = positions.get(lexeme)
            if items is None:
                size = len(lexeme.encode())
                if size > MAX_LEXEME_BYTES:
                    continue  # PostgreSQL skips such a word without giving it a position
                position = min(position + 1, MAX_POSITION)
                if lexeme_bytes + size > MAX_LEXEME_TOTAL:
                    continue
                lexeme_bytes += size
                items = positions[lexeme] = []
            else:
                position = min(position + 1, MAX_POSITION)
                if len(items) >= MAX_POSITIONS or lexeme in full:
                    continue
            items.append(labels[position])
            self.top = position
            if position == MAX_POSITION:
                full.add(lexeme)
        self.chars = sum(map(len, positions))

    def render(self) -> str:
        lexemes = "".join(self.positions)
        if "'" in lexemes or "\\" in lexemes:  # never from a [^\W_] token; quote_lexeme() would cost 15%
            return " ".join(quote_lexeme(lexeme) + ":" + ",".join(items) for lexeme, items in self.positions.items())
        return " ".join([f"'{lexeme}':{','.join(items)}" for lexeme, items in self.positions.items()])
