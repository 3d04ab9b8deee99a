"""Reading the archive: ranked full-text search, listings, streaming export and statistics.

One query syntax (archiver.store.query) rendered for SQLite FTS5 or a PostgreSQL tsquery; one
`Filters` value shared by search, list, export and stats. Every value reaches the database as a
bound parameter.
"""

from __future__ import annotations

import json
import math
import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import (
    ColumnElement,
    Engine,
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

from archiver.store.engine import make_engine
from archiver.store.models import DOCS, INGESTIONS, iso
from archiver.store.query import Node, Or, Query, Term, fold, parse

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


class Archive(Protocol):
    """What reading needs of the archive: a `Store`, or the lighter `Reader` the query commands open."""

    engine: Engine
    dialect: str


class Reader:
    """A read-only handle on the archive: an engine, without the writer (and the pipeline it imports)."""

    def __init__(self, url: str) -> None:
        self.engine: Engine = make_engine(url)
        self.dialect: str = self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()


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
    row = {k: iso(v) for k, v in mapping.items()}
    if "tags" in row and row["tags"] is None:
        row["tags"] = []
    return row


# ------------------------------------------------------------------ search


def search(store: Archive, query: str, filters: Filters | None = None, limit: int = 20) -> list[dict[str, Any]]:
    """The best `limit` documents for `query`, best first, each with `snippet` (matches in [brackets]) and `score`.

    Raises UsageError (before touching the database) when the query is malformed.
    """
    parsed = parse(query)
    conds = (filters or Filters()).conditions(store.dialect)
    if store.dialect == "postgresql":
        rows = _pg_search(store, parsed, conds, limit)
    else:
        rows = _sqlite_search(store, parsed, conds, limit)
    for row in rows:
        row["score"] = round(float(row["score"]), 6)
        if "body" in row:
            body = row.pop("body")
            row["snippet"] = snippet(parsed, body, row.get("title"))
    return rows


def _sqlite_search(store: Archive, parsed: Query, conds: list[ColumnElement[bool]], limit: int) -> list[dict[str, Any]]:
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
        threshold = conn.execute(oldest).scalar()
        if threshold is not None:
            stmt = stmt.where(bindparam("oldest", threshold) <= _FTS_ROWID)
        return [_row(r) for r in conn.execute(stmt).mappings()]


# ------------------------------------------------------------------ search (PostgreSQL)
#
# The planner cannot see what `search @@ q` costs as a filter: the row's whole tsvector is read and
# decompressed. Asked for the newest matches, it walks the primary key backwards testing row after
# row: right for a common word, but the whole table when the index over-promises (a phrase of two
# common words, an exclusion: `"city council"`, `storm -bridge`). So the window of the newest
# RANK_WINDOW matches is collected in bounded slices of ids, newest first:
#   1. the newest `_newest_scan()` ids, planned freely (bitmap scans only for a phrase or an
#      exclusion, see `_over_promises`): whatever the plan, it reads no more rows than that; a common
#      word fills the window here;
#   2. if that slice held at least half a window, the next `_newest_scan()` ids, the same way: a word
#      that nearly filled the first slice fills the window in a few more rows;
#   3. whatever is still missing: the older ids with bitmap scans only, so a row is visited only when
#      the GIN index lists it (positions are rechecked for those rows alone).
# Each slice ranks its own matches; the best `limit` of all are the answer.

_BITMAP_ONLY = "SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off"


def _newest_scan(documents: int) -> int:
    """How many ids a slice covers: sqrt(RANK_WINDOW * documents), at least 2 windows.

    A word in a fraction f of the rows fills the window in the first slice if f >= RANK_WINDOW / scan,
    reading at most `scan` rows; a rarer one leaves fewer than f * documents < RANK_WINDOW * documents /
    scan rows to the bitmap scan: with scan = sqrt(RANK_WINDOW * documents), neither visits more than
    `scan` rows.
    """
    return max(2 * RANK_WINDOW, math.isqrt(RANK_WINDOW * documents))


def _pg_search(store: Archive, parsed: Query, conds: list[ColumnElement[bool]], limit: int) -> list[dict[str, Any]]:
    tsquery = func.to_tsquery(_PG_SIMPLE, bindparam("q", parsed.tsquery()))
    match = _PG_SEARCH.op("@@")(tsquery)

    def newest(lower: int, upper: int | None, window: int) -> Any:
        """A slice of ids, planned freely."""
        bounds = [DOCS.c.id >= lower] + ([DOCS.c.id < upper] if upper is not None else [])
        return _by_ids(select(DOCS.c.id).where(match, *conds, *bounds).order_by(DOCS.c.id.desc()).limit(window))

    # One snapshot for every slice: documents written meanwhile cannot fall between two of them.
    with store.engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        newest_id = conn.execute(select(func.max(DOCS.c.id))).scalar() or 0  # by the primary key, first
        if _over_promises(parsed.root):
            conn.exec_driver_sql(_BITMAP_ONLY)  # until this read-only transaction ends
        scan = _newest_scan(newest_id)
        lower = newest_id - scan + 1  # any bounds give the same window; these only bound each slice's work
        rows, found = _pg_rank(conn, newest(lower, None, RANK_WINDOW), tsquery, limit)
        if RANK_WINDOW > found >= RANK_WINDOW - found and lower > 1:
            more, more_found = _pg_rank(conn, newest(lower - scan, lower, RANK_WINDOW - found), tsquery, limit)
            rows, found, lower = rows + more, found + more_found, lower - scan
        if found < RANK_WINDOW and lower > 1:
            conn.exec_driver_sql(_BITMAP_ONLY)  # until this read-only transaction ends
            rows += _pg_rank(conn, _pg_older(match, conds, lower, RANK_WINDOW - found), tsquery, limit)[0]
    return sorted(rows, key=lambda row: (-row["score"], row["id"]))[:limit]


def _over_promises(node: Node) -> bool:
    """A phrase or an exclusion: the planner expects as many matches as its words alone would give.

    Walking the primary key backwards, it would test row after row for matches that may not exist.
    With bitmap scans only, even the newest slice is read through the index: only the rows that hold
    every word are visited (and rechecked for positions), and an exclusion is settled in the index.
    """
    if isinstance(node, Term):
        return len(node.tokens) > 1
    if isinstance(node, Or):
        return any(_over_promises(option) for option in node.options)
    return bool(node.exclude) or any(_over_promises(item) for item in node.include)


def _pg_older(match: ColumnElement[bool], conds: list[ColumnElement[bool]], upper: int, window: int) -> Any:
    """The newest `window` matches below id `upper`, through the GIN index (with bitmap scans only).

    `id + 0` keeps the primary key out of the plan: the GIN bitmap is the only way in.
    """
    ids = select(DOCS.c.id).where(match, *conds, (DOCS.c.id + 0) < upper).order_by(DOCS.c.id.desc()).limit(window)
    return _by_ids(ids)


def _by_ids(ids: Any) -> Any:
    """(id, search) of the rows `ids` selects, read by id: the plans that find ids sort ids, not vectors."""
    stmt = select(DOCS.c.id, _PG_SEARCH.label("search"))
    return stmt.where(DOCS.c.id == func.any(func.array(ids.scalar_subquery()))).subquery("window")


def _pg_rank(conn: Any, window: Any, tsquery: Any, limit: int) -> tuple[list[dict[str, Any]], int]:
    """The best `limit` rows of `window` (id, search) by ts_rank_cd, with bodies, and the window's size.

    ts_rank_cd runs on the window's rows only, and only `limit` bodies leave the server.
    """
    # Ranked behind a fence (OFFSET 0): the window count then buffers (id, score) pairs, not vectors.
    ranked = select(window.c.id, func.ts_rank_cd(window.c.search, tsquery).label("score")).offset(0).subquery()
    top = (
        select(ranked.c.id, ranked.c.score, func.count().over().label("found"))
        .order_by(ranked.c.score.desc(), ranked.c.id)
        .limit(limit)
        .subquery("top")
    )
    stmt = (
        select(*LIST_COLUMNS, DOCS.c.body, top.c.score, top.c.found)
        .select_from(top.join(DOCS, DOCS.c.id == top.c.id))
        .order_by(top.c.score.desc(), DOCS.c.id)
    )
    rows = [_row(r) for r in conn.execute(stmt).mappings()]
    found = int(rows[0]["found"]) if rows else 0
    for row in rows:
        del row["found"]
    return rows, found


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


def list_documents(store: Archive, filters: Filters | None = None, limit: int = 20) -> list[dict[str, Any]]:
    """Newest documents first (the order they entered the archive)."""
    stmt = (
        select(*LIST_COLUMNS)
        .where(*(filters or Filters()).conditions(store.dialect))
        .order_by(DOCS.c.id.desc())
        .limit(limit)
    )
    with store.engine.connect() as conn:
        return [_row(r) for r in conn.execute(stmt).mappings()]


def iter_export(store: Archive, filters: Filters | None = None) -> Iterator[dict[str, Any]]:
    """Every matching document with its body, oldest first, streamed: memory stays flat whatever the size."""
    stmt = select(*EXPORT_COLUMNS).where(*(filters or Filters()).conditions(store.dialect)).order_by(DOCS.c.id)
    with store.engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=EXPORT_BATCH).execute(stmt)
        for partition in result.mappings().partitions():
            for r in partition:
                yield _row(r)


