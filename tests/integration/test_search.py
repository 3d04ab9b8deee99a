"""search, list_documents, iter_export and stats on a known archive, on SQLite and on PostgreSQL."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from archiver.errors import UsageError
from archiver.store.query import parse
from archiver.store.repository import Arrival, Store, compress
from archiver.store.search import Filters, iter_export, iter_export_jsonl, list_documents, search, stats

from .conftest import Corpus, arrival, create_pg_database, drop_pg_database, failed_dir_with, fill


def ids(rows: list[dict[str, object]]) -> list[object]:
    return [r["id"] for r in rows]


def test_accents_are_folded_both_ways(store: Store, corpus: Corpus) -> None:
    expected = {corpus.ids["poste"], corpus.ids["hopital"]}
    assert set(ids(search(store, "employes"))) == expected
    assert set(ids(search(store, "EMPLOYÉS"))) == expected
    assert ids(search(store, "hopital")) == [corpus.ids["hopital"]]
    assert ids(search(store, "muller")) == [corpus.ids["wahl"]]  # the author column is indexed too


def test_snippet_marks_matches_whatever_the_accents(store: Store) -> None:
    rows = search(store, "employes")
    assert all("[employés]" in r["snippet"] for r in rows), rows
    (row,) = search(store, '"chemin de fer"')
    assert "[chemin de fer]" in row["snippet"]


def test_all_words_must_match(store: Store, corpus: Corpus) -> None:
    assert ids(search(store, "employes hopital")) == [corpus.ids["hopital"]]
    assert search(store, "employes railway") == []


def test_phrase(store: Store, corpus: Corpus) -> None:
    # HOPITAL has "chemin", "de" and "fer" but not next to each other.
    assert ids(search(store, '"chemin de fer"')) == [corpus.ids["poste"]]
    assert ids(search(store, "chemin-de-fer")) == [corpus.ids["poste"]]
    assert set(ids(search(store, "chemin fer"))) == {corpus.ids["poste"], corpus.ids["hopital"]}
    assert ids(search(store, "l'hopital regional")) == [corpus.ids["hopital"]]
    assert ids(search(store, '"hopital regional" -"chemin de fer"')) == [corpus.ids["hopital"]]


def test_or(store: Store, corpus: Corpus) -> None:
    assert set(ids(search(store, "greve OR wahl"))) == {corpus.ids["poste"], corpus.ids["wahl"]}
    assert set(ids(search(store, "(greve OR wahl) stadt"))) == {corpus.ids["wahl"]}


def test_exclusion(store: Store, corpus: Corpus) -> None:
    assert ids(search(store, "employes -poste")) == [corpus.ids["hopital"]]
    assert ids(search(store, 'employes -"la poste"')) == [corpus.ids["hopital"]]


def test_prefix(store: Store, corpus: Corpus) -> None:
    assert ids(search(store, "ferrov*")) == [corpus.ids["hopital"]]
    assert set(ids(search(store, "employ*"))) == {corpus.ids["poste"], corpus.ids["hopital"]}


def test_title_match_ranks_above_body_match(store: Store, corpus: Corpus) -> None:
    rows = search(store, "railway")
    assert ids(rows) == [corpus.ids["railway_title"], corpus.ids["railway_body"]]
    assert rows[0]["score"] > rows[1]["score"]


def test_rows_carry_id_metadata_and_marked_snippet(store: Store, corpus: Corpus) -> None:
    (row,) = search(store, "ferroviaire")
    assert row["id"] == corpus.ids["hopital"]
    assert row["title"] == "L'hôpital régional agrandit ses urgences"
    assert row["published"] == "2024-01-15"
    assert row["language"] == "fr"
    assert row["source"] == "courrier"
    assert row["tags"] == ["santé"]
    assert "[ferroviaire]" in row["snippet"]


def test_limit(store: Store) -> None:
    assert len(search(store, "the OR le OR die", limit=2)) == 2


@pytest.mark.parametrize("query", ['"oops', "a OR", "-only", "(a", "a)", ""])
def test_malformed_query_is_a_usage_error(store: Store, query: str) -> None:
    with pytest.raises(UsageError):
        search(store, query)


def test_search_with_filters(store: Store, corpus: Corpus) -> None:
    assert ids(search(store, "employes", Filters(source="courrier", since=date(2024, 1, 1)))) == [corpus.ids["hopital"]]
    assert ids(search(store, "employes", Filters(tag="social"))) == [corpus.ids["poste"]]
    assert search(store, "employes", Filters(lang="de")) == []


FILTER_CASES = {
    "lang": (Filters(lang="de"), ["wahl"]),
    "lang_case": (Filters(lang="FR"), ["hopital", "poste"]),
    "source": (Filters(source="ledger"), ["railway_body", "railway_title"]),
    "author": (Filters(author="dupont"), ["poste"]),
    "author_accent": (Filters(author="Hélène"), ["hopital"]),
    "tag": (Filters(tag="social"), ["poste"]),
    "tag_case": (Filters(tag="poste"), ["poste"]),
    "tag_unicode": (Filters(tag="santé"), ["hopital"]),
    "since": (Filters(since=date(2024, 3, 1)), ["railway_body", "railway_title"]),
    "until": (Filters(until=date(2024, 1, 15)), ["hopital", "poste"]),
    "since_until": (Filters(since=date(2024, 1, 16), until=date(2024, 3, 5)), ["railway_title", "wahl"]),
    "received_since": (Filters(since=date(2025, 6, 1), received=True), ["wahl", "hopital"]),
    "received_until": (Filters(until=date(2025, 1, 10), received=True), ["railway_body", "railway_title", "poste"]),
    "received_day": (Filters(since=date(2025, 6, 2), until=date(2025, 6, 2), received=True), ["wahl"]),
    "duplicates": (Filters(duplicates=True), ["wahl"]),
    "combined": (Filters(source="courrier", lang="fr", tag="santé"), ["hopital"]),
}


@pytest.mark.parametrize("case", sorted(FILTER_CASES))
def test_list_filters_newest_first(store: Store, corpus: Corpus, case: str) -> None:
    filters, names = FILTER_CASES[case]
    expected = sorted((corpus.ids[n] for n in names), reverse=True)
    assert ids(list_documents(store, filters)) == expected


def test_list_is_newest_first_with_limit(store: Store, corpus: Corpus) -> None:
    rows = list_documents(store, limit=3)
    assert ids(rows) == sorted(corpus.ids.values(), reverse=True)[:3]
    assert "body" not in rows[0]
    assert rows[0]["created_at"].startswith(str(date.today().year)) or rows[0]["created_at"]


def test_export_rows_and_filters(store: Store, corpus: Corpus) -> None:
    rows = list(iter_export(store))
    assert [r["id"] for r in rows] == sorted(corpus.ids.values())
    first = rows[0]
    assert first["body"].startswith("Les employés de la poste ont cessé")
    assert first["published"] == "2023-12-08"
    assert first["tags"] == ["social", "Poste"]
    assert [r["id"] for r in iter_export(store, Filters(duplicates=True))] == [corpus.ids["wahl"]]


def test_export_jsonl_made_by_the_database_equals_the_rows(store: Store, corpus: Corpus) -> None:
    rows = list(iter_export(store))
    lines = [json.loads(line) for line in iter_export_jsonl(store)]
    assert lines == rows
    assert list(lines[0]) == list(rows[0])  # same key order
    duplicates = [json.loads(line)["id"] for line in iter_export_jsonl(store, Filters(duplicates=True))]
    assert duplicates == [corpus.ids["wahl"]]


def test_stats(store: Store, corpus: Corpus, tmp_path: Path) -> None:
    result = stats(store, failed_dir=failed_dir_with(tmp_path, 3))
    assert result["documents"] == 5
    assert result["ingestions"] == 6
    assert result["duplicates"] == 1
    assert result["failed"] == 3
    assert result["by_source"] == {"courrier": 2, "ledger": 2, "rundschau": 1}
    assert result["by_language"] == {"en": 2, "fr": 2, "de": 1}
    assert sum(result["by_day"].values()) == 5
    for day in result["by_day"]:
        date.fromisoformat(day)
    assert set(result["ingest_rate"]) == {"last_hour", "last_day", "per_minute_last_hour"}
    june = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
    rate = stats(store, failed=0, now=june)["ingest_rate"]
    assert rate["last_hour"] == 1  # the copy received at 08:00
    assert rate["last_day"] == 3  # and the two received on June 1 at noon
    assert stats(store, failed=0, now=june + timedelta(hours=12))["ingest_rate"]["last_day"] == 1


def test_stats_with_filters(store: Store) -> None:
    result = stats(store, Filters(source="rundschau"), failed=7)
    assert (result["documents"], result["ingestions"], result["duplicates"], result["failed"]) == (1, 2, 1, 7)
    assert result["by_source"] == {"rundschau": 1}
    assert stats(store, Filters(lang="xx"), failed=0)["documents"] == 0


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    query=st.one_of(
        st.text(alphabet=st.sampled_from(list("ab é-*\"() OR:!&|'\\<>")), max_size=30), st.text(max_size=30)
    )
)
def test_rendered_queries_never_make_the_database_raise(store: Store, query: str) -> None:
    try:
        parse(query)
    except UsageError:
        return
    search(store, query, limit=1)


# ------------------------------------------------------------------ export in constant memory

BIG_N = 3000
BODY_WORDS = "le conseil régional approuve un budget de plusieurs millions pour la rénovation des écoles".split()  # noqa: SIM905


def big_arrivals(n: int) -> list[Arrival]:
    """n different documents of ~5 KB, built from one real pipeline result (the pipeline is not under test)."""
    template = arrival("Titre\n\nUn texte de départ.\n\nUne autre phrase ici.\n".encode(), "t.txt", source="big")
    out = []
    for i in range(n):
        body = f"Document {i}. " + " ".join(BODY_WORDS[(i + k) % len(BODY_WORDS)] for k in range(700))
        raw = body.encode()
        document = dataclasses.replace(
            template.document, body=body, content_hash=hashlib.sha256(raw).hexdigest(), sketch=(), block_hashes=()
        )
        out.append(Arrival(f"doc{i}.txt", "big", len(raw), i, hashlib.sha256(raw).hexdigest(), compress(raw), document))
    return out


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def big_store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    url = (
        f"sqlite:///{tmp_path_factory.mktemp('big') / 'archive.db'}"
        if request.param == "sqlite"
        else create_pg_database()
    )
    store = Store(url, upgrade=True)
    arrivals = big_arrivals(BIG_N)
    for start in range(0, BIG_N, 1000):
        store.save_batch(arrivals[start : start + 1000])
    yield store
    store.close()
    if request.param == "postgresql":
        drop_pg_database(url)


@pytest.mark.parametrize("kind", ["rows", "jsonl"])
def test_export_streams_in_constant_memory(big_store: Store, kind: str) -> None:
    with big_store.engine.connect() as conn:
        total = conn.execute(text("SELECT sum(length(body)) FROM documents")).scalar_one()
    assert total > 10_000_000  # characters; twice that in memory (they are not all ASCII)
    exporter = iter_export if kind == "rows" else iter_export_jsonl
    tracemalloc.start()
    try:
        count = 0
        for row in exporter(big_store):
            count += 1
            assert row
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == BIG_N
    # Everything at once would be > 20 MB of bodies alone; a stream holds one batch (250 rows) at most.
    assert peak < 8_000_000, peak


def test_ranking_looks_at_the_newest_window_of_matches(big_store: Store) -> None:
    from archiver.store.search import RANK_WINDOW

    rows = search(big_store, "conseil", limit=50)
    assert len(rows) == 50
    with big_store.engine.connect() as conn:
        newest = conn.execute(text("SELECT max(id) FROM documents")).scalar_one()
    assert min(r["id"] for r in rows) > newest - RANK_WINDOW
    # A query that matches few documents finds them however old they are.
    (old,) = search(big_store, '"document 5"')
    assert old["title"] and old["id"] <= 10


# ------------------------------------------------------------------ the newest window, found in two parts
#
# SPREAD_N documents that all hold "city", "council", "storm" and "bridge", but "city council" as a
# phrase only in a few, and "storm" without "bridge" only in a few: the GIN index lists every row as a
# candidate for `"city council"` and `storm -bridge`, and only a recheck tells. With RANK_WINDOW made
# small, search looks in the newest ids first, then in the older ones (PostgreSQL); the answers must
# be those of the plain definition: the best of the newest RANK_WINDOW matches.

SPREAD_N = 600
SMALL_WINDOW = 50
PHRASE_AT = (2, 40, 590)  # positions (0-based) of the documents with the phrase "city council"
NO_BRIDGE_AT = (3, 41, 595)


def spread_arrivals() -> list[Arrival]:
    template = arrival("Titre\n\nUn texte de départ.\n\nUne autre phrase ici.\n".encode(), "t.txt", source="spread")
    out = []
    for i in range(SPREAD_N):
        words = [f"Notice {i}.", "The city hall and the council met about the storm."]
        if i not in NO_BRIDGE_AT:
            words.append("The bridge stayed closed.")
        if i in PHRASE_AT:
            words.append("The city council voted.")
        if i % 2 == 0:
            words.append("Even.")
        if i % 5 == 0:
            words.append("Fifth.")
        if i >= SPREAD_N - 40 or i % 40 == 0:  # dense at the newest end, sparse before: all three parts
            words.append("Late.")
        body = " ".join(words)
        raw = body.encode()
        document = dataclasses.replace(
            template.document, body=body, content_hash=hashlib.sha256(raw).hexdigest(), sketch=(), block_hashes=()
        )
        out.append(
            Arrival(f"s{i}.txt", "spread", len(raw), i, hashlib.sha256(raw).hexdigest(), compress(raw), document)
        )
    return out


@contextmanager
def filled_store(kind: str, directory: Path, arrivals: list[Arrival]) -> Iterator[tuple[Store, list[int]]]:
    """A fresh archive of `kind` holding `arrivals` (and their ids): closed, and dropped on PostgreSQL, even
    if filling it fails."""
    url = f"sqlite:///{directory / 'archive.db'}" if kind == "sqlite" else create_pg_database()
    try:
        store = Store(url, upgrade=True)
        try:
            yield store, [saved.document_id for saved in store.save_batch(arrivals)]
        finally:
            store.close()
    finally:
        if kind == "postgresql":
            drop_pg_database(url)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def spread_store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    with filled_store(request.param, tmp_path_factory.mktemp("spread"), spread_arrivals()) as (store, doc_ids):
        store.ids = doc_ids  # type: ignore[attr-defined]
        yield store


@pytest.fixture
def small_window(monkeypatch: pytest.MonkeyPatch) -> int:
    import archiver.store.search as search_module

    monkeypatch.setattr(search_module, "RANK_WINDOW", SMALL_WINDOW)
    return SMALL_WINDOW


def test_phrase_of_common_words_finds_old_and_new_matches(spread_store: Store, small_window: int) -> None:
    expected = {spread_store.ids[i] for i in PHRASE_AT}  # type: ignore[attr-defined]
    assert set(ids(search(spread_store, '"city council"', limit=100))) == expected
    assert search(spread_store, '"council city"') == []


def test_exclusion_among_many_candidates(spread_store: Store, small_window: int) -> None:
    expected = {spread_store.ids[i] for i in NO_BRIDGE_AT}  # type: ignore[attr-defined]
    assert set(ids(search(spread_store, "storm -bridge", limit=100))) == expected
    assert set(ids(search(spread_store, '"the storm" -"bridge stayed"', limit=100))) == expected


def test_window_is_the_newest_matches_across_both_parts(spread_store: Store, small_window: int) -> None:
    all_ids: list[int] = spread_store.ids  # type: ignore[attr-defined]
    # A word in every document: the window is the newest SMALL_WINDOW ids.
    assert set(ids(search(spread_store, "storm", limit=1000))) == set(all_ids[-small_window:])
    # A word in every other document: the newest SMALL_WINDOW of those, older than the first part's ids.
    for word, positions in (
        ("even", range(0, SPREAD_N, 2)),  # fills the window in the newest slice
        ("fifth", range(0, SPREAD_N, 5)),  # needs the second slice
        ("late", [i for i in range(SPREAD_N) if i >= SPREAD_N - 40 or i % 40 == 0]),  # and the older ids
    ):
        expected = {all_ids[i] for i in positions}
        assert set(ids(search(spread_store, word, limit=1000))) == set(sorted(expected)[-small_window:]), word
    # A phrase found in few documents, with a filter: still all of them.
    rows = search(spread_store, '"city council" OR storm', Filters(source="spread"), limit=3)
    assert len(rows) == 3


WINDOW_QUERIES = ["storm", "even", "fifth", "late", '"city council"', "storm -bridge", "city OR zzz", "evén*", "zzz"]


@pytest.mark.parametrize("spread_store", ["postgresql"], indirect=True)  # only PostgreSQL searches in slices
def test_postgresql_ranks_exactly_the_newest_window(spread_store: Store, small_window: int) -> None:
    """Search in slices returns what one plain statement over the newest window returns, scores included."""
    assert spread_store.dialect == "postgresql"
    reference = text(
        "SELECT id, ts_rank_cd(search, q) AS score FROM (SELECT id, search FROM documents, to_tsquery('simple', :q) q"
        " WHERE search @@ q ORDER BY id DESC LIMIT :window) w, to_tsquery('simple', :q) q"
        " ORDER BY score DESC, id LIMIT :limit"
    )
    for query in WINDOW_QUERIES:
        with spread_store.engine.connect() as conn:
            params = {"q": parse(query).tsquery(), "window": small_window, "limit": 30}
            expected = [(i, round(float(s), 6)) for i, s in conn.execute(reference, params)]
        assert [(r["id"], r["score"]) for r in search(spread_store, query, limit=30)] == expected, query


# ------------------------------------------------------------------ export: every character survives

AWKWARD_AUTHOR = 'O\'Brien \\ "Bob"\n\x01'


def awkward_title(i: int) -> str:
    return f'Title "{i}" \\ \t\v'


AWKWARD_BODIES = [
    'He said "stop" \\ then left.\n\nA tab\there, a return\r, a form feed\f, a backspace\b.',
    "A vertical tab\vand bell\x07, unit separator\x1f, escape\x1b, DEL\x7f.",
    "Looks like an escape but is text: \\v \\n \\t \\\\ \\N \\.",
    "Accents é ü ß, emoji 😀, line separator \u2028, paragraph separator \u2029, CJK 東京.",
    '{"json": "inside", "a": [1, 2]}',
    "\\",
    '"',
]


def awkward_arrivals() -> list[Arrival]:
    template = arrival("Titre\n\nUn texte de départ.\n\nUne autre phrase ici.\n".encode(), "t.txt", source="odd")
    arrivals = []
    for i, body in enumerate(AWKWARD_BODIES):
        raw = body.encode()
        document = dataclasses.replace(
            template.document,
            body=body,
            metadata=dataclasses.replace(template.document.metadata, title=awkward_title(i), author=AWKWARD_AUTHOR),
            content_hash=hashlib.sha256(raw).hexdigest(),
            sketch=(),
            block_hashes=(),
        )
        arrivals.append(
            Arrival(f"a{i}.txt", "odd", len(raw), i, hashlib.sha256(raw).hexdigest(), compress(raw), document)
        )
    return arrivals


@pytest.fixture(params=["sqlite", "postgresql"])
def awkward_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    with filled_store(request.param, tmp_path, awkward_arrivals()) as (store, _):
        yield store


def test_export_jsonl_keeps_every_character(awkward_store: Store) -> None:
    lines = list(iter_export_jsonl(awkward_store))
    assert all(b"\n" not in line and b"\r" not in line for line in lines)  # one line each
    rows = [json.loads(line) for line in lines]
    assert [r["body"] for r in rows] == AWKWARD_BODIES
    assert rows == list(iter_export(awkward_store))
    assert [r["title"] for r in rows] == [awkward_title(i) for i in range(len(AWKWARD_BODIES))]
    assert {r["author"] for r in rows} == {AWKWARD_AUTHOR}


# ------------------------------------------------------------------ upgrading an archive made by 0001


def migrate(url: str, revision: str, *, down: bool = False) -> None:
    from alembic import command
    from alembic.config import Config

    from archiver.store.engine import MIGRATIONS, make_engine

    engine = make_engine(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            (command.downgrade if down else command.upgrade)(config, revision)
    finally:
        engine.dispose()


def vector_storage(store: Store) -> tuple[str, int]:
    """The `search` column's storage, and how many values its table keeps out of line (in TOAST)."""
    with store.engine.connect() as conn:
        storage = conn.execute(
            text("SELECT attstorage FROM pg_attribute WHERE attrelid = 'documents'::regclass AND attname = 'search'")
        ).scalar_one()
        toast = conn.execute(
            text("SELECT reltoastrelid::regclass::text FROM pg_class WHERE relname = 'documents'")
        ).scalar_one()
        values = conn.execute(text(f"SELECT count(DISTINCT chunk_id) FROM {toast}")).scalar_one()
    return str(storage), int(values)


