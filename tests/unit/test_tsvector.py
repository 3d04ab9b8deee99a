"""search_vector: the tsvector literal the writer sends PostgreSQL, tokenised as queries are."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from archiver.store.query import fold, parse
from archiver.store.tsvector import (
    BODY_CHARS,
    MAX_POSITION,
    MAX_POSITIONS,
    quote_lexeme,
    search_vector,
    tokens,
)

_TOKEN = re.compile(r"[^\W_]+")


def parsed(vector: str) -> dict[str, list[str]]:
    """lexeme -> its "12A" positions (no lexeme the tokeniser makes holds a quote or a space)."""
    out: dict[str, list[str]] = {}
    for entry in vector.split(" ") if vector else []:
        lexeme, positions = entry.rsplit(":", 1)
        out[lexeme.strip("'")] = positions.split(",")
    return out


def reference(title: str | None, author: str | None, body: str | None) -> dict[str, list[str]]:
    """The rules, word by word: what to_tsvector per field joined by || gives for these lexemes."""
    out: dict[str, list[str]] = {}
    last: dict[str, int] = {}
    top = 0
    for text, weight in ((title or "", "A"), (author or "", "B"), ((body or "")[:BODY_CHARS], "C")):
        position = top
        for token in _TOKEN.findall(text):
            for lexeme in _TOKEN.findall(fold(token)):
                if len(lexeme.encode()) > 2047:
                    continue
                position = min(position + 1, MAX_POSITION)
                items = out.setdefault(lexeme, [])
                if len(items) < MAX_POSITIONS and last.get(lexeme) != MAX_POSITION:
                    items.append(f"{position}{weight}")
                    last[lexeme] = position
                    top = position
    return {lexeme: items for lexeme, items in out.items() if items}


def test_positions_count_on_over_title_author_and_body_with_their_weights() -> None:
    vector = parsed(search_vector("The cat", "Ann Lee", "The cat sat. The end"))
    assert vector == {
        "the": ["1A", "5C", "8C"],
        "cat": ["2A", "6C"],
        "ann": ["3B"],
        "lee": ["4B"],
        "sat": ["7C"],
        "end": ["9C"],
    }


def test_missing_fields_take_no_position() -> None:
    assert parsed(search_vector(None, None, "one two")) == {"one": ["1C"], "two": ["2C"]}
    assert parsed(search_vector("", "", "")) == {}
    assert search_vector(None, None, "— … !") == ""


def test_words_are_folded_as_queries_fold_them() -> None:
    vector = parsed(search_vector("Éléphant", "Straße", "ŒUVRE İstanbul ΣΟΦΟΣ ½"))
    assert vector["elephant"] == ["1A"]
    assert vector["strasse"] == ["2B"]
    assert vector["oeuvre"] == ["3C"]
    assert vector["istanbul"] == ["4C"]
    assert vector["σοφος"] == ["5C"]  # final sigma of the word alone, as fold() lowers a query word
    assert vector["1"] == ["6C"] and vector["2"] == ["7C"]  # one word folding to two tokens: two positions
    assert parse("ÉLÉPHANT").tsquery() == "'elephant'"


def test_compounds_and_numbers_are_split_as_queries_split_them() -> None:
    vector = parsed(search_vector(None, None, "chemin-de-fer 3.14 snake_case"))
    assert list(vector) == ["chemin", "de", "fer", "3", "14", "snake", "case"]
    assert parse('"chemin-de-fer"').tsquery() == "('chemin' <-> 'de' <-> 'fer')"


def test_accent_variants_of_one_word_share_the_lexeme_in_order() -> None:
    assert parsed(search_vector(None, None, "élève eleve Élève")) == {"eleve": ["1C", "2C", "3C"]}


def test_quotes_and_backslashes_are_escaped() -> None:
    assert quote_lexeme("it's") == "'it''s'"
    assert quote_lexeme("a\\b") == "'a\\\\b'"
    assert quote_lexeme("plain") == "'plain'"


def test_a_lexeme_keeps_its_first_256_positions() -> None:
    vector = parsed(search_vector("word", None, "word " * 300 + "other"))
    assert len(vector["word"]) == MAX_POSITIONS
    assert vector["word"][:2] == ["1A", "2C"] and vector["word"][-1] == "256C"
    assert vector["other"] == ["302C"]  # the words past 256 still took their positions


def test_dropped_positions_do_not_move_the_next_field() -> None:
    # `||` shifts the right vector by the left one's highest stored position: 256, not 300.
    assert parsed(search_vector("a " * 300, "b", None))["b"] == ["257B"]


def test_positions_stop_at_16383() -> None:
    body = " ".join(f"w{i}" for i in range(MAX_POSITION + 10)) + " w0 last"
    vector = parsed(search_vector(None, None, body))
    assert vector[f"w{MAX_POSITION - 1}"] == [f"{MAX_POSITION}C"]
    assert vector[f"w{MAX_POSITION + 9}"] == [f"{MAX_POSITION}C"]  # later words all share the last position
    assert vector["w0"] == ["1C", f"{MAX_POSITION}C"] and vector["last"] == [f"{MAX_POSITION}C"]


def test_overlong_lexemes_are_dropped_without_a_position() -> None:
    vector = parsed(search_vector(None, None, "before " + "x" * 2048 + " after " + "ж" * 1024))  # 2,048 bytes
    assert vector == {"before": ["1C"], "after": ["2C"]}
    assert parsed(search_vector(None, None, "y" * 2047 + " ж" + "ж" * 1022)) == {"y" * 2047: ["1C"], "ж" * 1023: ["2C"]}


def test_body_is_cut_at_500000_characters() -> None:
    vector = parsed(search_vector(None, None, "a" * (BODY_CHARS - 1) + " tail"))
    assert "tail" not in vector and "t" not in vector


def test_fast_split_is_the_token_pattern() -> None:
    text = "l’homme, 3.14% «guillemets» e\u0301t\u00e9 _x_ a\tb\u00a0c\u2028d ™"
    assert tokens(text) == _TOKEN.findall(text)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(st.none(), st.text(max_size=40)),
    st.one_of(st.none(), st.text(max_size=20)),
    st.text(alphabet=st.sampled_from(list("abcé ΣσİiE-.,’'\\ _½ﬁ\u0301\t")), max_size=400),
)
def test_matches_the_word_by_word_rules(title: str | None, author: str | None, body: str) -> None:
    assert parsed(search_vector(title, author, body)) == reference(title, author, body)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.sampled_from(["ab", "cd", "é", "ef"]), min_size=1, max_size=40), st.integers(0, 300))
def test_matches_the_word_by_word_rules_near_the_limits(words: list[str], repeat: int) -> None:
    title = " ".join(["ab"] * repeat)
    body = " ".join(words * (MAX_POSITION // len(words) + 2))
    assert parsed(search_vector(title, "cd", body)) == reference(title, "cd", body)
