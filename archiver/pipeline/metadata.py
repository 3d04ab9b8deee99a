"""Title, author, date, language and tags from the text of a page.

Pages saved as text start with menus and end with footers, so nothing is taken from "the first
line" blindly. The article is located first (the densest run of prose blocks: `_body_start`), and
the metadata is read around its top, where publishers put it: the title is the best heading-like
line shortly before the body, the byline and the date sit between the title and the body. Only
when the head says nothing is the rest of the page searched (an author box at the bottom, a
"Posted on ..." line). Cue words, role words ("Staff Writer"), the words of menu labels that look
like names ("Recent Posts", "Zum Thema") and month names live in config/rules/ (bylines.toml,
months.toml): adding a language is adding data. Everything here is pure: regexes over the lines near the head of
the page, with per-line results cached (menus repeat across a site's pages); dateparser is never
imported, the month-name regexes read every form it was needed for on the dev pages.

Speed (the whole cleaning of a page has about 2 ms): the page is laid out in one pass
(`_layout`), then every test runs cheap checks first: a string test or a one-character-class
regex gates each long alternation (`_dates`, `_byline`, `_urlish`, `_may_be_credit`, the cue
prefixes), title candidates are scored best bound first and the search stops at the first that
cannot win (`_title`), bylines are searched nearest first and the search stops when no line left
can be nearer (`_author`), and words are looked up in the body by substring search rather than by
tokenising it. The language comes from archiver.pipeline.language. The rules are compiled once per
process (`_cues`).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from operator import itemgetter
from typing import NamedTuple

from archiver.pipeline.boilerplate import Verdict
from archiver.pipeline.document import Metadata
from archiver.pipeline.rules import load_rules

MAX_TITLE_CHARS = 250
MIN_TITLE_SCORE = 1.0
LONG_TITLE_CHARS = 120  # headlines are shorter (19 in 20 under 100 characters): longer, a standfirst
BODY_WEIGHT = 3.5  # for a title whose every word the body repeats
NEAR_BODY = 1.0  # against a title right above the body (a standfirst, a caption)
DIST_COEF = 0.15  # against a title, per paragraph between it and the body (past two)
AFTER_LEDE = 1.5  # against a title under the first paragraph of prose (`_lede`)
LEDE_BLOCKS = 12  # a lede: this many paragraphs before the body, at most
SITE_NAME = 2.0  # against a title that a copyright line names: the site's name
FOLLOW_BONUS = 1.5  # for a title with a byline or a date under it
SENTENCE_TITLE_COST = 1.0  # against a heading in sentence case with a full stop (with a byline or a date under it)
WHOLE_TITLE_LINES = 6  # a heading holding a breadcrumb's headline whole: this many lines under it, at most
QUOTED_BONUS = 3.0  # for a title that another line quotes whole: '3 thoughts on "Title"'
MARK_CHARS = 250  # a date or a byline under a title sits on a short line
PROSE_DATE_CHARS = 100  # a date in a longer line is one of a sentence or a caption
CAPTION_DATE_COST = 2.0  # against a date in a picture's caption
TITLE_DATE_COST = 8.0  # against a date in the title: the day of what the article reports
FOLLOW_LINES, FOLLOW_BLOCKS = 6, 4  # "under it": within this many lines and paragraphs
MIN_DENOM = 3  # a title of fewer content words than this proves less
TITLE_LOOKBACK_LINES = 300  # candidate titles: this many lines before the body, at most (mega-menus are long)
NO_BODY_HEAD_LINES = 40  # without a body, the head is this many lines from the top
SIGNATURE_LINES = 2  # a signature: this many lines under the article, at most
PREFIX_BONUS = 5.0  # a byline with a prefix ("By") counts as this many lines nearer the title
# a byline line above the title counts as this many lines per line: kickers and section labels sit
# there, bylines mostly below, so a name above loses to a name as far below
ABOVE_COST = 2.25
HEAD_AFTER_LINES = 14  # bylines and dates: this many lines after the top of the body, at most
TAGS_AFTER_LINES = 300  # a "Tags:" line: this many lines after the top of the body, at most
MIN_YEAR, MAX_YEAR = 1900, 2100
BYLINE_CHARS = 160  # a byline is shorter
PREFIX_LINE_CHARS = 40  # a line with a byline prefix alone ("By", "Autor*in:"), the name on the next line
BARE_NAME_CHARS = 120  # a line with a name and maybe a role or a date is shorter
VOCABULARY_CHARS = 10_000  # the common words of a page: read from this much of it around the body

_BULLET = re.compile(r"^\s*(?:[*+•·o-]|\d{1,3}[.)])\s+")
_MARK = re.compile(r"^\s*[*+•·o-]\s+")  # a bullet mark, not a number: "01. Dez. 2022" opens with a date
_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)]*$")
_FULL_STOPS, _CLOSERS = frozenset(".!?…"), "\"'”’»)"  # `_SENTENCE_END`'s two parts (`_is_prose`)
_SENTENCE_BREAK = re.compile(r"[.!?…][\"'”’»)]*\s+\S")
# a sentence ending inside a heading: a full stop (or "!", "?") after a word, not after an
# initial or a number ("U.S. news", "J. Doe", "15. Forum", "am 10. Oktober")
_HEADING_BREAK = re.compile(r"[.!?…](?<=[^\W\d_]{2}[.!?…])[\"'”’»)]*\s+\S")  # the mark first: a fast scan
_WORD = re.compile(r"\w+")
_LETTER = re.compile(r"[^\W\d_]")
# a run of long lines (a paragraph on one line, or wrapped), maybe ended by a short line
_PROSE_RUN = re.compile(r"^[^\n]{50,}(?:\n[^\n]{50,})*(?:\n[^\n]+)?", re.M)
_SENTENCE_ENDS = frozenset(".!?…\"”»'’)")
_ALPHA = re.compile(r"[^\W\d_]+")
_MARKERS = frozenset("*+•·-o0123456789")
_BULLET_MARKS = frozenset("*+•·o-")
_DATEISH = re.compile(r"\d(?:\d\d\d|[./-]\s?\d{1,2}[./-]\s?\d)")  # a year or a numeric date (a digit first: fast)
_NUMERIC_DATE = re.compile(r"\d[./-]\s?\d{1,2}[./-]\s?\d")  # "8.12.2023", "2023-12-8", "12/8/23"
_KEEP = Verdict(True)
# each Latin-1 character's casefold, where it is one Latin-1 character (`_fold`)
_LATIN1_FOLD = bytes(
    ord(c.casefold()) if len(c.casefold()) == 1 and c.casefold() <= "\xff" else ord(c) for c in map(chr, range(256))
)
_TEXT = itemgetter(0)  # the text of a _Line
_BLOCK = itemgetter(1)  # the paragraph of a _Line
# drops that name what a line says (a share button, a cookie notice): never a title. Drops by
# position (navigation, header, footer...) say nothing against a title: titles sit in headers.
_JUNK_REASONS = frozenset({"share", "subscribe", "newsletter", "cookie", "legal", "caption", "author_bio"})
# and a heading over links to other articles ("Related", "Read more") is not this one's title
_NOT_TITLE_REASONS = _JUNK_REASONS | {"related"}
# a short lead-in, then a heading quoted whole to the end of the line: "6 thoughts on “Title”",
# "Eine Antwort zu „Title“", 'Reviews for "Title"': the heading of the comments or the reviews of the article
_QUOTING = re.compile(r"(?P<lead>[^\"“„«]{2,50}?)\s[\"“„«]\s?(?P<quoted>[^\"“”„«»]{10,250}?)\s?[\"”“»]")
_CLOSING_QUOTES = frozenset('"”“»')
_CRUMB_MARK = re.compile(r"[/>»›]")
_CRUMB = re.compile(r"\s[/>»›]\s|\s[>»›]|[>»›]\s")
_MENU_ITEM = re.compile(r"^\s*(?:[*+•·o-]|\d{1,3}[.)])\s+\S+(?:\s+\S+){0,2}\s*$|^\s*[*+•·o-]?\s*$")
_URLISH = re.compile(r"https?://|www\.|\.(?:com|org|net|html?|php|jpe?g|png|gif|webp|pdf)\b|@\w|©|\(c\)", re.I)
_SEPARATORS = re.compile(r"\s+(?:[|/·•–—-]|//)\s+|\s*[|·•/()]\s*|,\s+|;\s+")
_HANDLE = re.compile(r"\S*@\w\S*|https?://\S+|www\.\S+|\S+\.(?:com|org|net|info)\b\S*", re.I)
# "By Jane DoeStaff Writer", "vonChris Jung", "Author:Jane Doe", "Jane Doe2022-12-07": glued by the conversion
_GLUED = re.compile(r"(?<=[^\W\d_])(?=\d|@)|(?<=[:;])(?=[^\W\d_])")
_GLUE_MARKS = re.compile(r"[\d@:;]")  # `_GLUED` matches only next to one of them
_HANDLE_DOT = re.compile(r"www\.|\.(?:com|org|net|info)", re.I)  # `_HANDLE` without "@" or "://" needs one
_HAS_DIGIT = re.compile(r"\d")
_DOTTED_WORD = re.compile(r"\.[^\W\d_]{2}")  # a dot inside a word ("Doejane.doe"), not after an initial ("J.R.")
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
_CASE_CHANGE = re.compile(r"(?<=[^\W\d_])(?=[A-ZÀ-Þ])")
# in ASCII, the words `_CASE_CHANGE` and `_ALPHA` make: a letter and the lower-case letters after it
_ASCII_PIECE = re.compile(r"[A-Za-z][a-z]*")
_CAMEL = re.compile(r"(?<=[a-zß-ÿ]{3})(?=[A-ZÀ-Þ])")
_LETTERS = re.compile(r"[^\W\d_]{2,}")
_NUMBER = re.compile(r"(?<!\w)\d+(?!\w)")
# a time: "14:08 Uhr", "4.29pm", "10h30", and an hour alone before a meridiem ("06 PM", "6pm")
_TIME = re.compile(
    r"\b\d{1,2}[:.h]\d{2}(?:[:.]\d{2})?\s*(?:[ap]\.?m\.?|uhr|h|[A-Z]{2,4}T?)?\b"
    r"|\b\d{1,2}\s?[ap]\.?m\.?(?![^\W\d_])",
    re.I,
)
_NAME_TRIM = " \t.,;:|-–—*+()[]\"'"  # what `_name` strips around a name
_NAME_TOKEN = re.compile(r"[^\W\d_][\w'’.-]*", re.UNICODE)
_PARTICLES = frozenset(
    [
        "von",
        "van",
        "vom",
        "zu",
        "zur",
        "de",
        "da",
        "del",
        "della",
        "der",
        "den",
        "di",
        "du",
        "la",
        "le",
        "les",
        "y",
        "e",
        "bin",
        "ibn",
        "al",
        "el",
        "dos",
        "das",
        "do",
        "ter",
        "ten",
        "st",
    ]
)


# ---------------------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class _Cues:
    month_of: dict[str, int]
    dmy: re.Pattern[str]
    mdy: re.Pattern[str]
    numeric: re.Pattern[str]
    ymd: re.Pattern[str]
    prefix: re.Pattern[str]
    prefix_words: frozenset[str]  # a line that is only one of them: the name is on the next line
    prefix_start: tuple[str, ...]  # the prefix cues: a line opens with one of them, or `prefix` cannot match it
    prefix_chars: int  # the length of the longest prefix cue
    opening: tuple[str, ...]  # the prefix and the about cues
    opening_initials: frozenset[str]  # the first letters of `opening`
    prefix_first: frozenset[str]  # first words of the prefix cues: the cheap test before `prefix`
    about: re.Pattern[str]
    published: re.Pattern[str]
    updated: re.Pattern[str]
    tags: re.Pattern[str]
    credit: re.Pattern[str]
    tag_words: frozenset[str]
    date_words: frozenset[str]
    not_names: frozenset[str]  # cue words and label words: never a word of a name
    cue_words: frozenset[str]  # the cue words alone
    labels: frozenset[str]  # words of menu labels and section headings ("Recent Posts")
    roles: re.Pattern[str]  # the end of a casefolded word that names an author's role ("Redakteurin")


def _alternation(words: set[str]) -> str:
    """`words` as a regex that matches as `w1|w2|...` longest first does, written as a trie.

    In a case-insensitive alternation sre tries every word at every position (it skips a word by
    its first character only when case matters): 190 month names for each word of a line. As a
    trie it tries one branch per character read. The matches are the same: at each branch at most
    one character can match a given character (`_alike`), and the words that end at a branch come
    after the longer ones that go on, as they do in the longest-first order.
    """
    return _trie(sorted(words, key=lambda w: (-len(w), w)))


def _trie(words: Sequence[str]) -> str:
    """The alternation of `words` (longest first) as one item: a character, a run of them, or a group."""
    branches: dict[str, list[str]] = {}
    for word in words:
        branches.setdefault(word[:1], []).append(word[1:])
    ends = branches.pop("", None) is not None  # a word that ends here: tried after the longer ones
    firsts = list(branches)
    if any(_alike(a, b) for i, a in enumerate(firsts) for b in firsts[i + 1 :]):
        return f"(?:{'|'.join(map(re.escape, words))})"  # two branches could read one character: not split
    alternatives = [re.escape(first) + _trie(rests) for first, rests in branches.items()]
    if ends:
        alternatives.append("")
    return alternatives[0] if len(alternatives) == 1 else f"(?:{'|'.join(alternatives)})"


def _alike(a: str, b: str) -> bool:
    """Whether the characters `a` and `b` match each other in a case-insensitive regex ("k" and "K", "s" and "ſ")."""
    return re.fullmatch(re.escape(a), b, re.I) is not None or re.fullmatch(re.escape(b), a, re.I) is not None


@cache
def _cues() -> _Cues:
    month_of: dict[str, int] = {}
    for table in load_rules("months").values():
        for number, names in enumerate(table["months"], start=1):
            for name in names:
                month_of.setdefault(name.casefold(), number)
    bylines = load_rules("bylines")

    def words(kind: str) -> set[str]:
        return {w.casefold() for ws in bylines.get(kind, {}).values() for w in ws}

    month = f"(?P<month>{_alternation(set(month_of))})(?![^\\W\\d_])\\.?"
    weekday = _alternation(words("weekdays"))
    # the conversion glues a date to what follows it: "2. Mai 20202. Mai 2020" (published and
    # modified), "Nov 20 20194:29 AM" (a time): a day may follow a year, a time may follow a year
    # the day's first digit opens the regex (sre then skips to the digits of a line), and what may
    # precede it is looked at from after it: not a word or a dot, or a year
    dmy = re.compile(
        rf"(?P<day>\d(?:(?<![\w.]\d)|(?<=(?:19|20)\d\d\d))\d?)(?:\.|er|st|nd|rd|th|º|°)?\s*(?:de\s+|of\s+)?{month},?\s*"
        rf"(?:de\s+|del\s+)?(?P<year>\d{{4}})",
        re.I,
    )
    mdy = re.compile(
        rf"(?<![\w]){month}\s*(?P<day>\d{{1,2}})(?!\d)(?:st|nd|rd|th)?,?\s+(?:(?:{weekday}),?\s+)?(?P<year>\d{{4}})(?!\d(?!\d?:\d\d))",
        re.I,
    )
    numeric = re.compile(
        # not in a run of numbers ("8. 9. 10. 11." pages, "1.2.3.4" versions)
        r"(?<![\d.:/])(?<!\d\.\s)(?P<a>\d{1,2})(?P<sep>[./-])\s?(?P<b>\d{1,2})(?P=sep)\s?(?P<year>\d{4}|\d{2})(?!\d|\.\s?\d)"
    )
    ymd = re.compile(
        r"(?<![\d.])(?P<year>\d{4})(?P<sep>[-/.])(?P<month>\d{1,2})(?P=sep)(?P<day>\d{1,2})(?!\d)|"
        r"(?P<cy>\d{4})年(?P<cm>\d{1,2})月(?P<cd>\d{1,2})日"
    )

    def cue(kind: str, before_name: bool = False) -> re.Pattern[str]:
        alternation = _alternation(words(kind))
        if before_name:
            return re.compile(rf"(?:^|(?<=[\s|/,(–—-]))(?:{alternation})(?:\s*:?\s+|:|(?-i:(?=[A-ZÀ-Þ])))", re.I)
        return re.compile(rf"(?<![^\W\d_])(?:{alternation})(?![^\W\d_])", re.I)

    not_names = words("weekdays") | words("published") | words("updated") | words("tags") | words("prefix")
    # every word of a byline cue ("Erstellt von Fabian" is a byline with one name, not a name)
    not_names |= {w for cue in words("prefix") for w in cue.split()} - _PARTICLES
    return _Cues(
        month_of=month_of,
        dmy=dmy,
        mdy=mdy,
        numeric=numeric,
        ymd=ymd,
        prefix=cue("prefix", before_name=True),
        prefix_words=frozenset(words("prefix")),
        prefix_start=tuple(sorted(words("prefix"))),
        prefix_chars=max(map(len, words("prefix")), default=0),
        opening=tuple(sorted(words("prefix") | words("about"))),
        opening_initials=frozenset(w[0] for w in words("prefix") | words("about")),
        prefix_first=frozenset(w.split()[0] for w in words("prefix")),
        about=re.compile(rf"(?:{_alternation(words('about'))})\s*:?\s+", re.I),
        published=cue("published"),
        updated=cue("updated"),
        tags=re.compile(rf"^\s*(?:{_alternation(words('tags'))})\s*:\s*(?P<rest>.+)$", re.I),
        credit=re.compile(rf"(?<![^\W\d_])(?:{_alternation(words('credit'))})\s*[:/©]|©|\bgetty\b", re.I),
        # the words of menu labels ("Recent Posts", "Zum Thema") too; particles stay allowed inside names
        not_names=frozenset(not_names | (words("labels") - _PARTICLES)),
        cue_words=frozenset(not_names),
        labels=frozenset(words("labels")),
        roles=re.compile(rf"(?:{_alternation(words('roles'))})(?![^\W\d_])"),  # on casefolded text: faster than re.I
        tag_words=frozenset(words("tags")),
        date_words=frozenset(w for ws in ("published", "updated", "weekdays") for w in words(ws) for w in w.split()),
    )


# ---------------------------------------------------------------------------------------- layout


class _Line(NamedTuple):
    text: str  # stripped
    block: int  # index of its paragraph
    single: bool  # the whole paragraph is this one line
    keep: bool  # the boilerplate verdict on it
    reason: str | None  # why it was dropped


def _layout(
    blocks: Sequence[str], verdicts: Sequence[Verdict], paragraphs: Sequence[int] | None
) -> tuple[list[_Line], list[str], list[bool]]:
    """Lines, paragraphs and whether each paragraph holds kept text, in one pass.

    Blocks are either paragraphs (lines separated by single newlines), or single lines with
    `paragraphs` giving the paragraph of each. The lines of a paragraph wait in `texts` until the
    next paragraph starts: then whether it has one line (`single`) is known, and each line is made once.
    """
    if paragraphs is None or len(paragraphs) != len(blocks):
        paragraphs = range(len(blocks))
    if len(verdicts) != len(blocks):  # a verdict per block; missing ones keep
        verdicts = [*verdicts[: len(blocks)], *[_KEEP] * (len(blocks) - len(verdicts))]
    new = tuple.__new__
    lines: list[_Line] = []
    paras: list[str] = []
    kept: list[bool] = []
    texts: list[str] = []  # the lines of the paragraph being read...
    their: list[Verdict] = []  # ...and their verdicts
    previous = None
    index = -1
    for block, paragraph, verdict in zip(blocks, paragraphs, verdicts, strict=True):
        for part in block.split("\n") if "\n" in block else (block,):
            part = part.strip()
            if not part:
                continue
            if paragraph != previous:
                if len(texts) == 1:  # `_add_paragraph`'s common case, without the call
                    lines.append(new(_Line, (texts[0], index, True, their[0].keep, their[0].reason)))
                    paras.append(texts[0])
                    kept.append(their[0].keep)
                elif texts:
                    _add_paragraph(lines, paras, kept, texts, their, index)
                texts, their = [], []
                previous = paragraph
                index += 1
            texts.append(part)
            their.append(verdict)
    _add_paragraph(lines, paras, kept, texts, their, index)
    return lines, paras, kept


def _add_paragraph(
    lines: list[_Line], paras: list[str], kept: list[bool], texts: list[str], their: list[Verdict], index: int
) -> None:
    """The lines `texts` (with the verdicts `their`) as paragraph `index`."""
    if len(texts) == 1:
        lines.append(tuple.__new__(_Line, (texts[0], index, True, their[0].keep, their[0].reason)))
        paras.append(texts[0])
        kept.append(their[0].keep)
    elif texts:
        lines.extend(
            [tuple.__new__(_Line, (t, index, False, v.keep, v.reason)) for t, v in zip(texts, their, strict=True)]
        )
        paras.append("\n".join(texts))
        kept.append(any(v.keep for v in their))


def _fold(text: str) -> str:
    """`text.casefold()`, through a byte table for Latin-1 text (casefold looks each character up: ~6x slower).

    Every Latin-1 character folds to one Latin-1 character but "µ" and "ß"; ASCII has its own fast path.
    """
    if text.isascii():
        return text.casefold()
    try:
        data = text.encode("latin-1")
    except UnicodeEncodeError:
        return text.casefold()
    if b"\xb5" in data or b"\xdf" in data:
        return text.casefold()
    return data.translate(_LATIN1_FOLD).decode("latin-1")


def _urlish(text: str) -> bool:
    """A link, an address or a copyright line: the regex only where one of its marks is."""
    if "." in text or "@" in text or "©" in text or "(" in text or "://" in text:
        return _URLISH.search(text) is not None
    return False


def _unglue(text: str) -> str:
    """`_GLUED.sub(" ", text)`: the zero-width regex tries every position, so only where it can match."""
    return _GLUED.sub(" ", text) if _GLUE_MARKS.search(text) else text


def _without_handles(text: str, replacement: str) -> str:
    """`_HANDLE.sub(replacement, text)`: its `\\S*` reads every run of non-spaces, so only where it can match."""
    if "@" in text or "://" in text or ("." in text and _HANDLE_DOT.search(text)):
        return _HANDLE.sub(replacement, text)
    return text


def _may_be_credit(text: str) -> bool:
    """A picture credit ("Photo: Jane Doe", "© Jane Doe"): the cue regex only where a mark is."""
    if "©" in text or ":" in text or "/" in text or "etty" in text or "ETTY" in text:
        return _cues().credit.search(text) is not None
    return False


def _is_prose(block: str) -> bool:
    """Whether `block` is a paragraph of prose: long, not a list, sentences with spaces between words.

    Asked of every paragraph of the page (`_body_span`), so each test reads as little as it can.
    """
    if len(block) < 120 or _bulleted(block):
        return False
    if "\n" in block:
        lines = block.split("\n")
        bullets = sum(1 for line in lines if _BULLET.match(line) or len(line) < 40)
        if bullets * 3 > len(lines) or len(block) / len(lines) < 60:
            return False
    if block.count(" ", 0, 200) < 17 and block.count(" ") < 17:  # prose has its 17 spaces early
        return False
    end = block.rstrip().rstrip(_CLOSERS)  # `_SENTENCE_END.search(block.rstrip())`, read from the end
    return end[-1:] in _FULL_STOPS or _SENTENCE_BREAK.search(block) is not None


def _bulleted(text: str) -> bool:
    """`_BULLET.match(text)`, the regex only where the first character can open a bullet."""
    first = text[:1]
    return (first in _BULLET_MARKS or first.isdecimal() or first.isspace()) and _BULLET.match(text) is not None


def _body_span(blocks: Sequence[str], keeps: Sequence[bool]) -> tuple[int, int]:
    """Indexes of the first and the last block of the densest run of prose: the article.

    A maximum-sum run where prose blocks count their length and other blocks a cost that grows
    with their size: captions and "Advertisement" lines inside an article cost little, menus and
    link lists a lot.
    """
    prose = [keep and _is_prose(block) for block, keep in zip(blocks, keeps, strict=True)]
    if not any(prose):
        prose = [_is_prose(b) for b in blocks]
        if not any(prose):
            return len(blocks), len(blocks)
    best_start, best_end, best_sum = len(blocks), len(blocks), 0.0
    start, total = -1, 0.0
    for i, block in enumerate(blocks):
        if prose[i]:
            if start < 0:
                start, total = i, 0.0
            total += len(block)
            if total > best_sum:
                best_start, best_end, best_sum = start, i, total
        elif start >= 0:
            total -= min(400.0, 40.0 + 0.5 * len(block))
            if total <= 0:
                start = -1
    return best_start, best_end


# ---------------------------------------------------------------------------------------- dates


class _Date(NamedTuple):
    value: date
    start: int
    end: int


def _valid(year: int, month: int, day: int) -> date | None:
    if year < 100:
        year += 2000 if year < 70 else 1900
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


@lru_cache(maxsize=8192)
def _dates(line: str, language: str | None) -> tuple[_Date, ...]:
    """Every date written in `line`, in order (cached: menus and footers repeat across pages).

    Cheap tests first: a year or a numeric date must be there, a month name for the written
    forms, a numeric form ("8.12.2023", "2023-12-08") or 年 for the numeric patterns.
    """
    if not _DATEISH.search(line):
        return ()
    numeric_form = _NUMERIC_DATE.search(line) is not None or "年" in line
    cues = _cues()
    found: list[tuple[int, int, date]] = []
    month_of = cues.month_of
    if not month_of.keys().isdisjoint(_ALPHA.findall(_fold(line))):
        for pattern in (cues.dmy, cues.mdy):
            for match in pattern.finditer(line):
                month = month_of.get(match["month"].casefold().rstrip("."))
                if month:
                    _add(found, _valid(int(match["year"]), month, int(match["day"])), match)
    if numeric_form:
        for match in cues.ymd.finditer(line):
            if match["year"]:
                _add(found, _valid(int(match["year"]), int(match["month"]), int(match["day"])), match)
            else:
                _add(found, _valid(int(match["cy"]), int(match["cm"]), int(match["cd"])), match)
        for match in cues.numeric.finditer(line):
            a, b, year = int(match["a"]), int(match["b"]), int(match["year"])
            if len(match["year"]) == 2 and match["sep"] == "-":
                continue
            month_first = match["sep"] == "/" and language in (None, "en")
            if month_first and a > 12:
                month_first = False
            elif not month_first and b > 12:
                month_first = True
            _add(found, _valid(year, a, b) if month_first else _valid(year, b, a), match)
    if not found:
        return ()
    found.sort()
    return tuple(_Date(value, start, end) for start, end, value in found)


def _add(found: list[tuple[int, int, date]], value: date | None, match: re.Match[str]) -> None:
    """`value` found at `match`, unless an earlier pattern already read a date there."""
    if value is not None:
        start, end = match.span()
        if not any(s < end and start < e for s, e, _ in found):
            found.append((start, end, value))


def _date_cost(text: str, found: _Date, position: int, previous: int = 0) -> float:
    """What speaks against a date being the publication date, besides its distance to the title.

    The cue of a date is in the 40 characters before it, after the date before it (`previous`, its
    end): in "Updated 4 Jun 2020, created 17 Jun 2019" the second date is the created one.
    """
    cues = _cues()
    before = text[max(previous, found.start - 40) : found.start]
    cost = position * 0.5
    prose = len(text) > PROSE_DATE_CHARS
    if cues.updated.search(before):
        cost += 6.0
    elif not prose and (cues.published.search(before) or cues.prefix.search(before)):
        cost -= 5.0  # in prose, "am", "on", "le" before a date are words of the sentence, not cues
    if prose:
        cost += 2.0  # a date inside a sentence or a caption
    return cost


def _in_link(text: str, found: _Date) -> bool:
    """Whether the date `found` is a part of a link ("https://example.com/2020/01/15/story")."""
    start = max(text.rfind(" ", 0, found.start), text.rfind("(", 0, found.start)) + 1
    end = text.find(" ", found.end)
    token = text[start : end if end >= 0 else len(text)]
    return "/" in token and _urlish(token)


def _published(
    lines: Sequence[_Line], anchor: int, body: int, language: str | None, title: int | None = None
) -> date | None:
    """The publication date: the nearest to the title (line `title`, or `anchor`), cued ones ("Published") first.

    The head (a few lines above the title to a few lines into the body) is searched first; then
    the nearest cued date above it or below it (where blogs put "Posted on ..."), then the nearest
    date above it, then below it. Dates in links, in captions and in the title itself count less.
    """
    lo, hi = max(0, anchor - 12), min(len(lines), body + HEAD_AFTER_LINES)
    best: tuple[float, date] | None = None
    for index in range(lo, hi):
        text = lines[index].text
        if len(text) > 300:
            continue
        previous = 0  # where the text about this date starts: after the date before it
        for position, found in enumerate(_dates(text, language)):
            start, previous = previous, found.end
            if "/" in text and _in_link(text, found):
                continue  # "example.com/2020/01/15/...": the date of the article linked to
            cost = abs(index - anchor) * (1.0 if index >= anchor else 2.0) + _date_cost(text, found, position, start)
            if lines[index].reason == "caption":
                cost += CAPTION_DATE_COST  # when the picture was taken
            elif index == title:
                cost += TITLE_DATE_COST  # "Minutes of the meeting of 10 October 2019": what the article is about
            if best is None or cost < best[0]:
                best = (cost, found.value)
    if best is not None:
        return best[1]
    # away from the head: a cued date ("Posted on", "Date") above or below, else the nearest above, else below
    above = _far_date(lines, range(lo - 1, max(-1, lo - 200), -1), language)
    if above is not None and above[1]:
        return above[0]
    below = _far_date(lines, range(hi, min(len(lines), hi + 400)), language)
    if below is not None and (below[1] or above is None):
        return below[0]
    return above[0] if above is not None else None


def _far_date(lines: Sequence[_Line], indexes: range, language: str | None) -> tuple[date, bool] | None:
    """The first cued date on the lines `indexes` (and True), or else the first date (and False)."""
    first: date | None = None
    for index in indexes:
        text = lines[index].text
        if len(text) > 200:
            continue
        previous = 0
        for found in _dates(text, language):
            start, previous = previous, found.end
            if "/" in text and _in_link(text, found):
                continue
            if _date_cost(text, found, 0, start) < 0:
                return found.value, True  # a short line with a cue before the date, not an "updated" one
            if first is None:
                first = found.value
    return (first, False) if first is not None else None


# ---------------------------------------------------------------------------------------- names


def _not_a_name_word(token: str, not_names: frozenset[str]) -> bool:
    """Whether `token` (or a part of it, "Themen-Blog") is a cue or a label word, never in a name."""
    word = token.casefold().rstrip(".")
    if word in not_names:
        return True
    return "-" in word and any(part in not_names for part in word.split("-"))


def _name_tokens(tokens: Sequence[str], allow_caps: bool, labels: bool = True) -> bool:
    """Whether `tokens` spell a name; `labels`: whether label words ("News") rule a token out.

    A name has 2-4 words besides the particles inside it: a longer line (most headlines) is
    ruled out before its words are read one by one.
    """
    inner_particles = sum(1 for token in tokens[1:-1] if token.casefold() in _PARTICLES)
    if not 2 <= len(tokens) - inner_particles <= 4:
        return False
    cues = _cues()
    not_names = cues.not_names if labels else cues.cue_words
    capitals = 0
    for position, token in enumerate(tokens):
        if token.casefold() in _PARTICLES and 0 < position < len(tokens) - 1:
            continue
        if not token[0].isupper() or _HAS_DIGIT.search(token):
            return False
        if _not_a_name_word(token, not_names) or _DOTTED_WORD.search(token):
            return False  # a cue or a label word; "jane.doe" is part of an address
        letters = [ch for ch in token if ch.isalpha()]
        if len(letters) > 1 and token.endswith("."):
            return False  # "Fot.", "Dr.": an abbreviation, not part of a name
        if len(letters) == 1:
            if not token.endswith(".") and position != len(tokens) - 1:
                return False
        elif (not any(ch.islower() for ch in letters) and not allow_caps) or (
            sum(ch.isupper() for ch in letters[1:]) > 1 and any(ch.islower() for ch in letters)
        ):
            return False
        capitals += 1
    return 2 <= capitals <= 4


def _name(segment: str, allow_caps: bool = False, labels: bool = True) -> str | None:
    """`segment` when it is a person's name: 2-4 capitalised words, particles allowed inside.

    `labels=False` asks for the shape alone: label words ("City News") do not rule it out.
    """
    segment = segment.strip(_NAME_TRIM)
    if not 4 <= len(segment) <= 60:
        return None
    tokens = segment.split()
    if not 2 <= len(tokens) <= 6 or not _name_tokens(tokens, allow_caps, labels):
        return None  # the shape of the words first: most lines fail it at their first word
    return segment if all(map(_NAME_TOKEN.fullmatch, tokens)) else None


def _name_after(rest: str, allow_caps: bool = True) -> str | None:
    """The name that opens `rest` (the text after a byline prefix): the longest 2-4 word run."""
    tokens: list[str] = []
    for raw in rest.replace("/", " / ").split()[:7]:
        token = raw.rstrip(",;:|")
        if not token or not _NAME_TOKEN.fullmatch(token):
            break
        tokens.append(token)
        if token != raw:
            break
    for size in range(min(len(tokens), 6), 1, -1):
        if _name_tokens(tokens[:size], allow_caps=allow_caps):
            name = " ".join(tokens[:size])
            return name.title() if name.isupper() else name
    return None


def _strip_dates(text: str, language: str | None) -> str:
    for found in reversed(_dates(text, language)):
        text = text[: found.start] + " | " + text[found.end :]
    return _TIME.sub(" | ", text)


def _may_have_prefix(text: str) -> bool:
    """Whether a byline prefix can be in `text`: one of their first words is a word of it.

    A cheap set test on the words (split where a capital follows a lower-case letter, as in
    "vonChris Jung"), run before the prefix regex, which is a long case-insensitive alternation.
    """
    if text.isascii():  # the same words without the zero-width regex, which tries every position
        return not _cues().prefix_first.isdisjoint(map(str.lower, _ASCII_PIECE.findall(text)))
    words = _ALPHA.findall(_CASE_CHANGE.sub(" ", text).casefold())
    return not _cues().prefix_first.isdisjoint(words)


def _byline(text: str, language: str | None) -> str | None:
    """The name in a byline: "By Jane Doe", "8 Dec 2023, 10:00 // von Jane Doe", "Autor: Jane Doe".

    The prefix must open the line, or follow only a date, a time or a separator: "an interview
    with author Jane Doe" is not a byline. A long line (prose) is no byline: it is not cached either.
    """
    return None if len(text) > BYLINE_CHARS else _short_byline(text, language)


@lru_cache(maxsize=8192)
def _short_byline(text: str, language: str | None) -> str | None:
    """`_byline` of a line of BYLINE_CHARS at most (cached: menus and footers repeat across pages)."""
    if not _may_have_prefix(text):
        return None
    text = _MARK.sub("", _without_handles(_unglue(text), " "))
    if _urlish(text):
        return None
    for match in _cues().prefix.finditer(text):
        before = _strip_dates(text[: match.start()], language)
        if any(w.casefold() not in _cues().date_words for w in _LETTERS.findall(before)):
            continue
        name = _name_after(_CAMEL.sub(" ", text[match.end() :]))
        if name:
            return name
    return None


def _bare_name(text: str, language: str | None, vocabulary: _Vocabulary | None) -> str | None:
    """A line that is a name, maybe with a role or a date: "Tom Krisher, AP Auto Writer"."""
    if not _may_be_bare_name(text):
        return None
    unglued = _unglue(text)
    stripped = _strip_dates(unglued, language)
    dated = stripped != unglued  # "Jane Doe 8. Mai 2023, 10:00 Uhr": a byline line
    text = _without_handles(stripped, " | ")
    if _urlish(text) or _may_be_credit(text):
        return None  # a link, or a picture credit ("Photo: Jane Doe")
    text = _BULLET.sub("", text)
    for segment in _SEPARATORS.split(text):
        segment = _NUMBER.sub(" ", segment)
        name = _name(segment) or (_name_after(segment, allow_caps=False) if dated else None)
        if name and vocabulary is not None:
            name = vocabulary.trim(name)
        if name:
            return name
    return None


def _word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _has_word(text: str, word: str) -> bool:
    """Whether `word` occurs in `text` as a whole \\w+ token (a substring search, no tokenising)."""
    size = len(word)
    start = text.find(word)
    while start >= 0:
        end = start + size
        if (start == 0 or not _word_char(text[start - 1])) and (end >= len(text) or not _word_char(text[end])):
            return True
        start = text.find(word, start + 1)
    return False


def _prose_word(text: str, word: str) -> bool:
    """Whether `word` occurs in `text` as a word of prose, not as a part of an address.

    "allen.root@example.com" does not make "Root" a common word: an occurrence glued to "@", "/" or
    to a dot that a word character follows is a piece of an e-mail address, a URL or a file name.
    """
    size = len(word)
    start = text.find(word)
    while start >= 0:
        end = start + size
        before = text[start - 1 : start] if start else ""
        after = text[end : end + 2]
        if not (before and (_word_char(before) or before in "@/.")) and not (
            after and (_word_char(after[0]) or after[0] in "@/" or (after[0] == "." and after[1:2].isalnum()))
        ):
            return True
        start = text.find(word, start + 1)
    return False


class _Vocabulary:
    """Words the page writes in lower case: common words, not names.

    Its text (`blocks` joined, the first VOCABULARY_CHARS) is joined on first use: most lines
    asked about are no name, and then the page's words are never needed.
    """

    def __init__(self, blocks: Sequence[str]) -> None:
        self.blocks = blocks
        self._text: str | None = None

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = "\n".join(self.blocks)[:VOCABULARY_CHARS]
        return self._text

    def common(self, token: str) -> bool:
        low = token.lower().strip(".")
        if low == token or low in _PARTICLES or len(low) < 2:
            return False
        return _prose_word(self.text, low)  # case kept: found only if written in lower case

    def trim(self, name: str) -> str | None:
        """`name` up to its first common word ("Jane Doe Business" -> "Jane Doe"), if 2 words remain."""
        tokens = name.split()
        for index, token in enumerate(tokens):
            if self.common(token) and (index > 0 or len(tokens) < 2 or self.common(tokens[1])):
                tokens = tokens[:index]
                break
        while tokens and tokens[-1].casefold() in _PARTICLES:
            tokens.pop()
        return " ".join(tokens) if len(tokens) >= 2 else None


def _bio_author(blocks: Sequence[str], lines: Sequence[_Line]) -> str | None:
    """An author box: a name on its own line, and a paragraph about that person.

    "Sam Jeans" then "Sam est un rédacteur..." right below it, or "Will Knight is a senior writer..."
    anywhere when "Will Knight" also stands alone on a line of the page.
    """
    alone = {line.text for line in lines if len(line.text) <= 40}
    # the first words of those lines: a lead that is one of them opens with one of these
    openers = {text.split(None, 1)[0] for text in alone}
    for index in range(len(blocks) - 1, 0, -1):
        bio = blocks[index]
        if len(bio) < 60 or _bulleted(bio):
            continue  # a list item is a link to another article ("* Jane Doe wins..."), not a bio
        line = blocks[index - 1].strip()
        if (
            len(line) <= 60
            and "\n" not in line
            and bio.split(" ", 1)[0] == _first_word(line)  # the name's first word opens the bio, then a space
            and (name := _name(line))
            and bio.startswith(name.split()[0] + " ")
        ):
            return name
        words = bio.split(None, 4)[:4]
        if not words or words[0] not in openers:
            continue
        for size in (2, 3):
            lead = " ".join(words[:size]).rstrip(",")
            if lead in alone and _name(lead) and len(words) > size and words[size][:1].islower():
                return lead
    return None


def _first_word(line: str) -> str:
    """The first word of the name `_name` would read in `line` (a cheap test before it)."""
    words = line.strip(_NAME_TRIM).split(None, 1)
    return words[0] if words else ""


def _signature(lines: Sequence[_Line], blocks: Sequence[str], end_block: int, language: str | None) -> str | None:
    """A name standing alone (maybe with a role) right under the last paragraph of the article.

    Many pages sign the article at its foot and nowhere else: "Jane Doe | Editor", "Jane Doe".
    """
    if end_block >= len(blocks):
        return None
    start = next((i for i in range(len(lines) - 1, -1, -1) if lines[i].block <= end_block), None)
    if start is None:
        return None
    page: _Vocabulary | None = None
    for line in lines[start + 1 : start + 1 + SIGNATURE_LINES]:
        if line.block - end_block > SIGNATURE_LINES or len(line.text) > 80:
            break
        if line.reason in _JUNK_REASONS and line.reason != "author_bio":
            continue  # a "Subscribe Now" button
        if page is None:
            page = _Vocabulary(blocks[max(0, end_block - 20) : end_block + 10])
        name = _bare_name(line.text, language, page)
        if name:
            return name
    return None


def _role(text: str) -> bool:
    """Whether a short line names an author's role ("AP Auto Writer", "Mitglied der Redaktion")."""
    return len(text) <= 80 and _cues().roles.search(text.casefold()) is not None


