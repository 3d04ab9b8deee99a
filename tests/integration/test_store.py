"""The store on both databases: identity, idempotency, near-duplicates, identity across learning."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from archiver.pipeline import process
from archiver.pipeline.identity import block_hash
from archiver.store.models import DOCS, INGESTIONS, REMOVED, SKETCHES
from archiver.store.repository import Arrival, Store, compress
from archiver.store.search import search

STOCK = "Tide tables for the week are printed on the back page with the ferry timetable and the weather."


def arrival(raw: bytes, name: str, *, learned: frozenset[str] = frozenset(), mtime_ns: int = 1) -> Arrival:
    document = process(raw, source="gazette", learned=learned)
    return Arrival(name, "gazette", len(raw), mtime_ns, hashlib.sha256(raw).hexdigest(), compress(raw), document)


def text(n: int) -> bytes:
    return (
        f"Harbour report {n}\n\nThe council approved plan number {n} for the harbour on Tuesday after long talks "
        f"with the unions, the port authority and the fishermen of the northern coast.\n\n{STOCK}\n\n"
        f"A decision on the second part of plan {n} is expected before the summer, officials said.\n"
    ).encode()


def test_a_copy_arriving_after_learning_is_still_the_same_document(database_url: str) -> None:
    store = Store(database_url, upgrade=True)
    raw = text(1)
    (first,) = store.save_batch([arrival(raw, "a.txt")])
    learned = frozenset({block_hash(STOCK)})
    later = arrival(raw, "b.txt", learned=learned)
    assert later.document.content_hash != process(raw, source="gazette").content_hash  # the body did change
    (second,) = store.save_batch([later])
    assert second.status == "duplicate" and second.document_id == first.document_id
    (third,) = store.save_batch([arrival(text(2), "c.txt", learned=learned)])  # a new article stays new
    assert third.status == "new"
    store.close()


def test_every_field_of_an_ingestion_reads_back_as_written(database_url: str) -> None:
    """The writer's bulk inserts bypass SQLAlchemy's per-row processing on SQLite: values must still be
    stored as SQLAlchemy stores them (dates in its text format, booleans as 0/1, originals as blobs)."""
    store = Store(database_url, upgrade=True)
    raw = "Caf\u00e9 report\n\nThe council approved the plan on Tuesday.\n\nShare this article\n".encode("cp1252")
    when = datetime(2025, 6, 2, 8, 30, 15, 123456, tzinfo=UTC)
    sent = replace(arrival(raw, "a.txt", mtime_ns=1_700_000_000_500_000_000), received_at=when)
    (saved,) = store.save_batch([sent])
    with store.engine.connect() as conn:
        row = conn.execute(select(INGESTIONS).where(INGESTIONS.c.document_id == saved.document_id)).mappings().one()
        removed = conn.execute(select(REMOVED.c.position, REMOVED.c.reason, REMOVED.c.text)).all()
        sketch = {v for (v,) in conn.execute(select(SKETCHES.c.value))}
        at_that_time = conn.execute(
            select(func.count())
            .select_from(INGESTIONS)
            .where(INGESTIONS.c.received_at >= when, INGESTIONS.c.received_at <= when)
        ).scalar_one()
    assert row["received_at"].replace(tzinfo=UTC) == when
    assert at_that_time == 1  # compared as the time it is, not as text in another format
    assert (row["file_name"], row["folder"], row["size"], row["mtime"]) == ("a.txt", "gazette", len(raw), 1.7e9 + 0.5)
    assert (row["raw_sha256"], row["encoding"]) == (sent.raw_sha256, sent.document.encoding)
    assert row["mojibake_repaired"] is False and row["confidence"] == sent.document.confidence
    assert row["idempotency_key"] == sent.idempotency_key
    assert store.original(saved.document_id) == raw
    assert removed == [(r.position, r.reason, r.text) for r in sent.document.removed] != []
    assert sketch == set(sent.document.sketch)
    store.close()


def test_every_field_of_a_document_reads_back_as_written(database_url: str) -> None:
    """New documents go to the driver's executemany on SQLite, their ids given by the writer: every field must
    read back as SQLAlchemy writes it (dates, JSON), the ids follow on from the largest, and search finds them."""
    store = Store(database_url, upgrade=True)
    (first,) = store.save_batch([arrival(text(1), "a.txt")])
    raw = "Caf\u00e9 harbour report\n\nBy Jane Doe\n\nThe council approved the caf\u00e9 plan on Tuesday.\n".encode()
    overrides = {"title": "Caf\u00e9 plan", "published": date(2024, 3, 5), "tags": ["port", "caf\u00e9"]}
    document = process(raw, source="gazette", overrides=overrides)
    sent = Arrival(
        "b.txt",
        "gazette",
        len(raw),
        1,
        hashlib.sha256(raw).hexdigest(),
        compress(raw),
        document,
        overrides={"title": "Caf\u00e9 plan", "published": "2024-03-05", "tags": ["port", "caf\u00e9"]},
    )
    second, third = store.save_batch([sent, arrival(text(3), "c.txt")])
    assert (second.document_id, third.document_id) == (first.document_id + 1, first.document_id + 2)
    row = store.document(second.document_id)
    assert (row["title"], row["author"], row["published"]) == ("Caf\u00e9 plan", document.metadata.author, "2024-03-05")
    assert (row["language"], row["source"], row["tags"]) == (
        document.metadata.language,
        "gazette",
        ["port", "caf\u00e9"],
    )
    assert (row["body"], row["word_count"], row["content_hash"]) == (
        document.body,
        document.word_count,
        document.content_hash,
    )
    assert row["created_at"] == row["updated_at"] and row["near_duplicate_of"] is None
    with store.engine.connect() as conn:
        stored_overrides = conn.execute(select(DOCS.c.overrides).where(DOCS.c.id == second.document_id)).scalar_one()
        newer = conn.execute(
            select(func.count()).select_from(DOCS).where(DOCS.c.published > date(2024, 3, 4))
        ).scalar_one()
    assert stored_overrides == sent.overrides
    assert newer == 1  # compared as a date, not as text in another format
    assert [r["id"] for r in search(store, "cafe plan")] == [second.document_id]
    store.close()


def test_near_duplicate_is_linked_not_merged(database_url: str) -> None:
    store = Store(database_url, upgrade=True)
    body = " ".join(f"word{i % 97} term{i % 89} item{i % 83}" for i in range(150))
    original = f"A long report\n\n{body}.\n".encode()
    edited = original.replace(b"word5 term5", b"changed words", 1)
    (a,) = store.save_batch([arrival(original, "a.txt")])
    (b,) = store.save_batch([arrival(edited, "b.txt")])
    assert a.status == b.status == "new"
    assert b.near_duplicate_of == a.document_id
    assert store.counts()["documents"] == 2
    store.close()


def test_migration_0004_computes_every_sketch_again(database_url: str) -> None:
    """Sketches written by an earlier version are replaced by today's: its documents are found again."""
    from sqlalchemy import delete, insert, select

    from archiver.pipeline.identity import sketch
    from archiver.store.models import DOCS, SKETCHES

    _migrate(database_url, "0003")
    store = Store(database_url)
    body = " ".join(f"word{i % 97} term{i % 89} item{i % 83}" for i in range(150))
    original = f"A long report\n\n{body}.\n".encode()
    (a,) = store.save_batch([arrival(original, "a.txt")])
    with store.engine.begin() as conn:  # keys of another kind, as the earlier version computed them
        conn.execute(delete(SKETCHES))
        conn.execute(insert(SKETCHES), [{"document_id": a.document_id, "value": v} for v in (11, 12, 13, 14)])
    store.close()

    store = Store(database_url, upgrade=True)
    with store.engine.connect() as conn:
        stored = set(conn.execute(select(SKETCHES.c.value).where(SKETCHES.c.document_id == a.document_id)).scalars())
        archived = conn.execute(select(DOCS.c.body).where(DOCS.c.id == a.document_id)).scalar_one()
    assert stored == set(sketch(archived)) and len(stored) == 4
    (b,) = store.save_batch([arrival(original.replace(b"word5 term5", b"changed words", 1), "b.txt")])
    assert b.status == "new" and b.near_duplicate_of == a.document_id
    store.close()


