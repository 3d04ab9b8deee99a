"""PostgreSQL: the writer computes each document's search vector; the column is no longer generated.

`documents.search` was `GENERATED ALWAYS AS (setweight(to_tsvector('simple', ...)) || ...) STORED`.
PostgreSQL's text-search parser cost about 1.05 ms of server CPU per inserted article, against 0.26 ms
for everything else an insert does (the GIN index included), on a machine whose two cores also run
the daemon and its workers. The writer now builds the vector in Python (archiver.store.tsvector) as
a tsvector literal, which the server only has to read, and sets it on every INSERT and on every
UPDATE of the title, author or body.

The vector is tokenised by the code that tokenises queries, so a document and a query split words
the same way ("chemin-de-fer" is three words on both sides; PostgreSQL's parser also indexed the
compound). DROP EXPRESSION keeps the vectors already stored: for ordinary words they are what the
Python code computes, and queries keep finding them; `archiver reprocess` rewrites any that differ
when a document changes. The GIN index stays as it is. A row inserted without a vector (a daemon of
the previous version still running during an upgrade, another tool) gets one from PostgreSQL's parser,
as before, through a BEFORE INSERT trigger that fires only then; `archiver check` reports any row
left without one and `check --repair` computes it.

Downgrade makes the column generated again: dropped and re-added with the expression of 0001 and the
in-row storage of 0002 (PostgreSQL rewrites the table and computes every vector), and the index rebuilt.
SQLite has nothing to do.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

GENERATED = """ALTER TABLE documents ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple', archiver_unaccent(coalesce(title, ''))), 'A') ||
    setweight(to_tsvector('simple', archiver_unaccent(coalesce(author, ''))), 'B') ||
    setweight(to_tsvector('simple', archiver_unaccent(left(body, 500000))), 'C')) STORED"""
# A server built without lz4 keeps pglz, as in 0001.
LZ4 = """DO $$ BEGIN
    ALTER TABLE documents ALTER COLUMN search SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN NULL;
END $$"""


# Rows inserted without a vector (an older daemon during a rolling upgrade) are indexed as they were.
FILL_FUNCTION = """CREATE OR REPLACE FUNCTION archiver_search_fill() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search := setweight(to_tsvector('simple', archiver_unaccent(coalesce(NEW.title, ''))), 'A') ||
        setweight(to_tsvector('simple', archiver_unaccent(coalesce(NEW.author, ''))), 'B') ||
        setweight(to_tsvector('simple', archiver_unaccent(left(NEW.body, 500000))), 'C');
    RETURN NEW;
END $$"""
FILL_TRIGGER = """CREATE TRIGGER documents_search_fill BEFORE INSERT ON documents
    FOR EACH ROW WHEN (NEW.search IS NULL) EXECUTE FUNCTION archiver_search_fill()"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE documents ALTER COLUMN search DROP EXPRESSION")
        op.execute(FILL_FUNCTION)
        op.execute(FILL_TRIGGER)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS documents_search_fill ON documents")
    op.execute("DROP FUNCTION IF EXISTS archiver_search_fill()")
    op.execute("ALTER TABLE documents DROP COLUMN search")  # drops ix_documents_search with it
    op.execute(GENERATED)
    op.execute("ALTER TABLE documents ALTER COLUMN search SET STORAGE MAIN")
    if (bind.dialect.server_version_info or (0,)) >= (14,):
        op.execute(LZ4)
    # As 0002 does: rewrite the rows so that the new vectors are stored as the column now says.
    op.execute("CLUSTER documents USING documents_pkey")
    op.execute("ALTER TABLE documents SET WITHOUT CLUSTER")
    op.execute("CREATE INDEX ix_documents_search ON documents USING gin (search)")
    op.execute("ANALYZE documents")
