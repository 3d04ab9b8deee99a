"""Title, author, date, language and tags from the text of a page.

Pages saved as text start with menus and end with footers, so nothing is taken from "the first
line" blindly. The article is located first (the densest run of prose blocks: `_body_start`), and
the metadata is read around its top, where publishers put it: the title is the best heading-like
line shortly before the body, the byline and the date sit between the title and the body. Only
when the head says nothing is the rest of the page searched (an author box at the bottom, a
"Posted on ..." line). Cue words and month names live in config/rules/ (bylines.toml, months.toml):
adding a language is adding data. Everything here is pure and cheap (a few regexes over the head of
the page); dateparser is never imported.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache

from archiver.pipeline.boilerplate import Verdict
from archiver.pipeline.document import Metadata
from archiver.pipeline.rules import load_rules

MAX_TITLE_CHARS = 250
LANGUAGE_SAMPLE_CHARS = 1000
MIN_TITLE_SCORE = 1.0
TITLE_LOOKBACK_LINES = 150  # candidate titles: this many lines before the body, at most
HEAD_AFTER_LINES = 14  # bylines and dates: this many lines after the top of the body, at most
MIN_YEAR, MAX_YEAR = 1900, 2100

_BULLET = re.compile(r"^\s*(?:[*+•·o-]|\d{1,3}[.)])\s+")
_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)]*$")
_SENTENCE_BREAK = re.compile(r"[.!?…][\"'”’»)]*\s+\S")
_WORD = re.compile(r"\w+")
_URLISH = re.compile(r"https?://|www\.|\.(?:com|org|net|html?|php)\b|@\w|©|\(c\)", re.I)
_SEPARATORS = re.compile(r"\s+(?:[|/·•–—-]|//)\s+|\s*[|·•]\s*|,\s+|;\s+")
_TIME = re.compile(r"\b\d{1,2}[:.h]\d{2}(?:[:.]\d{2})?\s*(?:[ap]\.?m\.?|uhr|h|[A-Z]{2,4}T?)?\b", re.I)
_NAME_TOKEN = re.compile(r"[^\W\d_][\w'’.-]*", re.UNICODE)
_PARTICLES = frozenset(
    ["von", "van", "vom", "zu", "zur", "de", "da", "del", "della", "der", "den", "di", "du", "la", "le", "les", "y", "e", "bin", "ibn", "al", "el", "dos", "das", "do", "ter", "ten", "st"]
)


# ---------------------------------------------------------------------------------------- language


def detect_language(text: str) -> str | None:
    """ISO 639-1 code from py3langid (its model ships in the wheel) on about 1,000 characters.

    The sample is taken from the long paragraphs when there are some, so that a page that opens
    with a menu in English and continues in German is German.
    """
    sample = _language_sample(text)
    if sum(ch.isalpha() for ch in sample) < 20:
        return None
    import py3langid

    code, _score = py3langid.classify(sample)
    return str(code)


def _language_sample(text: str) -> str:
    parts: list[str] = []
    size = 0
    for block in text[:60_000].split("\n\n"):
        if len(block) >= 120 and not _BULLET.match(block):
            parts.append(block)
            size += len(block)
            if size >= LANGUAGE_SAMPLE_CHARS:
                break
    if size < 200:
        return text[:LANGUAGE_SAMPLE_CHARS]
    return " ".join(parts)[:LANGUAGE_SAMPLE_CHARS]


# ---------------------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class _Cues:
    month_of: dict[str, int]
    dmy: re.Pattern[str]
    mdy: re.Pattern[str]
    numeric: re.Pattern[str]
    ymd: re.Pattern[str]
    prefix: re.Pattern[str]
    published: re.Pattern[str]
    updated: re.Pattern[str]
    tags: re.Pattern[str]
    credit: re.Pattern[str]
    not_names: frozenset[str]


def _alternation(words: set[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=lambda w: (-len(w), w)))


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
    dmy = re.compile(
        rf"(?<![\w.])(?P<day>\d{{1,2}})(?:\.|er|st|nd|rd|th|º|°)?\s*(?:de\s+|of\s+)?{month},?\s*"
        rf"(?:de\s+|del\s+)?(?P<year>\d{{4}})",
        re.I,
    )
    mdy = re.compile(
        rf"(?<![\w]){month}\s*(?P<day>\d{{1,2}})(?!\d)(?:st|nd|rd|th)?,?\s+(?:(?:{weekday}),?\s+)?(?P<year>\d{{4}})(?!\d)",
        re.I,
    )
    numeric = re.compile(
        r"(?<![\d.:/])(?P<a>\d{1,2})(?P<sep>[./-])(?P<b>\d{1,2})(?P=sep)(?P<year>\d{4}|\d{2})(?![\d]|\.\d)"
    )
    ymd = re.compile(
        r"(?<![\d.])(?P<year>\d{4})(?P<sep>[-/.])(?P<month>\d{1,2})(?P=sep)(?P<day>\d{1,2})(?!\d)|"
        r"(?P<cy>\d{4})年(?P<cm>\d{1,2})月(?P<cd>\d{1,2})日"
    )

    def cue(kind: str, before_name: bool = False) -> re.Pattern[str]:
        alternation = _alternation(words(kind))
        if before_name:
            return re.compile(rf"(?:^|(?<=[\s|/,(–—-]))(?:{alternation})\s*:?\s+", re.I)
        return re.compile(rf"(?<![^\W\d_])(?:{alternation})(?![^\W\d_])", re.I)

    not_names = words("weekdays") | set(month_of) | words("published") | words("updated") | words("tags")
    return _Cues(
        month_of=month_of,
        dmy=dmy,
        mdy=mdy,
        numeric=numeric,
        ymd=ymd,
        prefix=cue("prefix", before_name=True),
        published=cue("published"),
        updated=cue("updated"),
        tags=re.compile(rf"^\s*(?:{_alternation(words('tags'))})\s*:\s*(?P<rest>.+)$", re.I),
        credit=re.compile(rf"(?<![^\W\d_])(?:{_alternation(words('credit'))})\s*[:/©]|©|\bgetty\b", re.I),
        not_names=frozenset(not_names),
    )


# ---------------------------------------------------------------------------------------- layout


@dataclass(frozen=True)
class _Line:
    text: str  # stripped
    block: int
    single: bool  # the whole block is this one line


def _lines(blocks: Sequence[str]) -> list[_Line]:
    out = []
    for index, block in enumerate(blocks):
        parts = [p.strip() for p in block.split("\n")]
        parts = [p for p in parts if p]
        for part in parts:
            out.append(_Line(part, index, len(parts) == 1))
    return out


def _is_prose(block: str) -> bool:
    if len(block) < 120 or _BULLET.match(block):
        return False
    lines = block.split("\n")
    if len(lines) > 1:
        bullets = sum(1 for line in lines if _BULLET.match(line) or len(line) < 40)
        if bullets * 3 > len(lines) or len(block) / len(lines) < 60:
            return False
    if len(_WORD.findall(block)) < 18:
        return False
    return bool(_SENTENCE_END.search(block.rstrip()) or _SENTENCE_BREAK.search(block))


def _body_start(blocks: Sequence[str], verdicts: Sequence[Verdict]) -> int:
    """Index of the first block of the densest run of prose: the top of the article.

    A maximum-sum run where prose blocks count their length and other blocks a cost that grows
    with their size: captions and "Advertisement" lines inside an article cost little, menus and
    link lists a lot.
    """
    prose = [_is_prose(b) and (i >= len(verdicts) or verdicts[i].keep) for i, b in enumerate(blocks)]
    if not any(prose):
        prose = [_is_prose(b) for b in blocks]
        if not any(prose):
            return len(blocks)
    best_start, best_sum = len(blocks), 0.0
    start, total = -1, 0.0
    for i, block in enumerate(blocks):
        if prose[i]:
            if start < 0:
                start, total = i, 0.0
            total += len(block)
            if total > best_sum:
                best_start, best_sum = start, total
        elif start >= 0:
            total -= min(400.0, 40.0 + 0.5 * len(block))
            if total <= 0:
                start = -1
    return best_start


# ---------------------------------------------------------------------------------------- dates


@dataclass(frozen=True)
class _Date:
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


def _dates(line: str, language: str | None) -> list[_Date]:
    """Every date written in `line`, in order."""
    if not any(ch.isdigit() for ch in line):
        return []
    cues = _cues()
    found: list[_Date] = []
    taken: list[tuple[int, int]] = []

    def add(value: date | None, match: re.Match[str]) -> None:
        span = match.span()
        if value is not None and not any(s < span[1] and span[0] < e for s, e in taken):
            found.append(_Date(value, *span))
            taken.append(span)

    for pattern in (cues.dmy, cues.mdy):
        for match in pattern.finditer(line):
            month = cues.month_of.get(match["month"].casefold().rstrip("."))
            if month:
                add(_valid(int(match["year"]), month, int(match["day"])), match)
    for match in cues.ymd.finditer(line):
        if match["year"]:
            add(_valid(int(match["year"]), int(match["month"]), int(match["day"])), match)
        else:
            add(_valid(int(match["cy"]), int(match["cm"]), int(match["cd"])), match)
    for match in cues.numeric.finditer(line):
        a, b, year = int(match["a"]), int(match["b"]), int(match["year"])
        if len(match["year"]) == 2 and match["sep"] == "-":
            continue
        month_first = match["sep"] == "/" and language in (None, "en")
        if month_first and a > 12:
            month_first = False
        elif not month_first and b > 12:
            month_first = True
        add(_valid(year, a, b) if month_first else _valid(year, b, a), match)
    found.sort(key=lambda d: d.start)
    return found


def _published(lines: Sequence[_Line], anchor: int, body: int, language: str | None) -> date | None:
    """The publication date: a cued one near the head first, then the nearest to the title."""
    cues = _cues()
    lo, hi = max(0, anchor - 12), min(len(lines), body + HEAD_AFTER_LINES)
    best: tuple[float, date] | None = None
    for index in range(lo, hi):
        text = lines[index].text
        if len(text) > 300:
            continue
        for position, found in enumerate(_dates(text, language)):
            before = text[max(0, found.start - 40) : found.start]
            cost = abs(index - anchor) * (1.0 if index >= anchor else 2.0) + position * 0.5
            if cues.updated.search(before):
                cost += 30
            elif cues.published.search(before):
                cost -= 3
            if best is None or cost < best[0]:
                best = (cost, found.value)
    if best is not None:
        return best[1]
    for line in lines[hi : hi + 400]:
        if len(line.text) <= 200 and (found := _dates(line.text, language)):
            before = line.text[: found[0].start]
            if cues.published.search(before) or cues.prefix.search(before):
                return found[0].value
    return None


# ---------------------------------------------------------------------------------------- names


def _name_tokens(tokens: Sequence[str], allow_caps: bool) -> bool:
    cues = _cues()
    capitals = 0
    for position, token in enumerate(tokens):
        if token.casefold() in _PARTICLES and 0 < position < len(tokens) - 1:
            continue
        if not token[0].isupper() or any(ch.isdigit() for ch in token):
            return False
        if token.casefold().rstrip(".") in cues.not_names:
            return False
        letters = [ch for ch in token if ch.isalpha()]
        if len(letters) == 1:
            if not token.endswith(".") and position != len(tokens) - 1:
                return False
        elif (not any(ch.islower() for ch in letters) and not allow_caps) or (sum(ch.isupper() for ch in letters[1:]) > 1 and any(ch.islower() for ch in letters)):
            return False
        capitals += 1
    return 2 <= capitals <= 4


def _name(segment: str, allow_caps: bool = False) -> str | None:
    """`segment` when it is a person's name: 2-4 capitalised words, particles allowed inside."""
    segment = segment.strip(" \t.,;:|-–—*+()[]\"'")
    if not 4 <= len(segment) <= 60:
        return None
    tokens = segment.split()
    if not 2 <= len(tokens) <= 6 or any(not _NAME_TOKEN.fullmatch(t) for t in tokens):
        return None
    return segment if _name_tokens(tokens, allow_caps) else None