def wordy_arrivals(n: int) -> list[Arrival]:
    """Documents of 400 different words: bodies and vectors both too large to stay in a row under 0001."""
    template = arrival("Titre\n\nUn texte de départ.\n\nUne autre phrase ici.\n".encode(), "t.txt", source="wordy")
    out = []
    for i in range(n):
        body = f"Wordy {i}. " + " ".join(f"w{i}x{k}y{k * 7919 % 1000}" for k in range(400)) + " common words here"
        raw = body.encode()
        document = dataclasses.replace(
            template.document, body=body, content_hash=hashlib.sha256(raw).hexdigest(), sketch=(), block_hashes=()
        )
        out.append(Arrival(f"w{i}.txt", "wordy", len(raw), i, hashlib.sha256(raw).hexdigest(), compress(raw), document))
    return out


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_upgrade_from_0001_keeps_documents_and_answers(kind: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'archive.db'}" if kind == "sqlite" else create_pg_database()
    try:
        migrate(url, "0001")
        store = Store(url)  # the archive as 0001 made it, documents written before the upgrade
        corpus = fill(store)
        store.save_batch(wordy_arrivals(20))
        queries = ["employes", '"chemin de fer"', "employes -poste", "ferrov*", "wordy", '"common words"', "w3x5y*"]
        before = {q: search(store, q, limit=50) for q in queries}
        exported = list(iter_export_jsonl(store))
        if kind == "postgresql":
            storage, out_of_line = vector_storage(store)
            assert storage == "x" and out_of_line >= 40  # each wordy document's body and vector
        store.close()

        store = Store(url, upgrade=True)  # what `archiver run` does on start
        try:
            with store.engine.connect() as conn:
                assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0004"
            assert {q: search(store, q, limit=50) for q in queries} == before
            assert before["employes"] and before["wordy"] and before['"common words"']
            assert list(iter_export_jsonl(store)) == exported
            assert ids(search(store, "hopital")) == [corpus.ids["hopital"]]
            if kind == "postgresql":
                storage, out_of_line = vector_storage(store)
                assert storage == "m" and out_of_line == 20  # the bodies only: the vectors are in their rows
                store.save_batch(wordy_arrivals(25)[20:])  # rows written after the upgrade too
                assert vector_storage(store) == ("m", 25)
                assert len(search(store, "wordy", limit=100)) == 25
        finally:
            store.close()
        if kind == "postgresql":
            migrate(url, "0001", down=True)
            store = Store(url)
            try:
                assert vector_storage(store)[0] == "x"
                assert len(search(store, "wordy", limit=100)) == 25
            finally:
                store.close()
    finally:
        if kind == "postgresql":
            drop_pg_database(url)


