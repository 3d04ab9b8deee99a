"""Soak: a real `archiver run` fed a steady trickle with bursts for a long time; memory and file descriptors flat.

Drops one file every `--trickle` seconds and a burst of `--burst` files every `--burst-every` seconds (20 % are
copies of earlier articles, 2 % are bad files that belong in failed/), into a few sub-folders. Every `--sample`
seconds it reads, from /proc, the RSS and open descriptors of the daemon and of each of its child processes
(pipeline workers, forkserver). At the end it waits for the inbox to empty, stops the daemon with SIGTERM and
checks that every file was recorded exactly once and every bad file is in failed/.

Flat means: after the warm-up (first quarter of the run), the last quarter's median RSS is within
`--max-rss-growth` of the second quarter's and descriptors grew by at most `--max-fd-growth`.

    .venv/bin/python bench/soak.py --minutes 10 [--database-url postgresql+psycopg://postgres@127.0.0.1/test]
        [--results]   # append a row to bench/RESULTS.md
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass
class Sample:
    at: float
    daemon_rss_kb: int
    workers_rss_kb: int
    daemon_fds: int
    workers_fds: int
    processes: int


@dataclass
class Report:
    seconds: float = 0.0
    dropped: int = 0
    bad: int = 0
    duplicates: int = 0
    bursts: int = 0
    ingestions: int = 0
    documents: int = 0
    expected_documents: int = 0
    failed: int = 0
    left_in_inbox: int = 0
    lost: int = 0
    doubled: int = 0
    wrong_hash: int = 0
    exit_code: int | None = None
    documents_before_reprocess: int | None = None
    samples: list[Sample] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def flat(self) -> dict[str, Any]:
        quarter = max(1, len(self.samples) // 4)
        early = self.samples[quarter : 2 * quarter] or self.samples
        late = self.samples[-quarter:]

        def med(samples: list[Sample], attr: str) -> float:
            return float(statistics.median(getattr(s, attr) for s in samples))

        return {
            "daemon_rss_mb": (
                round(med(early, "daemon_rss_kb") / 1024, 1),
                round(med(late, "daemon_rss_kb") / 1024, 1),
            ),
            "workers_rss_mb": (
                round(med(early, "workers_rss_kb") / 1024, 1),
                round(med(late, "workers_rss_kb") / 1024, 1),
            ),
            "daemon_fds": (med(early, "daemon_fds"), med(late, "daemon_fds")),
            "workers_fds": (med(early, "workers_fds"), med(late, "workers_fds")),
            "max_daemon_fds": max(s.daemon_fds for s in self.samples),
            "max_processes": max(s.processes for s in self.samples),
        }


def children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            text = Path(f"/proc/{pid}/task/{task}/children").read_text()
        except OSError:
            continue
        for child in text.split():
            found.append(int(child))
            found.extend(children(int(child)))
    return found


def rss_kb(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_KB
    except (OSError, IndexError, ValueError):
        return 0


def fd_count(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


def sample(pid: int, started: float) -> Sample:
    kids = children(pid)
    return Sample(
        at=time.monotonic() - started,
        daemon_rss_kb=rss_kb(pid),
        workers_rss_kb=sum(rss_kb(k) for k in kids),
        daemon_fds=fd_count(pid),
        workers_fds=sum(fd_count(k) for k in kids),
        processes=1 + len(kids),
    )


def article(rng: random.Random, n: int) -> str:
    words = " ".join(rng.choice(VOCABULARY) for _ in range(rng.randint(30, 300)))
    return f"Soak article {n}\n\nBy Jane Doe\n\n{words}.\n\nSubscribe to our newsletter for more.\n"


VOCABULARY = [
    *("harbour", "ferry", "council", "budget", "school", "library", "union", "talks", "tide", "berth"),
    *("mooring", "dredging", "committee", "office", "report", "week", "month", "year", "river", "bridge"),
    *("road", "train", "station", "market", "festival", "museum", "hospital"),
]


def query_one(database_url: str, sql: str) -> Any:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql)).all()
    finally:
        engine.dispose()


def run(
    *,
    seconds: float,
    workdir: Path,
    database_url: str | None = None,
    trickle: float = 0.2,
    burst: int = 300,
    burst_every: float = 60.0,
    sample_every: float = 2.0,
    seed: int = 1,
    workers: int = 2,
) -> Report:
    rng = random.Random(seed)
    inbox, failed = workdir / "inbox", workdir / "failed"
    inbox.mkdir(parents=True, exist_ok=True)
    database_url = database_url or f"sqlite:///{workdir / 'archive.db'}"
    env = dict(os.environ)
    env.update(
        {
            "ARCHIVER_INBOX": str(inbox),
            "ARCHIVER_FAILED_DIR": str(failed),
            "ARCHIVER_DATABASE_URL": database_url,
            "ARCHIVER_WORKERS": str(workers),
            "ARCHIVER_SETTLE_SECONDS": "0.5",
            "ARCHIVER_RESCAN_INTERVAL": "20",
            "ARCHIVER_LOG_LEVEL": "WARNING",
        }
    )
    log_path = workdir / "daemon.log"
    report = Report()
    expected: dict[str, str] = {}
    contents: list[str] = []
    with log_path.open("w") as log:
        daemon = subprocess.Popen(
            [sys.executable, "-m", "archiver", "run"], env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            _wait(lambda: (inbox / ".archiver-claims").is_dir(), 60)
            time.sleep(1)
            started = time.monotonic()
            next_burst = started + burst_every / 2
            next_sample = started
            n = 0
            staging = workdir / "staging"
            staging.mkdir(exist_ok=True)

            def drop() -> None:
                nonlocal n
                n += 1
                folder = rng.choice(["wire", "blog", "letters", "deep/er/still"])
                name = f"{folder}/{n:07d}.txt"
                roll = rng.random()
                if roll < 0.02:
                    data = b"\x89PNG\r\n\x1a\n" + rng.randbytes(200)
                    report.bad += 1
                elif roll < 0.22 and contents:
                    data = rng.choice(contents).encode()
                    report.duplicates += 1
                    expected[name] = hashlib.sha256(data).hexdigest()
                else:
                    text = article(rng, n)
                    contents.append(text)
                    data = text.encode()
                    expected[name] = hashlib.sha256(data).hexdigest()
                tmp = staging / f"{n}.tmp"
                tmp.write_bytes(data)
                (inbox / name).parent.mkdir(parents=True, exist_ok=True)
                os.rename(tmp, inbox / name)
                report.dropped += 1

            while time.monotonic() - started < seconds:
                if daemon.poll() is not None:
                    report.problems.append(f"the daemon exited early with {daemon.returncode}")
                    break
                now = time.monotonic()
                if now >= next_sample:
                    report.samples.append(sample(daemon.pid, started))
                    next_sample += sample_every
                if now >= next_burst:
                    for _ in range(burst):
                        drop()
                    report.bursts += 1
                    next_burst += burst_every
                drop()
                time.sleep(trickle)
            report.seconds = time.monotonic() - started
            _wait(lambda: not any(p.is_file() for p in inbox.rglob("*.txt")), 300)
            time.sleep(1)
            report.samples.append(sample(daemon.pid, started))
        finally:
            if daemon.poll() is None:
                daemon.send_signal(signal.SIGTERM)
                try:
                    report.exit_code = daemon.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    daemon.kill()
                    report.exit_code = daemon.wait()
            else:
                report.exit_code = daemon.returncode
    rows = query_one(database_url, "SELECT folder, file_name, raw_sha256 FROM ingestions")
    recorded: dict[str, str] = {}
    for folder, name, raw in rows:
        key = f"{folder}/{name}"
        if key in recorded:
            report.doubled += 1
        recorded[key] = raw
    report.ingestions = len(rows)
    report.documents = int(query_one(database_url, "SELECT count(*) FROM documents")[0][0])
    report.expected_documents = len(set(contents))
    if report.documents != report.expected_documents:
        # Boilerplate learned mid-run (learn_interval) changes the clean body, so a copy arriving after the
        # learning job can become a document of its own; `archiver reprocess` re-cleans and merges them.
        report.documents_before_reprocess = report.documents
        subprocess.run(
            [sys.executable, "-m", "archiver", "reprocess"], env=env, cwd=workdir, capture_output=True, timeout=900
        )
        report.documents = int(query_one(database_url, "SELECT count(*) FROM documents")[0][0])
    report.wrong_hash = sum(1 for k, v in expected.items() if recorded.get(k) not in (None, v))
    report.failed = sum(1 for _ in failed.rglob("*.error.json")) if failed.exists() else 0
    report.left_in_inbox = sum(1 for p in inbox.rglob("*") if p.is_file() and p.name not in (".lock", ".heartbeat"))
    lost = set(expected) - set(recorded)
    report.lost = len(lost)
    if lost:
        report.problems.append(f"{len(lost)} file(s) lost, e.g. {sorted(lost)[:3]}")
    if report.doubled or len(rows) != len(expected):
        report.problems.append(f"{len(rows)} ingestions for {len(expected)} good files ({report.doubled} doubled)")
    if report.documents != report.expected_documents:
        report.problems.append(f"{report.documents} documents for {report.expected_documents} distinct articles")
    if report.failed != report.bad:
        report.problems.append(f"{report.failed} in failed/ for {report.bad} bad files")
    if report.wrong_hash:
        report.problems.append(f"{report.wrong_hash} ingestion(s) with the wrong raw_sha256")
    if report.left_in_inbox:
        report.problems.append(f"{report.left_in_inbox} file(s) left in the inbox")
    if report.exit_code != 0:
        report.problems.append(f"SIGTERM exit code {report.exit_code}; log: {log_path}")
    return report


def judge(report: Report, max_rss_growth: float, max_fd_growth: int) -> list[str]:
    problems = list(report.problems)
    if len(report.samples) < 8:
        return [*problems, "too few samples to judge flatness"]
    flat = report.flat()
    for key in ("daemon_rss_mb", "workers_rss_mb"):
        early, late = flat[key]
        if early and (late - early) / early > max_rss_growth:
            problems.append(f"{key} grew from {early} to {late} MB")
    for key in ("daemon_fds", "workers_fds"):
        early, late = flat[key]
        if late - early > max_fd_growth:
            problems.append(f"{key} grew from {early:g} to {late:g}")
    return problems


def append_row(results: Path, row: str) -> None:
    """Add `row` at the end of the "## soak" table (created at the end of the file if missing)."""
    lines = results.read_text().splitlines(keepends=True)
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == "## soak")
    except StopIteration:
        lines += ["\n## soak\n", "\n", "| date (UTC) | machine | command | figures |\n", "|---|---|---|---|\n"]
        start = len(lines) - 4
    end = start + 1
    while end < len(lines) and not (lines[end].startswith("## ") or (lines[end].strip() == "" and end > start + 2)):
        end += 1
    if end > 0 and not lines[end - 1].endswith("\n"):
        lines[end - 1] += "\n"
    lines.insert(end, row)
    results.write_text("".join(lines))


def _wait(condition: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout} s")
        time.sleep(0.2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--database-url", help="default: a SQLite file in the work folder")
    parser.add_argument(
        "--postgresql", action="store_true", help="a fresh database on the local PostgreSQL, dropped at the end"
    )
    parser.add_argument("--trickle", type=float, default=0.2, help="seconds between two trickled files")
    parser.add_argument("--burst", type=int, default=300)
    parser.add_argument("--burst-every", type=float, default=60.0)
    parser.add_argument("--sample", type=float, default=2.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-rss-growth", type=float, default=0.10)
    parser.add_argument("--max-fd-growth", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--results", action="store_true", help="append a row to bench/RESULTS.md (## soak)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # killed: still stop the daemon and clean up
    workdir = Path(tempfile.mkdtemp(prefix="archiver-soak-"))
    pg_name = None
    if args.postgresql:
        import psycopg

        pg_name = f"archiver_soak_{os.getpid()}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{pg_name}"')
        args.database_url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{pg_name}"
    try:
        report = run(
            seconds=args.minutes * 60,
            workdir=workdir,
            database_url=args.database_url,
            trickle=args.trickle,
            burst=args.burst,
            burst_every=args.burst_every,
            sample_every=args.sample,
            workers=args.workers,
        )
        problems = judge(report, args.max_rss_growth, args.max_fd_growth)
        flat = report.flat() if report.samples else {}
        database = "postgresql" if args.database_url and args.database_url.startswith("postgresql") else "sqlite"
        reprocessed = (
            f" (before `archiver reprocess`: {report.documents_before_reprocess}, learned boilerplate)"
            if report.documents_before_reprocess is not None
            else ""
        )
        figures = (
            f"{database}, {report.seconds / 60:.1f} min, {report.dropped} files ({report.bursts} bursts of "
            f"{args.burst}, {report.duplicates} duplicates, {report.bad} bad); ingestions {report.ingestions}, "
            f"documents {report.documents}/{report.expected_documents}{reprocessed}, failed/ {report.failed}, "
            f"lost {report.lost}, doubled {report.doubled}"
        )
        if problems:
            figures += "; PROBLEMS: " + "; ".join(problems)
        print(figures)
        print("samples: " + json.dumps(flat))
        for s in report.samples[:: max(1, len(report.samples) // 12)]:
            print(
                f"  t={s.at:6.0f}s daemon {s.daemon_rss_kb / 1024:6.1f} MB {s.daemon_fds:3d} fds; "
                f"children {s.workers_rss_kb / 1024:6.1f} MB {s.workers_fds:3d} fds ({s.processes - 1} processes)"
            )
        if args.results:
            row = (
                f"| {datetime.now(UTC):%Y-%m-%d %H:%M} | 2 cores, shared with other sessions | "
                f"`.venv/bin/python bench/soak.py --minutes {args.minutes:g}"
                f"{' --postgresql' if database == 'postgresql' else ''}` | {figures}; RSS MB daemon "
                f"{flat.get('daemon_rss_mb')} children {flat.get('workers_rss_mb')} (2nd vs last quarter median), fds "
                f"daemon {flat.get('daemon_fds')} children {flat.get('workers_fds')}; "
                f"{'flat' if not problems else 'NOT OK'} |\n"
            )
            append_row(ROOT / "bench" / "RESULTS.md", row)
        return 1 if problems else 0
    finally:
        if pg_name:
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"work folder kept: {workdir}")


if __name__ == "__main__":
    sys.exit(main())