def _name_after(rest: str) -> str | None:
    """The name that opens `rest` (the text after a byline prefix): the longest 2-4 word run."""
    tokens: list[str] = []
    for raw in rest.split()[:7]:
        token = raw.rstrip(",;:|")
        if not token or not _NAME_TOKEN.fullmatch(token):
            break
        tokens.append(token)
        if token != raw:
            break
    for size in range(min(len(tokens), 6), 1, -1):
        if _name_tokens(tokens[:size], allow_caps=True):
            name = " ".join(tokens[:size])
            return name.title() if name.isupper() else name
    return None


def _strip_dates(text: str, language: str | None) -> str:
    for found in reversed(_dates(text, language)):
        text = text[: found.start] + " | " + text[found.end :]
    return _TIME.sub(" | ", text)


def _byline(text: str, language: str | None) -> str | None:
    """The name in a byline: "By Jane Doe", "Jane Doe | Staff writer", "8 Dec 2023 // Jane Doe"."""
    if len(text) > 160 or _URLISH.search(text):
        return None
    text = _BULLET.sub("", text)
    for match in _cues().prefix.finditer(text):
        name = _name_after(text[match.end() :])
        if name:
            return name
    return None


def _bare_name(text: str, language: str | None, lowered: str) -> str | None:
    """A line that is a name, maybe with a role or a date: "Tom Krisher, AP Auto Writer"."""
    if len(text) > 120 or _URLISH.search(text) or _BULLET.match(text):
        return None
    for segment in _SEPARATORS.split(_strip_dates(text, language)):
        name = _name(segment)
        if name and not any(_lower_word(t, lowered) for t in name.split()):
            return name
    return None


