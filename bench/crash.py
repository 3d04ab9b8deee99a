"""Crash safety at size: a backlog of N files (default 5,000, 10 % duplicates), `archiver run` SIGKILLed at K random
moments (default 3), then `archiver run --once`; every file must be recorded exactly once with the hash of its
bytes, one document per content, nothing in failed/, nothing left, and `archiver check` clean.

    .venv/bin/python bench/crash.py [--files 5000] [--kills 3] [--database sqlite|postgresql] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.harness import Archive, sha256, wait_until  # noqa: E402

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="archiver-crash-"))
    pg_name = None
    if args.database == "postgresql":
        import psycopg

        pg_name = f"archiver_crash_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{pg_name}"')
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{pg_name}"
    else:
        url = f"sqlite:///{work / 'archive.db'}"
    archive = Archive(work, url)
    try:
        uniques = args.files - args.files // 10
        originals = [
            f"Crash report {i}\n\nThe harbour committee met for session {i} ({rng.random()}).\n" for i in range(uniques)
        ]
        files = originals + [rng.choice(originals) for _ in range(args.files - uniques)]
        expected = {}
        for i, text in enumerate(files):
            expected[f"crash/{i // 1000}/{i:05d}.txt"] = sha256(text.encode())
            archive.drop(f"crash/{i // 1000}/{i:05d}.txt", text, via_rename=False)
        started = time.monotonic()
        kills_at = []
        for _ in range(args.kills):
            daemon = archive.start(workers=2, batch_size=rng.choice([20, 50, 200]))
            target = archive.count("ingestions") + rng.randint(50, max(60, args.files // (args.kills + 2)))
            wait_until(lambda target=target: archive.count("ingestions") >= target, timeout=600)
            time.sleep(rng.uniform(0, 0.5))  # mid-batch, mid-commit, between commit and unlink
            daemon.kill()
            kills_at.append(archive.count("ingestions"))
        result = archive.run_once(timeout=900, workers=2)
        seconds = time.monotonic() - started
        rows = archive.query("SELECT folder, file_name, raw_sha256 FROM ingestions")
        recorded = {f"{folder}/{name}": raw for folder, name, raw in rows}
        problems = []
        if result.returncode != 0:
            problems.append(f"run --once exit {result.returncode}")
        if len(rows) != len(files):
            problems.append(f"{len(rows)} ingestions for {len(files)} files")
        lost = set(expected) - set(recorded)
        if lost:
            problems.append(f"{len(lost)} lost")
        if any(recorded.get(k) != v for k, v in expected.items() if k in recorded):
            problems.append("a raw_sha256 differs from the bytes dropped")
        documents = archive.count("documents")
        if documents != len(set(files)):
            problems.append(f"{documents} documents for {len(set(files))} contents")
        left = archive.inbox_files()
        if left or archive.failed_reports():
            problems.append(f"{len(left)} left in the inbox, {len(archive.failed_reports())} in failed/")
        check = archive.cli("check")
        if check.returncode != 0:
            problems.append(f"archiver check: {check.stdout.strip()}")
        print(
            f"{args.database}: {len(files)} files ({len(files) - len(set(files))} duplicates), "
            f"{args.kills} SIGKILLs at {kills_at} ingestions, then run --once: {len(rows)} ingestions, "
            f"{documents} documents, "
            f"{len(lost)} lost, {len(rows) - len(recorded)} doubled, check exit {check.returncode}, {seconds:.0f} s"
        )
        print("RESULT: " + ("ok" if not problems else "PROBLEMS: " + "; ".join(problems)))
        return 1 if problems else 0
    finally:
        archive.close()
        shutil.rmtree(work, ignore_errors=True)
        if pg_name:
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
