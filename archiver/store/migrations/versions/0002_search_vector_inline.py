"""PostgreSQL: keep each document's search vector in its row instead of TOAST; only the body goes out.

Searching reads the tsvector of every row it tests (to check a phrase's positions or an exclusion,
and to rank). Out of line (TOAST), each read is an index lookup, two or three chunk fetches and a
decompression: about 3 us a row. In the row (STORAGE MAIN, still compressed), it is a decompression:
about 1 us. A vector too large for a page (a very long body) still goes out of line.

The other short columns become MAIN as well. PostgreSQL moves values out of a row, biggest first,
until the row is under 2 KB, and MAIN values only after every other one: with a 3 KB vector kept in
the row, a 64-byte content hash or a title would otherwise be pushed to TOAST, and reading them would
cost a lookup each (export, result rows). The body alone stays EXTENDED: compressed, and moved out.

New storage applies to rows written from now on; CLUSTER rewrites the existing ones (each value is
fetched back and placed as its column now says, still compressed). It holds an exclusive lock on
`documents` while it runs: about a second per 20,000 documents, plus rebuilding the indexes.
SQLite has nothing to do.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Every variable-length column of `documents` but the body (language, at most 8 characters, never moves).
IN_ROW = ("search", "content_hash", "title", "author", "source", "tags", "overrides")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _set_storage("MAIN")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _set_storage("EXTENDED")


def _set_storage(storage: str) -> None:
    """Set the columns' storage, then rewrite every row under it (VACUUM FULL would, but not in a transaction).

    The rows are already in id order: clustering on the primary key moves nothing; SET WITHOUT CLUSTER
    then forgets the index, so a later bare CLUSTER leaves the table alone.
    """
    columns = ", ".join(f"ALTER COLUMN {column} SET STORAGE {storage}" for column in IN_ROW)
    op.execute(f"ALTER TABLE documents {columns}")
    op.execute("CLUSTER documents USING documents_pkey")
    op.execute("ALTER TABLE documents SET WITHOUT CLUSTER")
    op.execute("ANALYZE documents")
