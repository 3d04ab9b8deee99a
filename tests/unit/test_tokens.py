"""The fast word splitter finds exactly the words `re.findall(r"\\w+")` finds, on any text."""

from __future__ import annotations

import random
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from archiver.pipeline.tokens import words, words_of_lines

FINDALL = re.compile(r"\w+").findall

# Characters where the fast path has to decide something: ASCII punctuation and "_", marks it replaces,
# spaces that str.split knows and \w does not, combining marks and digits of other scripts.
TRICKY = "ab_Z9 .,;:'\"-\t\r\x0b\x0c\x1c\xa0\u2028\u3000’«»—…€¿、。é\u0301ß٣İﬁ\U0001d400\ud800"


def _random_text(rng: random.Random) -> str:
    chars = []
    for _ in range(rng.randint(0, 60)):
        if rng.random() < 0.3:
            code = rng.randint(0, 0x10FFFF)
            chars.append(chr(code))
        else:
            chars.append(rng.choice(TRICKY))
    return "".join(chars)


def test_random_lines_from_all_of_unicode_split_as_findall_splits_them() -> None:
    rng = random.Random(20261124)
    for _ in range(3000):
        lines = [_random_text(rng).replace("\n", " ") for _ in range(rng.randint(0, 6))]
        assert words_of_lines(lines) == [FINDALL(line) for line in lines]


@given(st.lists(st.text(alphabet=st.characters(blacklist_characters="\n"), max_size=40), max_size=5))
@settings(max_examples=400)
def test_any_lines_split_as_findall_splits_them(lines: list[str]) -> None:
    assert words_of_lines(lines) == [FINDALL(line) for line in lines]


@given(st.text(max_size=80))
def test_any_text_with_line_ends_splits_as_findall_splits_it(text: str) -> None:
    assert words(text) == FINDALL(text)


def test_a_line_holding_a_line_end_is_still_split_exactly() -> None:
    lines = ["one\ntwo", "three"]
    assert words_of_lines(lines) == [["one", "two"], ["three"]]


def test_prose_in_several_languages() -> None:
    lines = [
        "Le conseil a approuvé le budget : « très satisfaits », a déclaré l’élue.",
        "Der Bürgermeister hat die Straße geöffnet — größere Änderungen folgen…",
        "¿Qué pasó? El 5 % del presupuesto: 3,2 M€.",
        "市議会は新しい予算を承認した。決定は予想されていた、と述べた。",
        "snake_case and CamelCase and e-mail",
    ]
    assert words_of_lines(lines) == [FINDALL(line) for line in lines]
    assert words_of_lines(lines)[0][-2:] == ["l", "élue"]
