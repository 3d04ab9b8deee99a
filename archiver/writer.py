"""The one thread that writes: batches of up to N results or M seconds, one transaction a batch.

A file leaves the inbox only after the batch holding it has committed (the caller's `stored` hook).
Transient database errors are retried with backoff for as long as it takes; the files wait.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from archiver.store.repository import Arrival, Saved, Store, is_transient
from archiver.worker import Failure

log = logging.getLogger("archiver.writer")

H = TypeVar("H")  # what the caller uses to find the file again (a Claim, or a Path for `ingest`)


@dataclass(frozen=True)
class Hooks(Generic[H]):
    stored: Callable[[H, Arrival, Saved], None]
    failed: Callable[[H, Failure], None]
    released: Callable[[H], None]  # given back untouched (shutdown while the database is down)


_STOP = object()
# Seconds without a new result before the writer checkpoints the WAL (SQLite). A backlog fills the WAL up to
# its large checkpoint interval; left that size, it slows every reader of an idle archive (a reader looks up
# each page it reads in the WAL's index first).
IDLE_CHECKPOINT_SECONDS = 1.0
# The longest a batch waits to fill up while the pipeline holds enough files to fill it (a backlog, whose
# files are not waited for one by one: latency there is the backlog's, throughput is what counts).
BACKLOG_BATCH_SECONDS = 1.0


class Writer(threading.Thread, Generic[H]):
    def __init__(
        self,
        store: Store,
        hooks: Hooks[H],
        *,
        batch_size: int,
        batch_seconds: float,
        retry_max_seconds: float,
        in_flight: Callable[[], int] = lambda: 0,
    ) -> None:
        super().__init__(name="archiver-writer", daemon=True)
        self.store = store
        self.hooks = hooks
        self.batch_size = batch_size
        self.batch_seconds = batch_seconds
        self.retry_max_seconds = retry_max_seconds
        self.in_flight = in_flight
        self.queue: queue.Queue[object] = queue.Queue()
        self.stopping = threading.Event()
        self.database_down = threading.Event()
        self.committed = 0

    def put(self, handle: H, result: Arrival | Failure) -> None:
        self.queue.put([(handle, result)])

    def put_many(self, items: list[tuple[H, Arrival | Failure]]) -> None:
        """A worker's chunk in one hand-over: one wake-up of this thread rather than one per file."""
        if items:
            self.queue.put(items)

    def stop(self) -> None:
        """Finish what is queued, then end. While stopping, a database that is down releases the files."""
        self.stopping.set()
        self.queue.put(_STOP)

    def run(self) -> None:
        done = False
        written = False  # since the last checkpoint
        while not done:
            try:
                item = self.queue.get(timeout=IDLE_CHECKPOINT_SECONDS if written else None)
            except queue.Empty:
                self._checkpoint()
                written = False
                continue
            if item is _STOP:
                break
            # A batch may end a few files past batch_size: a chunk is never split.
            batch: list[tuple[H, Arrival | Failure]] = list(item)  # type: ignore[call-overload]
            started = time.monotonic()
            while len(batch) < self.batch_size:
                try:
                    nxt = self.queue.get_nowait()
                except queue.Empty:
                    in_flight = self.in_flight()
                    if in_flight == 0:
                        break  # nothing else is coming: a lone file is committed at once
                    remaining = started + self._wait_for(in_flight, len(batch)) - time.monotonic()
                    if remaining <= 0:
                        break
                    try:
                        nxt = self.queue.get(timeout=remaining)
                    except queue.Empty:
                        break
                if nxt is _STOP:
                    done = True
                    break
                batch.extend(nxt)  # type: ignore[arg-type]
            self.commit(batch)
            written = True

    def _wait_for(self, in_flight: int, batched: int) -> float:
        """How long a batch may wait for more files: batch_seconds, or in a backlog (enough files in the
        pipeline to fill it) up to BACKLOG_BATCH_SECONDS.

        A backlog's results arrive a chunk at a time; committed after batch_seconds, its batches held
        64 files, not 200, and SQLite's per-commit work (index pages, a new full-text segment) was paid
        three times as often: ~12 % more of the writer's time per document (in-process, 20k arrivals).
        """
        if in_flight >= self.batch_size - batched:
            return max(self.batch_seconds, BACKLOG_BATCH_SECONDS)
        return self.batch_seconds

    def _checkpoint(self) -> None:
        try:
            self.store.checkpoint()
        except Exception as exc:  # noqa: BLE001 - a checkpoint is an optimisation: SQLite does it later anyway
            log.debug("idle checkpoint skipped: %s", _one_line(exc))

    def commit(self, batch: list[tuple[H, Arrival | Failure]]) -> None:
        stored = [(h, r) for h, r in batch if isinstance(r, Arrival)]
        for handle, result in batch:
            if isinstance(result, Failure):
                self.hooks.failed(handle, result)
        if stored:
            self._save(stored)

    def _save(self, items: list[tuple[H, Arrival]]) -> None:
        delay = 0.2
        while True:
            try:
                saved = self.store.save_batch([a for _, a in items])
            except Exception as exc:  # noqa: BLE001 - classified just below: transient or refused
                if is_transient(exc):
                    if self.stopping.is_set() and delay > 1.0:
                        for handle, _ in items:
                            self.hooks.released(handle)
                        return
                    if not self.database_down.is_set():
                        log.warning("database unavailable, files wait in the inbox: %s", _one_line(exc))
                        self.database_down.set()
                    time.sleep(delay)
                    delay = min(delay * 2, self.retry_max_seconds)
                    continue
                if len(items) > 1:  # find the one file the database refuses; the others go through
                    for item in items:
                        self._save([item])
                    return
                handle = items[0][0]
                reason = f"the database refused the document: {_one_line(exc)}"
                self.hooks.failed(handle, Failure("database", reason))
                return
            if self.database_down.is_set():
                log.info("database available again")
                self.database_down.clear()
            self.committed += len(items)
            for (handle, arrival), result in zip(items, saved, strict=True):
                self.hooks.stored(handle, arrival, result)
            return


def _one_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__