def iter_export_jsonl(store: Archive, filters: Filters | None = None) -> Iterator[bytes]:
    """The rows of `iter_export` as UTF-8 JSON objects (no newline), made without a Python object per field.

    The fast path of `archiver export`: SQLite encodes each row itself; PostgreSQL streams COPY text
    (see `_pg_export_jsonl`). Either way a large archive streams at database speed in flat memory.
    """
    conds = (filters or Filters()).conditions(store.dialect)
    if store.dialect == "postgresql":
        yield from _pg_export_jsonl(store, conds)
        return
    stmt = select(_json_row(store.dialect)).where(*conds).order_by(DOCS.c.id)
    with store.engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=EXPORT_BATCH).execute(stmt)
        for partition in result.scalars().partitions():
            for value in partition:
                yield value.encode("utf-8") if isinstance(value, str) else bytes(value)


def _pg_export_jsonl(store: Archive, conds: list[ColumnElement[bool]]) -> Iterator[bytes]:
    """`COPY (metadata as JSON, body) TO STDOUT`, each row turned into one JSON object with a few byte edits.

    json_build_object escapes text a character at a time: on the bodies it cost the server twice what
    reading them does. COPY's text format already escapes a body almost as JSON wants (backslash,
    newline, tab, carriage return, \b, \f): only the double quotes are left to escape, in Python, with
    bytes.replace. The rare body holding another control character takes the slow, exact path.
    COPY streams through libpq: memory stays flat. Filter values are bound client-side by psycopg
    (COPY takes no server-side parameters) from the statement SQLAlchemy compiled.
    """
    import psycopg
    from sqlalchemy.exc import DBAPIError

    stmt = select(_json_row("postgresql", body=False), DOCS.c.body).where(*conds).order_by(DOCS.c.id)
    with store.engine.connect() as conn:
        compiled = stmt.compile(dialect=conn.dialect)
        sql = f"COPY ({compiled.string}) TO STDOUT"
        driver = conn.connection.driver_connection
        assert driver is not None
        try:
            with driver.cursor() as cursor, cursor.copy(sql, compiled.params) as copy:
                for row in copy:
                    yield _copy_row_to_json(bytes(row))
        except psycopg.Error as exc:  # what SQLAlchemy would have raised, for callers that handle its errors
            raise DBAPIError.instance(sql, compiled.params, exc, psycopg.Error, dialect=conn.dialect) from exc