def _migrate(url: str, revision: str, *, down: bool = False) -> None:
    """Bring the schema to `revision` (alembic, as `archiver db upgrade` does for the head)."""
    from alembic import command
    from alembic.config import Config

    from archiver.store.engine import MIGRATIONS, make_engine

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    engine = make_engine(url)
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)
        connection.commit()
    engine.dispose()


def test_an_archive_at_0002_upgrades_and_still_finds_its_documents(pg_url: str) -> None:
    from sqlalchemy import text as sql

    from archiver.store.search import search

    _migrate(pg_url, "0002")
    store = Store(pg_url)
    with store.engine.begin() as conn:  # rows as 0002 wrote them: the vector generated by PostgreSQL
        conn.execute(
            sql(
                "INSERT INTO documents (content_hash, title, author, tags, body, word_count, created_at, updated_at) "
                "VALUES (:h, :t, 'Jürgen Müller', '[]', :b, 9, now(), now())"
            ),
            [
                {"h": "a" * 64, "t": "Harbour report", "b": "The council approved the plan for the harbour."},
                {"h": "b" * 64, "t": "Les employés", "b": "Les employés de l'hôpital sont en grève."},
            ],
        )
    before = {q: [r["id"] for r in search(store, q)] for q in ("harbour", "employes", "muller", '"l hopital"')}
    assert all(before.values())
    store.upgrade()
    assert {q: [r["id"] for r in search(store, q)] for q in before} == before
    with store.engine.connect() as conn:
        generated = conn.execute(
            sql("SELECT attgenerated FROM pg_attribute WHERE attrelid = 'documents'::regclass AND attname = 'search'")
        ).scalar_one()
        index = conn.execute(sql("SELECT to_regclass('ix_documents_search') IS NOT NULL")).scalar_one()
    assert generated == "" and index
    (saved,) = store.save_batch([arrival(text(1), "new.txt")])
    assert [r["id"] for r in search(store, '"harbour report 1"')] == [saved.document_id]
    with store.engine.begin() as conn:  # a daemon of the previous version, still running, inserts no vector
        conn.execute(
            sql(
                "INSERT INTO documents (content_hash, title, tags, body, word_count, created_at, updated_at) "
                "VALUES (:h, 'Lighthouse', '[]', 'The keepers of the lighthouse left.', 6, now(), now())"
            ),
            {"h": "c" * 64},
        )
    assert len(search(store, "keepers lighthouse")) == 1
    store.close()
    _migrate(pg_url, "0002", down=True)  # the generated column comes back, computed for every row
    store = Store(pg_url)
    for query, found in before.items():
        assert set(found) <= {r["id"] for r in search(store, query)}
    assert [r["id"] for r in search(store, "fishermen")] == [saved.document_id]
    store.close()


