"""search, list_documents, iter_export and stats on a known archive, on SQLite and on PostgreSQL."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tracemalloc
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

from .conftest import Corpus, arrival, create_pg_database, drop_pg_database, failed_dir_with


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
