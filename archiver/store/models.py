"""The documented schema (README, "Database"). Changed only through Alembic migrations."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.elements import BindParameter, ColumnElement


class Base(DeclarativeBase):
    pass


class Document(Base):
    """One article, whatever number of files brought it: identity is the hash of its clean body."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(Text)
    published: Mapped[date | None] = mapped_column(Date, index=True)
    language: Mapped[str | None] = mapped_column(String(8), index=True)
    source: Mapped[str | None] = mapped_column(Text, index=True)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    overrides: Mapped[dict[str, str] | None] = mapped_column(JSON)  # what a sidecar stated; reprocess keeps it
    body: Mapped[str] = mapped_column(Text)
    word_count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    near_duplicate_of: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="SET NULL"))
    similarity: Mapped[float | None] = mapped_column(Float)


class Ingestion(Base):
    """One file that arrived: the idempotency key makes a re-read after a crash a no-op."""

    __tablename__ = "ingestions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    file_name: Mapped[str] = mapped_column(Text)
    folder: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger)
    mtime: Mapped[float] = mapped_column(Float)
    raw_sha256: Mapped[str] = mapped_column(String(64), index=True)
    encoding: Mapped[str | None] = mapped_column(String(40))
    confidence: Mapped[float | None] = mapped_column(Float)
    mojibake_repaired: Mapped[bool] = mapped_column(Boolean, default=False)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)


class Original(Base):
    """The bytes as dropped, zlib-compressed, shared by every ingestion with the same raw hash."""

    __tablename__ = "originals"

    raw_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class RemovedBlock(Base):
    """A paragraph dropped as boilerplate, with its reason: every decision can be audited."""

    __tablename__ = "removed_blocks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)


class BlockCount(Base):
    """How many different documents of one source hold a paragraph: the evidence for learned boilerplate."""

    __tablename__ = "block_counts"

    source: Mapped[str] = mapped_column(Text, primary_key=True)
    block_hash: Mapped[str] = mapped_column(String(16), primary_key=True)
    documents: Mapped[int] = mapped_column(Integer, default=0)
    learned: Mapped[bool] = mapped_column(Boolean, default=False)


class SketchValue(Base):
    """One value of a document's MinHash sketch: documents sharing values are near-duplicate candidates."""

    __tablename__ = "document_sketches"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, primary_key=True)

    __table_args__ = (Index("ix_document_sketches_value", "value"),)


class JobLock(Base):
    """SQLite stand-in for PostgreSQL advisory locks: one row per singleton job, with its holder."""

    __tablename__ = "job_locks"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    holder: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[float] = mapped_column(Float)


# Core handles on the tables, for the store's SQL expressions.
DOCS = cast(Table, Document.__table__)
INGESTIONS = cast(Table, Ingestion.__table__)
ORIGINALS = cast(Table, Original.__table__)
REMOVED = cast(Table, RemovedBlock.__table__)
BLOCKS = cast(Table, BlockCount.__table__)
SKETCHES = cast(Table, SketchValue.__table__)
LOCKS = cast(Table, JobLock.__table__)


class TsvectorText(TypeDecorator[str]):
    """A tsvector written as its text literal: the bound string is cast, so only tsvector_in parses it."""

    impl = TSVECTOR
    cache_ok = True

    def bind_expression(self, bindvalue: BindParameter[str]) -> ColumnElement[str]:
        return sql_cast(bindvalue, TSVECTOR)


# `documents` as PostgreSQL has it: with the search vector the writer computes (archiver.store.tsvector).
# SQLite has no such column (FTS5 indexes the text itself), so the ORM model leaves it out.
PG_DOCS = DOCS.to_metadata(MetaData())
PG_DOCS.append_column(Column("search", TsvectorText()))


def iso(value: Any) -> Any:
    """Dates and times as ISO 8601 text (naive ones are UTC): how the store shows them everywhere."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value
