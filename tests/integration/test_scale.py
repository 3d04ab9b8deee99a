"""Scale: several daemons on one PostgreSQL (one shared inbox, or one inbox each), singleton jobs, and a
burst of 20,000 files that overflows inotify's queue (every file still ingested exactly once)."""

from __future__ import annotations

import random
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import pytest

from archiver.store.repository import Store
from tests.harness import Archive, sha256, wait_until

MAX_QUEUED_EVENTS = Path("/proc/sys/fs/inotify/max_queued_events")


def article(n: int, salt: float = 0.0) -> str:
    return (
        f"Ferry timetable notice {n}\n\n"
        f"The ferry company changes sailing {n} from next month, the harbour office said ({salt}).\n"
    )


def assert_each_file_once(archive: Archive, expected: dict[str, str], documents: int) -> None:
    rows = archive.query("SELECT folder, file_name, raw_sha256 FROM ingestions")
    recorded = {f"{folder}/{name}" if folder else name: raw for folder, name, raw in rows}
    assert len(rows) == len(expected)  # each file recorded once, none twice
    assert recorded == expected  # and with the hash of the bytes that were dropped
    assert archive.count("documents") == documents
    (twice,) = archive.query(
        "SELECT count(*) FROM (SELECT content_hash FROM documents GROUP BY content_hash HAVING count(*) > 1) x"
    )
    assert twice[0] == 0
    assert archive.inbox_files() == []
    assert not archive.failed_reports()


def test_two_daemons_share_one_inbox_on_postgresql(tmp_path: Path, pg_url: str) -> None:
    rng = random.Random(11)
    originals = [article(i, rng.random()) for i in range(1600)]
    files = originals + [rng.choice(originals) for _ in range(400)]  # 20 % duplicates
    rng.shuffle(files)
    archive = Archive(tmp_path, pg_url)
    expected = {}
    for i, text in enumerate(files[:1000]):  # a backlog both find at start...
        expected[f"shared/{i:05d}.txt"] = sha256(text.encode())
        archive.drop(f"shared/{i:05d}.txt", text, via_rename=False)
    with ExitStack() as stack:
        daemons = [stack.enter_context(archive.start(workers=1, batch_size=50)) for _ in range(2)]
        for i, text in enumerate(files[1000:], start=1000):  # ...and files arriving while both run
            expected[f"shared/{i:05d}.txt"] = sha256(text.encode())
            archive.drop(f"shared/{i:05d}.txt", text)
        wait_until(lambda: archive.count("ingestions") >= len(files) and not archive.inbox_files(), timeout=180)
        for daemon in daemons:
            assert daemon.terminate()[0] == 0
    logs = [d.log() for d in daemons]
    assert all("ingested shared/" in log for log in logs)  # both did part of the work
    assert_each_file_once(archive, expected, documents=len(set(files)))
    assert not any((archive.inbox / ".archiver-claims").iterdir())  # every claim folder cleaned up
    check = archive.cli("check")
    assert check.returncode == 0, check.stdout + check.stderr  # and the archive they built together is sound
    archive.close()


def test_claims_of_a_daemon_killed_mid_run_are_finished_by_the_other(tmp_path: Path, pg_url: str) -> None:
    archive = Archive(tmp_path, pg_url)
    expected = {}
    for i in range(600):
        text = article(i, 3.0)
        expected[f"k/{i:04d}.txt"] = sha256(text.encode())
        archive.drop(f"k/{i:04d}.txt", text, via_rename=False)
    victim = archive.start(workers=2, batch_size=200, batch_seconds=5)  # holds its claims a while
    with victim:
        wait_until(lambda: _claimed_by(archive, victim.process.pid) >= 100, interval=0.01)
        victim.kill()  # SIGKILL: its claim folder stays behind, its flock is gone
    with archive.start(workers=1, claim_timeout=6, batch_size=20) as survivor:
        wait_until(lambda: archive.count("ingestions") >= 600 and not archive.inbox_files(), timeout=120)
        assert survivor.terminate()[0] == 0
    assert "claimed file(s) from" in survivor.log()  # the dead daemon's claims went back and were taken
    assert_each_file_once(archive, expected, documents=600)
    assert not any((archive.inbox / ".archiver-claims").iterdir())


