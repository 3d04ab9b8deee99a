"""Wiring: watcher and scans -> ready queue -> claim -> pipeline workers (processes) -> writer -> unlink.

Threads: the watchdog observer, a scanner, the dispatcher (claims files and feeds the pool), the writer
(the only code path that writes) and the scheduler (rescans, claim recovery, learning). The main thread
waits for SIGTERM/SIGINT, then drains: files in flight are finished and committed, or go back to the inbox.
"""

from __future__ import annotations

import gc
import logging
import queue
import signal
import threading
import time
from collections import Counter
from pathlib import Path
from types import FrameType
from typing import Any

from archiver.config import Settings
from archiver.errors import DatabaseUnavailable, FileRejected
from archiver.forkserver import start_forkserver
from archiver.inbox import Claim, Inbox
from archiver.pipeline import _native
from archiver.pool import Loss, Results, WorkerPool
from archiver.store.repository import Arrival, Saved, Store
from archiver.watcher import InboxEventHandler, Readiness, make_observer
from archiver.worker import Failure, Task
from archiver.writer import Hooks, Writer

log = logging.getLogger("archiver")

SHUTDOWN_BUDGET = 8.0  # seconds from SIGTERM to exit: DESIGN promises 10
WORKER_CRASHES_BEFORE_FAILING = 2
# Files per pool call in a backlog (fewer when fewer are ready: a trickle's file goes alone, at once): the
# per-call cost of the pool (pickling, pipes, wake-ups in both processes) is paid once per chunk. 32 files
# are ~60 ms of a worker's time. Eighth session, 20k backlog, against 8 files a chunk: SQLite 701 / 741 vs
# 653 / 668 docs/s. (The PostgreSQL backlogs at half speed once blamed on larger chunks came from the
# writer's foreign-key plans: see Store.writing.)
CHUNK_FILES = 32
# How long the dispatcher waits for the slots to fill a chunk when files are ready and slots are not
# (a backlog): a committed batch frees its slots within a few milliseconds.
CHUNK_FILL_SECONDS = 0.05


def claim_budget(workers: int, batch_size: int) -> int:
    """Files claimed and not yet committed, at most: a slot frees only when its file's batch commits.

    While the writer commits one batch (batch_size, plus up to a chunk past it: a chunk is never split),
    the next fills up behind it, and each worker needs a chunk to run and one waiting. With less, a slow
    commit leaves the workers without files until it ends.
    """
    return 2 * (batch_size + CHUNK_FILES) + 2 * workers * CHUNK_FILES


