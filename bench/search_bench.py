#!/usr/bin/env python3
"""Search, --help and export figures at scale, on SQLite and PostgreSQL (issue 6 targets).

    python bench/search_bench.py --corpus /tmp/sbench/corpus --n 100000 \
        [--sqlite /tmp/sbench/archive.db] [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/archiver_bench] \
        [--runs 10] [--reuse] [--drop-pg] [--results bench/RESULTS.md]

The corpus is made (if missing) with `make_corpus.py OUT --n N --seed 7 --encodings utf8`; every file goes
through the real pipeline (2 worker processes) and `Store.save_batch` in batches of 1000. With --reuse,
databases that already hold documents are not refilled. Targets: search p50 <= 20 ms and p99 <= 100 ms
in process for one- and two-word queries; `archiver --help` <= 300 ms; export >= 20,000 docs/s with flat
memory.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import func, make_url, select

from archiver.errors import FileRejected
from archiver.pipeline import process
from archiver.store.models import DOCS
from archiver.store.repository import Arrival, Store, compress
from archiver.store.search import Filters, search

ROOT = Path(__file__).resolve().parents[1]
MAKE_CORPUS = Path("/work/shared/tools/make_corpus.py")
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/archiver_bench"
ONE_WORD = [
    "budget",
    "harbour",
    "hopital",
    "brucke",
    "gobierno",
    "museum",
    "festival",
    "railway",
    "tempete",
    "universitat",
    "zzzabsent",
    "employ*",
]
TWO_WORDS = [
    "city council",
    "budget reform",
    "railway bridge",
    "marche rapport",
    "polizei sturm",
    "gobierno presupuesto",
    "museum festival",
    "energie reseau",
    "school election",
    "universidad investigacion",
    '"city council"',
    "storm -bridge",
]


def _process(item: tuple[str, str, str | None]) -> Arrival | None:
    path, name, source = item
    raw = Path(path).read_bytes()
    try:
        document = process(raw, source=source)
    except FileRejected:
        return None
    st = os.stat(path)
    # No MinHash sketch: near-duplicate linking (one query per candidate) is not what this bench measures.
    document = dataclasses.replace(document, sketch=())
    return Arrival(
        file_name=name,
        folder=source or "",
        size=len(raw),
        mtime_ns=st.st_mtime_ns,
        raw_sha256=hashlib.sha256(raw).hexdigest(),
        compressed=compress(raw),
        document=document,
    )


def count_documents(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(DOCS)).scalar_one())


def fill(stores: list[Store], corpus: Path, n: int) -> dict[str, float]:
    manifest = corpus.parent / "manifest.jsonl"
    sources = {}
    if manifest.exists():
        with manifest.open() as f:
            for line in f:
                rec = json.loads(line)
                sources[rec["name"]] = rec.get("source")
    names = sorted(p.name for p in corpus.iterdir() if p.is_file())[:n]
    items = [(str(corpus / name), name, sources.get(name)) for name in names]
    spent = {store.dialect: 0.0 for store in stores}
    start = time.perf_counter()
    batch: list[Arrival] = []
    done = 0

    def flush() -> None:
        for store in stores:
            t = time.perf_counter()
            store.save_batch(batch)
            spent[store.dialect] += time.perf_counter() - t
        batch.clear()

    with multiprocessing.get_context("fork").Pool(2) as pool:
        for result in pool.imap(_process, items, chunksize=64):
            done += 1
            if result is not None:
                batch.append(result)
            if len(batch) >= 1000:
                flush()
                print(f"  filled {done}/{len(items)} ({time.perf_counter() - start:.0f} s)", file=sys.stderr)
    if batch:
        flush()
    return spent


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def time_searches(store: Store, queries: list[str], runs: int) -> dict[str, Any]:
    for q in queries:  # warm caches
        search(store, q)
    timings: list[float] = []
    hits: dict[str, int] = {}
    for _ in range(runs):
        for q in queries:
            t = time.perf_counter()
            rows = search(store, q)
            timings.append((time.perf_counter() - t) * 1000)
            hits[q] = len(rows)
    return {
        "p50_ms": round(percentile(timings, 50), 2),
        "p99_ms": round(percentile(timings, 99), 2),
        "max_ms": round(max(timings), 2),
        "n": len(timings),
    }


def time_filtered(store: Store, runs: int) -> dict[str, Any]:
    queries = (("budget", Filters(lang="fr")), ("council", Filters(since=datetime(2023, 1, 1).date())))
    for q, f in queries:  # warm caches, as time_searches does (the first run read cold pages: 200+ ms)
        search(store, q, f)
    timings = []
    for _ in range(runs):
        for q, f in queries:
            t = time.perf_counter()
            search(store, q, f)
            timings.append((time.perf_counter() - t) * 1000)
    return {"p50_ms": round(percentile(timings, 50), 2), "p99_ms": round(percentile(timings, 99), 2)}


def time_help(runs: int = 10) -> float:
    exe = str(Path(sys.executable).parent / "archiver")
    timings = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([exe, "--help"], check=True, capture_output=True)
        timings.append((time.perf_counter() - t) * 1000)
    return round(statistics.median(timings), 1)


def time_export(url: str, *extra: str) -> dict[str, Any]:
    exe = str(Path(sys.executable).parent / "archiver")
    env = {**os.environ, "ARCHIVER_DATABASE_URL": url}
    t = time.perf_counter()
    peak_kb = 0
    with subprocess.Popen([exe, "export", *extra], stdout=subprocess.PIPE, env=env) as p:
        lines = 0
        assert p.stdout is not None
        status = Path(f"/proc/{p.pid}/status")
        while chunk := p.stdout.read(1 << 20):
            lines += chunk.count(b"\n")
            # VmHWM: the child's own peak resident set since its exec (ru_maxrss would count the fork's pages).
            try:
                for line in status.read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peak_kb = max(peak_kb, int(line.split()[1]))
            except (OSError, ValueError):
                pass
    elapsed = time.perf_counter() - t
    return {
        "docs": lines,
        "seconds": round(elapsed, 2),
        "docs_per_s": round(lines / elapsed),
        "peak_rss_mb": round(peak_kb / 1024, 1),
    }


def ensure_pg_database(url: str) -> None:
    parsed = make_url(url)
    admin = parsed.set(drivername="postgresql", database="test").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (parsed.database,)).fetchone():
            conn.execute(f'CREATE DATABASE "{parsed.database}"')


def drop_pg_database(url: str) -> None:
    parsed = make_url(url)
    admin = parsed.set(drivername="postgresql", database="test").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=Path("/tmp/sbench/corpus"))
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--sqlite", type=Path, default=Path("/tmp/sbench/archive.db"))
    ap.add_argument("--pg-url", default=PG_URL)
    ap.add_argument("--no-pg", action="store_true")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--reuse", action="store_true", help="keep databases that already hold documents")
    ap.add_argument("--drop-pg", action="store_true", help="drop the PostgreSQL database at the end")
    ap.add_argument("--fill-only", action="store_true", help="fill the databases, measure nothing")
    ap.add_argument("--results", type=Path, help="append a row to this RESULTS.md")
    a = ap.parse_args()

    if not a.corpus.is_dir():
        print(f"making corpus of {a.n} at {a.corpus}", file=sys.stderr)
        subprocess.run(
            [sys.executable, str(MAKE_CORPUS), str(a.corpus), "--n", str(a.n), "--seed", "7", "--encodings", "utf8"],
            check=True,
        )
    urls = {"sqlite": f"sqlite:///{a.sqlite}"}
    if not a.no_pg:
        urls["postgresql"] = a.pg_url
        if not a.reuse:
            drop_pg_database(a.pg_url)
        ensure_pg_database(a.pg_url)
    if not a.reuse and a.sqlite.exists():
        for suffix in ("", "-wal", "-shm"):
            Path(f"{a.sqlite}{suffix}").unlink(missing_ok=True)
    stores = {name: Store(url, upgrade=True) for name, url in urls.items()}
    empty = [s for s in stores.values() if count_documents(s) == 0]
    fill_seconds: dict[str, float] = {}
    if empty:
        print(f"filling {[s.dialect for s in empty]} from {a.corpus}", file=sys.stderr)
        fill_seconds = fill(empty, a.corpus, a.n)
    if a.fill_only:
        return
    report: dict[str, Any] = {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M"), "help_ms": time_help()}
    report["load"] = f"{os.getloadavg()[0]:.1f}"
    for name, store in stores.items():
        if store.dialect == "postgresql":  # what autovacuum does after a bulk load, done now
            with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
        docs = count_documents(store)
        report[name] = {
            "documents": docs,
            "fill_s": round(fill_seconds.get(store.dialect, 0.0), 1) or None,
            "one_word": time_searches(store, ONE_WORD, a.runs),
            "two_words": time_searches(store, TWO_WORDS, a.runs),
            "filtered": time_filtered(store, a.runs),
            "export": time_export(urls[name]),
            "export_tenth": time_export(urls[name], "--lang", "en", "--since", "2024-06-01"),
        }
        print(json.dumps({name: report[name]}), file=sys.stderr)
    for store in stores.values():
        store.close()
    if a.drop_pg and not a.no_pg:
        drop_pg_database(a.pg_url)
    print(json.dumps(report, indent=2))
    if a.results:
        append_results(a.results, report, a)


def append_results(path: Path, report: dict[str, Any], a: argparse.Namespace) -> None:
    header = "## search\n\n"
    lines = []
    if not path.exists() or header.strip() not in path.read_text():
        lines.append(
            "\n## search\n\n"
            "Issue 6 targets: search p50 <= 20 ms, p99 <= 100 ms (one- and two-word queries, in process); "
            "`archiver --help` <= 300 ms; export >= 20,000 docs/s with flat memory.\n\n"
            "| date | machine | code | command | db | docs | 1-word p50 / p99 ms | 2-word p50 / p99 ms "
            "| filtered p50 / p99 ms | --help ms | export docs/s (peak RSS MB) | export subset docs (peak RSS MB) |\n"
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"
        )
    command = " ".join(["python bench/search_bench.py", *_given_options(a)])
    for name in ("sqlite", "postgresql"):
        if name not in report:
            continue
        r = report[name]
        lines.append(
            f"| {report['date']} | 2 cores, shared (load avg {report['load']}) | working tree | `{command}` "
            f"| {name} | {r['documents']} "
            f"| {r['one_word']['p50_ms']} / {r['one_word']['p99_ms']} | {r['two_words']['p50_ms']} / "
            f"{r['two_words']['p99_ms']} | {r['filtered']['p50_ms']} / {r['filtered']['p99_ms']} "
            f"| {report['help_ms']} | {r['export']['docs_per_s']} ({r['export']['peak_rss_mb']}) "
            f"| {r['export_tenth']['docs']} ({r['export_tenth']['peak_rss_mb']}) |\n"
        )
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    if header.strip() not in text:
        path.write_text(text.rstrip("\n") + "\n" + "".join(lines))
        return
    rows = text.rstrip("\n").split("\n")
    section = rows.index("## search")
    following = next((i for i in range(section + 1, len(rows)) if rows[i].startswith("## ")), len(rows))
    last_row = max(i for i in range(section, following) if rows[i].startswith("| "))
    rows[last_row + 1 : last_row + 1] = [line.rstrip("\n") for line in lines]  # in the search table, not at the end
    path.write_text("\n".join(rows) + "\n")


def _given_options(a: argparse.Namespace) -> list[str]:
    """The options of this run that differ from the defaults, so a results row can be rerun as written."""
    defaults = {"corpus": Path("/tmp/sbench/corpus"), "sqlite": Path("/tmp/sbench/archive.db"), "pg_url": PG_URL}
    out = [f"--n {a.n}", f"--runs {a.runs}"]
    for name, default in defaults.items():
        if getattr(a, name) != default:
            out.append(f"--{name.replace('_', '-')} {getattr(a, name)}")
    out += [f"--{flag.replace('_', '-')}" for flag in ("reuse", "no_pg", "drop_pg") if getattr(a, flag)]
    return out


if __name__ == "__main__":
    main()
