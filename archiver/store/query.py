"""The one search syntax of archiver, parsed here and rendered for SQLite FTS5 or a PostgreSQL tsquery.

Syntax (the same on both databases):

    word other          every word must match (implicit AND; an explicit ``AND`` is allowed)
    "exact phrase"      the words next to each other, in this order
    a OR b              either (``OR`` in capitals; binds looser than AND)
    -word  -"a phrase"  exclude documents that match
    pref*  "a phr"*     prefix: the last word is a prefix
    (a OR b) c          parentheses group

Words are split into tokens on anything that is not a letter or digit (as the indexes do), so
``chemin-de-fer`` is the phrase "chemin de fer" and punctuation alone is ignored. Accents and case
never matter. A malformed query raises :class:`~archiver.errors.UsageError` with one line, before
any database is involved, so SQLite and PostgreSQL give the same message. The rendered strings only
ever contain quoted tokens and operators: user text can never inject index syntax.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import TypeAlias

from archiver.errors import UsageError

MAX_DEPTH = 16
MAX_TERMS = 64
MAX_TOKEN_CHARS = 200  # longer "words" are not words (PostgreSQL ignores lexemes over 2 KB anyway)

_TOKEN = re.compile(r"[^\W_]+")
# Letters unaccent() folds that Unicode decomposition does not (so tsquery terms match the vectors).
_FOLD = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "œ": "oe",
        "ø": "o",
        "đ": "d",
        "ð": "d",
        "ł": "l",
        "þ": "th",
        "ħ": "h",
        "ı": "i",
        "ŀ": "l",
        "ŧ": "t",
        "ĸ": "k",
        "ŋ": "n",
    }
)


@dataclass(frozen=True)
class Term:
    """A word or a quoted phrase: its tokens must appear next to each other; `prefix` applies to the last."""

    tokens: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True)
class And:
    """Every `include` matches and no `exclude` does. `include` is never empty."""

    include: tuple[Node, ...]
    exclude: tuple[Node, ...] = ()


@dataclass(frozen=True)
class Or:
    options: tuple[Node, ...]


Node: TypeAlias = Term | And | Or


@dataclass(frozen=True)
class Query:
    """A parsed query: render it with `.fts5()` or `.tsquery()`."""

    text: str
    root: Node

    def fts5(self) -> str:
        return to_fts5(self.root)

    def tsquery(self) -> str:
        return to_tsquery(self.root)

    def terms(self) -> list[str]:
        """The positive words of the query (for highlighting)."""
        return [t for term in _positive_terms(self.root) for t in term.tokens]

    def positive_terms(self) -> list[Term]:
        """The words and phrases a match has (not the excluded ones), for highlighting."""
        return _positive_terms(self.root)


def tokens_of(text: str) -> tuple[str, ...]:
    return tuple(t for t in _TOKEN.findall(text) if len(t) <= MAX_TOKEN_CHARS)


def fold(token: str) -> str:
    """Lower case without accents, the way archiver_unaccent() and the 'simple' configuration index words."""
    decomposed = unicodedata.normalize("NFKD", token.lower().translate(_FOLD))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# ------------------------------------------------------------------ lexer


# kinds: WORD (value = text), PHRASE (value = text), OR, AND, LPAREN, RPAREN, MINUS; with `prefix` for WORD/PHRASE
@dataclass(frozen=True)
class _Tok:
    kind: str
    value: str = ""
    prefix: bool = False


_SPACE = frozenset(" \t\n\r\f\v\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u3000")
_QUOTES = frozenset('"“”„«»')
_BREAK = _SPACE | _QUOTES | {"(", ")"}


def _lex(text: str) -> list[_Tok]:
    out: list[_Tok] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in _SPACE or c.isspace():
            i += 1
        elif c == "(":
            out.append(_Tok("LPAREN"))
            i += 1
        elif c == ")":
            out.append(_Tok("RPAREN"))
            i += 1
        elif c in _QUOTES:
            end = i + 1
            while end < n and text[end] not in _QUOTES:
                end += 1
            if end >= n:
                raise UsageError('unclosed quote in search query: add the closing "')
            value = text[i + 1 : end]
            i = end + 1
            prefix = i < n and text[i] == "*"
            if prefix:
                i += 1
            out.append(_Tok("PHRASE", value, prefix))
        elif c == "-" and i + 1 < n and (text[i + 1] in _QUOTES or text[i + 1] == "(" or _TOKEN.match(text[i + 1])):
            out.append(_Tok("MINUS"))
            i += 1
        else:
            end = i
            while end < n and text[end] not in _BREAK and not text[end].isspace():
                end += 1
            word = text[i:end]
            i = end
            if word == "OR":
                out.append(_Tok("OR"))
            elif word == "AND":
                out.append(_Tok("AND"))
            else:
                out.append(_Tok("WORD", word.rstrip("*"), word.endswith("*")))
    return out


# ------------------------------------------------------------------ parser


class _Parser:
    def __init__(self, tokens: list[_Tok]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.terms = 0

    def peek(self) -> _Tok | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def parse(self) -> Node | None:
        node = self.or_expr(0)
        tok = self.peek()
        if tok is not None:  # only a stray ")" can stop the top level early
            raise UsageError('unmatched ")" in search query')
        return node

    def or_expr(self, depth: int) -> Node | None:
        if depth > MAX_DEPTH:
            raise UsageError(f"search query nested too deeply (more than {MAX_DEPTH} parentheses)")
        options: list[Node | None] = [self.and_expr(depth)]
        while (tok := self.peek()) is not None and tok.kind == "OR":
            self.pos += 1
            options.append(self.and_expr(depth))
        if len(options) > 1 and any(o is None for o in options):
            raise UsageError('"OR" needs something to search for on each side')
        present = [o for o in options if o is not None]
        if not present:
            return None
        return present[0] if len(present) == 1 else Or(tuple(present))

    def and_expr(self, depth: int) -> Node | None:
        include: list[Node] = []
        exclude: list[Node] = []
        saw_anything = False
        while (tok := self.peek()) is not None and tok.kind not in ("OR", "RPAREN"):
            if tok.kind == "AND":
                self.pos += 1
                nxt = self.peek()
                if not saw_anything or nxt is None or nxt.kind in ("OR", "AND", "RPAREN"):
                    raise UsageError('"AND" needs something to search for on each side')
                continue
            negate = tok.kind == "MINUS"
            if negate:
                self.pos += 1
            node = self.atom(depth)
            saw_anything = True
            if node is None:
                continue
            (exclude if negate else include).append(node)
        if not include:
            if exclude:
                raise UsageError("search query only excludes: add a word to look for")
            return None
        if len(include) == 1 and not exclude:
            return include[0]
        return And(tuple(include), tuple(exclude))

    def atom(self, depth: int) -> Node | None:
        tok = self.peek()
        assert tok is not None
        self.pos += 1
        if tok.kind == "LPAREN":
            inner = self.or_expr(depth + 1)
            close = self.peek()
            if close is None or close.kind != "RPAREN":
                raise UsageError('unclosed "(" in search query')
            self.pos += 1
            return inner
        if tok.kind in ("WORD", "PHRASE"):
            tokens = tokens_of(tok.value)
            if not tokens:
                return None
            self.terms += 1
            if self.terms > MAX_TERMS:
                raise UsageError(f"search query has too many terms (at most {MAX_TERMS})")
            return Term(tokens, tok.prefix)
        # MINUS directly after MINUS ("--word") cannot happen: the lexer only emits MINUS before a word
        raise UsageError('"-" must be followed by a word, a "phrase" or a (group)')  # pragma: no cover


def parse(text: str) -> Query:
    """Parse a user's search query; UsageError (one line) when it is malformed or has nothing to look for."""
    root = _Parser(_lex(text)).parse()
    if root is None:
        raise UsageError("empty search query: give at least one word to look for")
    return Query(text, root)


