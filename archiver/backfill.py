"""`archiver ingest PATH...`: the daemon's pipeline and writer over files the user names, with a progress bar.

Unlike the inbox, the files are the user's own: they are read, never moved or deleted.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from archiver.config import Settings
from archiver.inbox import Claim, is_taken_name
from archiver.pool import Loss, Results, WorkerPool
from archiver.store.repository import Arrival, Saved, Store
from archiver.worker import Failure, Task
from archiver.writer import Hooks, Writer


@dataclass
class BackfillReport:
    new: int = 0
    duplicate: int = 0
    already: int = 0
    failed: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)


def files_below(paths: list[Path]) -> Iterator[Claim]:
    """Each taken file, named relative to the folder given (its first sub-folder is its source)."""
    for path in paths:
        if path.is_file() and not path.is_symlink():
            yield Claim(path, path.name)
            continue
        for folder, dirs, names in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(names):
                full = Path(folder) / name
                if is_taken_name(name) and not full.is_symlink():
                    yield Claim(full, full.relative_to(path).as_posix())


def backfill(settings: Settings, paths: list[Path], *, source: str | None = None) -> BackfillReport:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    claims = list(files_below(paths))
    store = Store(settings.database_url, upgrade=True)
    learned = store.learned_blocks()
    with_search = store.writes_search()
    report = BackfillReport()
    slots = threading.BoundedSemaphore(settings.worker_count * 4)
    in_flight = [0]
    lock = threading.Lock()
    progress = Progress(
        TextColumn("ingesting"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), transient=False
    )
    task_id = progress.add_task("ingest", total=len(claims))

    def advance() -> None:
        slots.release()
        progress.advance(task_id)

    def stored(claim: Claim, _arrival: Arrival, saved: Saved) -> None:
        setattr(report, saved.status, getattr(report, saved.status) + 1)
        advance()

    def failed(claim: Claim, failure: Failure) -> None:
        report.failed += 1
        report.failures.append((str(claim.path), failure.reason))
        advance()

    writer: Writer[Claim] = Writer(
        store,
        Hooks(stored, failed, lambda claim: failed(claim, Failure("database", "the database is unavailable"))),
        batch_size=settings.batch_size,
        batch_seconds=settings.batch_seconds,
        retry_max_seconds=settings.retry_max_seconds,
        in_flight=lambda: in_flight[0],
    )
    writer.start()

    def done(claim: Claim, results: Results) -> None:
        with lock:
            in_flight[0] -= 1
        writer.put(claim, results[0])

    def lost(claim: Claim, loss: Loss) -> None:
        with lock:
            in_flight[0] -= 1
        why = "the pipeline got stuck on this file" if loss == "stuck" else "a worker process died on this file"
        writer.put(claim, Failure("internal", why))

    pool: WorkerPool[Claim] = WorkerPool(
        settings.worker_count, on_result=done, on_lost=lost, pipeline_timeout=settings.pipeline_timeout
    )
    pool.start()
    with progress:
        for claim in claims:
            slots.acquire()
            with lock:
                in_flight[0] += 1
            task = Task(
                claim=claim,
                max_bytes=settings.max_file_bytes,
                timeout=settings.pipeline_timeout,
                source=source or claim.source,
                learned=learned.get(source or claim.source or "", frozenset()),
                with_search=with_search,
            )
            pool.submit([task], claim)
        for _ in range(settings.worker_count * 4):
            slots.acquire()
        pool.close(timeout=0)
        writer.stop()
        writer.join()
    store.close()
    return report