def _name_below(lines: Sequence[_Line], index: int, limit: int, language: str | None, page: _Vocabulary) -> str | None:
    """The name under line `index` when that line is a byline prefix alone ("By", "Autor*in:").

    Pages set the label and the name as two lines (two cells of the HTML); `limit` bounds the search.
    """
    text = lines[index].text
    if index + 1 >= limit or len(text) > PREFIX_LINE_CHARS or text.strip(" :").casefold() not in _cues().prefix_words:
        return None
    below = lines[index + 1].text
    return _name(below, allow_caps=True) or _bare_name(below, language, page)


@lru_cache(maxsize=256)
def _nearest_first(above: int, below: int) -> tuple[tuple[int, float], ...]:
    """The lines from `above` over the anchor to `below` under it, as (offset, distance), nearest first.

    A line above counts ABOVE_COST per line; ties go to the upper line (page order). The order
    depends only on the offsets, so it is sorted once per shape of the head, not once per page.
    """
    offsets = [(offset, -offset * ABOVE_COST if offset <= 0 else offset * 1.0) for offset in range(-above, below)]
    return tuple(sorted(offsets, key=itemgetter(1)))


def _may_be_bare_name(text: str) -> bool:
    """`_bare_name`'s own first test: a short line with two capitals at least (a name has two words)."""
    return len(text) <= BARE_NAME_CHARS and sum(map(str.isupper, text)) >= 2