def _lower_word(token: str, lowered: str) -> bool:
    """True when `token` also occurs in lower case in the page: a common word, not a name."""
    low = token.lower().strip(".")
    if low == token or low in _PARTICLES or len(low) < 3:
        return False
    return re.search(rf"(?<![^\W\d_]){re.escape(low)}(?![^\W\d_])", lowered) is not None


def _bio_author(blocks: Sequence[str]) -> str | None:
    """ "Sam Jeans" on its own line, then "Sam est un rédacteur...": an author box."""
    for index in range(len(blocks) - 1, 0, -1):
        bio = blocks[index]
        if len(bio) < 60:
            continue
        line = blocks[index - 1].strip()
        if "\n" in line or len(line) > 60:
            continue
        name = _name(line)
        if name is None:
            continue
        first = name.split()[0]
        if bio.startswith((first + " ", name)):
            return name
    return None


def _author(
    lines: Sequence[_Line], blocks: Sequence[str], anchor: int, body: int, title: int | None, language: str | None
) -> str | None:
    lo, hi = max(0, anchor - 4), min(len(lines), body + HEAD_AFTER_LINES)
    for index in range(lo, hi):
        if index != title and (name := _byline(lines[index].text, language)):
            return name
    lowered = "\n".join(blocks[body : body + 40]) if body < len(blocks) else "\n".join(blocks)
    for index in range(lo, hi):
        if index != title and (name := _bare_name(lines[index].text, language, lowered)):
            return name
    if name := _bio_author(blocks):
        return name
    for line in lines[hi:]:
        if name := _byline(line.text, language):
            return name
    return None


