"""Keep or drop each block of a page saved as text, with the reason for every drop.

The method carries what works on HTML over to plain text:

1. Blocks are lines (a saved page puts each block element on its own line; paragraphs are separated
   by a blank line; list items start with `* `, nested ones with `+ ` or `o `).
2. Each block gets features: words, characters, stopword density for the page's language (jusText),
   whether it ends like a sentence, whether it is a list item, and cue phrases by
   kind and language (newsletter, subscribe, share, legal, cookie, related, comments, ...), all from
   data files under config/rules/.
3. A first class per block, as jusText does: good (long prose), near-good, short, bad.
4. The article is one contiguous region: the run of blocks with the largest sum of scores (good
   text counts for, short and bad blocks against: a maximum-sum subarray, as in Body Text
   Extraction), trimmed to start and end with text. A "Comments" heading or a copyright notice
   ("All rights reserved") ends it; an inline "Related: <headline>" link does not, nor does a
   "Related" box of a few list items with the article's text right under it; nor does a bar of
   three cue lines in a row (share buttons, a comment count), unless less than half as much text
   as before it follows (comments, an author box, teasers). Content that is
   not prose counts for the article too: a long run of plain short lines (a saved page writes menus
   as list items, so a run of 20 or more plain lines without cues is a table, a recipe or a
   schedule), and list items in a row that start with a number (ingredients, quantities) unless
   they count 1, 2, 3 (a "top 10" list of other articles). Lines numbered 1, 2, 3 under a "Most read"
   heading, and list items cut off with an ellipsis ("* Council votes on…"), are other articles' teasers.
   The region starts with text: the title and byline lines of an article that reads as a long run of
   plain lines are its header, not table rows.
5. Inside the region, short blocks take the class of the article around them (context smoothing:
   subheadings, table rows and short sentences stay; so do the items of a list the article announces,
   with the labels of their groups); dropped are blocks with a cue, the section after a "Related" cue
   up to the next text (or over its cards: texts that each come with the same line), the list items
   under a link label ("More:", "See also:"), runs of
   headline-and-summary teasers in the second half (a table row with a number is not a headline; a
   dateline such as "2H ago" between teasers belongs to them), an author's bio ("Jane Doe is a
   reporter...", or the box under an "About Jane Doe" heading) at the end, captions that end with a
   picture credit ("(AP Photo/Jane Doe)", "Jane Doe / AFP": long enough to count as text, they stay
   in the region), and the date and byline lines of the header when the region starts above them
   (with a standfirst or a caption).
6. Outside the region everything is dropped: the reason is the block's cue, else its side of the
   article (header, navigation, footer, or the comments/related section it follows).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from itertools import chain, filterfalse, islice, pairwise
from operator import attrgetter

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
PHRASE_MAX_WORDS = 15  # cue phrases speak for blocks up to this many words
LABEL_CHARS = 24  # a 'Read more:' label ends within this many characters of a block's start
INLINE_LINK_WORDS = 3  # words after a 'Related:' label that make it a link, not a section heading
BANNER_MAX_WORDS = 80  # banner cues (cookie, newsletter, bio, credit) speak for blocks up to this many
HEADER_BLOCKS = 4  # short blocks right before the article are its header (title, date, byline)
LANG_SAMPLE_WORDS = 400  # words of the longest blocks that check the page's language
# Scores of the maximum-sum region (good text counts its words):
BULLET_NEAR = 0.3  # a list item with prose counts for less than a paragraph (0.5 a word)
BULLET_PENALTY = 2.0  # a short list item: a menu entry
BAD_PENALTY = 2.0  # a block with a cue, or long without stopwords ...
BAD_WORD_PENALTY = 0.25  # ... and for each of its words
TABLE_RUN = 20  # plain lines in a row that make a table ...
QUANTITY_RUN = 4  # ... as are this many list items in a row that start with a number
TABLE_WORD = 0.2  # ... each of whose words counts this much for the article
SHORT_SCORE = -0.5  # a short line that is not a list item: a table row, a label, a subheading
# Inside the region:
END_REST = 1.0  # a closing cue within a line ends the article if at most this much text (x before) follows
CLOSING_MIN_WORDS = 40  # ... once the article has this many words of good text
BARRIER_CUES = 3  # lines with cues in a row, no text between: a share bar, a comment count, post navigation ...
BARRIER_REST = 0.5  # ... end the article if at most this much good text (x before) follows them
RELATED_AS_SECTION = True  # a "Related" heading starts a section inside the article, it does not end it
TEASER_RUN = 3  # this many headline-and-summary units in a row are a list of other articles
TEASER_WORDS = 60  # a teaser's summary is at most this long
RANKED_HEADING_WORDS = 5  # a "Most read" heading has at most this many words ...
RANKED_RUN = 3  # ... and the chart under it at least this many lines numbered 1, 2, 3...
LINK_LABEL_WORDS = 4  # a label over a box of links ("More:", "See also:") has at most this many words
CARD_RUN = 3  # a line that recurs this many times under a "Related" heading marks its list's cards
GROUP_LABEL_WORDS = 4  # a label over a group of items of an announced list has at most this many words
BOX_LINKS = 3  # links in a "Related" box set inside the article
TEASER_ITEM_WORDS = 4  # a list item cut off with an ellipsis after this many words is a teaser
STAMP_WORDS = 4  # a date or time line ("Nov 18", "updated 16M ago") has at most this many tokens
SUMMARY_SKIP = 2  # cue blocks (an advert, a caption) that may stand between key points and the article
ABOUT_NAME_WORDS = 4  # "About Jane Doe": a name of at most this many words after "about"
TEASER_HEADLINE_WORDS = 1  # a teaser's headline: a capitalised line of at least this many words
DATELINE_WORDS = 20  # a date or byline line ("Published Nov. 18, 2019 8:22 AM EST") has at most this many words
DATELINE_BLOCKS = 8  # ... and ends the article's header when it is within this many blocks of its start
HEADER_SHARE = 0.25  # ... and at most this share of the article's good text lies above it (a standfirst)
CREDIT_WORDS = 8  # a picture credit that ends a block ("(AP Photo/Jane Doe)") has at most this many words

PREFIX_SCAN = 8  # a matcher with at most this many prefixes looks for each as a substring before the pattern

_WORD = re.compile(r"\w+")
_WORD_COUNT = attrgetter("words")
_BULLET = re.compile(r"^(?:[*+o•·▪◦‣-])\s+")
_SENTENCE_END = frozenset(".!?…:;»\"'”“)]。！？；：」』）")  # the last character of a sentence (blocks are stripped)
_LEAD_NUMBER = re.compile(r"\d{1,6}")
_SECTION_NUMBER = re.compile(r"\d{1,2}[.)]\s")  # "1. Scope", "2) Results": a numbered section or step
_DIGIT = re.compile(r"\d")
_COLONS = frozenset(":：")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_STRIP_LINE = re.compile(r"^[\W\d_]+|[\W\d_]+$")
_COUNT = re.compile(r"\(\d+\)|\d+")
_NAME_COPULA = re.compile(r"^((?:[A-ZÀ-ÝĀ-ſА-Я][\w'’.-]+\s+){1,3})(\w+)\s")
_SEPARATORS = re.compile(r"\s*[|/•·,;]\s*|\s+")
_LEAD_MARKS = re.compile(r"^[^\w]+")  # "» Headline", "“Quoted headline”": the capital comes after these
_CLOCK = re.compile(r"(?<!\d)\d{1,2}:\d{2}(?!\d)")  # "8:22", "19:14": a time of day
_BRACKET_TAIL = re.compile(r"[(\[]([^()\[\]]*)[)\]]\W*$")  # "... (AP Photo/Jane Doe)": the last brackets
_SLASH_TAIL = re.compile(r"\s/\s*([^/]*)$")  # "... Jane Doe / AFP": what follows the last slash
_SENTENCE_TAIL = re.compile(r"[.!?…]\s*([^.!?…]*)$")  # what follows the last end of a sentence


# ---------------------------------------------------------------- data


class _Matcher:
    """Phrases matched on word tokens (first-word index), plus prefixes and literal phrases.

    A phrase is its `\\w+` words; a trailing `*` makes it a prefix ("cookie*" is also "cookies").
    A phrase with something else than words and spaces ("photo:", "©", "said:") is matched as a
    substring, looked for only when the block has its first word (if it has one).
    """

    def __init__(self, phrases: dict[str, str]) -> None:
        self.first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        prefixes: dict[str, str] = {}
        # literals with words, by their first word; literals without any ("©") on their own
        self.literal_words: dict[str, list[tuple[str, str]]] = {}
        self.literals: list[tuple[str, str]] = []
        for phrase, kind in phrases.items():
            stem = phrase.rstrip("*")
            words = tuple(_WORD.findall(stem))
            if phrase.endswith("*") and len(words) == 1:
                prefixes.setdefault(words[0], kind)
            elif words and re.fullmatch(r"[\w' -]+", stem.strip()):
                self.first.setdefault(words[0], []).append((words, kind))
            elif words:  # checked only when the block has the literal's first word
                self.literal_words.setdefault(words[0], []).append((stem, kind))
            elif stem:
                self.literals.append((stem, kind))
        for candidates in self.first.values():
            candidates.sort(key=lambda item: -len(item[0]))
        # the same candidates with their words as lists: compared to a slice of the tokens as is
        self.first_lists = {
            word: [(list(words), len(words), kind) for words, kind in candidates]
            for word, candidates in self.first.items()
        }
        self.first_words = frozenset(self.first)
        self.literal_first = frozenset(self.literal_words)
        self.triggers = self.first_words | self.literal_first
        # prefixes, longest first, in one pattern; matches count at the start of a word only. The
        # pattern has no leading \b, so the regex engine can skip ahead to the prefixes' first
        # letters (with \b it tries every position); _prefix checks the start of the word itself.
        longest_first = sorted(prefixes, key=len, reverse=True)
        self.prefix_pattern = (
            re.compile("(?:" + "|".join(map(re.escape, longest_first)) + ")") if longest_first else None
        )
        self.prefix_kind = prefixes
        # a few prefixes are cheaper to look for one by one (a substring search each, in C) than with
        # the pattern, which tries every position of the block: then the pattern runs only on a hit
        self.prefix_scan = tuple(longest_first) if len(longest_first) <= PREFIX_SCAN else ()

    def find(self, folded: str, tokens: list[str]) -> str | None:
        """The kind of the first cue in the block: phrases, then prefixes, then literals.

        The first words of phrases and of literals present in the block are found in one pass.
        """
        present = self.triggers.intersection(tokens)
        if present and not self.first_words.isdisjoint(present):
            kind = self._phrase(tokens, present)
            if kind is not None:
                return kind
        if self.prefix_pattern is not None:
            kind = self._prefix(folded)
            if kind is not None:
                return kind
        return self._literal(folded, tokens, present)

    def _phrase(self, tokens: list[str], present: frozenset[str]) -> str | None:
        """The phrase that starts first in the tokens (the longest one there), or None.

        Common words ("in", "de", "is") start phrases, so most blocks have a candidate: rather than
        walk every token, only the occurrences of the first words `present` are tried (list.index, in C).
        """
        best, found = len(tokens), None
        first_lists = self.first_lists
        for word in present:
            candidates = first_lists.get(word)
            if candidates is None:  # the first word of a literal only
                continue
            i = tokens.index(word)
            while i < best:
                kind = _phrase_at(tokens, i, candidates)
                if kind is not None:
                    best, found = i, kind
                    break
                try:
                    i = tokens.index(word, i + 1, best)
                except ValueError:
                    break
        return found

    def _literal(self, folded: str, tokens: list[str], present: frozenset[str]) -> str | None:
        """The kind of the first literal phrase ("photo:", "©") in the block, or None.

        `present`: the block's words among the matcher's triggers (see find).
        """
        if not self.literal_first.isdisjoint(present):
            literal_words = self.literal_words
            for token in tokens:
                found = literal_words.get(token)
                if found:
                    for literal, kind in found:
                        if literal in folded:
                            return kind
        for literal, kind in self.literals:
            if literal in folded:
                return kind
        return None

    def _prefix(self, folded: str) -> str | None:
        """The kind of the first prefix that starts a word (the longest one there), or None."""
        assert self.prefix_pattern is not None
        if self.prefix_scan:
            for prefix in self.prefix_scan:
                if prefix in folded:
                    break
            else:
                return None  # none of the few prefixes is in the block
        match = self.prefix_pattern.search(folded)
        while match is not None:
            start = match.start()
            if start == 0 or not _is_word_char(folded[start - 1]):
                return self.prefix_kind[match.group()]
            match = self.prefix_pattern.search(folded, start + 1)
        return None


def _phrase_at(tokens: list[str], i: int, candidates: list[tuple[list[str], int, str]]) -> str | None:
    """The kind of the longest candidate phrase (longest first) that the tokens hold from position i."""
    for words, size, kind in candidates:
        if size == 1 or tokens[i : i + size] == words:
            return kind
    return None


def _is_word_char(char: str) -> bool:
    """What `\\w` matches in a str pattern (re's Unicode word class: alphanumeric or underscore)."""
    return char.isalnum() or char == "_"


@dataclass(frozen=True)
class _Cues:
    phrases: _Matcher
    banners: _Matcher
    lines: dict[str, str]
    ends: _Matcher
    end_lines: frozenset[str]
    line_words: frozenset[str]  # every word of the whole-line cues: a line with none is no line of cues
    line_max_words: int  # the most words (not numbers) of a whole-line cue
    credit_words: frozenset[str]  # the words of picture credits (see _credits)


def _fold(text: str) -> str:
    """casefold, with "’" and "ʼ" made "'"; for ASCII text that is lower(), which is cheaper."""
    if text.isascii():
        return text.lower()
    return _plain_apostrophes(text.casefold())


def _plain_apostrophes(casefolded: str) -> str:
    """What _fold makes of a casefolded text: "’" and "ʼ" made "'" (for ASCII text, which has neither, no copy)."""
    return casefolded.replace("’", "'").replace("ʼ", "'")


def _by_kind(section: dict[str, dict[str, list[str]]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for kind, by_language in section.items():
        for phrases in by_language.values():
            for phrase in phrases:
                out.setdefault(_fold(phrase), kind)
    return out


@cache
def _cues() -> _Cues:
    """Every language's cues at once: a footer in English on a French page is still a footer."""
    rules = load_rules("boilerplate")
    lines = _by_kind(rules.get("lines", {}))
    return _Cues(
        _Matcher(_by_kind(rules.get("phrases", {}))),
        _Matcher(_by_kind(rules.get("banners", {}))),
        lines,
        _Matcher(_by_kind(rules.get("ends", {}))),
        frozenset(_by_kind(rules.get("ends", {}))),
        frozenset(chain.from_iterable(_WORD.findall(line) for line in lines)),
        max((len(list(filterfalse(str.isdigit, _WORD.findall(line)))) for line in lines), default=0),
        _credits().words,
    )


@cache
def _copulas() -> frozenset[str]:
    """ "is", "ist", "est"...: "Jane Doe is a reporter" is an author's bio."""
    return frozenset(
        w.casefold() for ws in load_rules("boilerplate").get("bio", {}).get("copula", {}).values() for w in ws
    )


@cache
def _abouts() -> dict[str, tuple[tuple[str, ...], ...]]:
    """ "about", "über", "à propos de"...: by their first word, as words (see _about_heading)."""
    phrases = {
        tuple(_WORD.findall(_fold(p)))
        for ps in load_rules("boilerplate").get("bio", {}).get("about", {}).values()
        for p in ps
    }
    out: dict[str, list[tuple[str, ...]]] = {}
    for words in sorted(phrases, key=len, reverse=True):
        if words:
            out.setdefault(words[0], []).append(words)
    return {first: tuple(found) for first, found in out.items()}


@cache
def _determiners() -> frozenset[str]:
    """ "the", "der", "la"...: "The company is" starts with a noun, not with a name."""
    return frozenset(
        _fold(w) for ws in load_rules("boilerplate").get("bio", {}).get("determiner", {}).values() for w in ws
    )


@dataclass(frozen=True)
class _Credits:
    """Picture credits from the data: labels ("photo", "foto"), picture libraries, news agencies."""

    labels: frozenset[str]
    files: frozenset[str]  # labels that credit a picture in brackets only: "(File)", "[Archivo: EFE]"
    pictures: frozenset[str]
    news: frozenset[str]
    words: frozenset[str]  # all of them: a block without one among its last words ends with no credit
    label_then_name: re.Pattern[str]  # a label then a separator or "by": "photo:", "file/", "credit...", "photo by"
    tail: re.Pattern[str]  # a sentence, then a label (not a file) and a name up to the end: "... 2007. Credit: NASA"


@cache
def _credits() -> _Credits:
    """The credit words of every language at once: an English agency credits a picture on a French page."""
    section = load_rules("boilerplate").get("credit", {})
    labels = frozenset(_fold(w) for ws in section.get("label", {}).values() for w in ws)
    files = frozenset(_fold(w) for ws in section.get("file", {}).values() for w in ws)
    agencies = section.get("agency", {})
    pictures = frozenset(_fold(w) for w in agencies.get("picture", ()))
    news = frozenset(_fold(w) for w in agencies.get("news", ()))
    both = _alternatives(labels | files)
    label_then_name = rf"\b(?:{both})\b\s*(?::|/|\.\.\.|…|\bby\b|\bvon\b|\bpar\b|\bdi\b|\bde\b)"
    return _Credits(
        labels,
        files,
        pictures,
        news,
        labels | files | pictures | news | {"via"},
        re.compile(label_then_name),
        re.compile(rf"(?:^|[.!?…]\s*)(?:{_alternatives(labels)})(?:\s*(?::|\.\.\.|…)|/(?=\S))\s*[^.!?…:]+$"),
    )


def _alternatives(words: frozenset[str]) -> str:
    """A regex alternation of the words, longest first; one that matches nothing for no words."""
    return "|".join(map(re.escape, sorted(words, key=len, reverse=True))) or "(?!)"


@cache
def _datelines() -> tuple[tuple[str, ...], frozenset[str]]:
    """The words that open a date line ("published", "updated") and a byline ("by", "von"), folded.

    The first as a tuple, for str.startswith.
    """
    section = load_rules("boilerplate").get("dateline", {})
    published = tuple(sorted({_fold(w) for ws in section.get("published", {}).values() for w in ws}))
    by = frozenset(_fold(w) for ws in section.get("by", {}).values() for w in ws)
    return published, by


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
_SECTION_KINDS = frozenset({"related", "comments"})
_LINK_KINDS = frozenset({"related", "navigation"})  # cues of labels over lists of links


@dataclass(slots=True)
class _Block:
    words: int
    chars: int
    stop: float
    sentence: bool
    bullet: bool
    cue: str | None  # kind from a cue phrase or a whole-line cue
    end: str | None  # kind of a cue that closes the article
    heading_end: bool  # the block is nothing but such a cue: a section heading
    capital: bool  # starts with a capital letter
    colon: bool  # ends with a colon: it announces what follows (a list)
    numbers: bool  # has a number: a date, an amount, a quantity
    counted: int  # the number it starts with (a quantity, a step, a rank), else -1
    stamp: bool  # a few words with a digit and no sentence: a date, a time, a count
    tokens: list[str]  # words, folded, without numbers
    numbered: bool  # starts with "1. ", "2) ": a numbered section, step or item
    credit: bool  # ends with a picture credit: a caption, however long
    dateline: bool  # a line with the article's date or byline: "Updated Nov 18, 2019 4:46 PM", "By Jane Doe"
    cls: int = SHORT
    table: bool = False  # a short line in a long run of plain lines: a table, a recipe, a schedule
    listed: bool = False  # an item of a list that the article announces


def _page_language(features: Sequence[_Block], language: str | None) -> str | None:
    """The detected language, unless the longest blocks' stopwords say another one much more clearly."""
    stop = _stopwords()
    index = _stopword_index()
    # the 8 longest blocks (sorted, as heapq.nlargest would: ties in page order), their first words;
    # b.words is still len(b.tokens) here (_add_density changes it for CJK later)
    longest = sorted(features, key=_WORD_COUNT, reverse=True)[:8]
    words = list(islice(chain.from_iterable(b.tokens for b in longest), LANG_SAMPLE_WORDS))
    fallback = language if language in stop else None
    if fallback is not None and _holds(words, stop[fallback], index):
        return fallback
    # one C-level pass: the languages of every stopword in the sample, counted
    hits = Counter(chain.from_iterable(filter(None, map(index.get, words))))
    if not hits:
        return fallback
    best = max(hits, key=hits.__getitem__)
    if fallback is not None and hits.get(fallback, 0) >= 0.8 * hits[best]:
        return fallback
    return best if hits[best] >= 0.15 * len(words) else fallback


def _holds(words: list[str], own: frozenset[str], index: dict[str, tuple[str, ...]]) -> bool:
    """The detected language has at least 0.8 times the stopwords of any other in the sample, for sure.

    No language can have more hits than there are stopwords of any language in the sample, so when the
    detected language has 0.8 times that many, _page_language keeps it without counting every language's
    hits (a common word is a stopword in dozens of languages: counting them all is the costly part).
    """
    return sum(map(own.__contains__, words)) >= 0.8 * sum(map(index.__contains__, words))


def _features(block: str, cues: _Cues, block_words: list[str] | None = None, casefolded: str | None = None) -> _Block:
    """Everything but the stopword density, which needs the page's language (_add_density).

    `block_words`: the block's `\\w+` words of `block.casefold()` when the caller has them (see _words);
    `casefolded`: `block.casefold()` itself, when the caller has it (casefolding is slow for text that
    is not ASCII). The bullet and the spaces after it fold to themselves, one character each, so the
    text after the bullet folds to the same characters after it.
    """
    bullet_match = _BULLET.match(block)
    text = block[bullet_match.end() :] if bullet_match else block
    if casefolded is None:
        folded = _fold(text)
    else:
        folded = _plain_apostrophes(casefolded[bullet_match.end() :] if bullet_match else casefolded)
    all_tokens = _words(block, folded, block_words, bullet_match is not None)
    tokens = list(filterfalse(str.isdigit, all_tokens))
    words = len(tokens)
    cue = end = None
    heading_end = False
    if words <= PHRASE_MAX_WORDS:
        cue, end, heading_end = _short_cues(folded, all_tokens, words, cues)
    elif words <= BANNER_MAX_WORDS:  # cues speak only for short blocks: long ones skip the matching
        cue = _banner_cue(folded, all_tokens, words, cues)
    last = text[-1:]
    truncated = last == "…" or text.endswith("...")
    if truncated and cue is None and bullet_match is not None and words >= TEASER_ITEM_WORDS:
        cue = "related"  # a list item cut off mid-sentence: the teaser of another article or comment
    digit_first = text[:1].isdigit()
    # positional, in the order of the fields (keywords cost more than the rest of the block's features)
    return _Block(
        words,
        len(text),  # chars
        0.0,  # stop
        last in _SENTENCE_END,  # sentence
        bullet_match is not None,  # bullet
        cue,
        end,
        heading_end,
        _capital(text),  # capital
        last in _COLONS,  # colon
        words < len(all_tokens),  # numbers
        int(lead.group()) if digit_first and (lead := _LEAD_NUMBER.match(text)) else -1,  # counted
        len(all_tokens) <= STAMP_WORDS and last not in ".!?" and _DIGIT.search(text) is not None,  # stamp
        tokens,
        digit_first and _SECTION_NUMBER.match(text) is not None,  # numbered
        not cues.credit_words.isdisjoint(all_tokens[-CREDIT_WORDS:]) and _credit_tail(folded),  # credit
        len(all_tokens) <= DATELINE_WORDS and last not in ".!?" and _dateline(text, folded, all_tokens),  # dateline
    )


def _short_cues(folded: str, tokens: list[str], words: int, cues: _Cues) -> tuple[str | None, str | None, bool]:
    """(cue, closing cue, heading_end) of a block of at most PHRASE_MAX_WORDS words: line, phrase and banner cues."""
    bare = _STRIP_LINE.sub("", _COUNT.sub("", folded)).strip()
    cue: str | None
    if bare in cues.lines or not bare:
        cue = cues.lines.get(bare, "navigation")
    elif words <= 10 and not cues.line_words.isdisjoint(tokens) and (kind := _line_of_cues(bare, cues)):
        cue = kind
    else:
        cue = cues.phrases.find(folded, tokens) or cues.banners.find(folded, tokens)
    if words > 12:
        return cue, None, False
    end = cues.ends.find(folded, tokens)
    heading_end = end is not None and bare in cues.end_lines
    if end is not None and not heading_end and _inline_link(folded):
        return cue or end, None, heading_end
    return cue, end, heading_end


def _banner_cue(folded: str, tokens: list[str], words: int, cues: _Cues) -> str | None:
    """The cue of a block of more than PHRASE_MAX_WORDS words (and at most BANNER_MAX_WORDS): banners only.

    A whole-line cue has at most `cues.line_max_words` words, so longer blocks skip looking for one.
    """
    if words <= cues.line_max_words and folded in cues.lines:
        return cues.lines[folded]
    return cues.banners.find(folded, tokens) or _label_cue(folded, cues)


def _words(block: str, folded: str, words: list[str] | None, bullet: bool) -> list[str]:
    """The words of `folded` (the block without its bullet, _fold-ed), reusing `words` where they are the same.

    _fold is casefold, plus two apostrophes made "'": "’" is no word character either, so it splits
    words alike; "ʼ" (U+02BC, also what "ŉ" folds to) is one, so with it the block is split again. Of the
    bullets only "o" is a word.
    """
    if words is None or "ʼ" in block or "ŉ" in block:
        return _WORD.findall(folded)
    return words[1:] if bullet and block[0] == "o" else words


def _dateline(text: str, folded: str, tokens: list[str]) -> bool:
    """A line that dates or signs the article: a time of day, "Published ..." with a number, "By Jane Doe"."""
    if ":" in text and _CLOCK.search(text):
        return True
    published, by = _datelines()
    if folded.startswith(published) and _DIGIT.search(text):
        return True
    if not tokens or tokens[0] not in by:
        return False
    words = text.split()
    return 2 <= len(words) <= 5 and all(_capital(w) for w in words[1:])


def _credit_tail(folded: str) -> bool:
    """The block ends with a picture credit, the way captions do in every language.

    "... in Paris. (AP Photo/Jane Doe)", "(Foto: dpa)", "[File: Reuters]", "(NASA via AP)", "(Getty)";
    "... Jane Doe / AFP"; "... in 2007. Credit: NASA", "... of the drug. Getty Images". A news agency
    alone in brackets is no credit: "(dpa)", "(Reuters)" sign the article's text. Nor is a reference to
    a picture: "(right picture)", "(16 images)" have no separator after the label.
    """
    credits = _credits()
    bracket = _BRACKET_TAIL.search(folded)
    if bracket is not None:
        words = _WORD.findall(bracket.group(1))
        if 0 < len(words) <= CREDIT_WORDS and _credit_in_brackets(bracket.group(1), words, credits):
            return True
    slash = _SLASH_TAIL.search(folded)
    if slash is not None and _few_words_naming(slash.group(1), CREDIT_WORDS // 2, credits.news | credits.pictures):
        return True
    tail = _SENTENCE_TAIL.search(folded)
    if tail is not None and _few_words_naming(tail.group(1), 3, credits.pictures):
        return True
    match = credits.tail.search(folded)
    return match is not None and len(_WORD.findall(match.group())) <= CREDIT_WORDS


def _few_words_naming(text: str, most: int, names: frozenset[str]) -> bool:
    """`text` has one to `most` words, one of them in `names` ("Jane Doe / AFP": "afp")."""
    words = _WORD.findall(text)
    return 0 < len(words) <= most and not names.isdisjoint(words)


def _credit_in_brackets(inside: str, words: list[str], credits: _Credits) -> bool:
    """What brackets at the end of a caption hold: a label then a name, a picture library, "X via Y"."""
    if not credits.pictures.isdisjoint(words) or credits.label_then_name.search(inside):
        return True
    labels = credits.labels | credits.files
    labelled = not labels.isdisjoint(words)
    if labelled and (all(w in labels for w in words) or "/" in inside or not credits.news.isdisjoint(words)):
        return True
    return "via" in words[1:-1]


def _capital(text: str) -> bool:
    """Starts with a capital letter, after any quotes or arrows ("» Headline", "“Quoted”")."""
    first = text[:1]
    if first.isalnum() or not first:
        return first.isupper()
    return _LEAD_MARKS.sub("", text, count=1)[:1].isupper()


def _inline_link(folded: str) -> bool:
    """A label then a headline ("Related: Ten facts about dark matter"): one link set in the article.

    It goes as a cue of its own kind, but it does not close the article or open a section the way
    a "Related articles" heading does.
    """
    colon = folded.find(":", 0, LABEL_CHARS)
    return colon > 0 and len(_WORD.findall(folded, colon)) >= INLINE_LINK_WORDS


def _labelled_link(folded: str, cues: _Cues) -> bool:
    """A "Read more:" or "Related post:" label then a headline: one link to another article, not a section's heading.

    The label may be a phrase cue ("read more") or a closing one ("related"), as _short_cues takes it.
    """
    if not _inline_link(folded):
        return False
    if _label_cue(folded, cues) is not None:
        return True
    label = folded[: folded.find(":", 0, LABEL_CHARS) + 1]
    return cues.ends.find(label, _WORD.findall(label)) == "related"


def _label_cue(folded: str, cues: _Cues) -> str | None:
    """A longer block led by a "Read more:" label is a link to another article (a related cue)."""
    colon = folded.find(":", 0, LABEL_CHARS)
    if colon <= 0:
        return None
    label = folded[: colon + 1]
    kind = cues.phrases.find(label, _WORD.findall(label))
    return kind if kind == "related" else None


def _add_density(b: _Block, block: str, stopwords: frozenset[str] | None) -> None:
    """Stopword density (jusText); without a stoplist (Chinese, Japanese...), length speaks alone."""
    if stopwords is not None:
        b.stop = sum(map(stopwords.__contains__, b.tokens)) / len(b.tokens) if b.tokens else 0.0
        return
    cjk = len(_CJK.findall(block)) if b.tokens else 0
    if cjk:  # no spaces between words: a character is about half a word and three letters
        b.words = max(b.words, cjk // 2)
        b.chars += 2 * cjk
    b.stop = STOP_HIGH if b.words >= 8 else 0.0


def _line_of_cues(bare: str, cues: _Cues) -> str | None:
    """A line made of menu or share entries ("Facebook Twitter E-Mail", "Home | News | Sport")."""
    parts = [p for p in _SEPARATORS.split(bare) if p]
    if len(parts) < 2:
        return None
    kinds = [cues.lines.get(p.strip(" .-")) for p in parts]
    known = [k for k in kinds if k is not None]
    if len(known) * 3 < len(parts) * 2:
        return None
    return max(dict.fromkeys(known), key=known.count)  # a tie goes to the kind seen first, whatever the hash seed


def _first_class(b: _Block) -> int:
    if b.cue is not None:
        return BAD
    if b.chars < LENGTH_LOW:
        if b.bullet and not b.sentence:
            return BAD
        return SHORT
    if b.stop >= STOP_HIGH:
        return GOOD if not b.bullet and (b.chars >= LENGTH_HIGH or b.sentence) else NEAR
    if b.stop >= STOP_LOW:
        return NEAR
    return BAD


def _is_text(b: _Block) -> bool:
    """Good or near-good prose, or a short sentence (not a label, a menu entry or a headline)."""
    if b.table:
        return True
    if b.cls == GOOD:
        return not b.bullet or b.sentence
    if b.cls == NEAR:
        return b.sentence
    return b.cls == SHORT and _short_sentence(b)


def _short_sentence(b: _Block) -> bool:
    return b.sentence and not b.bullet and b.words >= 4 and b.stop >= STOP_LOW


def _score(b: _Block) -> float:
    if b.cls == GOOD:
        return float(b.words)
    if b.cls == NEAR:
        return (BULLET_NEAR if b.bullet else 0.5) * b.words
    if b.table:
        return TABLE_WORD * b.words
    if b.cls == SHORT:
        if b.bullet:
            return -BULLET_PENALTY
        if _short_sentence(b):
            return 0.3 * b.words
        return 0.1 * b.words if b.stop >= STOP_LOW and b.words >= 3 else SHORT_SCORE
    return -BAD_PENALTY - BAD_WORD_PENALTY * b.words


def _mark_ranked_lists(features: Sequence[_Block]) -> None:
    """Lines numbered 1, 2, 3... right under a "Most read" or "Related" heading: a chart of other articles.

    Such a chart's headlines are short lines, and some are sentences, so they may score as text; the
    heading above says what they are.
    """
    for i, b in enumerate(features[:-1]):
        if (b.end is None and b.cue not in _SECTION_KINDS) or b.sentence or b.words > RANKED_HEADING_WORDS:
            continue
        k = i + 1
        while k < len(features) and features[k].numbered and features[k].counted == k - i and features[k].cue is None:
            k += 1
        if k - i - 1 >= RANKED_RUN:
            for f in features[i + 1 : k]:
                f.cue = "related"
                f.cls = BAD


def _mark_tables(features: Sequence[_Block]) -> None:
    """Short lines in a run of at least TABLE_RUN plain lines (no list item, no cue) are content.

    A saved page writes menus as list items; rows of a table, a recipe's steps or a schedule come
    as plain short lines, one after another.
    """
    run_start = 0
    n = len(features)
    for i in range(n + 1):
        if i < n:
            b = features[i]
            if not b.bullet and b.cue is None and b.words >= 1:
                continue
        if i - run_start >= TABLE_RUN:
            lines = [f for f in features[run_start:i] if f.cls in (SHORT, BAD)]
            if len([f for f in lines if f.cls == SHORT]) * 2 >= i - run_start:
                for f in lines:
                    f.table = True
        run_start = i + 1
    # list items that start with a quantity, several in a row: ingredients, steps, figures
    run_start = 0
    for i in range(n + 1):
        if i < n and features[i].bullet and features[i].counted >= 0 and features[i].cue is None:
            continue
        if i - run_start >= QUANTITY_RUN and not _ranked([f.counted for f in features[run_start:i]]):
            for f in features[run_start:i]:
                f.table = True
        run_start = i + 1


def _ranked(counts: list[int]) -> bool:
    """1, 2, 3...: the numbers of a top list, not quantities."""
    return all(b == a + 1 for a, b in pairwise(counts))


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


def _header_row(features: Sequence[_Block], i: int, end: int) -> bool:
    """A short line (no sentence) counted as a table row, with prose right under it: the article's header.

    The lines of an article with subheadings and short paragraphs make a run of plain lines as long as
    a table's; its title, byline and date lines are no table's rows when prose follows within a few lines.
    """
    b = features[i]
    if not b.table or b.cls == GOOD or b.sentence:
        return False
    return any(f.cls == GOOD and not f.bullet for f in features[i + 1 : min(end, i + 1 + HEADER_BLOCKS)])


def _inline_box(features: Sequence[_Block], i: int, end: int) -> bool:
    """A "Related" heading over a few links, then a paragraph: a box set inside the article, not its end.

    The article's own text goes on right after the box's links (one to BOX_LINKS short list items); a
    list of other articles that ends the page is followed by more headlines, not by prose.
    """
    if features[i].end != "related":
        return False
    for k in range(i + 1, min(end, i + 2 + BOX_LINKS)):
        f = features[k]
        if f.cls == GOOD and f.sentence and not f.bullet:
            return k > i + 1
        if not f.bullet or f.words > PHRASE_MAX_WORDS:
            return False
    return False


def _barrier_end(features: Sequence[_Block], start: int, end: int) -> int:
    """End the article at a barrier of cue lines when little text follows it.

    A share bar, a comment count, "previous / next post", a tag list: BARRIER_CUES lines with cues
    in a row, with no text between them, are where a page's article stops and its furniture starts
    (comments, an author box, teasers of other articles). The maximum-sum region runs on over such
    a barrier whenever enough text lies beyond it; that text is the article's only if there is a
    lot of it (an advert box or a share bar in the middle of a long article), so the barrier ends
    the article when at most BARRIER_REST times the good text before it follows. Lines without
    words ("46'", "12", "*") are not cues here: a time or a number column belongs to the text.
    """
    total = sum(b.words for b in features[start:end] if b.cls == GOOD)
    seen = 0
    run_start = start
    cues = 0
    for i in range(start, end):
        b = features[i]
        if _is_text(b):
            cues = 0
            run_start = i + 1
        elif (b.cue is not None or b.end is not None) and b.words >= 1:
            cues += 1
            if cues == BARRIER_CUES and seen >= CLOSING_MIN_WORDS and total - seen <= BARRIER_REST * seen:
                return run_start
        if b.cls == GOOD:
            seen += b.words
    return end


def _header_datelines(features: Sequence[_Block], start: int, end: int) -> set[int]:
    """The date and byline lines of the article's header, where the article's region starts above them.

    A page sets a title, a standfirst (a sentence or two that sum the article up), a caption, then the
    byline and the date, then the article. The standfirst and the caption are text, so the region may
    start with them and take in the byline and date lines: those within DATELINE_BLOCKS of its start,
    with at most HEADER_SHARE of the good text above them, are the header's.
    """
    total = sum(b.words for b in features[start:end] if b.cls == GOOD)
    seen = 0
    out: set[int] = set()
    for i in range(start, min(end, start + DATELINE_BLOCKS)):
        b = features[i]
        if b.dateline and not b.table and seen <= HEADER_SHARE * total:
            out.add(i)
        if b.cls == GOOD:
            seen += b.words
    return out


def _announced_list(features: Sequence[_Block], start: int, end: int) -> int:
    """Extend the article over a list that one of its lines announces ("It has three parts:").

    The announcing line may be the article's last block, the one right after it, or a line inside it
    whose list runs on past the article's end (the longer items of a list count for the article,
    its shorter ones against it, so the region may stop in the middle of the list).
    """
    n = len(features)
    j = end
    if j < n and features[j].colon and features[j].cue is None and features[j].end is None and not features[j].bullet:
        j += 1
    else:
        c = end - 1
        while c > start and _list_item(features, c):
            c -= 1
        if not (end > 0 and features[c].colon):
            return end
    k = j
    while k < n and _list_item(features, k):
        k += 1
    if k - j < 2:
        return end
    for b in features[j:k]:
        b.listed = True
    return k


def _list_item(features: Sequence[_Block], k: int) -> bool:
    """An item of a list, or the continued line of one (a long item the page wrapped)."""
    b = features[k]
    if b.cue is not None or b.end is not None or b.words < 2:
        return False
    if b.bullet:
        return True
    above = features[k - 1] if k > 0 else None  # an item that breaks off mid-sentence
    return (
        not b.colon
        and above is not None
        and above.bullet
        and not above.sentence
        and k + 1 < len(features)
        and features[k + 1].bullet
    )


def _group_label(features: Sequence[_Block], k: int, end: int) -> bool:
    """A label over a group of a list's items ("EASY", "Step two"): a few words, no sentence, an item under it."""
    b = features[k]
    return (
        not b.bullet
        and not b.sentence
        and 0 < b.words <= GROUP_LABEL_WORDS
        and k + 1 < end
        and features[k + 1].bullet
        and features[k + 1].cue is None
    )


def _summary_points(features: Sequence[_Block], start: int) -> int:
    """Extend the article back over the list of key points that sums it up above the first paragraph.

    Such points are list items that are sentences ("* The council voted against the plan."); a menu
    or a list of other articles is made of names and headlines. Cue blocks between the points and the
    article (an advert, a caption) are skipped, and stay dropped.
    """
    i = start
    found = start
    skipped = 0
    words = stops = 0.0
    while i > 0:
        b = features[i - 1]
        if b.cue is not None and b.end is None and b.words <= PHRASE_MAX_WORDS and skipped < SUMMARY_SKIP:
            skipped += 1
        elif b.bullet and b.sentence and b.words >= 4:
            found = i - 1
            skipped = 0
            words += b.words
            stops += b.stop * b.words
        else:
            break
        i -= 1
    return found if found < start and stops >= STOP_LOW * words else start


def _first_section(features: Sequence[_Block], start: int, end: int) -> int:
    """Extend the article back to its first numbered section ("1. Scope") when the second is in it.

    The region starts with text, so the heading "1. ..." (and a short line under it) falls before it.
    """
    for k in range(start - 1, max(-1, start - HEADER_BLOCKS - 1), -1):
        b = features[k]
        if b.cue is not None or b.end is not None or b.bullet:
            return start
        if b.numbered and b.counted == 1 and b.words <= 20:
            second = any(
                f.numbered and f.counted == 2 and not f.bullet and f.words <= 20 for f in features[k + 1 : end]
            )
            return k if second else start
    return start


# ---------------------------------------------------------------- structure inside the article


def _is_heading(b: _Block) -> bool:
    return not b.sentence and b.cls in (SHORT, NEAR, BAD) and b.words <= 20


def _is_stamp(features: Sequence[_Block], i: int, end: int) -> bool:
    """A date, a time or a count on its own line ("32M ago", "Nov 18") right before a headline.

    It is the dateline of the teaser above, so it neither starts a unit nor breaks a run of them.
    """
    b = features[i]
    return b.stamp and not b.table and not b.listed and (i + 1 >= end or _is_heading(features[i + 1]))


def _teaser_runs(features: Sequence[_Block], start: int, end: int) -> set[int]:
    """Lists of teasers in the second half of the article: heading, at most one short text, repeated.

    An article's sections are a heading and several paragraphs; a list of other articles is a run of
    headlines each with a line of summary (and maybe a date). TEASER_RUN such units in a row go.
    """
    total = sum(b.words for b in features[start:end] if b.cls == GOOD)
    seen = 0
    half = start
    for i in range(start, end):
        if features[i].cls == GOOD:
            seen += features[i].words
        if seen >= total / 2:
            half = i + 1
            break
    units: list[tuple[int, int]] = []  # (first block, last block) of heading-led units
    i = half
    while i < end:
        if _is_stamp(features, i, end):
            i += 1
        elif _is_heading(features[i]):
            j = i + 1
            texts = 0
            text_words = 0
            while j < end and not _is_heading(features[j]):
                texts += 1
                text_words += features[j].words
                j += 1
            heading = features[i]
            headline = heading.capital and heading.words >= TEASER_HEADLINE_WORDS
            row = ((heading.table and heading.numbers) or heading.listed) and texts == 0  # a row or an item
            teaser = texts <= 1 and text_words <= TEASER_WORDS and headline and not row
            units.append((i, j) if teaser else (i, -1))
            i = j
        else:
            i += 1
    out: set[int] = set()
    run: list[tuple[int, int]] = []
    for unit in [*units, (0, -1)]:
        if unit[1] >= 0:
            run.append(unit)
            continue
        if len(run) >= TEASER_RUN:  # with the datelines between and before the units
            first, last = run[0][0], run[-1][1]
            while first > half and _is_stamp(features, first - 1, end):
                first -= 1
            out.update(range(first, last))
        run = []
    return out


def _link_box(features: Sequence[_Block], start: int, end: int) -> set[int]:
    """List items under a label that is a menu or "Related" cue ("More:", "See also:"): links to other pages.

    A list the article announces ("It has three parts:") is the article's; one a link label announces is
    a box of headlines set in it.
    """
    out: set[int] = set()
    for i in range(start, end - 1):
        b = features[i]
        if not b.colon or b.bullet or b.cue not in _LINK_KINDS or b.words > LINK_LABEL_WORDS:
            continue
        k = i + 1
        while k < end and features[k].bullet and features[k].cue is None and not features[k].sentence:
            out.add(k)
            k += 1
    return out


def _cards(blocks: Sequence[str], features: Sequence[_Block], start: int, end: int) -> set[int]:
    """Cards under a "You may also like" heading: texts that each come with the same line (share buttons, "Read more").

    A section after such a heading runs to the next paragraph; but when the line right under the heading
    recurs, word for word, after each of the next texts (CARD_RUN times or more), those texts are the
    list's cards, however long, and the section runs over them.
    """
    out: set[int] = set()
    for i in range(start, end - 2):
        b = features[i]
        if b.end != "related" and b.cue != "related":
            continue
        mark = blocks[i + 1]
        if _is_text(features[i + 1]):
            continue
        k, marks, last = i + 1, 0, -1
        while k < end and (blocks[k] == mark or _is_text(features[k])):
            if blocks[k] == mark:
                marks += 1
            else:
                last = k
            k += 1
        if marks >= CARD_RUN:
            out.update(range(i + 1, last + 1))
    return out


def _bios(blocks: Sequence[str], features: Sequence[_Block], start: int, end: int) -> set[int]:
    """ "Jane Doe is a reporter...": a name then a copula, in the last blocks of the article.

    A name does not start with an article: "The company is", "Der Anfang ist" (German capitalises
    nouns) are sentences of the article. A bio closes the article: one that a paragraph of the
    article (good text that is no bio) follows is a paragraph itself ("Acme Corp is best known...").
    """
    out: set[int] = set()
    copulas = _copulas()
    determiners = _determiners()
    tail = max(start, end - max(3, (end - start) // 5))
    named: list[int] = []  # bios by a name and a copula, with the name above them where there is one
    for i in range(tail, min(len(blocks), end + 10)):
        b = features[i]
        if i + 1 < len(blocks) and _about_heading(blocks[i], b):
            out.update((i, i + 1))  # the heading and the paragraph of the box, however long
            continue
        if b.words > BANNER_MAX_WORDS or b.words < 5:
            continue
        match = _NAME_COPULA.match(blocks[i])
        if not match or match.group(2).casefold() not in copulas:
            continue
        name = match.group(1).split()
        if _fold(name[0]) in determiners:
            continue
        above = blocks[i - 1].split() if i > 0 else []
        name_above = 2 <= len(above) <= 4 and not features[i - 1].sentence and above[0] == name[0]
        if len(name) >= 2 or name_above:
            named.append(i)
            if name_above:
                named.append(i - 1)  # the name above the bio
    if named:
        last_paragraph = max(
            (k for k in range(named[0], end) if k not in named and features[k].cls == GOOD and _is_text(features[k])),
            default=-1,
        )
        out.update(i for i in named if i > last_paragraph)
    return out


def _about_heading(block: str, b: _Block) -> bool:
    """ "About Jane Doe", "Über Max Muster", "Sobre Ana Lima": the heading of an author box.

    "About" (from the data, per language) then a name of two to four capitalised words, and nothing
    else: a subheading of the article is a phrase ("About the new law"), not a bare name.
    """
    if b.sentence or b.numbers or not 3 <= b.words <= 2 + ABOUT_NAME_WORDS:
        return False
    words = block.split()
    for about in _abouts().get(b.tokens[0], ()):
        name = words[len(about) :]
        if b.tokens[: len(about)] == list(about) and 2 <= len(name) <= ABOUT_NAME_WORDS:
            return all(_capital(word) for word in name)
    return False


# ---------------------------------------------------------------- verdicts


def classify(
    blocks: Sequence[str],
    language: str | None = None,
    learned: frozenset[str] = frozenset(),
    *,
    words: Sequence[list[str]] | None = None,
    hashes: Sequence[str | None] | None = None,
    casefolded: Sequence[str] | None = None,
) -> list[Verdict]:
    """One verdict per block. `learned` holds block hashes that recur across one source's documents.

    A caller that splits the blocks into words or hashes them anyway passes them along, so that no
    line is tokenised twice: `words`, each block's `\\w+` words of `block.casefold()`; `hashes`, each
    block's block_hash (None where not computed); `casefolded`, each `block.casefold()` (with `words`).
    """
    if not blocks:
        return []
    cues = _cues()
    if words is None:
        features = [_features(block, cues) for block in blocks]
    elif casefolded is None:
        features = [_features(block, cues, block_words) for block, block_words in zip(blocks, words, strict=True)]
    else:
        features = [
            _features(block, cues, block_words, block_folded)
            for block, block_words, block_folded in zip(blocks, words, casefolded, strict=True)
        ]
    learned_at = [_block_hash(blocks, hashes, i) in learned for i in range(len(blocks))] if learned else []
    lang = _page_language(features, language)
    stopwords = _stopwords().get(lang) if lang else None
    for block, b in zip(blocks, features, strict=True):
        _add_density(b, block, stopwords)
        b.cls = _first_class(b)
    _mark_ranked_lists(features)
    _mark_tables(features)
    start, end = _region(features)

    # A block that closes the article ("Comments", "Related articles") ends the region, once some
    # article text has been seen; the remainder only counts if a long run of good text follows.
    total = sum(b.words for b in features[start:end] if b.cls == GOOD)
    seen = 0
    for i in range(start, end):
        b = features[i]
        strong = b.end == "legal" or (b.heading_end and (b.end == "comments" or not RELATED_AS_SECTION))
        closing = strong or (total - seen <= END_REST * seen and not _inline_box(features, i, end))
        if b.end is not None and b.cls != GOOD and seen >= CLOSING_MIN_WORDS and closing:
            end = i
            break
        if b.cls == GOOD:
            seen += b.words
    end = _barrier_end(features, start, end)
    # The region starts and ends with text, not with the short blocks around it.
    while start < end and (not _is_text(features[start]) or _header_row(features, start, end)):
        start += 1
    while end > start and not _is_text(features[end - 1]):
        end -= 1
    end = _announced_list(features, start, end)
    start = _summary_points(features, start)
    start = _first_section(features, start, end)
    if start >= end:  # no run of text at all (a list, a note, a poem): only the cues speak
        return [
            Verdict(False, "learned")
            if learned and learned_at[i]
            else (Verdict(False, b.cue) if b.cue is not None else KEEP)
            for i, b in enumerate(features)
        ]
    for i in range(start, end - 1):  # lists the article announces are its own, not teasers
        if features[i].colon and features[i].cue is None:
            k = i + 1
            while k < end and features[k].cue is None and (features[k].bullet or _group_label(features, k, end)):
                features[k].listed = True
                k += 1
    teasers = (
        _teaser_runs(features, start, end) | _cards(blocks, features, start, end) | _link_box(features, start, end)
    )
    bios = _bios(blocks, features, start, end)
    datelines = _header_datelines(features, start, end)

    verdicts: list[Verdict] = []
    after_reason = "footer"
    section: str | None = None  # inside the article, a related or comments section runs to the next text
    for i, b in enumerate(features):
        if start <= i < end and b.end is None and b.cue in _SECTION_KINDS:
            if section is None and _labelled_link(_fold(blocks[i]), cues):
                pass  # a label then a headline is one link: unlike a heading, it opens no section
            else:
                section = b.cue
        elif start <= i < end and b.end is not None and b.cls != GOOD:
            section = b.end
        elif start <= i < end and _is_text(b) and i not in teasers and i not in bios:
            section = None
        if i >= end and b.end is not None:
            after_reason = b.end
        if learned and learned_at[i]:
            verdicts.append(Verdict(False, "learned"))
        elif b.cue is not None:
            verdicts.append(Verdict(False, b.cue))
        elif b.credit:
            verdicts.append(Verdict(False, "caption"))
        elif i in datelines:
            verdicts.append(Verdict(False, "header"))
        elif i in bios:
            verdicts.append(Verdict(False, "author_bio"))
        elif i < start:
            header = i >= start - HEADER_BLOCKS and not b.bullet and b.cls != BAD
            verdicts.append(Verdict(False, "header" if header else "navigation"))
        elif i >= end:
            verdicts.append(Verdict(False, after_reason))
        elif i in teasers:
            verdicts.append(Verdict(False, "related"))
        elif b.end is not None and b.cls != GOOD:
            verdicts.append(Verdict(False, b.end))
        elif section is not None:
            verdicts.append(Verdict(False, section))
        else:
            verdicts.append(KEEP)
    return verdicts


def _block_hash(blocks: Sequence[str], hashes: Sequence[str | None] | None, i: int) -> str:
    """The i-th block's hash: the caller's, else computed."""
    known = hashes[i] if hashes is not None else None
    return known if known is not None else block_hash(blocks[i])