def _author(
    lines: Sequence[_Line], blocks: Sequence[str], anchor: int, body: int, title: int | None, language: str | None
) -> str | None:
    """The nearest byline to the title (a prefixed one counts as nearer), then an author box."""
    lo, hi = max(0, anchor - 4), min(len(lines), body + HEAD_AFTER_LINES, max(anchor, body) + 40)
    start = lines[body].block if body < len(lines) else 0
    page = _Vocabulary(blocks[max(0, start - 10) : start + 30])
    dated: dict[int, bool] = {}

    def has_date(index: int) -> bool:
        """Whether line `index` is a short line that holds a date (cached: lines are asked again)."""
        if index not in dated:
            dated[index] = len(lines[index].text) <= MARK_CHARS and bool(_dates(lines[index].text, language))
        return dated[index]

    def near_date(index: int) -> bool:
        """Whether a line at most two from line `index` (within the head) holds a date."""
        for i in range(max(lo, index - 2), min(hi, index + 3)):
            if i not in dated:
                dated[i] = len(lines[i].text) <= MARK_CHARS and bool(_dates(lines[i].text, language))
            if dated[i]:
                return True
        return False

    def near_role(index: int) -> bool:
        """Whether line `index` or the line under it names a role: "Jane Doe" over "Staff Writer"."""
        return _role(lines[index].text) or (index + 1 < len(lines) and _role(lines[index + 1].text))

    best: tuple[float, int, str] | None = None  # cost, line, name: the lowest cost, then the first line
    for offset, cost in _nearest_first(anchor - lo, hi - anchor):  # stop when no line left can win
        if best is not None and cost - PREFIX_BONUS > best[0]:
            break
        index = anchor + offset
        if index == title:
            continue
        text = lines[index].text
        name = _byline(text, language)
        if name is None and len(text) <= PREFIX_LINE_CHARS:
            name = _name_below(lines, index, hi, language, page)
        if name is not None:
            cost -= PREFIX_BONUS  # a prefix says it is a byline
        elif _may_be_bare_name(text):  # else `_bare_name` is None: the tests before it are not needed
            # a line that opens with a name and holds a date, right under the title ("Jane Doe, 8 May
            # 2023"): a byline as sure as a prefixed one (a date first is often followed by a section)
            signed = title is not None and 0 < index - title <= 2 and has_date(index)
            floor = cost - PREFIX_BONUS if signed else cost
            if (best is None or (floor, index) < best[:2]) and (
                (title is not None and abs(index - title) <= 2) or near_date(index) or near_role(index)
            ):
                name = _bare_name(text, language, page)
                if name is not None and signed and text.startswith(name):
                    cost = floor
        if name is not None:
            name = page.trim(name)
        if name is not None and (best is None or (cost, index) < best[:2]):
            best = (cost, index, name)
    if best is not None:
        return best[2]
    if name := _bio_author(blocks, lines):
        return name
    cues = _cues()
    initials = cues.opening_initials
    for index in range(hi, min(len(lines), hi + 600)):
        line = lines[index]
        if len(line.text) > 80 or (line.text[0].casefold() not in initials and line.text[0] not in _MARKERS):
            continue  # a set test first: most lines open with none of the cues' first letters
        text = _heading(line.text)
        if not text.casefold().startswith(cues.opening):
            continue  # neither cue opens the line (the regexes below are dear)
        if cues.prefix.match(text):
            name = _byline(text, language)
        elif match := cues.about.match(text):
            name = _name_after(text[match.end() :].lstrip("-–—:| "))  # "About the author - Jane Doe"
        else:
            name = _name_below(lines, index, len(lines), language, page)
            if name is None:
                continue
        if name and (name := page.trim(name)):
            return name
    return None