# ---------------------------------------------------------------------------------------- title


def _heading(text: str) -> str:
    return _BULLET.sub("", text).strip()


def _title_score(
    lines: Sequence[_Line],
    index: int,
    body_line: int,
    whole: str,
    body_words: frozenset[str],
    dropped: frozenset[int],
    language: str | None,
) -> float:
    """How much line `index` looks like the page's title, before neighbours are compared."""
    line = lines[index]
    text = _heading(line.text)
    if not 4 <= len(text) <= MAX_TITLE_CHARS or _URLISH.search(text) or "»" in text[-3:]:
        return -99.0
    if text.endswith((".", ":", ",", ";")) and not text.endswith("..."):
        return -99.0
    words = text.split()
    letters = sum(ch.isalpha() for ch in text)
    if letters < 0.6 * len(text.replace(" ", "")) or _byline(text, language):
        return -99.0
    score = 0.0
    if _dates(text, language):
        if len(words) < 5:
            return -99.0
        score -= 1.0
    score += 1.5 if line.single else -0.5
    if text != line.text:
        score -= 1.5
    score += 1.0 if 4 <= len(words) <= 25 else (0.0 if len(words) == 3 else (-1.0 if len(words) <= 2 else -2.0))
    if line.block in dropped:
        score -= 2.0
    if _cues().credit.search(text):
        score -= 2.0
    if not text[0].isupper() and not text[0].isdigit() and text[0].isalpha():
        score -= 1.5
    if text[0] in '“"„«(' or text.endswith(")"):
        score -= 1.0
    if "|" in text:
        score -= 1.5
    if len(text) >= 12 and whole.count(text) >= 2:
        score += 1.5
    content = [w for w in (m.casefold() for m in _WORD.findall(text)) if len(w) >= 4]
    if content:
        score += 1.5 * sum(1 for w in content if w in body_words) / len(content)
    # a byline or a date shortly after the title is where publishers put them
    for follow in lines[index + 1 : index + 7]:
        if follow.block - line.block > 4:
            break
        if _dates(follow.text, language) or _byline(follow.text, language):
            score += 1.5
            break
    blocks_before_body = lines[body_line].block - line.block if body_line < len(lines) else 0
    score -= 0.15 * min(12, max(0, blocks_before_body - 2))
    if index == 0 and line.single:
        score += 1.0
    return score


