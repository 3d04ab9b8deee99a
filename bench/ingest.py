#!/usr/bin/env python3
"""Ingest benchmark: the storage floor and archiver on the same corpus, in the same run.

    python bench/ingest.py --n 20000 [--database sqlite|postgresql] [--trickle 200] [--workers 0]

1. Generates the corpus with ../shared/tools/make_corpus.py (cached under bench/out/).
2. Floor: read + sha256 + zlib + batched insert into plain SQLite (WAL, 500 rows a transaction) with
   an FTS5 index over the text: what the disk and the database cost, with no Python pipeline. Drawn
   twice before the backlog and once after; the ratio is to the best draw (on a shared machine one
   draw ranged 1,700-2,700 docs/s within an hour, and a slow draw flattered archiver).
3. Backlog: `archiver run --once` on a copy of the corpus; docs/s, ratio to the floor, peak RSS of the
   daemon and of each worker, open descriptors sampled every 0.2 s.
4. Trickle: a running daemon; files renamed into the inbox one at a time; p50/p99 from the rename to
   the row being visible to another connection.
Prints one summary line per measure; --record appends a row to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHARED = ROOT.parent / "shared"
PG_BASE = os.environ.get("ARCHIVER_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def corpus(n: int, seed: int) -> Path:
    out = HERE / "out" / f"corpus-{n}-{seed}"
    if not (out / "files").is_dir() or len(os.listdir(out / "files")) != n:
        shutil.rmtree(out, ignore_errors=True)
        (out / "files").mkdir(parents=True)
        subprocess.run(
            [
                sys.executable,
                str(SHARED / "tools" / "make_corpus.py"),
                str(out / "files"),
                "--n",
                str(n),
                "--seed",
                str(seed),
                "--manifest",
                str(out / "manifest.jsonl"),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return out / "files"


def byte_compile() -> None:
    """Write the package's bytecode, as `pip install` does. An editable install under PYTHONDONTWRITEBYTECODE
    (set on the CI machines) has none: the daemon and the forkserver would compile archiver's modules from
    source at every start, half a second that no installed archiver spends."""
    import archiver

    subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(archiver.__file__).parent)], check=True)


FLOOR_DRAWS_BEFORE = 2  # and one after the backlog: the machine's speed drifts during a run


def floor(files: Path, workdir: Path) -> float:
    """docs/s of read + hash + compress + batched SQLite insert with FTS5 (plain sqlite3), into a new database."""
    for old in workdir.glob("floor.db*"):
        old.unlink()
    db = sqlite3.connect(workdir / "floor.db", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE docs (id INTEGER PRIMARY KEY, sha TEXT UNIQUE, body TEXT)")
    db.execute("CREATE TABLE originals (sha TEXT PRIMARY KEY, data BLOB)")
    db.execute("CREATE VIRTUAL TABLE docs_fts USING fts5(body, content='docs', content_rowid='id')")
    db.execute(
        "CREATE TRIGGER t AFTER INSERT ON docs BEGIN INSERT INTO docs_fts(rowid, body) VALUES (new.id, new.body); END"
    )
    names = sorted(os.listdir(files))
    start = time.perf_counter()
    batch: list[tuple[str, bytes, str]] = []
    for name in names:
        raw = (files / name).read_bytes()
        sha = hashlib.sha256(raw).hexdigest()
        batch.append((sha, zlib.compress(raw, 6), raw.decode("utf-8", "replace")))
        if len(batch) == 500:
            _flush(db, batch)
    _flush(db, batch)
    elapsed = time.perf_counter() - start
    db.close()
    return len(names) / elapsed


def _flush(db: sqlite3.Connection, batch: list[tuple[str, bytes, str]]) -> None:
    db.execute("BEGIN")
    db.executemany("INSERT OR IGNORE INTO originals VALUES (?, ?)", [(s, d) for s, d, _ in batch])
    db.executemany("INSERT OR IGNORE INTO docs (sha, body) VALUES (?, ?)", [(s, b) for s, _, b in batch])
    db.execute("COMMIT")
    batch.clear()


def database_url(kind: str, workdir: Path) -> tuple[str, str | None]:
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'archive.db'}", None
    import psycopg
    from sqlalchemy import make_url

    name = f"archiver_bench_{uuid.uuid4().hex[:8]}"
    admin = make_url(PG_BASE).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(PG_BASE).set(database=name).render_as_string(hide_password=False), name


def drop_database(name: str | None) -> None:
    if name:
        import psycopg
        from sqlalchemy import make_url

        admin = make_url(PG_BASE).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def env_for(workdir: Path, url: str, workers: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "ARCHIVER_INBOX": str(workdir / "inbox"),
            "ARCHIVER_FAILED_DIR": str(workdir / "failed"),
            "ARCHIVER_DATABASE_URL": url,
            "ARCHIVER_WORKERS": str(workers),
            "ARCHIVER_SETTLE_SECONDS": "0.5",
            "ARCHIVER_LOG_LEVEL": "WARNING",
            "ARCHIVER_QUEUE_SIZE": "1024",
        }
    )
    return env


class Sampler(threading.Thread):
    """Peak RSS (MB) and open descriptors of a process tree, sampled from /proc.

    Cheap on purpose: it shares the two cores with the run it measures. The tree is looked up with pgrep
    once a second (the workers live for the whole run); each sample reads a few /proc files. (Looking the
    tree up every sample, four pgrep processes five times a second, took about a tenth of the machine
    from the daemon and lowered its docs/s by as much.)
    """

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_rss: dict[str, float] = {}
        self.fds: list[int] = []
        self.timeline: list[tuple[float, float, float]] = []  # (seconds, daemon RSS MB, largest worker RSS MB)
        self.stop = threading.Event()

    def run(self) -> None:
        start = time.monotonic()
        tree: list[int] = [self.pid]
        looked_up = float("-inf")
        page_mb = os.sysconf("SC_PAGE_SIZE") / 2**20
        while not self.stop.wait(0.2):
            if time.monotonic() - looked_up >= 1.0:
                tree, looked_up = [self.pid, *_children(self.pid)], time.monotonic()
            now: dict[str, float] = {}
            for pid in tree:
                role = "daemon" if pid == self.pid else "worker"
                try:
                    rss = int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * page_mb
                    self.peak_rss[role] = max(self.peak_rss.get(role, 0.0), rss)
                    now[role] = max(now.get(role, 0.0), rss)
                    if pid == self.pid:
                        self.fds.append(len(os.listdir(f"/proc/{pid}/fd")))
                except (OSError, IndexError, ValueError):
                    continue
            self.timeline.append((time.monotonic() - start, now.get("daemon", 0.0), now.get("worker", 0.0)))

    def rss_at(self, fraction: float) -> tuple[float, float]:
        """(daemon, worker) RSS MB at `fraction` of the run: flat memory shows as equal figures."""
        if not self.timeline:
            return 0.0, 0.0
        _, daemon, worker = self.timeline[min(len(self.timeline) - 1, int(fraction * len(self.timeline)))]
        return daemon, worker


def _children(pid: int) -> list[int]:
    try:
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    except OSError:
        return []
    kids = [int(p) for p in out]
    return kids + [g for k in kids for g in _children(k)]


def backlog(files: Path, workdir: Path, url: str, workers: int) -> dict[str, float]:
    inbox = workdir / "inbox"
    shutil.rmtree(inbox, ignore_errors=True)
    shutil.copytree(files, inbox)
    n = len(os.listdir(inbox))
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "archiver", "run", "--once"],
        env=env_for(workdir, url, workers),
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    sampler = Sampler(proc.pid)
    sampler.start()
    _, err = proc.communicate()
    elapsed = time.perf_counter() - start
    sampler.stop.set()
    if proc.returncode != 0:
        raise SystemExit(f"archiver failed: {err[-2000:]}")
    left = sum(1 for _ in inbox.rglob("*.txt"))
    fds = sampler.fds or [0]
    tenth, half, end = sampler.rss_at(0.1), sampler.rss_at(0.5), sampler.rss_at(0.97)
    return {
        "rss_daemon_10pct_mb": tenth[0],
        "rss_daemon_50pct_mb": half[0],
        "rss_daemon_end_mb": end[0],
        "rss_worker_10pct_mb": tenth[1],
        "rss_worker_50pct_mb": half[1],
        "rss_worker_end_mb": end[1],
        "docs": n,
        "seconds": elapsed,
        "docs_per_s": n / elapsed,
        "left_in_inbox": left,
        "rss_daemon_mb": sampler.peak_rss.get("daemon", 0),
        "rss_worker_mb": sampler.peak_rss.get("worker", 0),
        "fds_first": fds[0],
        "fds_max": max(fds),
        "fds_last": fds[-1],
    }


def trickle(files: Path, workdir: Path, url: str, count: int, workers: int) -> dict[str, float]:
    from sqlalchemy import create_engine, text

    inbox = workdir / "inbox"
    shutil.rmtree(inbox, ignore_errors=True)
    inbox.mkdir()
    staging = workdir / "staging"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "archiver", "run"],
        env=env_for(workdir, url, workers),
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    engine = create_engine(url)
    latencies = []
    try:
        time.sleep(4)  # start-up and worker warm-up are not part of the trickle
        names = sorted(os.listdir(files))[:count]
        with engine.connect() as conn:
            for i, name in enumerate(names):
                target_name = f"trickle-{i:05d}.txt"
                shutil.copy(files / name, staging / target_name)
                t0 = time.perf_counter()
                os.rename(staging / target_name, inbox / target_name)
                while True:
                    found = conn.execute(
                        text("SELECT 1 FROM ingestions WHERE file_name = :n"), {"n": target_name}
                    ).first()
                    conn.commit()
                    if found:
                        break
                    if time.perf_counter() - t0 > 30:
                        raise SystemExit(f"{target_name} not visible after 30 s")
                    time.sleep(0.001)
                latencies.append((time.perf_counter() - t0) * 1000)
                time.sleep(0.05)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        engine.dispose()
    latencies.sort()
    return {
        "files": len(latencies),
        "p50_ms": statistics.median(latencies),
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "max_ms": latencies[-1],
    }


def commit_id() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        return "?"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--trickle", type=int, default=0, help="files for the trickle measure (0: skip)")
    ap.add_argument("--record", action="store_true", help="append the results to bench/RESULTS.md")
    args = ap.parse_args()
    files = corpus(args.n, args.seed)
    byte_compile()
    results: dict[str, object] = {"n": args.n, "database": args.database}
    with tempfile.TemporaryDirectory(prefix="archiver-bench-") as tmp:
        work = Path(tmp)
        draws = [floor(files, work) for _ in range(FLOOR_DRAWS_BEFORE)]
        url, dbname = database_url(args.database, work)
        try:
            b = backlog(files, work, url, args.workers)
        finally:
            drop_database(dbname)
        draws.append(floor(files, work))
        results["floor_docs_per_s"] = round(max(draws), 1)
        results["floor_draws"] = [round(d, 1) for d in draws]
        print(
            f"floor: {results['floor_docs_per_s']} docs/s, best of {' / '.join(f'{d:.0f}' for d in draws)} "
            "(read + sha256 + zlib + SQLite batched insert with FTS5)"
        )
        results.update({k: round(v, 2) for k, v in b.items()})
        ratio = b["docs_per_s"] / float(results["floor_docs_per_s"])  # type: ignore[arg-type]
        results["ratio"] = round(ratio, 3)
        print(
            f"backlog ({args.database}): {b['docs']:.0f} docs in {b['seconds']:.1f} s = "
            f"{b['docs_per_s']:.0f} docs/s, {ratio:.2f} x floor; left in inbox {b['left_in_inbox']:.0f}; "
            f"peak RSS daemon {b['rss_daemon_mb']:.0f} MB, worker {b['rss_worker_mb']:.0f} MB; "
            f"fds {b['fds_first']:.0f} -> max {b['fds_max']:.0f} -> {b['fds_last']:.0f}; RSS at 10% / 50% / end "
            f"of the run: daemon {b['rss_daemon_10pct_mb']:.0f} / {b['rss_daemon_50pct_mb']:.0f} / "
            f"{b['rss_daemon_end_mb']:.0f} MB, worker {b['rss_worker_10pct_mb']:.0f} / "
            f"{b['rss_worker_50pct_mb']:.0f} / {b['rss_worker_end_mb']:.0f} MB"
        )
        if args.trickle:
            url, dbname = database_url(args.database, work)
            try:
                t = trickle(files, work, url, args.trickle, args.workers)
            finally:
                drop_database(dbname)
            results.update({f"trickle_{k}": round(v, 1) for k, v in t.items()})
            print(
                f"trickle ({args.database}): {t['files']:.0f} files, p50 {t['p50_ms']:.1f} ms, "
                f"p99 {t['p99_ms']:.1f} ms, max {t['max_ms']:.1f} ms (rename -> row visible to another connection)"
            )
    print(json.dumps(results))
    if args.record:
        record(args, results)
    return 0


def record(args: argparse.Namespace, r: dict[str, object]) -> None:
    path = HERE / "RESULTS.md"
    line = (
        f"| {time.strftime('%Y-%m-%d')} | {commit_id()} | {platform.machine()}, {os.cpu_count()} cores | "
        f"`python bench/ingest.py --n {args.n} --database {args.database} --trickle {args.trickle}` | "
        f"{r['floor_docs_per_s']} | {r['docs_per_s']} | {r['ratio']} | {r.get('trickle_p50_ms', '-')} / "
        f"{r.get('trickle_p99_ms', '-')} | {r['rss_daemon_mb']} / {r['rss_worker_mb']} | "
        f"{r['fds_first']}→{r['fds_max']}→{r['fds_last']} |\n"
    )
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    header = (
        "\n## ingest\n\n| date | commit | machine | command | floor docs/s | archiver docs/s | ratio | "
        "trickle p50 / p99 ms | peak RSS daemon / worker MB | fds first→max→last |\n"
        "|---|---|---|---|---|---|---|---|---|---|\n"
    )
    if "## ingest" not in text:
        text = text.rstrip("\n") + "\n" + header
    lines = text.rstrip("\n").split("\n")
    section = lines.index("## ingest")
    last_row = max(i for i, row in enumerate(lines) if i > section and row.startswith("|"))
    lines.insert(last_row + 1, line.rstrip("\n"))  # after the table's last row, before any notes
    path.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