class Daemon:
    def __init__(self, settings: Settings, *, once: bool = False) -> None:
        self.settings = settings
        self.once = once
        self.stop_event = threading.Event()
        self.inbox = Inbox(settings.inbox, settings.failed_dir, claim_timeout=settings.claim_timeout)
        self.ready: queue.Queue[Path] = queue.Queue(maxsize=settings.queue_size)
        self.readiness = Readiness(self.inbox, settings.settle_seconds, self._enqueue)
        self.slots = threading.BoundedSemaphore(claim_budget(settings.worker_count, settings.batch_size))
        self.learned: dict[str, frozenset[str]] = {}
        self._lock = threading.Lock()
        self._queued: set[Path] = set()
        self._outstanding = 0  # enqueued and not yet finished (stored, failed, released or gone)
        self._in_flight = 0  # in the pool, result not yet handed to the writer
        self._scan_lock = threading.Lock()
        self._scans_running = 0
        self._crashes: Counter[str] = Counter()
        self._suspects: set[str] = set()  # files in a chunk whose worker died: dispatched alone from now on
        self._pool: WorkerPool[list[Claim]] | None = None
        self._writer: Writer[Claim] | None = None
        self._with_search = False  # the workers build search vectors (PostgreSQL)
        self.stats: Counter[str] = Counter()

    # ------------------------------------------------------------------ life

    def run(self) -> int:
        self._install_signal_handlers()
        start_forkserver()
        store = self._connect()
        if store is None:
            return 0
        self.inbox.open()
        self.inbox.recover_claims()
        self.learned = store.learned_blocks()
        self._with_search = store.writes_search()
        self._pool = WorkerPool(
            self.settings.worker_count,
            on_result=self._done,
            on_lost=self._lost,
            pipeline_timeout=self.settings.pipeline_timeout,
        )
        self._pool.start()
        _settle_memory()
        writer: Writer[Claim] = Writer(
            store,
            Hooks(self._stored, self._failed, self._released),
            batch_size=self.settings.batch_size,
            batch_seconds=self.settings.batch_seconds,
            retry_max_seconds=self.settings.retry_max_seconds,
            in_flight=lambda: self._in_flight,
        )
        self._writer = writer
        writer.start()
        observer = None
        if not self.once:
            handler = InboxEventHandler(self.inbox, self.readiness, polling=self.settings.polling, rescan=self.rescan)
            observer = make_observer(self.inbox, handler, polling=self.settings.polling)
            observer.start()
            _OverflowListener.install(self._on_overflow)
        dispatcher = threading.Thread(target=self._dispatch_loop, name="archiver-dispatcher", daemon=True)
        dispatcher.start()
        threading.Thread(target=self._settle_loop, name="archiver-settle", daemon=True).start()
        scheduler = None if self.once else self._start_scheduler(store)
        self.rescan(self.inbox.root)
        log.info(
            "archiver running: inbox %s, database %s, %d worker(s), pipeline %s%s",
            self.inbox.root,
            store.engine.url.render_as_string(hide_password=True),
            self.settings.worker_count,
            "compiled" if _native.NATIVE else f"pure Python ({_native.WHY_NOT})",
            ", once" if self.once else "",
        )
        while not self.stop_event.wait(0.1):
            if self.once and self._idle():
                break
        self._shutdown(store, observer, scheduler, dispatcher, writer)
        return 0

    def stop(self) -> None:
        self.stop_event.set()

    def _install_signal_handlers(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return

        def on_signal(signum: int, _frame: FrameType | None) -> None:
            log.info("received %s: finishing the files in flight", signal.Signals(signum).name)
            self.stop_event.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)

    def _connect(self) -> Store | None:
        """Open and upgrade the database, waiting (with backoff) while it is unreachable."""
        delay = 0.5
        warned = False
        while not self.stop_event.is_set():
            store = Store(self.settings.database_url)
            try:
                store.upgrade()
                return store
            except DatabaseUnavailable as exc:
                store.close()
                if not warned:
                    log.warning("%s; retrying until it answers", exc)
                    warned = True
                self.stop_event.wait(delay)
                delay = min(delay * 2, self.settings.retry_max_seconds)
        return None

    def _start_scheduler(self, store: Store) -> Any:
        from apscheduler.schedulers.background import BackgroundScheduler

        scheduler = BackgroundScheduler(daemon=True)
        common: dict[str, Any] = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}
        scheduler.add_job(
            self._scheduled_rescan, "interval", args=[store], seconds=self.settings.rescan_interval, **common
        )
        claims_every = max(1.0, min(30.0, self.settings.claim_timeout / 3))
        scheduler.add_job(self._tend_claims, "interval", seconds=claims_every, **common)
        scheduler.add_job(self._learn, "interval", args=[store], seconds=self.settings.learn_interval, **common)
        scheduler.add_job(self._optimize, "interval", args=[store], seconds=self.settings.optimize_interval, **common)
        scheduler.start()
        return scheduler

    def _shutdown(
        self, store: Store, observer: Any, scheduler: Any, dispatcher: threading.Thread, writer: Writer[Claim]
    ) -> None:
        deadline = time.monotonic() + SHUTDOWN_BUDGET
        self.stop_event.set()
        if observer is not None:
            observer.stop()
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        dispatcher.join(timeout=2)
        if self._pool is not None:  # files still running after the budget go back to the inbox
            self._pool.close(timeout=max(0.0, deadline - 2 - time.monotonic()))
        writer.stop()
        writer.join(timeout=max(0.5, deadline - time.monotonic()))
        self.inbox.close()
        store.close()
        gc.unfreeze()  # a process that goes on (tests, an embedding program) collects it again
        log.info(
            "archiver stopped: %d new, %d duplicate(s), %d failed",
            self.stats["new"],
            self.stats["duplicate"],
            self.stats["failed"],
        )

    # ------------------------------------------------------------------ finding files

    def rescan(self, folder: Path) -> None:
        """Queue every candidate below `folder`; runs on its own thread so that a full queue blocks nobody."""
        with self._scan_lock:
            self._scans_running += 1
        threading.Thread(target=self._scan, args=(folder,), name="archiver-scan", daemon=True).start()

    def _scheduled_rescan(self, store: Store) -> None:
        """The periodic safety net, walked by one daemon at a time among those sharing this inbox and database
        (job lock); in the scheduler's thread, so a walk longer than the interval never overlaps the next."""
        try:
            with store.job_lock(
                f"rescan:{self.inbox.root.resolve()}", ttl=max(60.0, 4 * self.settings.rescan_interval)
            ) as mine:
                if not mine:
                    log.debug("another daemon is rescanning the inbox: skipped")
                    return
                with self._scan_lock:
                    self._scans_running += 1
                self._scan(self.inbox.root)
                log.debug("rescanned the inbox")
        except Exception as exc:  # noqa: BLE001 - a periodic job must never stop the daemon
            log.warning("rescan failed: %s", exc)

    def _on_overflow(self) -> None:
        """The kernel dropped inotify events: rescan the whole inbox at once."""
        log.warning("inotify lost events (queue overflow): rescanning the inbox")
        self.rescan(self.inbox.root)

    def _scan(self, folder: Path) -> None:
        try:
            for path in self.inbox.scan(folder):
                # Backpressure: a scan of a 100k-file backlog must not hold every path in memory at once.
                while len(self.readiness) >= self.settings.queue_size and not self.stop_event.wait(0.05):
                    pass
                if self.stop_event.is_set():
                    return
                self.readiness.watch(path)
        finally:
            with self._scan_lock:
                self._scans_running -= 1

    def _enqueue(self, path: Path) -> None:
        with self._lock:
            if path in self._queued:
                return
            self._queued.add(path)
            self._outstanding += 1
        while not self.stop_event.is_set():
            try:
                self.ready.put(path, timeout=0.2)
                return
            except queue.Full:
                continue
        self._finished()

    def _idle(self) -> bool:
        with self._lock:
            outstanding = self._outstanding
        return outstanding == 0 and self._scans_running == 0 and len(self.readiness) == 0

    def _finished(self) -> None:
        with self._lock:
            self._outstanding -= 1

    # ------------------------------------------------------------------ dispatching

    def _settle_loop(self) -> None:
        """Its own thread: taking a settled file may block on the full ready queue, which the dispatcher drains."""
        while not self.stop_event.wait(0.1):
            self.readiness.tick()

    def _dispatch_loop(self) -> None:
        while not self.stop_event.is_set():
            try:
                path = self.ready.get(timeout=0.05)
            except queue.Empty:
                continue
            try:
                self._dispatch(self._take_chunk(path))
            except Exception:
                log.exception("cannot dispatch %s", path)

    def _take_chunk(self, first: Path) -> list[Path]:
        """`first` and whatever else is ready now, up to CHUNK_FILES, each holding a slot.

        Never waits for more: a lone file in a quiet inbox goes to a worker at once.
        """
        while not self.slots.acquire(timeout=0.2):
            if self.stop_event.is_set():
                self._unqueue(first)
                self._finished()
                return []
        paths = [first]
        deadline: float | None = None
        while len(paths) < CHUNK_FILES:
            if not self.slots.acquire(blocking=False):
                # More files are ready but every slot is taken: a backlog, whose slots free a batch at a
                # time, as the writer's hooks run through a committed batch. Taken now, the chunk would
                # hold a file or two, and every chunk after it too (the pool's per-chunk cost, ten times
                # over: 20k backlog, 6,500 chunks for 20,000 files).
                if self.ready.empty():
                    break
                if deadline is None:
                    deadline = time.monotonic() + CHUNK_FILL_SECONDS
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self.slots.acquire(timeout=remaining):
                    break
            try:
                paths.append(self.ready.get_nowait())
            except queue.Empty:
                self.slots.release()
                break
        for path in paths:
            self._unqueue(path)
        return paths

    def _unqueue(self, path: Path) -> None:
        with self._lock:
            self._queued.discard(path)

    def _dispatch(self, paths: list[Path]) -> None:
        """Claim each path and send the claims to the pool: together, or alone for a suspect."""
        together: list[Claim] = []
        for path in paths:
            try:
                claim = self.inbox.claim(path)
            except Exception:
                log.exception("cannot claim %s", path)
                claim = None
            if claim is None:
                self._release_slot()
            elif claim.relative in self._suspects:
                self._submit([claim])
            else:
                together.append(claim)
        if together:
            self._submit(together)

    def _submit(self, claims: list[Claim]) -> None:
        tasks = [
            Task(
                claim=claim,
                max_bytes=self.settings.max_file_bytes,
                timeout=self.settings.pipeline_timeout,
                source=claim.source,
                learned=self.learned.get(claim.source or "", frozenset()),
                sidecar=claim.sidecar,
                with_search=self._with_search,
            )
            for claim in claims
        ]
        assert self._pool is not None
        with self._lock:
            self._in_flight += len(claims)
        self._pool.submit(tasks, claims)

    def _done(self, claims: list[Claim], results: Results) -> None:
        """From the pool's thread: each file's outcome goes to the writer."""
        with self._lock:
            self._in_flight -= len(claims)
        assert self._writer is not None
        self._writer.put_many(list(zip(claims, results, strict=True)))

    def _lost(self, claims: list[Claim], loss: Loss) -> None:
        """From the pool's thread: the worker holding these files died, was stuck, or the daemon is stopping."""
        with self._lock:
            self._in_flight -= len(claims)
        if loss == "shutdown":
            for claim in claims:
                self._released(claim)
        else:
            self._worker_died(claims, reason=loss)

    def _worker_died(self, claims: list[Claim], *, reason: Loss) -> None:
        """A worker died or was killed for being stuck, holding these files.

        Which of them killed it is unknown, so none is blamed at first: each goes back to the inbox and is
        retried alone (a suspect). A suspect whose worker dies again counts a crash; at
        WORKER_CRASHES_BEFORE_FAILING it goes to failed/ rather than kill workers forever.
        """
        why = "the pipeline got stuck on this file" if reason == "stuck" else "a worker process died"
        for claim in claims:
            if self.stop_event.is_set():
                pass  # shutting down: the worker was stopped, not this file's doing
            elif claim.relative not in self._suspects:
                self._suspects.add(claim.relative)
            else:
                self._crashes[claim.relative] += 1
                if self._crashes[claim.relative] >= WORKER_CRASHES_BEFORE_FAILING:
                    assert self._writer is not None
                    self._writer.put(claim, Failure("internal", f"{why} while processing this file"))
                    continue
            log.debug("%s goes back to the inbox after a worker died", claim.relative)
            self.inbox.release(claim)
            self.readiness.retry(self.inbox.root / claim.relative)  # before the slot: never idle in between
            self._release_slot()

    # ------------------------------------------------------------------ writer hooks

    def _stored(self, claim: Claim, arrival: Arrival, saved: Saved) -> None:
        self.inbox.finish(claim)
        self._acquitted(claim)
        self.stats[saved.status] += 1
        if saved.status == "new":
            near = f", near-duplicate of {saved.near_duplicate_of}" if saved.near_duplicate_of else ""
            log.info(
                "ingested %s as document %d%s",
                claim.relative,
                saved.document_id,
                near,
                extra={"fields": {"event": "ingested", "path": claim.relative, "document_id": saved.document_id}},
            )
        elif saved.status == "duplicate":
            log.info(
                "ingested %s: duplicate of document %d",
                claim.relative,
                saved.document_id,
                extra={"fields": {"event": "duplicate", "path": claim.relative, "document_id": saved.document_id}},
            )
        else:
            log.info(
                "%s was already archived (document %d)",
                claim.relative,
                saved.document_id,
                extra={"fields": {"event": "already", "path": claim.relative, "document_id": saved.document_id}},
            )
        self._release_slot()

    def _failed(self, claim: Claim, failure: Failure) -> None:
        try:
            target = self.inbox.fail(claim, failure.code, failure.reason, traceback_id=failure.traceback_id)
        except (OSError, FileRejected) as exc:
            why = exc.reason if isinstance(exc, FileRejected) else exc.strerror
            log.error("cannot move %s to failed/ (%s); it goes back to the inbox", claim.relative, why)
            self.inbox.release(claim)
            self._release_slot()
            return
        self.stats["failed"] += 1
        self._acquitted(claim)
        log.warning(
            "failed %s: %s (%s) -> %s",
            claim.relative,
            failure.reason,
            failure.code,
            target,
            extra={"fields": {"event": "failed", "path": claim.relative, "code": failure.code}},
        )
        self._release_slot()

    def _acquitted(self, claim: Claim) -> None:
        """The file reached its outcome: forget any suspicion (the sets would otherwise grow for months)."""
        if self._suspects:
            self._suspects.discard(claim.relative)
            self._crashes.pop(claim.relative, None)

    def _released(self, claim: Claim) -> None:
        self.inbox.release(claim)
        self._release_slot()

    def _release_slot(self) -> None:
        self.slots.release()
        self._finished()

    # ------------------------------------------------------------------ periodic jobs

    def _tend_claims(self) -> None:
        self.inbox.heartbeat()
        self.inbox.recover_claims()

    def _optimize(self, store: Store) -> None:
        """Once across all daemons sharing the database (job lock), keep the full-text index compact."""
        try:
            with store.job_lock("optimize", ttl=self.settings.optimize_interval) as mine:
                if mine:
                    store.optimize_index()
                    log.info("optimized the full-text index")
        except Exception as exc:  # noqa: BLE001 - a periodic job must never stop the daemon
            log.warning("index optimisation failed: %s", exc)

    def _learn(self, store: Store) -> None:
        try:
            with store.job_lock("learn", ttl=self.settings.learn_interval) as mine:
                if mine:
                    count = store.refresh_learned(self.settings.learn_min_documents)
                    log.info("learned boilerplate: %d paragraph(s)", count)
            self.learned = store.learned_blocks()
        except Exception as exc:  # noqa: BLE001 - a periodic job must never stop the daemon
            log.warning("learning job failed: %s", exc)


def _settle_memory() -> None:
    """What start-up loaded (modules, the schema, SQLAlchemy's caches) lives as long as the daemon: frozen,
    the cyclic collector no longer walks it each time the files in flight trigger a full collection."""
    gc.freeze()


class _OverflowListener(logging.Handler):
    """watchdog reports an inotify queue overflow only in a log line: rescan at once when it does."""

    def __init__(self, on_overflow: Any) -> None:
        super().__init__(level=logging.WARNING)
        self.on_overflow = on_overflow

    def emit(self, record: logging.LogRecord) -> None:
        if "overflow" in record.getMessage().lower():
            self.on_overflow()

    @classmethod
    def install(cls, on_overflow: Any) -> None:
        # watchdog 7 logs "Inotify queue overflowed; filesystem events were lost" on inotify_c once per
        # overflow (and a second line on inotify, which would only rescan twice); older ones on inotify_buffer.
        for name in ("watchdog.observers.inotify_c", "watchdog.observers.inotify_buffer"):
            logging.getLogger(name).addHandler(cls(on_overflow))