def test_reprocess_and_repair_keep_the_search_index_current(database_url: str) -> None:
    from sqlalchemy import text as sql

    from archiver.store.maintenance import ReprocessReport, apply_reprocessed, check
    from archiver.store.search import search

    store = Store(database_url, upgrade=True)
    (saved,) = store.save_batch([arrival(text(1), "a.txt")])
    changed = text(1).replace(b"fishermen", b"lighthouse keepers")
    apply_reprocessed(store, saved.document_id, process(changed, source="gazette"), ReprocessReport())
    assert [r["id"] for r in search(store, '"lighthouse keepers"')] == [saved.document_id]
    assert search(store, "fishermen") == []
    if store.dialect == "postgresql":  # a row written without a vector (by psql, say) is found again after repair
        with store.engine.begin() as conn:
            conn.execute(sql("UPDATE documents SET search = NULL"))
        assert any("full-text index" in p for p in check(store))
        assert any("repaired" in p for p in check(store, repair=True))
        assert check(store) == []
        assert [r["id"] for r in search(store, "lighthouse")] == [saved.document_id]
    store.close()


def test_the_writer_stores_the_search_vector_a_worker_built(pg_url: str, tmp_path: Path) -> None:
    """On PostgreSQL the workers build each document's search vector; the writer stores it as it is."""
    from sqlalchemy import text as sql

    from archiver.inbox import Claim
    from archiver.store.tsvector import search_vector
    from archiver.worker import Task, run_task

    assert not Store(f"sqlite:///{tmp_path / 'a.db'}", upgrade=True).writes_search()
    store = Store(pg_url, upgrade=True)
    assert store.writes_search()
    path = tmp_path / "harbour.txt"
    path.write_bytes(text(1))
    made = run_task(Task(Claim(path, "harbour.txt"), max_bytes=1 << 20, timeout=0, with_search=True))
    assert isinstance(made, Arrival)
    meta = made.document.metadata
    assert made.search == search_vector(meta.title, meta.author, made.document.body)
    stand_in = search_vector("Stand-in", None, "lighthouse keeper")  # not built again: stored as handed over
    (saved,) = store.save_batch([replace(made, search=stand_in)])
    with store.engine.connect() as conn:
        stored, expected = conn.execute(
            sql("SELECT search::text, CAST(:v AS tsvector)::text FROM documents WHERE id = :id"),
            {"v": stand_in, "id": saved.document_id},
        ).one()
    assert stored == expected
    store.close()


