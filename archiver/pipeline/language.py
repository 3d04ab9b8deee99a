"""The language of a page (ISO 639-1), from py3langid's shipped model on a sample of the page's prose.

The model itself, scored with numpy and cached on disk, is archiver.pipeline.language_model.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import islice

from archiver.pipeline import language_model

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
    model = language_model.model()
    if len(sample) > LANGUAGE_FIRST_CHARS + 100:
        # A list first: compiled code that unpacks the iterator itself reports any exception raised in
        # the ranking (the pipeline's timeout among them) as "not enough values to unpack".
        (code, best), (_next, second) = list(islice(model.ranked(sample[:LANGUAGE_FIRST_CHARS]), 2))
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
