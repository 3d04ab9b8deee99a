"""Reads and writes of the archive. Batched Core statements: one transaction per batch of arrivals."""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import time
import uuid
import zlib
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal

import numpy as np
from sqlalchemy import Connection, Dialect, Engine, Table, bindparam, delete, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from archiver.arrival import Arrival, compress, utcnow
from archiver.errors import DatabaseUnavailable, NotFound
from archiver.pipeline.document import Document as CleanDocument
from archiver.pipeline.identity import jaccard_of, shingles
from archiver.store.engine import make_engine, upgrade_schema
from archiver.store.models import BLOCKS, DOCS, INGESTIONS, LOCKS, ORIGINALS, PG_DOCS, REMOVED, SKETCHES, iso
from archiver.store.tsvector import search_vector

NEAR_DUPLICATE_MIN_WORDS = 50
NEAR_DUPLICATE_THRESHOLD = 0.7  # Jaccard similarity of word 3-shingles
# Older documents compared exactly with a new one: those sharing the most LSH keys with it. A burst of
# issues made from one template shares keys with every earlier issue; comparing with all is quadratic.
NEAR_DUPLICATE_CANDIDATES = 8
# Documents whose shingles the writer keeps (about 7 KB each): the original of a near-duplicate is
# compared again with each later variant of it, and its body need not be read and split each time.
SHINGLE_CACHE = 1024


@dataclass(frozen=True)
class Saved:
    """What happened to one arrival: a new document, a duplicate of one, or an ingestion already on record."""

    status: Literal["new", "duplicate", "already"]
    document_id: int
    near_duplicate_of: int | None = None