def test_a_changed_body_is_compared_as_it_is_now(database_url: str) -> None:
    """The writer keeps the shingles of documents it compared; once a body changes (`archiver reprocess`),
    the document is compared as it is now, not as it was."""
    from sqlalchemy import update

    from archiver.store.models import DOCS

    store = Store(database_url, upgrade=True)
    body = " ".join(f"word{i % 97} term{i % 89} item{i % 83}" for i in range(150))
    original = f"A long report\n\n{body}.\n".encode()
    (o,) = store.save_batch([arrival(original, "o.txt")])
    (v1,) = store.save_batch([arrival(original.replace(b"word5 term5", b"changed words", 1), "v1.txt")])
    assert v1.near_duplicate_of == o.document_id  # both bodies' shingles are now in the writer's cache
    with store.engine.begin() as conn:
        conn.execute(
            update(DOCS)
            .where(DOCS.c.id == o.document_id)
            .values(body="Something else entirely. " * 40, content_hash="0" * 64)
        )
    (v2,) = store.save_batch([arrival(original.replace(b"word60 term60", b"other words", 1), "v2.txt")])
    assert v2.status == "new" and v2.near_duplicate_of == v1.document_id
    store.close()


def test_every_sqlite_connection_caches_more_pages_than_sqlites_default(tmp_path: Path) -> None:
    """The writer's random inserts into the hash indexes read their pages back from the cache, not the file."""
    from sqlalchemy import text as sql

    from archiver.store.engine import SQLITE_CACHE_KIB

    store = Store(f"sqlite:///{tmp_path / 'archive.db'}", upgrade=True)
    with store.engine.connect() as first, store.engine.connect() as second:
        for conn in (first, second):
            assert conn.execute(sql("PRAGMA cache_size")).scalar() == -SQLITE_CACHE_KIB
    assert SQLITE_CACHE_KIB > 2000  # SQLite's default, in KiB
    store.close()


