"""The daemon's bound on claimed files leaves the workers work while the writer holds two batches."""

from __future__ import annotations

import pytest

from archiver.daemon import CHUNK_FILES, claim_budget


@pytest.mark.parametrize("workers", [1, 2, 8])
@pytest.mark.parametrize("batch_size", [1, 50, 200, 1000])
def test_every_worker_can_hold_a_chunk_while_the_writer_holds_two_full_batches(workers: int, batch_size: int) -> None:
    # A slot frees only when its file's batch commits. The writer may be committing one batch and have
    # the next one queued behind it, each up to batch_size plus a chunk less one file (a chunk is never
    # split); the rest must still give every worker a full chunk, or the workers wait for each commit.
    held_by_writer = 2 * (batch_size + CHUNK_FILES - 1)
    assert claim_budget(workers, batch_size) - held_by_writer >= workers * CHUNK_FILES
