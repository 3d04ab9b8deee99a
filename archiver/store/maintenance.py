"""Integrity checks and rewrites of stored documents (`archiver check`, `archiver reprocess`)."""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, text, update

from archiver.pipeline.document import Document as CleanDocument
from archiver.pipeline.identity import content_hash
from archiver.store.models import DOCS, INGESTIONS, ORIGINALS, PG_DOCS, REMOVED, SKETCHES
from archiver.store.repository import Store
from archiver.store.tsvector import search_vector

CHECK_BATCH = 500


def check(store: Store, *, repair: bool = False) -> list[str]:
    """Every problem found, one line each: an empty list means the archive is sound."""
    problems: list[str] = []
    with store.engine.connect() as conn:
        orphans = conn.execute(
            select(func.count())
            .select_from(INGESTIONS.outerjoin(DOCS, DOCS.c.id == INGESTIONS.c.document_id))
            .where(DOCS.c.id.is_(None))
        ).scalar_one()
        if orphans:
            problems.append(f"{orphans} ingestion(s) point to no document")
        missing = conn.execute(
            select(func.count())
            .select_from(INGESTIONS.outerjoin(ORIGINALS, ORIGINALS.c.raw_sha256 == INGESTIONS.c.raw_sha256))
            .where(ORIGINALS.c.raw_sha256.is_(None))
        ).scalar_one()
        if missing:
            problems.append(f"{missing} ingestion(s) have no original bytes")
        empty = conn.execute(
            select(func.count())
            .select_from(DOCS)
            .where(~select(INGESTIONS.c.id).where(INGESTIONS.c.document_id == DOCS.c.id).exists())
        ).scalar_one()
        if empty:
            problems.append(f"{empty} document(s) have no ingestion")
        twice = conn.execute(select(DOCS.c.content_hash).group_by(DOCS.c.content_hash).having(func.count() > 1)).all()
        problems.extend(f"content hash {h[:12]}… is held by several documents" for (h,) in twice)
        problems.extend(_check_originals(conn))
        problems.extend(_check_hashes(conn))
        index_problem = _check_index(conn, store.dialect)
    if index_problem:
        if repair:
            rebuild_index(store)
            if _check_index_fresh(store):
                problems.append(f"{index_problem} (repaired: index rebuilt)")
            else:
                problems.append(index_problem + " (rebuilt, still wrong)")
        else:
            problems.append(index_problem + " (archiver check --repair rebuilds it)")
    return problems


def _check_originals(conn: Any) -> Iterator[str]:
    result = conn.execution_options(stream_results=True, yield_per=CHECK_BATCH).execute(
        select(ORIGINALS.c.raw_sha256, ORIGINALS.c.data)
    )
    for key, data in result:
        try:
            raw = zlib.decompress(data)
        except zlib.error:
            yield f"original {key[:12]}… cannot be decompressed"
            continue
        if hashlib.sha256(raw).hexdigest() != key:
            yield f"original {key[:12]}… does not hash to its key"


def _check_hashes(conn: Any) -> Iterator[str]:
    result = conn.execution_options(stream_results=True, yield_per=CHECK_BATCH).execute(
        select(DOCS.c.id, DOCS.c.content_hash, DOCS.c.body)
    )
    for doc_id, stored, body in result:
        if content_hash(body) != stored:
            yield f"document {doc_id}: body does not match its content_hash"


def _check_index(conn: Any, dialect: str) -> str | None:
    if dialect == "sqlite":
        try:
            conn.execute(text("INSERT INTO documents_fts(documents_fts, rank) VALUES ('integrity-check', 1)"))
        except Exception as exc:  # noqa: BLE001 - sqlite reports corruption as an error
            conn.rollback()
            return f"full-text index disagrees with documents ({str(getattr(exc, 'orig', exc)).strip()})"
        conn.rollback()
        return None
    stale = conn.execute(text("SELECT count(*) FROM documents WHERE search IS NULL")).scalar_one()
    return f"{stale} document(s) missing from the full-text index" if stale else None


def _check_index_fresh(store: Store) -> bool:
    with store.engine.connect() as conn:
        return _check_index(conn, store.dialect) is None


def rebuild_index(store: Store) -> None:
    with store.engine.begin() as conn:
        if store.dialect == "sqlite":
            conn.execute(text("INSERT INTO documents_fts(documents_fts) VALUES ('rebuild')"))
        else:
            if store.sets_search(conn):
                _fill_missing_vectors(conn)
            conn.execute(text("REINDEX INDEX ix_documents_search"))


def _fill_missing_vectors(conn: Any) -> None:
    """Compute the vectors of rows written without one (by psql, say): the writer, not PostgreSQL, makes them."""
    missing = select(PG_DOCS.c.id).where(PG_DOCS.c.search.is_(None)).order_by(PG_DOCS.c.id)
    ids = list(conn.execute(missing).scalars())
    for start in range(0, len(ids), CHECK_BATCH):
        rows = conn.execute(
            select(PG_DOCS.c.id, PG_DOCS.c.title, PG_DOCS.c.author, PG_DOCS.c.body).where(
                PG_DOCS.c.id.in_(ids[start : start + CHECK_BATCH])
            )
        ).all()
        for doc_id, title, author, body in rows:
            vector = search_vector(title, author, body)
            conn.execute(update(PG_DOCS).where(PG_DOCS.c.id == doc_id).values(search=vector))