def test_sqlite_checkpoints_its_wal_in_large_steps_and_cuts_it_back(tmp_path: Path) -> None:
    """A backlog's batches do not each copy the WAL into the database; the WAL does not stay huge after."""
    from sqlalchemy import text as sql

    from archiver.store.engine import SQLITE_WAL_KEEP_BYTES, SQLITE_WAL_PAGES

    store = Store(f"sqlite:///{tmp_path / 'archive.db'}", upgrade=True)
    with store.engine.connect() as conn:
        assert conn.execute(sql("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(sql("PRAGMA wal_autocheckpoint")).scalar() == SQLITE_WAL_PAGES > 1000
        assert conn.execute(sql("PRAGMA journal_size_limit")).scalar() == SQLITE_WAL_KEEP_BYTES
    store.save_batch([arrival(text(n), f"{n}.txt") for n in range(20)])
    before = (tmp_path / "archive.db").stat().st_size  # the batch waits in the WAL, not yet copied
    store.checkpoint()  # what the writer does once idle
    assert (tmp_path / "archive.db").stat().st_size > before
    with store.engine.connect() as conn:
        busy, frames, copied = conn.execute(sql("PRAGMA wal_checkpoint(PASSIVE)")).one()
        assert busy == 0 and frames == copied  # nothing left to copy
    store.close()


def test_the_writer_checkpoints_the_wal_once_idle(tmp_path: Path) -> None:
    """After a backlog the WAL is copied into the database within a second or two, not left for readers to search."""
    import time

    from archiver.writer import IDLE_CHECKPOINT_SECONDS, Hooks, Writer

    store = Store(f"sqlite:///{tmp_path / 'archive.db'}", upgrade=True)
    stored: list[str] = []
    writer: Writer[str] = Writer(
        store,
        Hooks(lambda h, _a, _s: stored.append(h), lambda _h, _f: None, lambda _h: None),
        batch_size=50,
        batch_seconds=0.05,
        retry_max_seconds=1.0,
    )
    writer.start()
    writer.put_many([(f"{n}.txt", arrival(text(n), f"{n}.txt")) for n in range(20)])
    deadline = time.monotonic() + 10
    while len(stored) < 20 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(stored) == 20
    database = tmp_path / "archive.db"
    before = database.stat().st_size  # the documents are in the WAL only (far from 10,000 pages)
    time.sleep(IDLE_CHECKPOINT_SECONDS + 1.0)
    assert database.stat().st_size > before  # copied in by the idle writer
    writer.stop()
    writer.join(timeout=5)
    store.close()


def test_postgresql_writes_plan_key_lookups_not_table_scans(pg_url: str) -> None:
    """The writer's session keeps its foreign-key checks' plans; planned on a near-empty archive they would
    be table scans for ever after, each row of a batch reading the whole `documents` table."""
    from sqlalchemy import text as sql

    store = Store(pg_url, upgrade=True)
    store.save_batch([arrival(text(n), f"{n}.txt") for n in range(3)])
    with store.writing() as conn:
        assert conn.execute(sql("SHOW enable_seqscan")).scalar() == "off"
        plan = "\n".join(conn.execute(sql("EXPLAIN SELECT 1 FROM documents WHERE id = 1")).scalars())
    assert "Index" in plan and "Seq Scan" not in plan
    with store.engine.connect() as conn:  # other sessions (searches, the CLI) plan as PostgreSQL sees fit
        assert conn.execute(sql("SHOW enable_seqscan")).scalar() == "on"
    store.close()


def _writer_with_commits(tmp_path: Path, in_flight: list[int]) -> tuple[Any, list[int]]:
    """A writer on a real SQLite archive (batches of 40 or 50 ms), whose commits are recorded by size."""
    from archiver.writer import Hooks, Writer

    store = Store(f"sqlite:///{tmp_path / 'archive.db'}", upgrade=True)
    commits: list[int] = []
    saved = store.save_batch

    def save_and_count(arrivals: Any) -> Any:
        commits.append(len(arrivals))
        return saved(arrivals)

    store.save_batch = save_and_count  # type: ignore[method-assign]
    writer: Any = Writer(
        store,
        Hooks(lambda _h, _a, _s: None, lambda _h, _f: None, lambda _h: None),
        batch_size=40,
        batch_seconds=0.05,
        retry_max_seconds=1.0,
        in_flight=lambda: in_flight[0],
    )
    writer.start()
    return writer, commits


def _feed(writer: Any, in_flight: list[int], chunks: int, every: float) -> None:
    """Results a chunk of 10 at a time, as the pool hands them over, `every` seconds apart."""
    import time

    ready = [[(f"{c}-{n}", arrival(text(100 * c + n), f"{c}-{n}.txt")) for n in range(10)] for c in range(chunks)]
    for chunk in ready:
        in_flight[0] -= 10
        writer.put_many(chunk)
        time.sleep(every)


def test_a_backlogs_results_are_committed_in_full_batches_not_every_batch_seconds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks arriving slower than batch_seconds apart, with enough files still in the pipeline to fill
    a batch: the writer waits for them (a commit per chunk would pay SQLite's per-commit work each time)."""
    import archiver.writer

    monkeypatch.setattr(archiver.writer, "BACKLOG_BATCH_SECONDS", 30.0)  # a loaded test machine may be slow
    in_flight = [80]
    writer, commits = _writer_with_commits(tmp_path, in_flight)
    _feed(writer, in_flight, chunks=8, every=0.12)
    writer.stop()
    writer.join(timeout=10)
    assert commits == [40, 40]


def test_a_trickle_is_committed_at_once_and_a_short_tail_after_batch_seconds(tmp_path: Path) -> None:
    in_flight = [20]  # fewer than a batch in the pipeline: no reason to wait past batch_seconds
    writer, commits = _writer_with_commits(tmp_path, in_flight)
    _feed(writer, in_flight, chunks=2, every=0.12)
    writer.stop()
    writer.join(timeout=10)
    assert commits == [10, 10]
