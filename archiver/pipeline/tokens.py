"""Words as the regular expression `\\w+` finds them, found faster: the pipeline splits every line of every
file into words, and `re.findall` spent a tenth of the pipeline's time doing it.

The result is always exactly `re.findall(r"\\w+", line)` (tests/unit/test_tokens.py checks it on
random text from the whole of Unicode): the fast path only decides where the runs of word characters
end, by C-level string methods instead of the regular expression engine's per-character loop.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

WORD = re.compile(r"\w+")

# ASCII bytes that are no word characters become spaces; "\n" stays (it separates the lines joined
# below); bytes >= 0x80 stay, so UTF-8 sequences pass through whole.
_ASCII_BREAKS = bytes(
    byte if byte >= 0x80 or byte == 0x0A or chr(byte).isalnum() or byte == ord("_") else 0x20 for byte in range(256)
)
# Punctuation outside ASCII that prose in many languages uses between words (quotes, dashes, the
# ellipsis, currency, CJK punctuation). Replaced by spaces before splitting, each in one C-level pass;
# any other non-word character is still handled, by the slower exact path for its line.
_COMMON_MARKS = "’‘‚“”„«»‹›–—―…·•€£¥©®™°§¶¿¡、。，：；！？「」『』（）《》〈〉・\u200b"


def words_of_lines(lines: Sequence[str]) -> list[list[str]]:
    """`[WORD.findall(line) for line in lines]`, for lines without "\\n" (a line with one is split the slow way)."""
    joined = "\n".join(lines)
    if joined.isascii():
        spaced = joined.encode("ascii").translate(_ASCII_BREAKS).decode("ascii")
    else:
        spaced = joined.encode("utf-8", "surrogatepass").translate(_ASCII_BREAKS).decode("utf-8", "surrogatepass")
        for mark in _COMMON_MARKS:
            if mark in spaced:
                spaced = spaced.replace(mark, " ")
    pieces = spaced.split("\n")
    if len(pieces) != len(lines):
        return [WORD.findall(line) for line in lines]
    out: list[list[str]] = []
    for piece in pieces:
        found = piece.split()
        # Exact when every piece is made of word characters only; `isalnum` is `\w` but for "_", which
        # only ASCII pieces can hold here (and they hold nothing else).
        if not (piece.isascii() or all(map(str.isalnum, found))):
            found = _split_further(found)
        out.append(found)
    return out


def _split_further(tokens: list[str]) -> list[str]:
    """The words of a line's space-separated tokens, some of which still hold non-word characters: findall
    on those tokens alone (the spaces between tokens are no word characters: the same words as findall
    on the whole line, for less)."""
    out: list[str] = []
    for token in tokens:
        if token.isalnum():
            out.append(token)
        else:
            out += WORD.findall(token)
    return out


def words(text: str) -> list[str]:
    """`WORD.findall(text)`."""
    return words_of_lines([text.replace("\n", " ")])[0]  # "\n" is no word character: a space splits alike