# ------------------------------------------------------------------ search vectors built by the writer (PostgreSQL)

# PostgreSQL only (SQLite's FTS5 indexes the text itself): these run on the shared archive on PostgreSQL alone.
PG_ONLY = pytest.mark.parametrize("module_database_url", ["postgresql"], indirect=True)

# What `documents.search` was generated as until migration 0003.
OLD_SEARCH_EXPRESSION = """setweight(to_tsvector('simple', archiver_unaccent(coalesce({t}, ''))), 'A') ||
    setweight(to_tsvector('simple', archiver_unaccent(coalesce({a}, ''))), 'B') ||
    setweight(to_tsvector('simple', archiver_unaccent(left({b}, 500000))), 'C')"""


@PG_ONLY
def test_python_vector_equals_the_old_generated_one_for_ordinary_text(store: Store) -> None:
    from archiver.store.tsvector import search_vector

    title, author = "Les employés de l'hôpital", "Jürgen Müller"
    body = (
        "Straße, ŒUVRE et Éléphant: l'économie a progressé mardi; the council's budget (schools, libraries) "
        "was approved again. Les employés, les employés!\n\nDeuxième paragraphe, 2024 et 17 voix."
    )
    expression = OLD_SEARCH_EXPRESSION.format(t=":t", a=":a", b=":b")
    with store.engine.connect() as conn:
        same = conn.execute(
            text(f"SELECT CAST(:v AS tsvector) = ({expression})"),
            {"v": search_vector(title, author, body), "t": title, "a": author, "b": body},
        ).scalar_one()
    assert same