# ---------------------------------------------------------------------------------------- title


def _heading(text: str) -> str:
    """`text` (a stripped line) without its bullet mark."""
    first = text[0]
    if first not in _MARKERS:
        return text
    if first in _BULLET_MARKS and len(text) > 1 and text[1].isspace():
        return text[1:].strip()  # "* Item", the common case, without the regex
    return _BULLET.sub("", text).strip()


class _TitleContext(NamedTuple):
    lines: Sequence[_Line]
    body_line: int
    body_block: int
    repeats: Counter[str]
    body: str  # the top of the body
    body_words: list[str]  # the same casefolded, on first use (`_body_words`)
    language: str | None
    head: list[str]  # the text before the body, joined on first use
    credits: list[str]  # the copyright lines of the page, joined on first use
    marks: dict[int, bool]  # lines known to hold (or not) a date or a byline prefix (`_is_mark`)
    quoted: dict[str, bool]  # headings that another line quotes whole (True), and those lines (False)


class _Base(NamedTuple):
    """The cheap part of a title score (`_title_base`) and what the rest of the scoring reuses."""

    score: float
    text: str
    words: list[str]
    full_stop: bool
    copies: int


_NOT_A_TITLE = _Base(-99.0, "", [], False, 0)


def _title_base(ctx: _TitleContext, index: int) -> _Base:
    """The score of line `index` from its shape and position alone: string tests, no regex.

    The rest (`_title_rest`) adds at most 1.5 + BODY_WEIGHT + FOLLOW_BONUS, so the base bounds
    the score: `_title` scores the candidates best bound first and stops at the first that cannot win.
    """
    line = ctx.lines[index]
    text = _heading(line.text)
    size = len(text)
    if not 4 <= size <= MAX_TITLE_CHARS or ("»" in text[-3:] and "«" not in text) or text.endswith((":", ",", ";")):
        return _NOT_A_TITLE
    words = text.split()
    count = len(words)
    full_stop = text.endswith(".") and not text.endswith("...")
    if full_stop and count > 15:
        return _NOT_A_TITLE
    score = 2.0 if line.single else -0.5
    if text is not line.text:
        score -= 1.5
    score += 1.0 if 4 <= count <= 25 else (0.0 if count == 3 else (-1.0 if count <= 2 else -2.0))
    if count > 18:
        score -= 1.0
    if size > LONG_TITLE_CHARS:
        score -= 2.0
    if line.reason in _NOT_TITLE_REASONS:
        score -= 2.0
    first = text[0]
    if not first.isupper() and not first.isdigit() and first.isalpha():
        score -= 1.5
    if first == "(" or text.endswith(")"):  # an aside; a quote may open a headline („...“, «...»)
        score -= 1.0
    blocks_before_body = ctx.body_block - line.block if ctx.body_block >= 0 else 0
    score -= DIST_COEF * min(12, max(0, blocks_before_body - 2))
    if blocks_before_body == 1:
        score -= NEAR_BODY  # right above the body: often a standfirst or a caption
    copies = ctx.repeats[text]
    if copies > 3:
        score -= 1.0
    quoted = ctx.quoted.get(text) if ctx.quoted else None
    if quoted is not None:
        if not quoted:
            return _NOT_A_TITLE  # "6 thoughts on “Title”": the title is the quoted heading
        score += QUOTED_BONUS
    return _Base(score, text, words, full_stop, copies)


