"""The pipeline's worker processes, each on its own pipe, fed chunks of tasks by one manager thread.

Why not concurrent.futures.ProcessPoolExecutor: its workers share one result pipe. A worker killed while it
writes a result (the OOM killer, a crash in C) leaves half a message in that pipe, and the executor's reader
waits for the rest forever: every future hangs and nothing is reported (CPython 3.11; reproduced, and it
stalled our CI once). Here a worker's death is end-of-file on its own pipe or its process sentinel: the pool
knows exactly which chunk it held, the other workers go on, and a new worker takes the dead one's place.
"""

from __future__ import annotations

import collections
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, Generic, Literal, TypeVar

from archiver.forkserver import pool_context
from archiver.worker import Busy, Task, exit_with, join_board, run_tasks, warm_up

log = logging.getLogger("archiver")

T = TypeVar("T")
Results = list[Any]  # one Arrival or Failure per task, in order
Loss = Literal["died", "stuck", "shutdown"]

READY = "ready"
# Seconds past the pipeline_timeout before a worker that has not come back from one file is killed.
STUCK_GRACE = 5.0
MAX_START_PAUSE = 60.0


def serve(conn: Connection, parent_pid: int, board: Busy, slot: int) -> None:
    """A worker's whole life: warm up, say so, then run each chunk it is sent until its pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the daemon's to handle, not each worker's
    exit_with(parent_pid)
    join_board(board, slot)
    warm_up()
    conn.send(READY)
    while True:
        try:
            tasks = conn.recv()
        except (EOFError, OSError):
            return
        if tasks is None:
            return
        conn.send(run_tasks(tasks))  # the pool clears this slot of the Busy board when the results arrive


@dataclass
class _Job(Generic[T]):
    tasks: list[Task]
    owner: T


@dataclass
class _Worker(Generic[T]):
    slot: int
    process: Any
    conn: Connection
    started: bool = False
    job: _Job[T] | None = None


class WorkerPool(Generic[T]):
    """`size` workers; `submit` never blocks (the caller bounds what it hands over).

    Every job ends in exactly one call, from the manager thread: `on_result(owner, results)`, or
    `on_lost(owner, loss)` when its worker died or was stuck, or the pool closed first.
    """

    def __init__(
        self,
        size: int,
        *,
        on_result: Callable[[T, Results], None],
        on_lost: Callable[[T, Loss], None],
        pipeline_timeout: float = 0.0,
    ) -> None:
        self.size = size
        self._on_result = on_result
        self._on_lost = on_lost
        self.stuck_budget = pipeline_timeout + STUCK_GRACE if pipeline_timeout > 0 else 0.0
        self._context = pool_context()
        self._board = Busy(self._context, size)
        self._workers: dict[int, _Worker[T]] = {}
        self._respawn_at: dict[int, float] = {}  # slot -> when to start its worker again
        self._start_failures = 0  # workers in a row that died before they were ready
        self._pending: collections.deque[_Job[T]] = collections.deque()
        self._lock = threading.Lock()
        self._stuck: set[int] = set()  # pids this pool killed for being stuck
        self._closing = False  # no new work: pending jobs are handed back, running ones finish
        self._stopped = threading.Event()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        self._manager = threading.Thread(target=self._manage, name="archiver-pool", daemon=True)
        self._watch = threading.Thread(target=self._watch_stuck, name="archiver-stuck", daemon=True)

    # ------------------------------------------------------------------ the caller's side

    def start(self) -> None:
        """Start every worker now (each warms up): spawned lazily, the first files would wait for it."""
        for slot in range(self.size):
            self._respawn_at[slot] = 0.0
        self._manager.start()
        if self.stuck_budget:
            self._watch.start()

    def submit(self, tasks: list[Task], owner: T) -> None:
        with self._lock:
            self._pending.append(_Job(tasks, owner))
        self._wake()

    def busy(self) -> int:
        """Jobs handed over and not yet ended."""
        with self._lock:
            return len(self._pending) + sum(1 for w in self._workers.values() if w.job is not None)

    def close(self, timeout: float) -> None:
        """Hand back the jobs not started, let the running ones finish for up to `timeout` seconds,
        then end every worker (a job still running is lost with "shutdown")."""
        self._closing = True
        self._wake()
        deadline = time.monotonic() + timeout
        while self._manager.is_alive() and self.busy() and time.monotonic() < deadline:
            time.sleep(0.02)
        self._stopped.set()
        self._wake()
        self._manager.join(timeout=5)
        os.close(self._wake_r)
        os.close(self._wake_w)

    # ------------------------------------------------------------------ the manager thread

    def _manage(self) -> None:
        try:
            while not self._stopped.is_set():
                self._spawn_due()
                self._assign()
                self._handle(wait(self._waitables(), timeout=self._next_timeout()))
        except Exception:
            log.exception("the worker pool's manager failed")
        finally:
            self._end_all()

    def _waitables(self) -> list[Any]:
        objects: list[Any] = [self._wake_r]
        for worker in self._workers.values():
            objects += [worker.conn, worker.process.sentinel]
        return objects

    def _next_timeout(self) -> float:
        if not self._respawn_at:
            return 1.0
        return max(0.0, min(1.0, min(self._respawn_at.values()) - time.monotonic()))

    def _handle(self, ready: list[Any]) -> None:
        if self._wake_r in ready:
            os.read(self._wake_r, 4096)
        for worker in list(self._workers.values()):
            if worker.conn in ready:
                self._receive(worker)
            if self._workers.get(worker.slot) is worker and worker.process.sentinel in ready:
                self._drain(worker)
                self._bury(worker)

    def _receive(self, worker: _Worker[T]) -> None:
        try:
            message = worker.conn.recv()
        except Exception:  # noqa: BLE001 - EOF, a cut-off message: the worker is dead or dying
            self._bury(worker)
            return
        if message == READY:
            worker.started = True
            self._start_failures = 0
            return
        job, worker.job = worker.job, None
        self._board.since[worker.slot] = 0.0  # idle until its next job
        if job is not None:
            self._deliver(self._on_result, job.owner, message)

    def _drain(self, worker: _Worker[T]) -> None:
        """A result sent just before the worker exited still counts."""
        try:
            if worker.job is not None and worker.conn.poll():
                message = worker.conn.recv()
                if message != READY:
                    job, worker.job = worker.job, None
                    self._deliver(self._on_result, job.owner, message)
        except Exception:  # noqa: BLE001 - cut off mid-message: the job is lost with the worker
            pass

    def _bury(self, worker: _Worker[T]) -> None:
        """A worker ended: its job, if any, is lost; its slot gets a new worker (later if it never started)."""
        del self._workers[worker.slot]
        worker.conn.close()
        worker.process.join(timeout=5)
        self._board.since[worker.slot] = 0.0
        stuck = worker.process.pid in self._stuck
        self._stuck.discard(worker.process.pid)
        if worker.started:
            self._respawn_at[worker.slot] = 0.0
        else:
            self._start_failures += 1
            pause = min(MAX_START_PAUSE, 2.0**self._start_failures)
            self._respawn_at[worker.slot] = time.monotonic() + pause
            if not self._closing:
                log.error(
                    "the pipeline workers cannot start (exit code %s, see the error above); files stay in the inbox,"
                    " trying again in %g s",
                    worker.process.exitcode,
                    pause,
                )
        if worker.job is not None:
            if not stuck and not self._closing:
                log.warning(
                    "a worker process died (exit code %s) holding %d file(s); they go back to the inbox",
                    worker.process.exitcode,
                    len(worker.job.tasks),
                )
            self._deliver(
                self._on_lost, worker.job.owner, "stuck" if stuck else "shutdown" if self._closing else "died"
            )

    def _spawn_due(self) -> None:
        now = time.monotonic()
        for slot, when in list(self._respawn_at.items()):
            if when <= now and not self._closing:
                del self._respawn_at[slot]
                try:
                    self._spawn(slot)
                except Exception as exc:  # noqa: BLE001 - no process, no descriptor left: try again later
                    self._start_failures += 1
                    pause = min(MAX_START_PAUSE, 2.0**self._start_failures)
                    self._respawn_at[slot] = now + pause
                    log.error("cannot start a pipeline worker (%s); trying again in %g s", exc, pause)

    def _spawn(self, slot: int) -> None:
        mine, theirs = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=serve, args=(theirs, os.getpid(), self._board, slot), name=f"archiver-worker-{slot}", daemon=True
        )
        process.start()
        theirs.close()  # the worker holds the only other end: its death is end-of-file here
        self._workers[slot] = _Worker(slot, process, mine)

    def _assign(self) -> None:
        """Give each idle, ready worker the oldest pending job; when closing, hand pending jobs back."""
        if self._closing:
            with self._lock:
                jobs, self._pending = list(self._pending), collections.deque()
            for job in jobs:
                self._deliver(self._on_lost, job.owner, "shutdown")
            return
        for worker in list(self._workers.values()):
            if not worker.started or worker.job is not None:
                continue
            with self._lock:
                if not self._pending:
                    return
                worker.job = self._pending.popleft()
            # The job's clock starts here, not when the worker starts its first file: a worker that never
            # does (stopped, or stuck before it) is overdue all the same. It restarts the clock each file.
            self._board.since[worker.slot] = time.monotonic()
            try:
                worker.conn.send(worker.job.tasks)
            except OSError:
                self._bury(worker)

    def _end_all(self) -> None:
        for worker in list(self._workers.values()):
            if worker.job is not None:
                worker.process.kill()
            else:
                try:
                    worker.conn.send(None)
                except OSError:
                    pass
        for worker in list(self._workers.values()):
            worker.process.join(timeout=2)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(timeout=2)
            job, worker.job = worker.job, None
            worker.conn.close()
            if job is not None:
                self._deliver(self._on_lost, job.owner, "shutdown")
        self._workers.clear()
        with self._lock:
            jobs, self._pending = list(self._pending), collections.deque()
        for job in jobs:
            self._deliver(self._on_lost, job.owner, "shutdown")

    @staticmethod
    def _deliver(callback: Callable[[T, Any], None], owner: T, outcome: Any) -> None:
        """A failing callback is the caller's bug: logged, and the pool goes on with the other jobs."""
        try:
            callback(owner, outcome)
        except Exception:
            log.exception("the caller's handler of a pipeline result failed")

    def _wake(self) -> None:
        try:
            os.write(self._wake_w, b"\0")
        except (BlockingIOError, OSError):
            pass  # the pipe is full (the manager will wake anyway) or closed (the pool is closed)

    # ------------------------------------------------------------------ the stuck-worker watch

    def _watch_stuck(self) -> None:
        """Kill a worker stuck on one file well past pipeline_timeout (in C code, where SIGALRM cannot reach
        it): its job is then lost as "stuck", and a new worker takes its place."""
        while not self._stopped.wait(1.0):
            for pid in self._board.overdue(self.stuck_budget):
                log.warning(
                    "a worker was stuck on one file for more than %g s; killing it (pid %d)", self.stuck_budget, pid
                )
                self._stuck.add(pid)
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
