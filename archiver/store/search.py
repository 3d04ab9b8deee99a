"""Reading the archive: ranked full-text search, listings, streaming export and statistics.

One query syntax (archiver.store.query) rendered for SQLite FTS5 or a PostgreSQL tsquery; one
`Filters` value shared by search, list, export and stats. Every value reaches the database as a
bound parameter.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import (
    ColumnElement,
    LargeBinary,
    Text,
    and_,
    bindparam,
    exists,
    func,
    literal,
    literal_column,
    select,
    table,
)

from archiver.store.query import Query, Term, fold, parse
from archiver.store.repository import DOCS, INGESTIONS, Store, _iso

# bm25 weights by FTS column (title, body, author): a title match ranks above a body match.
SQLITE_RANK = "bm25(10.0, 1.0, 3.0)"
SNIPPET_OPEN = "["
SNIPPET_CLOSE = "]"
SNIPPET_TOKENS = 24
SNIPPET_CHARS = 200
# Both databases rank the newest RANK_WINDOW matches only (bm25 and ts_rank_cd are computed per match):
# a word found in most of a large archive would otherwise cost a tenth of a second (SQLite) to a second
# (PostgreSQL, which reads each candidate's whole tsvector) per query.
RANK_WINDOW = 1000
EXPORT_BATCH = 250

_FTS = table("documents_fts")
_FTS_NAME: ColumnElement[Any] = literal_column("documents_fts")
_FTS_ROWID: ColumnElement[Any] = literal_column("documents_fts.rowid")
_FTS_RANK: ColumnElement[Any] = literal_column("documents_fts.rank")
_PG_SEARCH: ColumnElement[Any] = literal_column("documents.search")
_PG_SIMPLE: ColumnElement[Any] = literal_column("'simple'::regconfig")

LIST_COLUMNS = (
    DOCS.c.id,
    DOCS.c.title,
    DOCS.c.author,
    DOCS.c.published,
    DOCS.c.language,
    DOCS.c.source,
    DOCS.c.tags,
    DOCS.c.word_count,
    DOCS.c.content_hash,
    DOCS.c.created_at,
    DOCS.c.near_duplicate_of,
)
EXPORT_COLUMNS = (*LIST_COLUMNS, DOCS.c.updated_at, DOCS.c.similarity, DOCS.c.body)
EXPORT_FIELDS = tuple(c.name for c in EXPORT_COLUMNS)


@dataclass(frozen=True)
class Filters:
    """What search, list, export and stats narrow the archive to. Unset fields do not filter.

    `since`/`until` (inclusive days) apply to the publication date, or with `received` to the time any
    file of the document arrived. `duplicates` keeps documents received more than once.
    """

    lang: str | None = None
    source: str | None = None
    author: str | None = None
    tag: str | None = None
    since: date | None = None
    until: date | None = None
    received: bool = False
    duplicates: bool = False

    def conditions(self, dialect: str) -> list[ColumnElement[bool]]:
        conds: list[ColumnElement[bool]] = []
        if self.lang:
            conds.append(DOCS.c.language == self.lang.lower())  # stored as lower-case ISO 639-1 codes
        if self.source is not None:
            conds.append(DOCS.c.source == self.source)
        if self.author:
            conds.append(DOCS.c.author.icontains(self.author, autoescape=True))
        if self.tag:
            conds.append(_has_tag(self.tag, dialect))
        if self.received and (self.since or self.until):
            window = []
            if self.since:
                window.append(INGESTIONS.c.received_at >= _start_of(self.since))
            if self.until:
                window.append(INGESTIONS.c.received_at < _start_of(self.until + timedelta(days=1)))
            conds.append(exists().where(INGESTIONS.c.document_id == DOCS.c.id, *window))
        else:
            if self.since:
                conds.append(DOCS.c.published >= self.since)
            if self.until:
                conds.append(DOCS.c.published <= self.until)
        if self.duplicates:
            twice = (
                select(INGESTIONS.c.document_id)
                .group_by(INGESTIONS.c.document_id)
                .having(func.count(INGESTIONS.c.id) > 1)
            )
            conds.append(DOCS.c.id.in_(twice))
        return conds


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _has_tag(tag: str, dialect: str) -> ColumnElement[bool]:
    if dialect == "postgresql":
        values = func.json_array_elements_text(DOCS.c.tags).table_valued("value")
    else:
        values = func.json_each(DOCS.c.tags).table_valued("value")
    return exists(select(literal(1)).select_from(values).where(func.lower(values.c.value) == tag.lower()))


def _row(mapping: Any) -> dict[str, Any]:
    row = {k: _iso(v) for k, v in mapping.items()}
    if "tags" in row and row["tags"] is None:
        row["tags"] = []
    return row


# ------------------------------------------------------------------ search


def search(store: Store, query: str, filters: Filters | None = None, limit: int = 20) -> list[dict[str, Any]]:
    """The best `limit` documents for `query`, best first, each with `snippet` (matches in [brackets]) and `score`.

    Raises UsageError (before touching the database) when the query is malformed.
    """
    parsed = parse(query)
    conds = (filters or Filters()).conditions(store.dialect)
    stmt: Any
    if store.dialect == "postgresql":
        tsquery = func.to_tsquery(_PG_SIMPLE, bindparam("q", parsed.tsquery()))
        window = (
            select(DOCS.c.id, _PG_SEARCH.label("search"))
            .where(_PG_SEARCH.op("@@")(tsquery), *conds)
            .order_by(DOCS.c.id.desc())
            .limit(RANK_WINDOW)
            .subquery("window")
        )
        rank = func.ts_rank_cd(window.c.search, tsquery)
        top = select(window.c.id, rank.label("score")).order_by(rank.desc(), window.c.id).limit(limit).subquery("top")
        # Snippets are made in Python for the rows shown (accent-insensitive, unlike ts_headline with 'simple').
        stmt = (
            select(*LIST_COLUMNS, DOCS.c.body, top.c.score)
            .select_from(top.join(DOCS, DOCS.c.id == top.c.id))
            .order_by(top.c.score.desc(), DOCS.c.id)
        )
    else:
        match = _FTS_NAME.op("MATCH")(parsed.fts5())
        # The newest RANK_WINDOW matches are ranked (bm25 is computed per match): the rowid of the oldest of them.
        oldest = (
            select(_FTS_ROWID)
            .select_from(_FTS.join(DOCS, DOCS.c.id == _FTS_ROWID) if conds else _FTS)
            .where(match, *conds)
            .order_by(_FTS_ROWID.desc())
            .limit(1)
            .offset(RANK_WINDOW - 1)
        )
        # `rank MATCH` + ORDER BY rank lets FTS5 sort inside the index: snippet() then runs only on returned rows.
        stmt = (
            select(
                *LIST_COLUMNS,
                func.snippet(_FTS_NAME, -1, SNIPPET_OPEN, SNIPPET_CLOSE, "…", SNIPPET_TOKENS).label("snippet"),
                (-_FTS_RANK).label("score"),
            )
            .select_from(_FTS.join(DOCS, DOCS.c.id == _FTS_ROWID))
            .where(match, _FTS_RANK.op("MATCH")(SQLITE_RANK), *conds)
            .order_by(_FTS_RANK)
            .limit(limit)
        )
    with store.engine.connect() as conn:
        if store.dialect == "sqlite":
            threshold = conn.execute(oldest).scalar()
            if threshold is not None:
                stmt = stmt.where(bindparam("oldest", threshold) <= _FTS_ROWID)
        rows = [_row(r) for r in conn.execute(stmt).mappings()]
    for row in rows:
        row["score"] = round(float(row["score"]), 6)
        if "body" in row:
            body = row.pop("body")
            row["snippet"] = snippet(parsed, body, row.get("title"))
    return rows


# ------------------------------------------------------------------ snippets (PostgreSQL)


@cache
def _variants() -> dict[str, str]:
    """For each folded letter, a regex class of the letters that fold to it (e -> [eéèêëEÉ...])."""
    groups: dict[str, set[str]] = {}
    for code in (*range(0x20, 0x250), *range(0x1E00, 0x1F00)):
        char = chr(code)
        folded = fold(char)
        if len(folded) == 1 and folded.isalnum():
            groups.setdefault(folded, {folded}).update({char, char.upper()})
    return {k: "[" + "".join(re.escape(c) for c in sorted(v)) + "]" for k, v in groups.items() if len(v) > 1}


def _term_pattern(term: Term) -> str:
    variants = _variants()
    words = []
    for token in term.tokens:
        folded = unicodedata.normalize("NFC", fold(token))
        words.append("".join(variants.get(c, re.escape(c)) for c in folded))
    body = r"[\W_]+".join(words)
    return r"(?<![^\W_])" + body + (r"\w*" if term.prefix else r"(?![^\W_])")


def snippet(parsed: Query, body: str, title: str | None = None) -> str:
    """About SNIPPET_CHARS characters of the body around the first match, matches in [brackets]."""
    terms = parsed.positive_terms()
    if not terms:
        return body[:SNIPPET_CHARS]
    pattern = re.compile("|".join(_term_pattern(t) for t in terms), re.IGNORECASE)
    first = pattern.search(body)
    if first is None:
        if title and pattern.search(title):
            return pattern.sub(lambda m: SNIPPET_OPEN + m.group(0) + SNIPPET_CLOSE, title)
        text = " ".join(body[: SNIPPET_CHARS * 2].split())
        return text[:SNIPPET_CHARS] + ("…" if len(body) > SNIPPET_CHARS else "")
    start = max(0, first.start() - SNIPPET_CHARS // 3)
    if start:
        space = body.find(" ", start, first.start())
        start = space + 1 if space != -1 else start
    end = min(len(body), start + SNIPPET_CHARS)
    if end < len(body):
        space = body.rfind(" ", first.end(), end)
        end = space if space != -1 else max(end, first.end())
    window = pattern.sub(lambda m: SNIPPET_OPEN + m.group(0) + SNIPPET_CLOSE, body[start:end])
    return ("…" if start else "") + window + ("…" if end < len(body) else "")


# ------------------------------------------------------------------ listing and export


def list_documents(store: Store, filters: Filters | None = None, limit: int = 20) -> list[dict[str, Any]]:
    """Newest documents first (the order they entered the archive)."""
    stmt = (
        select(*LIST_COLUMNS)
        .where(*(filters or Filters()).conditions(store.dialect))
        .order_by(DOCS.c.id.desc())
        .limit(limit)
    )
    with store.engine.connect() as conn:
        return [_row(r) for r in conn.execute(stmt).mappings()]


def iter_export(store: Store, filters: Filters | None = None) -> Iterator[dict[str, Any]]:
    """Every matching document with its body, oldest first, streamed: memory stays flat whatever the size."""
    stmt = select(*EXPORT_COLUMNS).where(*(filters or Filters()).conditions(store.dialect)).order_by(DOCS.c.id)
    with store.engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=EXPORT_BATCH).execute(stmt)
        for partition in result.mappings().partitions():
            for r in partition:
                yield _row(r)


def iter_export_jsonl(store: Store, filters: Filters | None = None) -> Iterator[bytes]:
    """The rows of `iter_export` as UTF-8 JSON objects (no newline), encoded by the database itself.

    The fast path of `archiver export`: Python only moves bytes, so a large archive streams at database speed.
    """
    stmt = select(_json_row(store.dialect)).where(*(filters or Filters()).conditions(store.dialect)).order_by(DOCS.c.id)
    with store.engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=EXPORT_BATCH).execute(stmt)
        for partition in result.scalars().partitions():
            for value in partition:
                yield value.encode("utf-8") if isinstance(value, str) else bytes(value)


def _json_row(dialect: str) -> ColumnElement[Any]:
    pairs: list[Any] = []
    for column in EXPORT_COLUMNS:
        value: Any = column
        if dialect == "postgresql":
            if column.name == "published":
                value = func.to_char(column, "YYYY-MM-DD")
            elif column.name in ("created_at", "updated_at"):
                value = func.to_char(func.timezone("UTC", column), 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')
        elif column.name in ("created_at", "updated_at"):
            value = func.replace(column, " ", "T").concat("+00:00")
        elif column.name == "tags":
            value = func.json(column)
        pairs += [literal(column.name), value]
    if dialect == "postgresql":
        return func.cast(func.json_build_object(*pairs), Text)
    return func.cast(func.json_object(*pairs), LargeBinary)


# ------------------------------------------------------------------ statistics


def count_failed(failed_dir: str | os.PathLike[str] | None) -> int:
    """Files waiting in failed/: one `<name>.error.json` each."""
    if failed_dir is None:
        return 0
    root = Path(failed_dir)
    if not root.is_dir():
        return 0
    return sum(1 for _ in root.rglob("*.error.json"))


def stats(
    store: Store,
    filters: Filters | None = None,
    *,
    failed: int | None = None,
    failed_dir: str | os.PathLike[str] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """documents, ingestions, duplicates (ingestions that matched an existing document), failed, then
    by_source, by_language, by_day (documents entering the archive each UTC day) and ingest_rate."""
    conds = (filters or Filters()).conditions(store.dialect)
    now = now or datetime.now(UTC)
    docs = select(DOCS.c.id).where(*conds).subquery("docs")
    if store.dialect == "postgresql":
        day = func.to_char(func.timezone("UTC", DOCS.c.created_at), "YYYY-MM-DD")
    else:
        day = func.substr(DOCS.c.created_at, 1, 10)
    filtered = and_(*conds) if conds else None

    def grouped(column: Any) -> dict[str, int]:
        stmt = select(column, func.count()).select_from(DOCS).group_by(column).order_by(func.count().desc(), column)
        if filtered is not None:
            stmt = stmt.where(filtered)
        return {("(none)" if key is None else str(key)): int(n) for key, n in conn.execute(stmt).all()}

    with store.engine.connect() as conn:
        documents = int(conn.execute(select(func.count()).select_from(docs)).scalar_one())
        ingestion_stats = conn.execute(
            select(func.count(INGESTIONS.c.id), func.count(func.distinct(INGESTIONS.c.document_id))).where(
                INGESTIONS.c.document_id.in_(select(docs.c.id))
            )
        ).one()
        ingestions, ingested_docs = int(ingestion_stats[0]), int(ingestion_stats[1])
        by_source = grouped(DOCS.c.source)
        by_language = grouped(DOCS.c.language)
        day_stmt = select(day.label("day"), func.count()).select_from(DOCS).group_by(day).order_by(day)
        if filtered is not None:
            day_stmt = day_stmt.where(filtered)
        by_day = {str(d): int(n) for d, n in conn.execute(day_stmt).all()}

        def received_since(delta: timedelta) -> int:
            stmt = select(func.count(INGESTIONS.c.id)).where(
                INGESTIONS.c.received_at >= now - delta,
                INGESTIONS.c.received_at <= now,
                INGESTIONS.c.document_id.in_(select(docs.c.id)),
            )
            return int(conn.execute(stmt).scalar_one())

        last_hour = received_since(timedelta(hours=1))
        last_day = received_since(timedelta(days=1))
    return {
        "documents": documents,
        "ingestions": ingestions,
        "duplicates": ingestions - ingested_docs,
        "failed": failed if failed is not None else count_failed(failed_dir),
        "by_source": by_source,
        "by_language": by_language,
        "by_day": by_day,
        "ingest_rate": {
            "last_hour": last_hour,
            "last_day": last_day,
            "per_minute_last_hour": round(last_hour / 60, 2),
        },
    }


__all__ = ["Filters", "count_failed", "iter_export", "iter_export_jsonl", "list_documents", "search", "stats"]