class ShingleCache:
    """The shingles (identity.shingles) of recently compared documents, by (id, content hash): an entry
    stands only for the body it was computed from. Filled after a commit (a rolled-back id may be given
    to another document); the least recently used go."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[tuple[int, str], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get_many(self, keys: Iterable[tuple[int, str]]) -> dict[int, np.ndarray]:
        """id -> shingles, for the keys held."""
        with self._lock:
            found = {key: self._items[key] for key in keys if key in self._items}
            for key in found:
                self._items.move_to_end(key)
        return {doc_id: value for (doc_id, _), value in found.items()}

    def put_many(self, items: Iterable[tuple[tuple[int, str], np.ndarray]]) -> None:
        with self._lock:
            for key, value in items:
                self._items[key] = value
                self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


def is_transient(exc: BaseException) -> bool:
    """Lost connections, a database that is down or locked: worth retrying, never a reason to fail a file."""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


class Store:
    """The archive's database. Thread-safe through SQLAlchemy's pool; writes go through save_batch."""

    def __init__(self, url: str, *, upgrade: bool = False) -> None:
        self.url = url
        self.engine: Engine = make_engine(url)
        self.dialect = self.engine.dialect.name
        # Who holds a SQLite job lease: one Store, like one PostgreSQL session holds an advisory lock.
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._sets_search: bool | None = None
        self._shingles = ShingleCache(SHINGLE_CACHE)
        if upgrade:
            self.upgrade()

    def upgrade(self) -> None:
        self._sets_search = None
        try:
            upgrade_schema(self.engine)
        except (OperationalError, InterfaceError) as exc:
            raise DatabaseUnavailable(f"cannot reach the database: {_first_line(exc)}") from exc

    def sets_search(self, conn: Connection) -> bool:
        """Whether writes set `documents.search`: on PostgreSQL from migration 0003 on (before, it was generated).

        Every writer upgrades the schema first; an archive still older is written as it expects.
        """
        if self._sets_search is None:
            self._sets_search = (
                self.dialect == "postgresql"
                and conn.execute(
                    text(
                        "SELECT attgenerated = '' FROM pg_attribute"
                        " WHERE attrelid = 'documents'::regclass AND attname = 'search'"
                    )
                ).scalar()
                is True
            )
        return self._sets_search

    def writes_search(self) -> bool:
        """Whether new documents carry a search vector built in Python (see sets_search): the daemon then
        has its workers build them."""
        with self.engine.connect() as conn:
            return self.sets_search(conn)

    def close(self) -> None:
        self.engine.dispose()

    # ------------------------------------------------------------------ writes

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        with self.engine.connect() as connection:
            connection = connection.execution_options(sqlite_immediate=True)
            with connection.begin():
                if self.dialect == "postgresql":
                    # Every read a write makes is a lookup by key, and so is each foreign-key check, whose plan
                    # the session keeps. Planned while `documents` held a few pages, that plan was a sequential
                    # scan, kept as the archive grew: each removed-block and sketch row then read the whole
                    # table (backlogs at a fifth of their speed for thousands of documents; `documents`
                    # seq-scanned 180,000 times in one 20k run). Autovacuum's ANALYZE comes too late for a
                    # backlog, and an earlier one of our own made the key lookups scan small tables instead.
                    connection.execute(text("SET LOCAL enable_seqscan = off"))
                yield connection

    def _insert(self, table: Any) -> Any:
        return (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(table)

    def _insert_rows(
        self, conn: Connection, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]], *, unique: str = ""
    ) -> None:
        """INSERT `rows` (values in the order of `columns`), skipping any whose `unique` column is taken.

        SQLite: one executemany of the driver's own. Through SQLAlchemy, processing each row's parameters
        cost the writer more than SQLite's inserts themselves (a batch writes ten rows or more a document);
        the values still go through each column type's bind processor, so they are stored as SQLAlchemy
        stores them. PostgreSQL: SQLAlchemy's multi-row VALUES, a round trip per thousand rows.
        """
        if not rows:
            return
        if self.dialect != "sqlite":
            stmt = self._insert(table)
            if unique:
                stmt = stmt.on_conflict_do_nothing(index_elements=[unique])
            conn.execute(stmt, [dict(zip(columns, row, strict=True)) for row in rows])
            return
        sql, processors = _driver_insert(table, tuple(columns), unique, conn.dialect)
        if any(processors):
            rows = [
                tuple(
                    value if process is None else process(value) for process, value in zip(processors, row, strict=True)
                )
                for row in rows
            ]
        conn.exec_driver_sql(sql, rows)

    def save_batch(self, arrivals: Sequence[Arrival]) -> list[Saved]:
        """Record every arrival in one transaction; results are in the order of `arrivals`."""
        computed: list[tuple[tuple[int, str], np.ndarray]] = []
        with self.writing() as conn:
            saved = self._save(conn, arrivals, computed)
        self._shingles.put_many(computed)  # committed: those ids now hold those bodies
        return saved

    def _save(
        self, conn: Connection, arrivals: Sequence[Arrival], computed: list[tuple[tuple[int, str], np.ndarray]]
    ) -> list[Saved]:
        now = utcnow()
        keys = [a.idempotency_key for a in arrivals]
        known: dict[str, int] = dict(
            conn.execute(
                select(INGESTIONS.c.idempotency_key, INGESTIONS.c.document_id).where(
                    INGESTIONS.c.idempotency_key.in_(set(keys))
                )
            ).all()
        )
        fresh: dict[str, Arrival] = {}
        for key, arrival in zip(keys, arrivals, strict=True):
            if key not in known and key not in fresh:
                fresh[key] = arrival
        if fresh:
            self._insert_originals(conn, fresh.values())
        by_hash, created = self._document_ids(conn, list(fresh.values()), now)
        new_arrivals = [a for a in fresh.values() if by_hash[a.document.content_hash] in created]
        near = self._link_near_duplicates(conn, new_arrivals, by_hash, computed)
        # A near-duplicate's paragraphs are not evidence of boilerplate: they recur because the article does.
        self._count_blocks(conn, [a for a in new_arrivals if by_hash[a.document.content_hash] not in near])
        if fresh:
            self._insert_rows(
                conn,
                INGESTIONS,
                _INGESTION_COLUMNS,
                [
                    (
                        by_hash[a.document.content_hash],
                        a.file_name,
                        a.folder,
                        a.size,
                        a.mtime_ns / 1e9,
                        a.raw_sha256,
                        a.document.encoding,
                        a.document.confidence,
                        a.document.mojibake_repaired,
                        a.received_at,
                        key,
                    )
                    for key, a in fresh.items()
                ],
                unique="idempotency_key",
            )
        results: list[Saved] = []
        seen_keys: set[str] = set()
        seen_ids: set[int] = set()
        for key, arrival in zip(keys, arrivals, strict=True):
            if key in known or key in seen_keys:
                results.append(Saved("already", known.get(key) or by_hash[arrival.document.content_hash]))
                continue
            seen_keys.add(key)
            doc_id = by_hash[arrival.document.content_hash]
            status: Literal["new", "duplicate"] = "new" if doc_id in created and doc_id not in seen_ids else "duplicate"
            seen_ids.add(doc_id)
            results.append(Saved(status, doc_id, near.get(doc_id)))
        return results

    def _insert_originals(self, conn: Connection, arrivals: Any) -> None:
        rows = {a.raw_sha256: (a.raw_sha256, a.size, a.compressed) for a in arrivals}
        self._insert_rows(conn, ORIGINALS, ("raw_sha256", "size", "data"), list(rows.values()), unique="raw_sha256")

    def _document_ids(
        self, conn: Connection, arrivals: Sequence[Arrival], now: datetime
    ) -> tuple[dict[str, int], set[int]]:
        """content_hash -> id for every arrival, creating the documents that are new (their ids second)."""
        hashes = {a.document.content_hash for a in arrivals}
        # A body that lost learned lines is still the document archived before they were learned.
        aliases = {a.document.content_hash: a.document.unlearned_hash for a in arrivals if a.document.unlearned_hash}
        ids: dict[str, int] = {}
        if hashes:
            lookup = hashes | set(aliases.values())
            found = dict(
                conn.execute(select(DOCS.c.content_hash, DOCS.c.id).where(DOCS.c.content_hash.in_(lookup))).all()
            )
            ids.update({h: found[h] for h in hashes if h in found})
            ids.update({h: found[u] for h, u in aliases.items() if h not in ids and u in found})
        rows: dict[str, dict[str, Any]] = {}
        for a in arrivals:
            h = a.document.content_hash
            if h not in ids and h not in rows:
                rows[h] = document_row(a.document, now, a.overrides, search=self.sets_search(conn), vector=a.search)
        created: set[int] = set()
        if rows:
            table = PG_DOCS if self.sets_search(conn) else DOCS
            stmt = (
                self._insert(table)
                .on_conflict_do_nothing(index_elements=["content_hash"])
                .returning(table.c.id, table.c.content_hash)
            )
            for doc_id, h in conn.execute(stmt, list(rows.values())).all():
                ids[h] = doc_id
                created.add(doc_id)
            missing = set(rows) - ids.keys()  # another daemon created them meanwhile
            if missing:
                ids.update(
                    conn.execute(select(DOCS.c.content_hash, DOCS.c.id).where(DOCS.c.content_hash.in_(missing))).all()
                )
            by_id = {ids[h]: h for h in rows if ids[h] in created}
            first = {a.document.content_hash: a for a in reversed(arrivals)}
            removed = [
                (doc_id, r.position, r.reason, r.text) for doc_id, h in by_id.items() for r in first[h].document.removed
            ]
            self._insert_rows(conn, REMOVED, ("document_id", "position", "reason", "text"), removed)
            sketch_rows = [(doc_id, value) for doc_id, h in by_id.items() for value in set(first[h].document.sketch)]
            self._insert_rows(conn, SKETCHES, ("document_id", "value"), sketch_rows)
        return ids, created

    def _link_near_duplicates(
        self,
        conn: Connection,
        arrivals: Sequence[Arrival],
        by_hash: dict[str, int],
        computed: list[tuple[tuple[int, str], np.ndarray]],
    ) -> dict[int, int]:
        """Link each new document to the most similar older one when a few words are all that differ.

        Candidates share an LSH band key with it (older documents, or earlier ones in this batch);
        each is confirmed by the exact Jaccard similarity of the two bodies. The shingles computed here
        are added to `computed`, for the cache once the batch has committed.
        """
        candidates = [a for a in arrivals if a.document.word_count >= NEAR_DUPLICATE_MIN_WORDS and a.document.sketch]
        if not candidates:
            return {}
        keys = {v for a in candidates for v in a.document.sketch}
        sharing: dict[int, set[int]] = {}
        for doc_id, key in conn.execute(
            select(SKETCHES.c.document_id, SKETCHES.c.value).where(SKETCHES.c.value.in_(keys))
        ).all():
            sharing.setdefault(key, set()).add(doc_id)
        others = {
            a_id: _most_shared(a.document.sketch, sharing, a_id)
            for a in candidates
            for a_id in [by_hash[a.document.content_hash]]
        }
        wanted = set().union(*others.values())
        if not wanted:
            return {}
        # A cached body is used only while the document still has it (`archiver reprocess` may change it).
        current = dict(conn.execute(select(DOCS.c.id, DOCS.c.content_hash).where(DOCS.c.id.in_(wanted))).all())
        known = self._shingles.get_many(current.items())
        missing = current.keys() - known.keys()
        if missing:
            for other, body in conn.execute(select(DOCS.c.id, DOCS.c.body).where(DOCS.c.id.in_(missing))).all():
                known[other] = shingles(body)
                computed.append(((other, current[other]), known[other]))
        links: dict[int, int] = {}
        similarity: dict[int, float] = {}
        for arrival in candidates:
            doc_id = by_hash[arrival.document.content_hash]
            if not others[doc_id]:
                continue
            mine = shingles(arrival.document.body)
            computed.append(((doc_id, arrival.document.content_hash), mine))
            scored = [(jaccard_of(mine, known[o]), o) for o in others[doc_id] if o in known]
            if not scored:
                continue
            score, other = max(scored)
            if score >= NEAR_DUPLICATE_THRESHOLD:
                links[doc_id] = other
                similarity[doc_id] = round(score, 3)
        if links:
            conn.execute(
                update(DOCS)
                .where(DOCS.c.id == bindparam("doc_id"))
                .values(near_duplicate_of=bindparam("other"), similarity=bindparam("score")),
                [{"doc_id": d, "other": o, "score": similarity[d]} for d, o in links.items()],
            )
        return links

    def _count_blocks(self, conn: Connection, arrivals: Sequence[Arrival]) -> None:
        """Evidence for learned boilerplate: each paragraph hash counted once per new document of a source."""
        counts: Counter[tuple[str, str]] = Counter()
        for a in arrivals:
            if a.document.metadata.source:
                for h in set(a.document.block_hashes):
                    counts[(a.document.metadata.source, h)] += 1
        if not counts:
            return
        stmt = self._insert(BLOCKS)
        stmt = stmt.on_conflict_do_update(
            index_elements=["source", "block_hash"],
            set_={"documents": BLOCKS.c.documents + stmt.excluded.documents},
        )
        conn.execute(
            stmt,
            [{"source": s, "block_hash": h, "documents": n, "learned": False} for (s, h), n in sorted(counts.items())],
        )

    def checkpoint(self) -> None:
        """SQLite: copy what the WAL holds into the database now, waiting for no one (PASSIVE). The writer
        calls it once idle; PostgreSQL has nothing to do."""
        if self.dialect != "sqlite":
            return
        connection = self.engine.raw_connection()  # outside any transaction: autocommit, as set on connect
        try:
            raw = connection.driver_connection
            if raw is not None:
                raw.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        finally:
            connection.close()

    # ------------------------------------------------------------------ learned boilerplate

    def optimize_index(self) -> None:
        """Merge the full-text index's segments (SQLite FTS5) or refresh the planner's statistics (PostgreSQL)."""
        with self.writing() as conn:
            if self.dialect == "sqlite":
                conn.execute(text("INSERT INTO documents_fts(documents_fts) VALUES ('optimize')"))
            else:
                conn.execute(text("ANALYZE documents"))

    def refresh_learned(self, min_documents: int) -> int:
        """Mark paragraphs seen in at least `min_documents` different documents of a source; returns how many."""
        with self.writing() as conn:
            conn.execute(update(BLOCKS).values(learned=BLOCKS.c.documents >= min_documents))
            return int(conn.execute(select(func.count()).select_from(BLOCKS).where(BLOCKS.c.learned)).scalar_one())

    def learned_blocks(self) -> dict[str, frozenset[str]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(BLOCKS.c.source, BLOCKS.c.block_hash).where(BLOCKS.c.learned)).all()
        by_source: dict[str, set[str]] = {}
        for source, block in rows:
            by_source.setdefault(source, set()).add(block)
        return {source: frozenset(blocks) for source, blocks in by_source.items()}

    # ------------------------------------------------------------------ reads

    def document(self, document_id: int) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = conn.execute(select(DOCS).where(DOCS.c.id == document_id)).mappings().first()
            if row is None:
                raise NotFound(f"no document with id {document_id}")
            result = document_dict(row)
            result["removed"] = [
                dict(r)
                for r in conn.execute(
                    select(REMOVED.c.position, REMOVED.c.reason, REMOVED.c.text)
                    .where(REMOVED.c.document_id == document_id)
                    .order_by(REMOVED.c.position)
                ).mappings()
            ]
            result["ingestions"] = [
                ingestion_dict(r)
                for r in conn.execute(
                    select(INGESTIONS).where(INGESTIONS.c.document_id == document_id).order_by(INGESTIONS.c.id)
                ).mappings()
            ]
        return result

    def original(self, document_id: int) -> bytes:
        """The bytes of the document's first ingestion, exactly as dropped."""
        with self.engine.connect() as conn:
            data = conn.execute(
                select(ORIGINALS.c.data)
                .join(INGESTIONS, INGESTIONS.c.raw_sha256 == ORIGINALS.c.raw_sha256)
                .where(INGESTIONS.c.document_id == document_id)
                .order_by(INGESTIONS.c.id)
                .limit(1)
            ).scalar()
        if data is None:
            raise NotFound(f"no document with id {document_id}")
        return zlib.decompress(data)

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            documents = conn.execute(select(func.count()).select_from(DOCS)).scalar_one()
            ingestions = conn.execute(select(func.count()).select_from(INGESTIONS)).scalar_one()
        return {
            "documents": int(documents),
            "ingestions": int(ingestions),
            "duplicates": int(ingestions - documents),
        }

    def ingestion_exists(self, key: str) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(select(INGESTIONS.c.id).where(INGESTIONS.c.idempotency_key == key)).first() is not None

    # ------------------------------------------------------------------ singleton jobs

    @contextmanager
    def job_lock(self, name: str, ttl: float) -> Iterator[bool]:
        """Yields True in the one process that may run job `name` now (advisory lock; a lease row on SQLite)."""
        if self.dialect == "postgresql":
            key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
            with self.engine.connect() as conn:
                got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
                conn.commit()
                try:
                    yield got
                finally:
                    if got:
                        conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                        conn.commit()
            return
        holder = self.holder
        now = time.time()
        with self.writing() as conn:
            row = conn.execute(select(LOCKS.c.holder, LOCKS.c.expires_at).where(LOCKS.c.name == name)).first()
            got = row is None or row.expires_at < now or row.holder == holder
            if got:
                conn.execute(delete(LOCKS).where(LOCKS.c.name == name))
                conn.execute(insert(LOCKS).values(name=name, holder=holder, expires_at=now + ttl))
        try:
            yield got
        finally:
            if got:
                with self.writing() as conn:
                    conn.execute(delete(LOCKS).where(LOCKS.c.name == name, LOCKS.c.holder == holder))


