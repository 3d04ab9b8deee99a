"""archiver.pipeline.normalize: one canonical spelling of the same text."""

from __future__ import annotations

import re
import sys
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archiver.pipeline.normalize import (
    _INVISIBLE,
    _SPACE_OR_INVISIBLE,
    _SPACES,
    _strip_lines,
    normalize_text,
    split_paragraphs,
)


def test_nfc() -> None:
    assert normalize_text("e\u0301te\u0301") == "été"
    assert normalize_text("A\u030a") == "Å"


@pytest.mark.parametrize("newline", ["\r\n", "\r", "\n", "\u2028", "\x85"])
def test_line_ends_become_lf(newline: str) -> None:
    assert normalize_text(f"one{newline}two{newline}three") == "one\ntwo\nthree"


def test_paragraph_separator_ends_a_paragraph() -> None:
    assert normalize_text("one\u2029two") == "one\n\ntwo"


@pytest.mark.parametrize("space", ["\u00a0", "\u2002", "\u2003", "\u2009", "\u202f", "\u3000", "\t", "\f", "\v"])
def test_exotic_spaces_and_tabs_become_one_space(space: str) -> None:
    assert normalize_text(f"10{space}km and{space}{space}more") == "10 km and more"


@pytest.mark.parametrize(
    "invisible", ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\x00", "\x07", "\x1b", "\x7f", "\x9d"]
)
def test_zero_width_and_control_characters_are_removed(invisible: str) -> None:
    assert normalize_text(f"wo{invisible}rd") == "word"


def test_the_gate_of_the_substitutions_is_both_their_characters() -> None:
    """normalize_text skips both substitutions when `_SPACE_OR_INVISIBLE` finds nothing: it must see every character."""
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        changed = _SPACES.match(char) is not None or _INVISIBLE.match(char) is not None
        assert (_SPACE_OR_INVISIBLE.match(char) is not None) == changed, hex(code)


def test_removal_then_nfc() -> None:
    assert normalize_text("e\u200b\u0301") == "é"


def test_trailing_and_leading_spaces_on_lines_are_stripped() -> None:
    assert normalize_text("  first line   \nsecond\t \n") == "first line\nsecond"


def test_runs_of_blank_lines_become_one() -> None:
    assert normalize_text("a\n\n\n\nb\n \n\t\n\nc") == "a\n\nb\n\nc"


def test_quotes_dashes_and_letters_are_never_changed() -> None:
    text = "“Curly” ‘quotes’ «guillemets» „Anführung“ — em – en naïve Straße ǅ ﬁ œ"
    assert normalize_text(text) == unicodedata.normalize("NFC", text)


def test_split_paragraphs() -> None:
    assert split_paragraphs(normalize_text("Title\r\n\r\n\r\nFirst para\nstill first\n\n\nSecond  ")) == [
        "Title",
        "First para\nstill first",
        "Second",
    ]
    assert split_paragraphs("") == []


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_normalized_text_has_no_cr_tabs_trailing_spaces_or_blank_runs(text: str) -> None:
    out = normalize_text(text)
    assert "\r" not in out and "\t" not in out and "\n\n\n" not in out
    assert all(line == line.strip(" ") for line in out.split("\n"))
    assert unicodedata.is_normalized("NFC", out)


@given(st.text(st.sampled_from(" \na\u00a0\t"), max_size=40))
def test_lines_are_stripped_as_the_regex_did(text: str) -> None:
    """_strip_lines replaced `re.sub(" +\\n *|\\n +", "\\n", text)` (issue 8): the same text, faster."""
    assert _strip_lines(text) == re.sub(" +\n *|\n +", "\n", text)


@given(st.text(st.sampled_from(" \u00a0\u2003\u3000\t\f\vab\n"), max_size=40))
def test_runs_of_exotic_spaces_are_matched_as_before(text: str) -> None:
    pattern = "[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\t\f\v]+"
    assert _SPACES.sub(" ", text) == re.sub(pattern, " ", text)
