"""The canonical text: one spelling of the same characters, whatever tool wrote the file.

Quotes, dashes and letters are never changed: only code points that carry no text of their own
(spacing variants, zero-width and control characters) and line structure.
"""

from __future__ import annotations

import re
import unicodedata

# Exotic spaces that render as a plain space: NBSP, the U+2000 block, narrow NBSP, ideographic...
_SPACE_CHARS = "[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\t\f\v]"
# Runs of them, spelled `[...][...]*` rather than `[...]+`: the same matches, but CPython's regex
# engine only skips ahead with a leading character set, which `[...]+` does not give it (3x faster).
_SPACES = re.compile(_SPACE_CHARS + _SPACE_CHARS + "*")
# Zero-width and control characters, except newline (tabs were turned into spaces above).
_INVISIBLE_CHARS = (
    "[\u0000-\u0008\u000e-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]"
)
_INVISIBLE = re.compile(_INVISIBLE_CHARS)
# Either kind: one scan tells whether the two substitutions have anything to do (most texts have neither).
_SPACE_OR_INVISIBLE = re.compile(f"{_SPACE_CHARS}|{_INVISIBLE_CHARS}")  # compiled as one character set
_RUN_OF_SPACES = re.compile(" {2,}")
_BLANK_RUNS = re.compile("\n{3,}")


def normalize_text(text: str) -> str:
    """NFC, LF line ends, plain spaces, no invisible characters, one blank line between paragraphs.

    CR, CRLF, NEL (the line end of EBCDIC text, as cp037/cp500 decode it) and U+2028 end a line;
    U+2029 ends a paragraph. Quotes, dashes and letters are left as they are.
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    plain = text.isascii()
    if not plain:
        text = text.replace("\x85", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
    # Each substitution is guarded by a plain substring test (or one scan): most texts need few of them.
    if _SPACE_OR_INVISIBLE.search(text):
        text = _INVISIBLE.sub("", _SPACES.sub(" ", text))
    if not plain:
        text = unicodedata.normalize("NFC", text)  # after the removals, which can join a letter and its accent
    if "  " in text:
        text = _RUN_OF_SPACES.sub(" ", text)
    if " \n" in text or "\n " in text:
        text = _strip_lines(text)
    if "\n\n\n" in text:
        text = _BLANK_RUNS.sub("\n\n", text)
    return text.strip("\n ")


def _strip_lines(text: str) -> str:
    """No space at either side of a line end: what `re.sub(" +\\n *|\\n +", "\\n", text)` makes.

    The text's own first and last spaces are left to the caller. Splitting on the line ends and
    stripping each side is several times faster than the regex.
    """
    lines = text.split("\n")
    if len(lines) < 2:
        return text
    inner = [line.strip(" ") for line in lines[1:-1]]
    return "\n".join([lines[0].rstrip(" "), *inner, lines[-1].lstrip(" ")])


def split_paragraphs(text: str) -> list[str]:
    """Blocks separated by blank lines, in order, none empty."""
    return [block for block in text.split("\n\n") if block.strip()]