def document_row(
    document: CleanDocument,
    now: datetime,
    overrides: dict[str, Any] | None = None,
    *,
    search: bool = False,
    vector: str | None = None,
) -> dict[str, Any]:
    """The `documents` row of a new document; with `search` (PostgreSQL), its search vector too: `vector`
    when a worker built it, else built here."""
    meta = document.metadata
    row = {
        "overrides": overrides,
        "content_hash": document.content_hash,
        "title": meta.title,
        "author": meta.author,
        "published": meta.published,
        "language": meta.language,
        "source": meta.source,
        "tags": list(meta.tags),
        "body": document.body,
        "word_count": document.word_count,
        "created_at": now,
        "updated_at": now,
    }
    if search:
        row["search"] = vector if vector is not None else search_vector(meta.title, meta.author, document.body)
    return row


def document_dict(row: Any) -> dict[str, Any]:
    keys = (
        "id",
        "title",
        "author",
        "published",
        "language",
        "source",
        "tags",
        "word_count",
        "content_hash",
        "created_at",
        "updated_at",
        "near_duplicate_of",
        "similarity",
        "body",
    )
    return {k: iso(row[k]) for k in keys if k in row}


# What an ingestion records of its file, as `archiver show` reports it and as the writer inserts it.
_INGESTION_FIELDS = (
    "file_name",
    "folder",
    "size",
    "mtime",
    "raw_sha256",
    "encoding",
    "confidence",
    "mojibake_repaired",
    "received_at",
)