def _title_rest(ctx: _TitleContext, index: int, base: _Base) -> float:
    """The score of line `index`: its base, then its neighbours, its wording and the body's words.

    Cheap features first; a line that cannot reach MIN_TITLE_SCORE even with every bonus left
    is dropped before the regexes run (any score below the minimum means "not a title").
    """
    score, text, words, full_stop, copies = base
    if score <= -99.0:
        return score
    size = len(text)
    # the most the rest can add: a repeated title, words the body repeats, a byline under it
    if score + 1.5 + BODY_WEIGHT + FOLLOW_BONUS < MIN_TITLE_SCORE:
        return score
    follow = _follow_bonus(ctx, index)
    score += follow
    if score + 1.5 + BODY_WEIGHT < MIN_TITLE_SCORE:
        return score
    if _urlish(text):
        return -99.0
    if not _mostly_letters(text):
        return -99.0
    if full_stop:
        long_words = [w for w in words if len(w) > 3]
        if sum(w[0].isupper() for w in long_words) < 0.6 * len(long_words):
            if not (follow and ctx.lines[index].single):
                return -99.0  # a sentence; a headline with a full stop is written in title case
            score -= SENTENCE_TITLE_COST  # unless it stands alone over a byline or a date: a blog's headline
        score -= 2.5
    if ("|" in text and _pipe_list(text)) or (_CRUMB_MARK.search(text) and _is_crumb(text)):
        score -= 1.5
    if _HEADING_BREAK.search(text):
        score -= 1.5
    if _may_be_credit(text):
        score -= 2.0
    if size >= 6 and _in_credits(ctx, text):
        score -= SITE_NAME
    if copies <= 3 and size >= 12:
        if copies < 2 and not ctx.head:
            ctx.head.append("\n".join(line.text for line in ctx.lines[: ctx.body_line + 1]))
        if copies >= 2 or ctx.head[0].count(text) >= 2:
            score += 1.5
    if score + BODY_WEIGHT < MIN_TITLE_SCORE:
        return score
    content = [w for w in map(str.casefold, _WORD.findall(text)) if len(w) >= 4]
    if content:
        # the share of its words the body repeats; a one-word label proves little
        weight = BODY_WEIGHT / max(len(content), MIN_DENOM)
        if score + weight * len(content) < MIN_TITLE_SCORE:
            return score
        body_words = _body_words(ctx)
        score += weight * sum(1 for w in content if _has_word(body_words, w))
    if score < MIN_TITLE_SCORE:
        return score  # what follows only lowers it: skip the dearer checks
    if _byline(text, ctx.language):
        return -99.0
    if _name(text, labels=False) or _label(text):
        score -= 1.0  # a byline, a menu label, or a short heading in a language that capitalises nouns
    if found := _dates(text, ctx.language):
        rest = text[: found[0].start] + text[found[-1].end :]
        if len(rest.split()) < 4:
            return -99.0
        score -= 1.0
    return score