# Control characters COPY leaves raw (it escapes \b \t \n \v \f \r only) and JSON does not allow.
_RAW_CONTROL = re.compile(rb"[\x00-\x08\x0b-\x1f]")
_COPY_ESCAPES = {b"b": b"\b", b"f": b"\f", b"n": b"\n", b"r": b"\r", b"t": b"\t", b"v": b"\v"}
_COPY_ESCAPE = re.compile(rb"\\(.)", re.DOTALL)
_JSON = json.JSONEncoder(ensure_ascii=False)


def _copy_row_to_json(row: bytes) -> bytes:
    """One COPY text row (metadata JSON, a tab, the body, a newline) as `{...metadata..., "body": "..."}`.

    The metadata is JSON already, so it holds no raw control character: COPY only doubled its backslashes.
    """
    head, _, body = row.partition(b"\t")
    body = body[:-1]  # the row's newline
    if _RAW_CONTROL.search(body) or b"\\v" in body:  # \v is no JSON escape
        text = _COPY_ESCAPE.sub(lambda m: _COPY_ESCAPES.get(m.group(1), m.group(1)), body).decode("utf-8")
        quoted = _JSON.encode(text).encode("utf-8")
    else:
        quoted = b'"' + body.replace(b'"', b'\\"') + b'"'
    return head[:-1].replace(b"\\\\", b"\\") + b',"body":' + quoted + b"}"


def _json_row(dialect: str, *, body: bool = True) -> ColumnElement[Any]:
    pairs: list[Any] = []
    for column in EXPORT_COLUMNS if body else EXPORT_COLUMNS[:-1]:  # the body is the last column
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
    store: Archive,
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


__all__ = [
    "Archive",
    "Filters",
    "Reader",
    "count_failed",
    "iter_export",
    "iter_export_jsonl",
    "list_documents",
    "search",
    "stats",
]
