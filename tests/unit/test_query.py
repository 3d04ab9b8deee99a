"""The search syntax: parsing, rendering to FTS5 and tsquery, and one-line errors for malformed queries."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archiver.errors import UsageError
from archiver.store.query import And, Or, Term, fold, parse


@pytest.mark.parametrize(
    ("query", "fts5", "tsquery"),
    [
        ("employés", '"employés"', "'employes'"),
        ("Straße ŒUVRE", '("Straße" AND "ŒUVRE")', "('strasse' & 'oeuvre')"),
        ("a b", '("a" AND "b")', "('a' & 'b')"),
        ("a AND b", '("a" AND "b")', "('a' & 'b')"),
        ('"chemin de fer"', '"chemin de fer"', "('chemin' <-> 'de' <-> 'fer')"),
        ("chemin-de-fer", '"chemin de fer"', "('chemin' <-> 'de' <-> 'fer')"),
        ("a OR b", '("a" OR "b")', "('a' | 'b')"),
        ("a b OR c", '(("a" AND "b") OR "c")', "(('a' & 'b') | 'c')"),
        ("a -b", '("a") NOT ("b")', "('a' & !'b')"),
        ('a -"b c" -d', '("a") NOT ("b c" OR "d")', "('a' & !('b' <-> 'c') & !'d')"),
        ("ferrov*", '"ferrov" *', "'ferrov':*"),
        ('"chemin de"*', '"chemin de" *', "('chemin' <-> 'de':*)"),
        ("(a OR b) c", '(("a" OR "b") AND "c")', "(('a' | 'b') & 'c')"),
        ("a -(b OR c)", '("a") NOT (("b" OR "c"))', "('a' & !('b' | 'c'))"),
        # Index syntax typed by a user is only ever words.
        ("title:x NEAR(a b) ^c", '("title x" AND "NEAR" AND ("a" AND "b") AND "c")', None),
        ("it's", '"it s"', "('it' <-> 's')"),
        ("a - b", '("a" AND "b")', "('a' & 'b')"),
        ("« guillemets »", '"guillemets"', "'guillemets'"),
        ("x&y|z!", '"x y z"', "('x' <-> 'y' <-> 'z')"),
    ],
)
def test_rendering(query: str, fts5: str, tsquery: str | None) -> None:
    parsed = parse(query)
    assert parsed.fts5() == fts5
    if tsquery is not None:
        assert parsed.tsquery() == tsquery


def test_ast() -> None:
    assert parse('a -b "c d"* OR e').root == Or(
        (And((Term(("a",)), Term(("c", "d"), prefix=True)), (Term(("b",)),)), Term(("e",)))
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "empty search query: give at least one word to look for"),
        ("   ", "empty search query: give at least one word to look for"),
        ("!!! ...", "empty search query: give at least one word to look for"),
        ("()", "empty search query: give at least one word to look for"),
        ('"unclosed', 'unclosed quote in search query: add the closing "'),
        ('a "b c', 'unclosed quote in search query: add the closing "'),
        ("OR", '"OR" needs something to search for on each side'),
        ("a OR", '"OR" needs something to search for on each side'),
        ("OR a", '"OR" needs something to search for on each side'),
        ("a OR OR b", '"OR" needs something to search for on each side'),
        ("a AND", '"AND" needs something to search for on each side'),
        ("AND a", '"AND" needs something to search for on each side'),
        ("-a", "search query only excludes: add a word to look for"),
        ("-a -b", "search query only excludes: add a word to look for"),
        ("a OR -b", "search query only excludes: add a word to look for"),
        ("a)", 'unmatched ")" in search query'),
        (")", 'unmatched ")" in search query'),
        ("(a", 'unclosed "(" in search query'),
        ("((a) b", 'unclosed "(" in search query'),
        ("(" * 40 + "a" + ")" * 40, "search query nested too deeply (more than 16 parentheses)"),
        (" ".join(f"w{i}" for i in range(65)), "search query has too many terms (at most 64)"),
    ],
)
def test_malformed(query: str, message: str) -> None:
    with pytest.raises(UsageError) as info:
        parse(query)
    assert str(info.value) == message
    assert "\n" not in message


def test_fold_matches_unaccent() -> None:
    assert fold("Employés") == "employes"
    assert fold("ÉCOLE") == "ecole"
    assert fold("Müller") == "muller"
    assert fold("Straße") == "strasse"
    assert fold("Ærø") == "aero"
    assert fold("ﬁn") == "fin"  # compatibility ligature


def test_lowercase_or_is_a_word() -> None:
    assert parse("this or that").fts5() == '("this" AND "or" AND "that")'


def test_terms_for_highlighting() -> None:
    assert parse('a -b "c d" OR e*').terms() == ["a", "c", "d", "e"]


# ------------------------------------------------------------------ properties


@pytest.fixture(scope="module")
def fts() -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(":memory:")
    conn.execute('CREATE VIRTUAL TABLE t USING fts5(title, body, author, tokenize="unicode61 remove_diacritics 2")')
    conn.execute("INSERT INTO t VALUES ('Les employés', 'le chemin de fer \"OR\" NOT AND', 'Hélène')")
    yield conn
    conn.close()


QUERY_TEXT = st.one_of(
    st.text(max_size=60),
    st.lists(
        st.sampled_from(
            [
                "a",
                "b",
                "employés",
                "OR",
                "AND",
                "NOT",
                "NEAR",
                "-",
                "*",
                '"',
                "(",
                ")",
                "-a",
                "b*",
                "'",
                ":",
                "^",
                "+",
                " ",
            ]
        ),
        max_size=15,
    ).map(" ".join),
    st.lists(st.sampled_from(['"', "(", ")", "-", "*", "a", "OR", " ", "é", "_", ":"]), max_size=20).map("".join),
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=QUERY_TEXT)
def test_any_text_parses_or_is_a_usage_error_and_fts5_never_raises(fts: sqlite3.Connection, text: str) -> None:
    try:
        parsed = parse(text)
    except UsageError as exc:
        message = str(exc)
        assert message and "\n" not in message
        return
    rendered = parsed.fts5()
    conn = fts
    conn.execute(
        "SELECT rowid, bm25(t, 10.0, 1.0, 3.0), snippet(t, -1, '[', ']', '…', 8) FROM t WHERE t MATCH ?", (rendered,)
    ).fetchall()
    assert parsed.tsquery()


def test_snippet_is_accent_and_case_insensitive() -> None:
    from archiver.store.search import snippet

    body = "Intro. " * 40 + "Les Employés de la poste et le chemin de fer. " + "Fin. " * 40
    text = snippet(parse("employes CHEMIN-de-fer"), body)
    assert "[Employés]" in text and "[chemin de fer]" in text
    assert text.startswith("…") and text.endswith("…")
    assert len(text) < 260
    assert "[fer]" not in snippet(parse("ferro*"), "le fer et la ferronnerie")
    assert "[ferronnerie]" in snippet(parse("ferro*"), "le fer et la ferronnerie")
    assert snippet(parse("absent"), "court") == "court"
    assert snippet(parse("titre"), "corps", "Un Titre") == "Un [Titre]"