def _pipe_list(text: str) -> bool:
    """Whether the "|" in `text` separates labels ("News | Sport | Weather") or a site's name ("Title | Site").

    One " | " after a kicker of three words or fewer and before a phrase of four or more sets the
    kicker apart from the headline ("Update | Crash victims identified"): a title line still.
    """
    parts = text.split(" | ")
    return len(parts) != 2 or text.count("|") != 1 or len(parts[0].split()) > 3 or len(parts[1].split()) < 4


def _body_words(ctx: _TitleContext) -> str:
    """The top of the body casefolded, once per page and only for a page with a title to weigh.

    Casefolding is slow for text that is not ASCII (~5 ns a character).
    """
    if not ctx.body_words:
        ctx.body_words.append(_fold(ctx.body))
    return ctx.body_words[0]


def _label(text: str) -> bool:
    """Whether `text` is a short line of label words only: "Zurück zur Übersicht", "Más leídas".

    Such a line names a part of the site, not this article; a headline of four words or fewer made
    only of them is rare.
    """
    words = _ALPHA.findall(text.casefold())
    return 0 < len(words) <= 4 and _cues().labels.issuperset(words)


def _in_credits(ctx: _TitleContext, text: str) -> bool:
    """Whether `text` is named in a copyright line ("© 2023 Jane's Blog"): the site's name, not a title."""
    if not ctx.credits:
        ctx.credits.append("\n".join(line.text for line in ctx.lines if "©" in line.text and _YEAR.search(line.text)))
    return text in ctx.credits[0]


