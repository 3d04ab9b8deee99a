"""The worker pool with real worker processes (forkserver) and real files: every job ends exactly once,
whatever happens to the workers."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from pathlib import Path

from archiver.inbox import Claim
from archiver.pool import WorkerPool
from archiver.worker import Failure, Task
from tests.harness import wait_until


class Outcomes:
    """What the pool reported for each job, from its manager thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.results: dict[int, list[object]] = {}
        self.lost: dict[int, str] = {}
        self.ended: Counter[int] = Counter()

    def on_result(self, owner: int, results: list[object]) -> None:
        with self.lock:
            self.results[owner] = results
            self.ended[owner] += 1

    def on_lost(self, owner: int, loss: str) -> None:
        with self.lock:
            self.lost[owner] = loss
            self.ended[owner] += 1

    def count(self) -> int:
        with self.lock:
            return len(self.ended)


def article(n: int) -> str:
    return f"Harbour report {n}\n\nThe harbour committee met for session {n} to discuss dredging and berths.\n"


def _tasks(folder: Path, job: int, files: int, size: int) -> list[Task]:
    tasks = []
    for k in range(files):
        path = folder / f"{job:03d}-{k}.txt"
        text = article(job * 100 + k)
        line = f"\nLine {job} {k}: the harbour board reviews the tides and the berths.\n"
        path.write_text(text + line * (size // 70))
        tasks.append(Task(claim=Claim(path, path.name), max_bytes=10_000_000, timeout=30))
    return tasks


def _pids(pool: WorkerPool[int]) -> list[int]:
    return [int(pid) for pid in pool._board.pids]


def test_every_job_ends_once_with_its_results(tmp_path: Path) -> None:
    outcomes = Outcomes()
    pool: WorkerPool[int] = WorkerPool(2, on_result=outcomes.on_result, on_lost=outcomes.on_lost)
    pool.start()
    try:
        for job in range(12):
            pool.submit(_tasks(tmp_path, job, 3, 2_000), job)
        wait_until(lambda: outcomes.count() == 12, timeout=60)
    finally:
        pool.close(timeout=5)
    assert set(outcomes.ended.values()) == {1} and not outcomes.lost
    first = outcomes.results[0][0]
    assert not isinstance(first, Failure) and first.file_name == "000-0.txt"  # type: ignore[attr-defined]


def test_a_worker_killed_halfway_through_sending_its_result_never_hangs_the_pool(tmp_path: Path) -> None:
    """The bug this pool exists for: with one shared result pipe (ProcessPoolExecutor), a worker killed in
    the middle of writing a large result leaves half a message that the reader then waits on forever.

    The manager thread is held in the callback for job 0, so nobody reads worker 1's ~1 MB result: the
    worker fills its pipe and blocks mid-message. It is killed there; the pool must report its job lost,
    deliver job 0, and go on with a new worker."""
    outcomes = Outcomes()
    hold = threading.Event()

    def on_result(owner: int, results: list[object]) -> None:
        if owner == 0:
            hold.wait(60)
        outcomes.on_result(owner, results)

    pool: WorkerPool[int] = WorkerPool(2, on_result=on_result, on_lost=outcomes.on_lost)
    pool.start()
    try:
        wait_until(lambda: all(w.started for w in pool._workers.values()) and len(pool._workers) == 2, timeout=30)
        pool.submit(_tasks(tmp_path, 1, 1, 1_000_000), 1)  # first: given out before job 0 can hold the manager
        pool.submit(_tasks(tmp_path, 0, 1, 1_000), 0)  # its result then holds the manager
        sender = wait_until(lambda: next((w for w in pool._workers.values() if w.job and w.job.owner == 1), None))
        wait_until(lambda: sender.conn.poll(), timeout=60)  # worker 1 has begun to send
        time.sleep(0.3)  # and is blocked on the full pipe, its message cut in half
        os.kill(sender.process.pid, signal.SIGKILL)
        hold.set()
        wait_until(lambda: outcomes.count() == 2, timeout=30)
        for job in range(2, 6):
            pool.submit(_tasks(tmp_path, job, 1, 1_000), job)
        wait_until(lambda: outcomes.count() == 6, timeout=30)
    finally:
        hold.set()
        pool.close(timeout=5)
    assert outcomes.lost == {1: "died"}
    assert sorted(outcomes.results) == [0, 2, 3, 4, 5] and set(outcomes.ended.values()) == {1}


def test_a_dead_worker_is_replaced_and_only_its_own_job_is_lost(tmp_path: Path) -> None:
    outcomes = Outcomes()
    pool: WorkerPool[int] = WorkerPool(2, on_result=outcomes.on_result, on_lost=outcomes.on_lost)
    pool.start()
    try:
        wait_until(lambda: all(_pids(pool)), timeout=30)
        victim = _pids(pool)[0]
        pool.submit(_tasks(tmp_path, 0, 1, 2_000), 0)
        pool.submit(_tasks(tmp_path, 1, 1, 2_000), 1)
        wait_until(lambda: outcomes.count() == 2, timeout=30)
        os.kill(victim, signal.SIGKILL)
        wait_until(lambda: _pids(pool)[0] != victim, timeout=30)
        for job in range(2, 8):
            pool.submit(_tasks(tmp_path, job, 1, 2_000), job)
        wait_until(lambda: outcomes.count() == 8, timeout=30)
    finally:
        pool.close(timeout=5)
    assert not outcomes.lost  # the victim was idle: nothing was lost, and its successor did work
    assert len(outcomes.results) == 8


def test_close_hands_back_the_jobs_not_started(tmp_path: Path) -> None:
    outcomes = Outcomes()
    pool: WorkerPool[int] = WorkerPool(1, on_result=outcomes.on_result, on_lost=outcomes.on_lost)
    pool.start()
    for job in range(20):
        pool.submit(_tasks(tmp_path, job, 2, 100_000), job)
    pool.close(timeout=0)
    assert outcomes.count() == 20 and set(outcomes.ended.values()) == {1}
    assert outcomes.lost and set(outcomes.lost.values()) == {"shutdown"}


def test_a_worker_stopped_between_jobs_is_found_stuck_on_its_next_one(tmp_path: Path) -> None:
    """The job's clock starts when the pool hands it over: a worker that never starts its first file (here
    stopped while idle, between two jobs) is killed as stuck, and a new worker takes its place."""
    outcomes = Outcomes()
    pool: WorkerPool[int] = WorkerPool(1, on_result=outcomes.on_result, on_lost=outcomes.on_lost, pipeline_timeout=0.5)
    pool.start()
    try:
        pool.submit(_tasks(tmp_path, 0, 1, 500), 0)
        wait_until(lambda: outcomes.count() == 1, timeout=60)
        stopped = _pids(pool)[0]
        os.kill(stopped, signal.SIGSTOP)
        pool.submit(_tasks(tmp_path, 1, 1, 500), 1)
        wait_until(lambda: outcomes.count() == 2, timeout=30)
        assert outcomes.lost == {1: "stuck"}
        pool.submit(_tasks(tmp_path, 2, 1, 500), 2)  # the new worker
        wait_until(lambda: outcomes.count() == 3, timeout=60)
        assert 2 in outcomes.results and _pids(pool)[0] != stopped
    finally:
        pool.close(timeout=5)