def _title(
    lines: Sequence[_Line], body_line: int, whole: str, body: str, dropped: frozenset[int], language: str | None
) -> int | None:
    """The title line: the best-scoring heading before the body, unless it sits under another heading."""
    body_words = frozenset(w.casefold() for w in _WORD.findall(body[:3000]) if len(w) >= 4)
    lo = max(0, body_line - TITLE_LOOKBACK_LINES)
    scores = {i: _title_score(lines, i, body_line, whole, body_words, dropped, language) for i in range(lo, body_line)}
    best: tuple[float, int] | None = None
    for index, score in scores.items():
        if score < MIN_TITLE_SCORE:
            continue
        # a subtitle, a standfirst or a caption sits right under the title
        for previous in range(index - 1, max(lo, index - 4) - 1, -1):
            if lines[index].block - lines[previous].block > 2:
                break
            shorter = len(lines[previous].text) < len(lines[index].text)
            if scores[previous] >= MIN_TITLE_SCORE and shorter and len(lines[previous].text.split()) >= 3:
                score -= 1.0
                break
        if best is None or score > best[0]:
            best = (score, index)
    return best[1] if best else None


# ---------------------------------------------------------------------------------------- tags


def _tag_words(text: str) -> tuple[str, ...]:
    if len(text) > 80 or _URLISH.search(text) or _SENTENCE_END.search(text):
        return ()
    words = text.split()
    if not 1 <= len(words) <= 6:
        return ()
    if all(w[0].isupper() or w[0].isdigit() for w in words) and all(_NAME_TOKEN.fullmatch(w) for w in words):
        return tuple(words)
    return ()


def _tags(lines: Sequence[_Line], anchor: int, body: int, title: int | None, language: str | None) -> tuple[str, ...]:
    cues = _cues()
    for line in lines[max(0, anchor - 4) : min(len(lines), body + HEAD_AFTER_LINES)]:
        match = cues.tags.match(line.text)
        if match:
            tags = tuple(t.strip() for t in re.split(r"[,;|]", match["rest"]) if t.strip())
            return tuple(t for t in tags if len(t) <= 40)[:20]
    if title is None:
        return ()
    # a short line of capitalised keywords right after the date under the title
    for index in range(title + 1, min(title + 4, body)):
        if _dates(lines[index].text, language) and index + 1 < body:
            after = lines[index + 1]
            if after.single and not _bare_name(after.text, language, "") and not _byline(after.text, language):
                return _tag_words(after.text)
            return ()
    return ()


# ---------------------------------------------------------------------------------------- entry


def extract_metadata(blocks: Sequence[str], verdicts: Sequence[Verdict], language: str | None) -> Metadata:
    """Metadata from all blocks of a page (kept and dropped) and the verdicts on them."""
    if not blocks:
        return Metadata(language=language)
    body_block = _body_start(blocks, verdicts)
    lines = _lines(blocks[: body_block + 1] if body_block < len(blocks) else blocks)
    head_size = len(lines)
    body_line = next((i for i, line in enumerate(lines) if line.block >= body_block), head_size)
    lines = _lines(blocks)
    whole = "\n".join(blocks)
    dropped = frozenset(i for i, v in enumerate(verdicts) if not v.keep)
    title = _title(lines, body_line, whole, "\n".join(blocks[body_block:]), dropped, language)
    anchor = title if title is not None else body_line
    return Metadata(
        title=_heading(lines[title].text) if title is not None else None,
        author=_author(lines, blocks, anchor, body_line, title, language),
        published=_published(lines, anchor, body_line, language),
        language=language,
        tags=_tags(lines, anchor, body_line, title, language),
    )