# ---------------------------------------------------------------------- reprocess


@dataclass(frozen=True)
class StoredOriginal:
    document_id: int
    raw: bytes
    source: str | None
    overrides: dict[str, Any] | None


def iter_originals(store: Store, document_ids: list[int] | None = None) -> Iterator[StoredOriginal]:
    """Each document with the bytes of its first ingestion, streamed."""
    first = (
        select(INGESTIONS.c.document_id, func.min(INGESTIONS.c.id).label("ingestion_id"))
        .group_by(INGESTIONS.c.document_id)
        .subquery()
    )
    query = (
        select(DOCS.c.id, DOCS.c.source, DOCS.c.overrides, ORIGINALS.c.data)
        .join(first, first.c.document_id == DOCS.c.id)
        .join(INGESTIONS, INGESTIONS.c.id == first.c.ingestion_id)
        .join(ORIGINALS, ORIGINALS.c.raw_sha256 == INGESTIONS.c.raw_sha256)
        .order_by(DOCS.c.id)
    )
    if document_ids is not None:
        query = query.where(DOCS.c.id.in_(document_ids))
    with store.engine.connect() as conn:
        for doc_id, source, overrides, data in conn.execution_options(stream_results=True, yield_per=200).execute(
            query
        ):
            yield StoredOriginal(doc_id, zlib.decompress(data), source, overrides)


@dataclass
class ReprocessReport:
    unchanged: int = 0
    updated: int = 0
    merged: int = 0
    changes: list[str] = field(default_factory=list)


def apply_reprocessed(store: Store, document_id: int, document: CleanDocument, report: ReprocessReport) -> None:
    """Store what the pipeline now makes of a document; merge it into another that has the same content."""
    now = datetime.now(UTC)
    meta = document.metadata
    with store.writing() as conn:
        old = conn.execute(select(DOCS).where(DOCS.c.id == document_id)).mappings().first()
        if old is None:
            return
        values = {
            "title": meta.title,
            "author": meta.author,
            "published": meta.published,
            "language": meta.language,
            "tags": list(meta.tags),
            "body": document.body,
            "word_count": document.word_count,
            "content_hash": document.content_hash,
        }
        removed_now = [(r.position, r.reason, r.text) for r in document.removed]
        removed_before = [
            tuple(r)
            for r in conn.execute(
                select(REMOVED.c.position, REMOVED.c.reason, REMOVED.c.text)
                .where(REMOVED.c.document_id == document_id)
                .order_by(REMOVED.c.position)
            )
        ]
        changed = [k for k, v in values.items() if old[k] != v and not (k == "tags" and list(old[k] or []) == v)]
        if not changed and removed_now == removed_before:
            report.unchanged += 1
            return
        if document.content_hash != old["content_hash"]:
            other = conn.execute(
                select(DOCS.c.id).where(DOCS.c.content_hash == document.content_hash, DOCS.c.id != document_id)
            ).scalar()
            if other is not None:
                conn.execute(
                    update(INGESTIONS).where(INGESTIONS.c.document_id == document_id).values(document_id=other)
                )
                conn.execute(delete(DOCS).where(DOCS.c.id == document_id))
                report.merged += 1
                report.changes.append(f"document {document_id}: same content as document {other} now, merged into it")
                return
        if store.sets_search(conn):  # the vector is no generated column: it follows the text here
            search = search_vector(meta.title, meta.author, document.body)
            conn.execute(
                update(PG_DOCS).where(PG_DOCS.c.id == document_id).values(**values, updated_at=now, search=search)
            )
        else:
            conn.execute(update(DOCS).where(DOCS.c.id == document_id).values(**values, updated_at=now))
        conn.execute(delete(REMOVED).where(REMOVED.c.document_id == document_id))
        if removed_now:
            conn.execute(
                insert(REMOVED),
                [{"document_id": document_id, "position": p, "reason": r, "text": t} for p, r, t in removed_now],
            )
        conn.execute(delete(SKETCHES).where(SKETCHES.c.document_id == document_id))
        if document.sketch:
            conn.execute(insert(SKETCHES), [{"document_id": document_id, "value": v} for v in set(document.sketch)])
        report.updated += 1
        what = ", ".join(changed) if changed else "removed blocks"
        report.changes.append(f"document {document_id}: {what} changed")


def select_documents(
    store: Store, *, ids: list[int] | None = None, source: str | None = None, language: str | None = None
) -> list[int]:
    query = select(DOCS.c.id).order_by(DOCS.c.id)
    if ids:
        query = query.where(DOCS.c.id.in_(ids))
    if source:
        query = query.where(DOCS.c.source == source)
    if language:
        query = query.where(DOCS.c.language == language)
    with store.engine.connect() as conn:
        return list(conn.execute(query).scalars())


def content_hash_of(store: Store, document_id: int) -> str | None:
    with store.engine.connect() as conn:
        return conn.execute(select(DOCS.c.content_hash).where(DOCS.c.id == document_id)).scalar()
