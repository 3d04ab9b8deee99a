"""A real `archiver run` in a subprocess, and what tests need around it."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

ARCHIVER = [sys.executable, "-m", "archiver"]


def wait_until(condition: Callable[[], Any], timeout: float = 60.0, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Archive:
    """A test's workspace: inbox, failed/, database, and queries on the database."""

    def __init__(self, root: Path, database_url: str) -> None:
        self.root = root
        self.inbox = root / "inbox"
        self.failed = root / "failed"
        self.outside = root / "outside"
        self.database_url = database_url
        for folder in (self.inbox, self.outside):
            folder.mkdir(parents=True, exist_ok=True)
        self._engine: Any = None

    def env(self, **settings: Any) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "ARCHIVER_INBOX": str(self.inbox),
                "ARCHIVER_FAILED_DIR": str(self.failed),
                "ARCHIVER_DATABASE_URL": self.database_url,
                "ARCHIVER_SETTLE_SECONDS": "0.5",
                "ARCHIVER_WORKERS": "1",
                "ARCHIVER_RESCAN_INTERVAL": "30",
                "ARCHIVER_LOG_FORMAT": "text",
            }
        )
        env.update({f"ARCHIVER_{k.upper()}": str(v) for k, v in settings.items()})
        return env

    def start(self, *, ready: bool = True, **settings: Any) -> Daemon:
        """A daemon process; with ready=False, do not wait for it to report that it runs (database down)."""
        return Daemon(self, self.env(**settings), ready=ready)

    def run_once(self, timeout: float = 120, **settings: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*ARCHIVER, "run", "--once"],
            env=self.env(**settings),
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def cli(self, *args: str, **settings: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*ARCHIVER, *args], env=self.env(**settings), cwd=self.root, capture_output=True, text=True, timeout=120
        )

    def drop(self, relative: str, data: bytes | str, *, via_rename: bool = True) -> Path:
        """Put a file into the inbox the way tools do: written elsewhere, then renamed in."""
        payload = data.encode("utf-8") if isinstance(data, str) else data
        target = self.inbox / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if via_rename:
            staging = self.outside / f".staging-{time.monotonic_ns()}"
            staging.write_bytes(payload)
            os.rename(staging, target)
        else:
            target.write_bytes(payload)
        return target

    @property
    def engine(self) -> Any:
        if self._engine is None:
            self._engine = create_engine(self.database_url)
        return self._engine

    def query(self, sql: str, **params: Any) -> list[Any]:
        try:
            with self.engine.connect() as conn:
                return list(conn.execute(text(sql), params).all())
        except Exception as exc:  # the schema may not exist yet
            if "no such table" in str(exc) or "does not exist" in str(exc):
                return []
            raise

    def count(self, table: str) -> int:
        rows = self.query(f"SELECT count(*) FROM {table}")
        return int(rows[0][0]) if rows else 0

    def inbox_files(self) -> list[Path]:
        """Files waiting in the inbox; the daemon's claims folder (which changes under a walk) is skipped."""
        found: list[Path] = []
        for folder, dirs, names in os.walk(self.inbox):
            dirs[:] = [d for d in dirs if d != ".archiver-claims"]
            found += [Path(folder) / name for name in names if os.path.isfile(os.path.join(folder, name))]
        return sorted(found)

    def failed_reports(self) -> list[Path]:
        return sorted(self.failed.rglob("*.error.json")) if self.failed.exists() else []

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


class Daemon:
    def __init__(self, archive: Archive, env: dict[str, str], *, ready: bool = True) -> None:
        self.archive = archive
        self.log_path = archive.root / f"daemon-{time.monotonic_ns()}.log"
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [*ARCHIVER, "run"], env=env, cwd=archive.root, stdout=self._log, stderr=subprocess.STDOUT
        )
        if not ready:
            return
        wait_until(lambda: "archiver running" in self.log() or self.process.poll() is not None, timeout=60)
        if self.process.poll() is not None:
            raise AssertionError(f"daemon exited early:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def terminate(self, timeout: float = 10.0) -> tuple[int, float]:
        """SIGTERM; returns the exit code and the seconds it took to exit."""
        start = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=timeout + 5)
        self._log.close()
        return code, time.monotonic() - start

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)
        self._log.close()

    def __enter__(self) -> Daemon:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self._log.close()
