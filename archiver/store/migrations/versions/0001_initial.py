"""Initial schema: documents, ingestions, originals, removed blocks, learning, sketches, full-text index.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)

SQLITE_FTS = [
    # content="documents" in double quotes: how Datasette recognises the table's full-text index.
    """CREATE VIRTUAL TABLE documents_fts USING fts5(
        title, body, author, content="documents", content_rowid="id",
        tokenize="unicode61 remove_diacritics 2")""",
    """CREATE TRIGGER documents_fts_insert AFTER INSERT ON documents BEGIN
        INSERT INTO documents_fts(rowid, title, body, author) VALUES (new.id, new.title, new.body, new.author);
    END""",
    """CREATE TRIGGER documents_fts_delete AFTER DELETE ON documents BEGIN
        INSERT INTO documents_fts(documents_fts, rowid, title, body, author)
        VALUES ('delete', old.id, old.title, old.body, old.author);
    END""",
    """CREATE TRIGGER documents_fts_update AFTER UPDATE OF title, body, author ON documents BEGIN
        INSERT INTO documents_fts(documents_fts, rowid, title, body, author)
        VALUES ('delete', old.id, old.title, old.body, old.author);
        INSERT INTO documents_fts(rowid, title, body, author) VALUES (new.id, new.title, new.body, new.author);
    END""",
]

POSTGRES_FTS = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    # unaccent() is only STABLE; a generated column needs an IMMUTABLE wrapper with the dictionary named.
    """CREATE OR REPLACE FUNCTION archiver_unaccent(text) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
        AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$""",
    # Title weighs most, then author, then body; 'simple' because the archive is multilingual.
    # The body is cut at 500,000 characters: a tsvector holds at most 1 MB.
    """ALTER TABLE documents ADD COLUMN search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', archiver_unaccent(coalesce(title, ''))), 'A') ||
        setweight(to_tsvector('simple', archiver_unaccent(coalesce(author, ''))), 'B') ||
        setweight(to_tsvector('simple', archiver_unaccent(left(body, 500000))), 'C')) STORED""",
    "CREATE INDEX ix_documents_search ON documents USING gin (search)",
]


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("content_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("title", sa.Text),
        sa.Column("author", sa.Text),
        sa.Column("published", sa.Date, index=True),
        sa.Column("language", sa.String(8), index=True),
        sa.Column("source", sa.Text, index=True),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("overrides", sa.JSON),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("word_count", sa.Integer, nullable=False),
        sa.Column("created_at", TZ, nullable=False, index=True),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("near_duplicate_of", sa.Integer, sa.ForeignKey("documents.id", ondelete="SET NULL")),
        sa.Column("similarity", sa.Float),
    )
    op.create_table(
        "ingestions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "document_id", sa.Integer, sa.ForeignKey("documents.id", ondelete="CASCADE"), nullable=False, index=True
        ),
        sa.Column("file_name", sa.Text, nullable=False),
        sa.Column("folder", sa.Text, nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("mtime", sa.Float, nullable=False),
        sa.Column("raw_sha256", sa.String(64), nullable=False, index=True),
        sa.Column("encoding", sa.String(40)),
        sa.Column("confidence", sa.Float),
        sa.Column("mojibake_repaired", sa.Boolean, nullable=False),
        sa.Column("received_at", TZ, nullable=False, index=True),
        sa.Column("idempotency_key", sa.String(64), nullable=False, unique=True),
    )
    op.create_table(
        "originals",
        sa.Column("raw_sha256", sa.String(64), primary_key=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "removed_blocks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "document_id", sa.Integer, sa.ForeignKey("documents.id", ondelete="CASCADE"), nullable=False, index=True
        ),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
    )
    op.create_table(
        "block_counts",
        sa.Column("source", sa.Text, primary_key=True),
        sa.Column("block_hash", sa.String(16), primary_key=True),
        sa.Column("documents", sa.Integer, nullable=False),
        sa.Column("learned", sa.Boolean, nullable=False),
    )
    op.create_table(
        "document_sketches",
        sa.Column(
            "document_id", sa.Integer, sa.ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("value", sa.BigInteger, primary_key=True),
    )
    op.create_index("ix_document_sketches_value", "document_sketches", ["value"])
    op.create_table(
        "job_locks",
        sa.Column("name", sa.String(60), primary_key=True),
        sa.Column("holder", sa.Text, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
    )
    bind = op.get_bind()
    for statement in SQLITE_FTS if bind.dialect.name == "sqlite" else POSTGRES_FTS:
        op.execute(statement)
    if bind.dialect.name == "postgresql":
        _prefer_lz4(bind)


def _prefer_lz4(bind: sa.engine.Connection) -> None:
    """Bodies and vectors TOAST-compressed with lz4 read about twice as fast as with pglz (export, search)."""
    if (bind.dialect.server_version_info or (0,)) < (14,):
        return
    try:
        with bind.begin_nested():
            for column in ("body", "search"):
                bind.execute(sa.text(f"ALTER TABLE documents ALTER COLUMN {column} SET COMPRESSION lz4"))
    except sa.exc.DBAPIError:
        pass  # a server built without lz4 keeps pglz: slower reads, same data


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS documents_fts")
    for table in ("job_locks", "document_sketches", "block_counts", "removed_blocks", "originals", "ingestions"):
        op.drop_table(table)
    op.drop_table("documents")
