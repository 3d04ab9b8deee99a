"""Near-duplicate sketches computed again: each shingle is now hashed from its words' hashes.

The MinHash sketch of a document (document_sketches) was built from a CRC32 and an Adler-32 of each
word 3-shingle's text. It is now built from a 64-bit hash of each distinct word, mixed three at a time
(archiver.pipeline.identity.shingle_hashes): a third of the cost in every worker, for keys of the same
kind (4 LSH bands of a one-permutation MinHash over 16 buckets). Keys of the two kinds never match,
so every stored sketch is computed again here, from the stored body: a document's sketch is the
sketch of the start of its clean body, whatever the pipeline that wrote it.

This migration calls the running version's `sketch`, not a copy frozen with it: if a later version
changes the sketch again, its own migration computes them again, and running this one first only
costs time. About 0.1 ms a document (a few seconds for 100,000), in batches of 1,000.
Downgrade leaves the keys as they are: an older version would not find near-duplicates among the
documents archived before the downgrade until `archiver reprocess` writes them again.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BATCH = 1000


def upgrade() -> None:
    from archiver.pipeline.identity import sketch

    bind = op.get_bind()
    documents = sa.table("documents", sa.column("id", sa.Integer), sa.column("body", sa.Text))
    sketches = sa.table("document_sketches", sa.column("document_id", sa.Integer), sa.column("value", sa.BigInteger))
    bind.execute(sa.delete(sketches))
    last = 0
    while True:
        rows = bind.execute(
            sa.select(documents.c.id, documents.c.body).where(documents.c.id > last).order_by(documents.c.id).limit(BATCH)
        ).all()
        if not rows:
            break
        values = [{"document_id": doc_id, "value": value} for doc_id, body in rows for value in set(sketch(body))]
        bind.execute(sa.insert(sketches), values)
        last = rows[-1][0]


def downgrade() -> None:
    pass