def _is_crumb(text: str) -> bool:
    """A breadcrumb or a section path: "Home > News > World", "El Salvador / judicial".

    Two separators make a path; one does when the parts around it are labels of a word or two.
    """
    parts = _CRUMB.split(text)
    return len(parts) >= 3 or (len(parts) == 2 and all(len(part.split()) <= 2 for part in parts))


def _mostly_letters(text: str) -> bool:
    """Whether letters make 60 % of `text` (spaces aside): a heading, not a price list or a code.

    Vowel signs of Indic scripts (Bengali, Hindi...) are marks, not letters, but they spell words.
    """
    letters = sum(map(str.isalpha, text))
    needed = 0.6 * (len(text) - text.count(" "))
    if letters < needed and not text.isascii():
        letters += sum(1 for ch in text if unicodedata.category(ch)[0] == "M")
    return letters >= needed


def _follow_bonus(ctx: _TitleContext, index: int) -> float:
    """FOLLOW_BONUS when a byline or a date comes shortly after line `index`: where publishers put them."""
    lines, marks = ctx.lines, ctx.marks
    block = lines[index].block
    left = FOLLOW_LINES
    for position in range(index + 1, len(lines)):
        if lines[position].block - block > FOLLOW_BLOCKS:
            break
        if lines[position].reason == "share":
            continue  # a row of share buttons between the title and the byline does not count
        left -= 1
        if left < 0:
            break
        mark = marks.get(position)
        if mark is None:
            marks[position] = mark = _is_mark(lines[position].text, ctx.language)
        if mark:
            return FOLLOW_BONUS
    return 0.0


def _is_mark(text: str, language: str | None) -> bool:
    """Whether a line holds a date or opens with a byline prefix: what publishers put under a title."""
    if len(text) > MARK_CHARS:
        return False  # a paragraph of prose that mentions a date
    opening = text.lstrip("*+•·- ")
    cues = _cues()
    # casefolding maps each character on its own: the head of the line is enough for `startswith`
    if opening[: cues.prefix_chars].casefold().startswith(cues.prefix_start) and cues.prefix.match(opening):
        return True
    return bool(_dates(text, language))