def _claimed_by(archive: Archive, pid: int) -> int:
    """Files held in the claim folder of the daemon with this pid."""
    folders = [d for d in (archive.inbox / ".archiver-claims").iterdir() if f"-{pid}-" in d.name]
    return sum(1 for folder in folders for path in folder.rglob("*.txt"))


def test_two_daemons_on_their_own_inboxes_share_one_postgresql_database(tmp_path: Path, pg_url: str) -> None:
    common = [article(i, 0.5) for i in range(150)]  # the same articles reach both machines
    one, two = Archive(tmp_path / "one", pg_url), Archive(tmp_path / "two", pg_url)
    expected_one, expected_two = {}, {}
    for i in range(300):
        text_one = common[i] if i < 150 else article(i, 1.0)
        text_two = common[i] if i < 150 else article(i, 2.0)
        expected_one[f"a/{i:03d}.txt"] = sha256(text_one.encode())
        expected_two[f"b/{i:03d}.txt"] = sha256(text_two.encode())
        one.drop(f"a/{i:03d}.txt", text_one, via_rename=False)
        two.drop(f"b/{i:03d}.txt", text_two, via_rename=False)
    with one.start(workers=1) as first, two.start(workers=1) as second:
        wait_until(lambda: one.count("ingestions") == 600 and not one.inbox_files() and not two.inbox_files(), 120)
        assert first.terminate()[0] == 0 and second.terminate()[0] == 0
    rows = one.query("SELECT folder, file_name, raw_sha256 FROM ingestions")
    assert {f"{f}/{n}": r for f, n, r in rows} == expected_one | expected_two
    assert len(rows) == 600
    assert one.count("documents") == 450  # 150 shared articles, one document each
    assert not one.failed_reports() and not two.failed_reports()
    one.close()
    two.close()


# ---------------------------------------------------------------------- singleton jobs


def test_the_scheduled_rescan_of_a_shared_inbox_runs_in_one_daemon_at_a_time(tmp_path: Path, database_url: str) -> None:
    """Another daemon holding the inbox's rescan lock makes this one skip its walk; released, it walks again."""
    archive = Archive(tmp_path, database_url)
    holder = Store(database_url, upgrade=True)
    try:
        with holder.job_lock(f"rescan:{archive.inbox.resolve()}", ttl=60) as mine:
            assert mine
            with archive.start(rescan_interval=1, log_level="DEBUG") as daemon:
                wait_until(lambda: "another daemon is rescanning the inbox: skipped" in daemon.log(), timeout=30)
                assert "rescanned the inbox" not in daemon.log()
        with archive.start(rescan_interval=1, log_level="DEBUG") as daemon:
            wait_until(lambda: "rescanned the inbox" in daemon.log(), timeout=30)
            assert daemon.terminate()[0] == 0
    finally:
        holder.close()


def test_one_archiver_check_at_a_time(tmp_path: Path, database_url: str) -> None:
    archive = Archive(tmp_path, database_url)
    holder = Store(database_url, upgrade=True)
    try:
        with holder.job_lock("check", ttl=60) as mine:
            assert mine
            busy = archive.cli("check", "--repair")
            assert busy.returncode == 1
            assert busy.stderr.strip().splitlines() == [
                "archiver: error: another `archiver check` is running on this archive; run it again when it ends"
            ]
        assert archive.cli("check").returncode == 0
    finally:
        holder.close()


def test_job_lock_is_held_by_one_store_at_a_time(database_url: str) -> None:
    first, second = Store(database_url, upgrade=True), Store(database_url)
    try:
        with first.job_lock("learn", ttl=60) as mine:
            assert mine
            with second.job_lock("learn", ttl=60) as theirs:
                assert not theirs  # another daemon (another Store) cannot hold it meanwhile
            with second.job_lock("optimise", ttl=60) as other_job:
                assert other_job  # one lock per job
        with second.job_lock("learn", ttl=60) as theirs:
            assert theirs  # released: the next one takes it
    finally:
        first.close()
        second.close()


CRASHING_HOLDER = """
import os, sys
from archiver.store.repository import Store
store = Store(sys.argv[1], upgrade=True)
lock = store.job_lock("learn", ttl=float(sys.argv[2]))
print(lock.__enter__(), flush=True)
os._exit(0)  # a crash: the lock is never released
"""


