"""What a pipeline worker process does with one claimed file: read it once, run the pipeline, pack the result.

Runs in a pipeline worker (archiver.pool), so everything in and out is picklable and nothing here touches the database.
"""

from __future__ import annotations

import hashlib
import logging
import os
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from archiver.arrival import Arrival, compress
from archiver.errors import FileRejected
from archiver.inbox import Claim, read_file
from archiver.pipeline import process
from archiver.pipeline.document import Document
from archiver.sidecar import load_sidecar, sidecar_json
from archiver.store.tsvector import search_vector

log = logging.getLogger("archiver.worker")


@dataclass(frozen=True)
class Task:
    claim: Claim
    max_bytes: int
    timeout: float
    source: str | None = None
    learned: frozenset[str] = frozenset()
    sidecar: Path | None = None
    with_search: bool = False  # build the search vector here (PostgreSQL): see Arrival.search


@dataclass(frozen=True)
class Failure:
    """Why a file cannot be archived: `code` for programs, `reason` for people."""

    code: str
    reason: str
    traceback_id: str | None = None


class PipelineTimeout(Exception):
    pass


class Busy:
    """Since when each worker slot has been on its current file (0.0: idle), in shared memory.

    SIGALRM ends a file that overruns its budget only between Python bytecodes; a worker stuck in one
    long call into C never sees it. The pool reads this board and kills such a worker itself.
    """

    def __init__(self, context: Any, workers: int) -> None:
        self.since = context.Array("d", workers, lock=False)
        self.pids = context.Array("i", workers, lock=False)

    def overdue(self, budget: float) -> list[int]:
        """Pids of the workers on one file for longer than `budget` seconds; their slots are cleared."""
        now = time.monotonic()
        late = []
        for slot, since in enumerate(self.since):
            if since and now - since > budget:
                late.append(int(self.pids[slot]))
                self.since[slot] = 0.0
        return late


_board: tuple[Busy, int] | None = None  # this worker's Busy board and slot, when it has one


def join_board(busy: Busy, slot: int) -> None:
    """Called once in each new worker, with the slot of the worker it replaces (or a fresh one)."""
    global _board
    _board = (busy, slot)
    busy.since[slot] = 0.0
    busy.pids[slot] = os.getpid()


def _mark_busy() -> None:
    """The clock of each file starts with it; the pool starts it when it hands a chunk over and stops it when
    the chunk's results arrive (a worker stuck writing its results counts as busy)."""
    if _board is not None:
        board, slot = _board
        board.since[slot] = time.monotonic()


# After a file's budget, the alarm rings again at this interval until the file ends. Python runs a signal
# handler at its next bytecode, and the compiled pipeline (mypyc) runs none for long stretches: the first
# ring may be handled inside a callback that swallows exceptions (a garbage-collector callback, a __del__).
ALARM_REPEAT_SECONDS = 0.1
_alarm_armed = False  # the handler raises only while a file is running: a late ring after it is ignored
# Set by the first ring of a file's budget. Every ring may land in such a callback (in the fully compiled
# pipeline a callback may be the only Python code that runs for a while): the file then runs to its end,
# but still overran its budget, and ends as a timeout all the same.
_alarm_rang = False


def _on_alarm(_signum: int, _frame: FrameType | None) -> None:
    global _alarm_rang
    if _alarm_armed:
        _alarm_rang = True
        raise PipelineTimeout