# ------------------------------------------------------------------ renderers


def to_fts5(node: Node) -> str:
    """An FTS5 MATCH expression: every token double-quoted, every group parenthesised."""
    if isinstance(node, Term):
        phrase = '"' + " ".join(t.replace('"', '""') for t in node.tokens) + '"'
        return phrase + " *" if node.prefix else phrase
    if isinstance(node, Or):
        return "(" + " OR ".join(to_fts5(o) for o in node.options) + ")"
    positive = "(" + " AND ".join(to_fts5(i) for i in node.include) + ")"
    if not node.exclude:
        return positive
    return positive + " NOT (" + " OR ".join(to_fts5(e) for e in node.exclude) + ")"


def _tsterm(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def to_tsquery(node: Node) -> str:
    """Text for to_tsquery('simple', ...): folded quoted lexemes, & | ! <-> and :* for prefixes."""
    if isinstance(node, Term):
        folded = [f for t in node.tokens for f in _TOKEN.findall(fold(t))] or ["_"]
        parts = [_tsterm(t) for t in folded]
        if node.prefix:
            parts[-1] += ":*"
        return parts[0] if len(parts) == 1 else "(" + " <-> ".join(parts) + ")"
    if isinstance(node, Or):
        return "(" + " | ".join(to_tsquery(o) for o in node.options) + ")"
    items = [to_tsquery(i) for i in node.include] + ["!" + to_tsquery(e) for e in node.exclude]
    return items[0] if len(items) == 1 else "(" + " & ".join(items) + ")"


def _positive_terms(node: Node) -> list[Term]:
    if isinstance(node, Term):
        return [node]
    if isinstance(node, Or):
        return [t for o in node.options for t in _positive_terms(o)]
    return [t for i in node.include for t in _positive_terms(i)]