def test_a_crashed_holder_does_not_keep_the_job_lock_forever(database_url: str) -> None:
    ttl = 3.0
    crashed = subprocess.run(
        [sys.executable, "-c", CRASHING_HOLDER, database_url, str(ttl)], capture_output=True, text=True, timeout=60
    )
    assert crashed.stdout.strip() == "True", crashed.stderr
    gone_at = time.time()
    store = Store(database_url)
    try:
        if store.dialect == "sqlite":
            with store.job_lock("learn", ttl=60) as mine:
                assert not mine or time.time() - gone_at >= ttl  # the lease row outlives the crash...
            time.sleep(max(0.0, ttl - (time.time() - gone_at)) + 0.2)
        with store.job_lock("learn", ttl=60) as mine:
            assert mine  # ...until it expires; PostgreSQL frees an advisory lock with its session at once
    finally:
        store.close()


# ---------------------------------------------------------------------- event loss


@pytest.mark.slow
def test_burst_of_20000_files_overflowing_inotify_is_ingested_once(tmp_path: Path) -> None:
    """A small inotify queue for this daemon only (set around its start, then restored): the burst overflows it,
    the daemon rescans at once, and every file is ingested exactly once."""
    archive = Archive(tmp_path, f"sqlite:///{tmp_path / 'archive.db'}")
    total = 20_000
    saved = MAX_QUEUED_EVENTS.read_text() if MAX_QUEUED_EVENTS.exists() else None
    try:
        if saved is not None:
            try:
                MAX_QUEUED_EVENTS.write_text("512\n")  # read by inotify_init(): only a daemon started now gets it
            except OSError:
                saved = None
        daemon = archive.start(workers=2, batch_size=500, rescan_interval=3600, queue_size=1024)
    finally:
        if saved is not None:
            MAX_QUEUED_EVENTS.write_text(saved)
    expected = {}
    with daemon:
        for i in range(total):
            data = f"Tide note {i}\n\nHigh water at the harbour wall, reading {i}.\n".encode()
            expected[f"burst/{i // 1000:02d}/{i:05d}.txt"] = sha256(data)
            archive.drop(f"burst/{i // 1000:02d}/{i:05d}.txt", data, via_rename=False)
        wait_until(lambda: archive.count("ingestions") >= total and not archive.inbox_files(), timeout=300, interval=1)
        code, _ = daemon.terminate()
        log = daemon.log()
    assert code == 0
    if saved is not None:
        assert "inotify lost events (queue overflow): rescanning the inbox" in log
    assert_each_file_once(archive, expected, documents=total)
    archive.close()


# ---------------------------------------------------------------------- soak (short; bench/soak.py runs long)


def test_short_soak_trickle_and_bursts_lose_nothing_and_keep_descriptors_flat(
    tmp_path: Path, database_url: str
) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    import soak  # bench/soak.py

    report = soak.run(
        seconds=12, workdir=tmp_path, database_url=database_url, trickle=0.1, burst=100, burst_every=5, sample_every=0.5
    )
    assert report.problems == []  # nothing lost, nothing doubled, bad files in failed/, SIGTERM exit 0
    assert report.ingestions == report.dropped - report.bad and report.bursts >= 2
    flat = report.flat()
    assert flat["daemon_fds"][1] - flat["daemon_fds"][0] <= 2, flat  # descriptors flat (memory: bench/soak.py)
    assert flat["workers_fds"][1] - flat["workers_fds"][0] <= 4, flat
    assert flat["daemon_rss_mb"][1] < flat["daemon_rss_mb"][0] * 1.5, flat


def test_the_overflow_listener_fires_on_watchdogs_own_overflow_report() -> None:
    """Whatever the kernel allows in CI: feed watchdog's inotify reader a real IN_Q_OVERFLOW event."""
    import logging

    from watchdog.observers.inotify_c import InotifyConstants, InotifyEvent, InotifyFD

    from archiver.daemon import _OverflowListener

    names = ("watchdog.observers.inotify_c", "watchdog.observers.inotify_buffer")
    before = {name: list(logging.getLogger(name).handlers) for name in names}
    calls: list[int] = []
    _OverflowListener.install(lambda: calls.append(1))
    try:
        InotifyFD.get_instance().handle_event(InotifyEvent(-1, InotifyConstants.IN_Q_OVERFLOW, 0, b""))
    finally:
        for name in names:
            logging.getLogger(name).handlers[:] = before[name]
    assert calls == [1]  # one overflow, one rescan