def exit_with(parent_pid: int) -> None:
    """End this worker when the daemon that feeds it is gone (SIGKILL, OOM killer).

    A worker waiting for work sees its pipe close, but one busy on a long file (or a pool worker of
    `archiver ingest`) would not, and the forkserver holds its liveness pipe: without this, a killed
    daemon could leave workers (and the forkserver) running.
    """

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if not _alive(parent_pid):
                os._exit(0)

    threading.Thread(target=watch, name="archiver-parent-watch", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie waiting for its parent to reap it is gone too
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


# One text per decoding path (UTF-8, the legacy code pages' fast path and its tables, chardet and the
# re-ranking): each path builds its tables on first use, which cost a cold worker 30-70 ms on its first
# legacy file (a trickle's p99) before these were warmed here.
_WARM_UP_TEXTS = (
    ("Warm-up text: the council approves a new budget.\n\nIt was expected.", "ascii"),
    ("Le conseil a approuvé le budget : « très satisfaits », a déclaré l’élue. Été, hôpital, œuvre.", "cp1252"),
    ("Der Bürgermeister hat die Straße geöffnet. Größere Änderungen folgen später in München.", "latin-1"),
    ("Городской совет утвердил новый бюджет. Решение было ожидаемым, сообщили депутаты.", "cp1251"),
    ("Rada miasta przyjęła budżet. Decyzja była oczekiwana, powiedział przewodniczący.", "cp1250"),
    ("市議会は新しい予算を承認した。決定は予想されていた。", "shift_jis"),
    ("Ο δήμος ενέκρινε τον νέο προϋπολογισμό. Η απόφαση ήταν αναμενόμενη.", "utf-8"),
)


def warm_up() -> None:
    """Forkserver preload and pool initializer: load the detectors, rules and decoding tables now, so
    that no file is the slow first one."""
    for text, encoding in _WARM_UP_TEXTS:
        try:
            process(text.encode(encoding))
        except Exception:
            log.debug("warm-up failed on a %s text", encoding, exc_info=True)


def run_tasks(tasks: list[Task]) -> list[Arrival | Failure]:
    """A chunk of files in one message each way: a backlog pays the per-call cost (pickling, pipes,
    wake-ups in both processes) once per chunk instead of once per file."""
    with _alarm_handler() as handled:
        return [_run_one(task, handled) for task in tasks]


def run_task(task: Task) -> Arrival | Failure:
    """Never raises: every outcome is an Arrival to store or a Failure to move to failed/."""
    with _alarm_handler() as handled:
        return _run_one(task, handled)


@contextmanager
def _alarm_handler() -> Iterator[bool]:
    """SIGALRM handled by _on_alarm while the files inside run (True), then the previous handler back.

    Once a chunk, not once a file: Python's signal.signal and getsignal wrap handlers in enums, and
    cost several times the file's own timer. Outside the main thread no handler can be set (False).
    """
    if not _in_main_thread():
        yield False
        return
    previous: Any = signal.getsignal(signal.SIGALRM)
    signal.signal(signal.SIGALRM, _on_alarm)
    try:
        yield True
    finally:
        signal.signal(signal.SIGALRM, signal.SIG_DFL if previous is None else previous)


def _run_one(task: Task, handled: bool) -> Arrival | Failure:
    """One file under its time budget when `handled` (SIGALRM goes to _on_alarm)."""
    global _alarm_armed, _alarm_rang
    _mark_busy()
    use_alarm = handled and task.timeout > 0
    try:
        if use_alarm:  # inside the try: a ring as soon as the timer starts is this file's timeout too
            _alarm_rang = False
            _alarm_armed = True
            signal.setitimer(signal.ITIMER_REAL, task.timeout, ALARM_REPEAT_SECONDS)
        outcome = _outcome(task)
        if use_alarm and _alarm_rang:  # every ring was swallowed where it was handled
            raise PipelineTimeout
    except PipelineTimeout:  # wherever it rang, the handling of another outcome included: the file took too long
        _alarm_armed = False  # first, before anything that runs bytecode where the next ring would raise
        outcome = Failure("timeout", f"the pipeline took longer than pipeline_timeout={task.timeout:g} s")
    finally:
        if use_alarm:
            _alarm_armed = False
            signal.setitimer(signal.ITIMER_REAL, 0)
    return outcome


def _outcome(task: Task) -> Arrival | Failure:
    """The file read and processed, or why it cannot be; raises only PipelineTimeout."""
    claim = task.claim
    try:
        raw = read_file(claim.path, task.max_bytes)
        overrides = _sidecar_fields(task.sidecar)
        document = process(raw.data, source=task.source, learned=task.learned, overrides=overrides)
        return Arrival(
            file_name=claim.file_name,
            folder=claim.folder,
            size=raw.size,
            mtime_ns=raw.mtime_ns,
            raw_sha256=hashlib.sha256(raw.data).hexdigest(),
            compressed=compress(raw.data),
            document=document,
            overrides=sidecar_json(overrides),
            search=_search_vector(document) if task.with_search else None,
        )
    except FileRejected as exc:
        return Failure(exc.code, exc.reason)
    except PipelineTimeout:
        raise
    except RecursionError:
        return Failure("too_complex", "the text is too deeply structured to process")
    except MemoryError:
        return Failure("too_large", "the file needs more memory than is available to process")
    except Exception as exc:
        traceback_id = uuid.uuid4().hex[:12]
        log.exception("unexpected error on %s (traceback id %s)", claim.relative, traceback_id)
        # The exception's message may quote the file's text: it goes to the log, never to .error.json.
        return Failure(
            "internal",
            f"unexpected error ({type(exc).__name__}); see the log, traceback id {traceback_id}",
            traceback_id,
        )


def _search_vector(document: Document) -> str:
    """A quarter of a millisecond of tokenising per article: here it runs in parallel, not in the writer."""
    meta = document.metadata
    return search_vector(meta.title, meta.author, document.body)


def _sidecar_fields(path: Path | None) -> dict[str, Any] | None:
    """A sidecar that is unsafe or malformed is refused whole; the file itself is still archived."""
    if path is None:
        return None
    try:
        return load_sidecar(path)
    except FileRejected as exc:
        log.warning("ignoring sidecar %s: %s", path.name, exc.reason)
        return None


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()