def _repeats(lines: Sequence[_Line]) -> Counter[str]:
    """How often each line occurs on the page, bullet marks removed ("* Home" counts as "Home")."""
    counts = Counter(map(_TEXT, lines))
    for text in [t for t in counts if t[0] in _MARKERS]:
        if text[0] in _BULLET_MARKS and len(text) > 1 and text[1].isspace():
            heading = text[1:].strip()  # `_heading`'s common case, without the call
        else:
            heading = _heading(text)
        if heading != text:
            counts[heading] += counts.pop(text)
    return counts


def _quoted(lines: Sequence[_Line], headings: Counter[str]) -> dict[str, bool]:
    """Headings of the page that another line quotes whole after a short lead-in (True), and those lines (False).

    "2 Gedanken zu „Title“", "One thought on “Title”", 'Kundenbewertungen für "Title"': a page names
    its article so over the comments or the reviews. `headings` counts the lines of the page (`_repeats`).
    """
    found: dict[str, bool] = {}
    for line in lines:
        text = line.text
        if text[-1] not in _CLOSING_QUOTES or len(text) > MAX_TITLE_CHARS + 60:
            continue
        match = _QUOTING.fullmatch(_heading(text))
        if match is None or len(match["quoted"].split()) < 3 or len(match["lead"].split()) > 5 or _label(match["lead"]):
            continue  # "Mehr zu „Thema“", "More from “Section”": a link to a part of the site
        quoted = match["quoted"].strip()
        if headings[quoted]:
            found[quoted] = True
            found.setdefault(_heading(text), False)
    return found


def _lede(paras: Sequence[str], keeps: Sequence[bool], body_block: int) -> int:
    """The first kept paragraph of prose shortly before the body (a lede, a teaser), or -1.

    The body is the densest run of prose, so an article's first paragraph can stand apart from
    it, cut off by a caption, a "Read also" box or a call to action: those headings are not the title.
    """
    for block in range(max(0, body_block - LEDE_BLOCKS), min(body_block, len(paras))):
        if keeps[block] and _is_prose(paras[block]):
            return block
    return -1


def _title(lines: Sequence[_Line], body_line: int, body: str, language: str | None, lede: int = -1) -> int | None:
    """The title line: the best-scoring heading before the body, unless it sits under another heading.

    `lede`: the paragraph of the article's first prose before the body (`_lede`), or -1.
    """
    lo = max(0, body_line - TITLE_LOOKBACK_LINES)
    candidates = [
        i
        for i in range(lo, body_line)
        if 4 <= len(lines[i].text) <= MAX_TITLE_CHARS + 8 and not _MENU_ITEM.match(lines[i].text)
    ]
    if not candidates:
        return None
    repeats = _repeats(lines)
    ctx = _TitleContext(
        lines,
        body_line,
        lines[body_line].block if body_line < len(lines) else -1,
        repeats,
        body[:3000],
        [],
        language,
        [],
        [],
        {},
        _quoted(lines, repeats),
    )
    bases = {i: _title_base(ctx, i) for i in candidates}
    ceiling = 1.5 + BODY_WEIGHT + FOLLOW_BONUS + 1e-9  # the most `_title_rest` adds to a base
    scores: dict[int, float] = {}

    def score_of(i: int) -> float:
        if i not in scores:
            base = bases.get(i, _NOT_A_TITLE)
            scores[i] = base.score if base.score + ceiling < MIN_TITLE_SCORE else _title_rest(ctx, i, base)
        return scores[i]

    best: tuple[float, int] | None = None
    for index in sorted(candidates, key=lambda i: -bases[i].score):  # best bound first
        bound = bases[index].score + ceiling
        if bound < MIN_TITLE_SCORE or (best is not None and bound < best[0]):
            break  # neither this line nor any after it can win
        score = score_of(index)
        if 0 <= lede < lines[index].block:
            score -= AFTER_LEDE  # between the lede and the body: a caption, a box, a subheading
        if score < MIN_TITLE_SCORE:
            continue
        # a subtitle, a standfirst or a caption sits right under the title
        for previous in range(index - 1, max(lo, index - 6) - 1, -1):
            if lines[index].block - lines[previous].block > 3:
                break
            shorter = len(lines[previous].text) < len(lines[index].text)
            if shorter and len(lines[previous].text.split()) >= 3 and score_of(previous) >= MIN_TITLE_SCORE:
                score -= 0.5
                break
        if best is None or score > best[0] or (score == best[0] and index < best[1]):
            best = (score, index)  # ties go to the line nearer the top, as in page order
    if best is None:
        return None
    # an item of a breadcrumb or a menu may show the headline cut short: the heading under it that holds it whole wins
    text = _heading(lines[best[1]].text)
    if text is not lines[best[1]].text:
        for later in range(best[1] + 1, min(body_line, best[1] + WHOLE_TITLE_LINES)):
            longer = lines[later].text
            if (
                later in bases
                and text in longer
                and len(longer) > len(text) + 2
                and not _CRUMB.search(longer)
                and score_of(later) >= MIN_TITLE_SCORE
            ):
                return later
    return best[1]


# ---------------------------------------------------------------------------------------- tags


def _tag_words(text: str) -> tuple[str, ...]:
    if len(text) > 80 or _urlish(text) or _SENTENCE_END.search(text):
        return ()
    words = text.split()
    if not 1 <= len(words) <= 6:
        return ()
    if all(w[0].isupper() or w[0].isdigit() for w in words) and all(_NAME_TOKEN.fullmatch(w) for w in words):
        return tuple(words)
    return ()


def _tags(
    lines: Sequence[_Line], anchor: int, body: int, title: int | None, body_text: str, language: str | None
) -> tuple[str, ...]:
    """A "Tags: a, b" line, or a short line of capitalised keywords under the date under the title."""
    cues = _cues()
    for line in lines[max(0, anchor - 4) : body + TAGS_AFTER_LINES]:  # "Tags:" often closes the article
        match = cues.tags.match(line.text) if ":" in line.text else None
        if match:
            tags = (t.strip(" .") for t in re.split(r"[,;|]", match["rest"]))
            found = tuple(t for t in tags if t and len(t) <= 40 and t.casefold() not in cues.tag_words)
            if found:
                return found[:20]
    if title is None:
        return ()
    # a short line of capitalised keywords right after the date under the title
    for index in range(title + 1, min(title + 4, body)):
        if _dates(lines[index].text, language) and index + 1 < body:
            after = lines[index + 1]
            if after.single and not _bare_name(after.text, language, None) and not _byline(after.text, language):
                words = _tag_words(after.text)
                # keywords name what the article is about: at least two, and the body uses one
                if len(words) >= 2 and any(_has_word(body_text, w) for w in words):
                    return words
            return ()
    return ()


# ---------------------------------------------------------------------------------------- entry


def extract_metadata(
    blocks: Sequence[str],
    verdicts: Sequence[Verdict],
    language: str | None,
    paragraphs: Sequence[int] | None = None,
) -> Metadata:
    """Metadata from all blocks of a page (kept and dropped) and the verdicts on them.

    `blocks` are paragraphs, or lines with `paragraphs` naming the paragraph of each line (knowing
    which lines stand alone between blank lines helps to tell a heading from a menu).
    """
    if not blocks:
        return Metadata(language=language)
    lines, paras, keeps = _layout(blocks, verdicts, paragraphs)
    body_block, end_block = _body_span(paras, keeps)
    body_line = bisect_left(lines, body_block, key=_BLOCK)  # the first line of the body
    if body_block >= len(paras):  # no prose at all: what heads the page is at its top
        body_line = min(body_line, NO_BODY_HEAD_LINES)
    body_text = "\n".join(paras[body_block : body_block + 12])
    title = _title(lines, body_line, body_text, language, _lede(paras, keeps, body_block))
    anchor = title if title is not None else body_line
    author = _author(lines, paras, anchor, body_line, title, language) or _signature(lines, paras, end_block, language)
    if author is not None and title is not None and author.casefold() == _heading(lines[title].text).casefold():
        author = None  # the title again (a heading repeated near the byline), not a name
    return Metadata(
        title=_heading(lines[title].text) if title is not None else None,
        author=author,
        published=_published(lines, anchor, body_line, language, title),
        language=language,
        tags=_tags(lines, anchor, body_line, title, body_text, language),
    )