@PG_ONLY
def test_every_word_the_old_vector_held_is_still_found(store: Store) -> None:
    """Search-equivalence on the known archive: each word PostgreSQL's parser indexed matches the new vector."""
    expression = OLD_SEARCH_EXPRESSION.format(t="title", a="author", b="body")
    with store.engine.connect() as conn:
        rows = conn.execute(text(f"SELECT id, tsvector_to_array({expression}) FROM documents")).all()
        assert rows
        for doc_id, lexemes in rows:
            for lexeme in lexemes:
                words = parse(lexeme)  # "chemin-de-fer" is a phrase of its parts, "3.14" of "3" and "14"
                found = conn.execute(
                    text("SELECT search @@ to_tsquery('simple', :q) FROM documents WHERE id = :id"),
                    {"q": words.tsquery(), "id": doc_id},
                ).scalar_one()
                assert found, (doc_id, lexeme)


@PG_ONLY
def test_documents_are_found_through_the_vector_the_writer_stored(store: Store, corpus: Corpus) -> None:
    with store.engine.connect() as conn:
        generated = conn.execute(
            text("SELECT attgenerated FROM pg_attribute WHERE attrelid = 'documents'::regclass AND attname = 'search'")
        ).scalar_one()
        missing = conn.execute(text("SELECT count(*) FROM documents WHERE search IS NULL")).scalar_one()
    assert generated == "" and missing == 0
    assert ids(search(store, '"chemin de fer"')) == ids(search(store, "chemin-de-fer"))