def ingestion_dict(row: Any) -> dict[str, Any]:
    return {k: iso(row[k]) for k in ("id", *_INGESTION_FIELDS)}


def _first_line(exc: BaseException) -> str:
    return str(getattr(exc, "orig", exc) or exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


__all__ = ["Arrival", "Saved", "Store", "compress", "is_transient"]


_INGESTION_COLUMNS = ("document_id", *_INGESTION_FIELDS, "idempotency_key")


@lru_cache(maxsize=16)
def _driver_insert(
    table: Table, columns: tuple[str, ...], unique: str, dialect: Dialect
) -> tuple[str, tuple[Callable[[Any], Any] | None, ...]]:
    """SQLite's INSERT for these columns (qmark parameters), and each column's bind processor (None: as is)."""
    conflict = f" ON CONFLICT ({unique}) DO NOTHING" if unique else ""
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}){conflict}"
    return sql, tuple(table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns)


def _most_shared(sketch: Sequence[int], sharing: dict[int, set[int]], doc_id: int) -> list[int]:
    """The older documents that share the most sketch keys with `doc_id` (the newest first among equals)."""
    counts = Counter(o for key in set(sketch) for o in sharing.get(key, ()) if o < doc_id)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], -item[0]))
    return [o for o, _ in ranked[:NEAR_DUPLICATE_CANDIDATES]]
