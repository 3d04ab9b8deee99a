"""The dispatcher hands the pool full chunks in a backlog, and a lone file at once in a trickle."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

import archiver.daemon as daemon_module
from archiver.config import Settings
from archiver.daemon import CHUNK_FILES, Daemon


def _daemon(tmp_path: Path, ready: int) -> Daemon:
    settings = Settings(inbox=tmp_path / "inbox", failed_dir=tmp_path / "failed", database_url="sqlite:///:memory:")
    daemon = Daemon(settings, once=True)
    for n in range(ready):
        daemon.ready.put(tmp_path / "inbox" / f"{n}.txt")
    return daemon


def _take_all_slots_but(daemon: Daemon, left: int) -> int:
    taken = 0
    while daemon.slots.acquire(blocking=False):
        taken += 1
    for _ in range(left):
        daemon.slots.release()
    return taken - left


def test_a_backlog_waits_for_the_slots_a_commit_frees_one_by_one_and_sends_a_full_chunk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(daemon_module, "CHUNK_FILL_SECONDS", 5.0)  # a loaded test machine may take its time
    daemon = _daemon(tmp_path, ready=CHUNK_FILES * 2)
    _take_all_slots_but(daemon, 1)

    def writer_hooks_release_a_batch() -> None:  # as Daemon._stored does, one file after another
        for _ in range(CHUNK_FILES * 2):
            time.sleep(0.0005)
            daemon.slots.release()

    releasing = threading.Thread(target=writer_hooks_release_a_batch)
    releasing.start()
    chunk = daemon._take_chunk(daemon.ready.get())
    releasing.join()
    assert len(chunk) == CHUNK_FILES


def test_a_lone_ready_file_goes_at_once_even_without_free_slots_for_more(tmp_path: Path) -> None:
    daemon = _daemon(tmp_path, ready=1)
    _take_all_slots_but(daemon, 1)
    start = time.monotonic()
    chunk = daemon._take_chunk(daemon.ready.get())
    assert len(chunk) == 1
    assert time.monotonic() - start < 0.04  # no wait for slots when nothing else is ready


def test_a_chunk_goes_short_when_no_slot_frees_in_time(tmp_path: Path) -> None:
    daemon = _daemon(tmp_path, ready=10)
    _take_all_slots_but(daemon, 3)
    chunk = daemon._take_chunk(daemon.ready.get())
    assert len(chunk) == 3  # the files it holds slots for; the rest wait in the ready queue
    assert daemon.ready.qsize() == 7
