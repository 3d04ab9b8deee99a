"""Faults: PostgreSQL cut and restored through a real TCP proxy, PostgreSQL down at start, SQLite locked by
another writer, failed/ that cannot be written and a full disk. Rule 6: a transient error never sends a file
to failed/, and whatever happens, nothing is lost or recorded twice."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import make_url

from tests.harness import Archive, wait_until

# ---------------------------------------------------------------------- a TCP proxy the test can cut


class Proxy:
    """127.0.0.1:<port> to PostgreSQL. `cut()` closes every connection and refuses new ones; `restore()` undoes it."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = _free_port()
        self._lock = threading.Lock()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._listener: socket.socket | None = None
        self._closed = False
        self.accepted = 0
        self.restore()

    def restore(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.2)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()  # new connections are refused from now on
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for pair in pairs:
            for sock in pair:
                _close(sock)

    def close(self) -> None:
        self._closed = True
        self.cut()

    def _accept(self, listener: socket.socket) -> None:
        while self._listener is listener and not self._closed:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                _close(client)
                continue
            server.settimeout(None)
            client.settimeout(None)
            with self._lock:
                if self._listener is not listener:
                    _close(client)
                    _close(server)
                    return
                self._pairs.append((client, server))
                self.accepted += 1
            threading.Thread(target=_pump, args=(client, server), daemon=True).start()
            threading.Thread(target=_pump, args=(server, client), daemon=True).start()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            sink.sendall(data)
    except OSError:
        pass
    finally:
        _close(source)
        _close(sink)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def proxy(pg_url: str) -> Iterator[Proxy]:
    url = make_url(pg_url)
    proxy = Proxy((url.host or "127.0.0.1", url.port or 5432))
    yield proxy
    proxy.close()


def through(pg_url: str, proxy: Proxy) -> str:
    return make_url(pg_url).set(port=proxy.port).render_as_string(hide_password=False)


def article(n: int, tag: str = "") -> str:
    return (
        f"Harbour report {tag}{n}\n\n"
        f"The harbour committee met for session {tag}{n} to discuss dredging, moorings and the new ferry berth.\n"
    )


def files_under_inbox(archive: Archive) -> int:
    """Files still in the inbox, claimed ones (inside the hidden claim folder) included."""
    return sum(1 for p in archive.inbox.rglob("*") if p.is_file() and p.name not in (".lock", ".heartbeat"))


def assert_exact(archive: Archive, total: int, documents: int | None = None) -> None:
    assert archive.count("ingestions") == total
    assert archive.count("documents") == (total if documents is None else documents)
    (doubled,) = archive.query(
        "SELECT count(*) FROM (SELECT idempotency_key FROM ingestions GROUP BY idempotency_key HAVING count(*) > 1) x"
    )
    assert doubled[0] == 0
    assert archive.inbox_files() == []
    assert not archive.failed_reports()


# ---------------------------------------------------------------------- PostgreSQL outages


def test_postgresql_cut_mid_stream_three_times_then_restored_loses_nothing(
    tmp_path: Path, pg_url: str, proxy: Proxy
) -> None:
    archive = Archive(tmp_path, through(pg_url, proxy))
    direct = Archive(tmp_path, pg_url)  # the test's own queries never go through the proxy
    total = 0
    with archive.start(workers=2, retry_max_seconds=1, batch_size=20) as daemon:
        for outage in range(3):
            for i in range(150):
                archive.drop(f"wave{outage}/{i:03d}.txt", article(i, f"w{outage}-"))
            total += 150
            target = total - 150 + 20
            wait_until(lambda target=target: direct.count("ingestions") >= target, timeout=60)
            proxy.cut()  # in the middle of the wave: batches in flight lose their connection
            time.sleep(0.5)
            at_cut = direct.count("ingestions")
            time.sleep(2.5)
            assert direct.count("ingestions") == at_cut  # nothing gets through while the database is away
            assert not archive.failed_reports()  # a transient error never sends a file to failed/
            # every other file waits in the inbox (a commit whose answer the cut lost may still be there too)
            assert files_under_inbox(archive) >= total - at_cut
            proxy.restore()
            wait_until(lambda total=total: direct.count("ingestions") == total and not archive.inbox_files(), 60)
        code, _seconds = daemon.terminate()
        log = daemon.log()
    assert code == 0
    assert log.count("database unavailable, files wait in the inbox") >= 3, log[-3000:]
    assert log.count("database available again") >= 3
    assert "Traceback" not in log
    assert_exact(direct, total)
    check = direct.cli("check")
    assert check.returncode == 0, check.stdout + check.stderr
    direct.close()


def test_postgresql_unreachable_at_start_then_available(tmp_path: Path, pg_url: str, proxy: Proxy) -> None:
    proxy.cut()
    archive = Archive(tmp_path, through(pg_url, proxy))
    direct = Archive(tmp_path, pg_url)
    for i in range(40):
        archive.drop(f"early/{i:02d}.txt", article(i))
    with archive.start(ready=False, retry_max_seconds=1) as daemon:
        wait_until(lambda: "retrying until it answers" in daemon.log(), timeout=30)
        time.sleep(2)
        assert daemon.process.poll() is None  # still waiting, not dead
        assert len(archive.inbox_files()) == 40 and not archive.failed_reports()
        proxy.restore()
        wait_until(lambda: direct.count("ingestions") == 40 and not archive.inbox_files(), timeout=60)
        assert daemon.terminate()[0] == 0
    assert_exact(direct, 40)
    direct.close()


def test_sigterm_while_postgresql_is_down_gives_the_files_back(tmp_path: Path, pg_url: str, proxy: Proxy) -> None:
    archive = Archive(tmp_path, through(pg_url, proxy))
    direct = Archive(tmp_path, pg_url)
    with archive.start(retry_max_seconds=1) as daemon:
        proxy.cut()
        for i in range(30):
            archive.drop(f"{i:02d}.txt", article(i))
        wait_until(lambda: "database unavailable" in daemon.log(), timeout=30)
        code, seconds = daemon.terminate()
    assert code == 0 and seconds < 10
    assert len(archive.inbox_files()) == 30  # back in the inbox proper, not left in a claim folder
    assert not archive.failed_reports()
    proxy.restore()
    assert archive.run_once().returncode == 0
    assert_exact(direct, 30)
    direct.close()


# ---------------------------------------------------------------------- SQLite locked by another writer


def test_sqlite_locked_by_another_writer_waits_and_fails_nothing(tmp_path: Path) -> None:
    db_path = tmp_path / "archive.db"
    archive = Archive(tmp_path, f"sqlite:///{db_path}")
    with archive.start(workers=2) as daemon:
        archive.drop("first.txt", article(0))
        wait_until(lambda: archive.count("ingestions") == 1)
        other = sqlite3.connect(db_path, isolation_level=None, timeout=5)
        other.execute("BEGIN IMMEDIATE")  # another writer holds the write lock
        try:
            for i in range(1, 31):
                archive.drop(f"locked/{i:02d}.txt", article(i))
            time.sleep(4)
            assert not archive.failed_reports()
            assert files_under_inbox(archive) == 30
        finally:
            other.execute("COMMIT")
            other.close()
        wait_until(lambda: archive.count("ingestions") == 31 and not archive.inbox_files(), timeout=60)
        code, _ = daemon.terminate()
    assert code == 0
    assert_exact(archive, 31)
    archive.close()


# ---------------------------------------------------------------------- failed/ that cannot be written, full disk


def test_failed_dir_that_cannot_be_written_keeps_the_file_in_the_inbox(tmp_path: Path, database_url: str) -> None:
    """Root ignores permissions, so failed/ is made unusable for real: it is replaced by a regular file."""
    archive = Archive(tmp_path, database_url)
    with archive.start() as daemon:
        archive.failed.rmdir()
        archive.failed.write_text("not a folder\n")
        archive.drop("bad/empty.txt", b"")
        archive.drop("top.txt", b"")
        wait_until(lambda: daemon.log().count("cannot move") >= 2, timeout=30)
        archive.drop("good.txt", article(1))  # the daemon goes on with the rest
        wait_until(lambda: archive.count("ingestions") == 1, timeout=30)
        time.sleep(0.5)
        left = {p.relative_to(archive.inbox).as_posix() for p in archive.inbox_files()}
        assert left == {"bad/empty.txt", "top.txt"}  # nothing lost: back in the inbox, where it was
        assert "cannot move bad/empty.txt to failed/ (Not a directory); it goes back to the inbox" in daemon.log()
        archive.failed.unlink()  # failed/ is usable again: the next rescan moves them there
        code, _ = daemon.terminate()
    assert code == 0
    assert archive.run_once().returncode == 0
    assert {json.loads(p.read_text())["code"] for p in archive.failed_reports()} == {"empty"}
    assert len(archive.failed_reports()) == 2
    assert archive.inbox_files() == []
    archive.close()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 1 MB tmpfs (a full disk gives ENOSPC for real); skipped where mounting is not allowed."""
    mount = tmp_path / "disk"
    mount.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(folder: Path) -> Path:
    """Fill the disk to its last page (unbuffered writes: nothing left to flush at close)."""
    filler = folder / "filler"
    with filler.open("wb", buffering=0) as out:
        for chunk in (65536, 4096):
            try:
                while True:
                    out.write(b"\0" * chunk)
            except OSError:
                pass
    return filler


def test_full_disk_under_failed_dir_keeps_the_file_with_a_clear_error(
    tmp_path: Path, database_url: str, small_disk: Path
) -> None:
    archive = Archive(tmp_path, database_url)
    failed = small_disk / "failed"
    with archive.start(failed_dir=failed) as daemon:
        filler = fill(small_disk)
        archive.drop("bad.txt", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64)
        wait_until(lambda: "cannot move bad.txt to failed/" in daemon.log(), timeout=30)
        assert "No space left on device" in daemon.log()
        wait_until(lambda: (archive.inbox / "bad.txt").exists(), timeout=10)
        assert not list(failed.rglob("*.error.json"))
        filler.unlink()  # space again: the next try moves it to failed/ with its report
        code, _ = daemon.terminate()
    assert code == 0
    assert archive.run_once(failed_dir=failed).returncode == 0
    (report,) = failed.rglob("*.error.json")
    assert json.loads(report.read_text())["code"] == "binary"
    assert (failed / "bad.txt").read_bytes()[:4] == b"\x89PNG"
    assert archive.inbox_files() == []
    archive.close()


def test_full_disk_under_sqlite_database_waits_and_loses_nothing(tmp_path: Path, small_disk: Path) -> None:
    archive = Archive(tmp_path, f"sqlite:///{small_disk / 'archive.db'}")
    with archive.start(retry_max_seconds=1) as daemon:
        archive.drop("before.txt", article(0))
        wait_until(lambda: archive.count("ingestions") == 1)
        filler = fill(small_disk)
        for i in range(1, 21):
            archive.drop(f"full/{i:02d}.txt", article(i) + "Long paragraph. " * 400)
        wait_until(lambda: "database unavailable" in daemon.log(), timeout=30)
        time.sleep(2)
        assert not archive.failed_reports()
        assert files_under_inbox(archive) + archive.count("ingestions") - 1 == 20
        filler.unlink()
        wait_until(lambda: archive.count("ingestions") == 21 and not archive.inbox_files(), timeout=60)
        code, _ = daemon.terminate()
        log = daemon.log()
    assert code == 0
    assert "database or disk is full" in log
    assert_exact(archive, 21)
    archive.close()


# ---------------------------------------------------------------------- hostile input (DESIGN rule 7)


def test_symlinked_folders_are_never_descended_into_by_scans_or_the_watcher(tmp_path: Path, database_url: str) -> None:
    archive = Archive(tmp_path, database_url)
    target = archive.outside / "elsewhere"
    target.mkdir()
    (target / "before.txt").write_text(article(1))
    (archive.outside / "secret.txt").write_text("outside the inbox: never read\n")
    with archive.start(rescan_interval=1) as daemon:
        (archive.inbox / "sub").mkdir()
        os.symlink(target, archive.inbox / "linked")  # a folder link created while the daemon watches
        os.symlink("../../outside/secret.txt", archive.inbox / "sub" / "relative.txt")
        wait_until(lambda: len(archive.failed_reports()) == 2, timeout=30)
        for i in range(5):  # written into the target: a watch that followed the link would see these
            (target / f"after-{i}.txt").write_text(article(10 + i))
        time.sleep(3)  # several rescans (rescan_interval=1)
        archive.drop("real.txt", article(99))
        wait_until(lambda: archive.count("ingestions") == 1, timeout=30)
        time.sleep(1)
        assert daemon.terminate()[0] == 0
    (real,) = archive.query("SELECT file_name FROM ingestions")
    assert real[0] == "real.txt"  # nothing behind a link was ever archived
    assert sorted(p.name for p in target.iterdir()) == ["after-0.txt", "after-1.txt", "after-2.txt", "after-3.txt",
                                                       "after-4.txt", "before.txt"]  # fmt: skip
    assert (archive.outside / "secret.txt").read_text() == "outside the inbox: never read\n"
    reports = {json.loads(p.read_text())["original_path"]: json.loads(p.read_text()) for p in archive.failed_reports()}
    assert set(reports) == {"linked", "sub/relative.txt"}
    assert all(r["code"] == "not_regular" for r in reports.values())
    assert (archive.failed / "linked").is_symlink() and (archive.failed / "sub" / "relative.txt").is_symlink()
    archive.close()


MARKER = "SECRET-CONTENT-7f3a"


def test_error_reports_never_carry_the_files_content(tmp_path: Path, database_url: str) -> None:
    archive = Archive(tmp_path, database_url)
    archive.drop("binary.txt", b"\x89PNG\r\n\x1a\n" + MARKER.encode() + bytes(range(256)) * 8)
    archive.drop("zip.txt", b"PK\x03\x04" + MARKER.encode() * 50 + bytes(range(256)) * 8)
    archive.drop("large.txt", (MARKER + " ") * 2000)
    archive.drop("utf16-broken.txt", b"\xff\xfe" + MARKER.encode("utf-16-le")[:-1] + b"\x00\xd8" * 50)
    assert archive.run_once(max_file_bytes=20_000).returncode == 0
    archive.drop("slow.txt", (f"{MARKER} about the harbour and its ferries. " * 40 + "\n\n") * 3000)
    assert archive.run_once(pipeline_timeout=0.01, max_file_bytes=50_000_000).returncode == 0
    reports = archive.failed_reports()
    codes = {json.loads(p.read_text())["code"] for p in reports}
    assert {"binary", "too_large", "timeout"} <= codes, codes
    for report in reports:
        content = report.read_text()
        assert MARKER not in content and MARKER.encode("utf-16-le").decode("latin-1") not in content, content
        fields = json.loads(content)
        assert {"reason", "code", "original_path", "failed_at"} <= set(fields)
        assert "\n" not in fields["reason"] and len(fields["reason"]) < 300
    archive.close()


def test_a_sidecar_can_set_metadata_and_nothing_else(tmp_path: Path, database_url: str) -> None:
    archive = Archive(tmp_path, database_url)
    (archive.outside / "evil.meta.json").write_text(json.dumps({"title": "From outside"}))
    archive.drop("wire/one.txt", article(1))
    sneaky = {
        "title": "x'); DROP TABLE documents; --",
        "author": "Robert\u0000'); DELETE FROM ingestions; --\nsecond line",
        "file_name": "../../etc/passwd",
        "folder": "/etc",
        "id": 1,
        "content_hash": "0" * 64,
        "body": "replaced body",
        "tags": ["ok", {"nested": 1}, "x" * 1000],
    }
    archive.drop("wire/one.txt.meta.json", json.dumps(sneaky))
    archive.drop("wire/two.txt", article(2))
    os.symlink(archive.outside / "evil.meta.json", archive.inbox / "wire" / "two.txt.meta.json")  # never followed
    archive.drop("wire/three.txt", article(3))
    archive.drop("wire/three.meta.json", json.dumps({"source": "..\\..\\windows", "title": "T3"}))
    assert archive.run_once().returncode == 0
    rows = {
        r[0]: r[1:]
        for r in archive.query(
            "SELECT i.file_name, i.folder, d.title, d.author, d.source, d.body, d.content_hash, d.tags "
            "FROM documents d JOIN ingestions i ON i.document_id = d.id"
        )
    }
    assert set(rows) == {"one.txt", "two.txt", "three.txt"}  # nothing was dropped or deleted by the "SQL"
    folder, title, author, source, body, digest, tags = rows["one.txt"]
    assert (folder, title, source) == ("wire", "x'); DROP TABLE documents; --", "wire")  # stored as plain text
    assert "\n" not in author and "\x00" not in author
    assert body != "replaced body" and digest != "0" * 64
    tags = json.loads(tags) if isinstance(tags, str) else tags
    assert tags[0] == "ok" and all(len(t) <= 100 for t in tags)
    assert rows["two.txt"][1] != "From outside"  # a linked sidecar is never read
    assert rows["three.txt"][1] != "T3" and rows["three.txt"][3] == "wire"  # a path-like source: refused whole
    assert archive.count("documents") == 3 and archive.count("ingestions") == 3
    archive.close()


def test_a_scan_yields_a_folder_link_itself_never_what_is_behind_it(tmp_path: Path) -> None:
    from archiver.inbox import Inbox

    archive = Archive(tmp_path, "sqlite://")
    target = archive.outside / "elsewhere"
    (target / "deeper").mkdir(parents=True)
    (target / "a.txt").write_text(article(1))
    (target / "deeper" / "b.txt").write_text(article(2))
    (archive.inbox / "sub").mkdir()
    os.symlink(target, archive.inbox / "sub" / "linked")
    os.symlink(target / "a.txt", archive.inbox / "file-link.txt")
    (archive.inbox / "sub" / "real.txt").write_text(article(3))
    found = sorted(p.relative_to(archive.inbox).as_posix() for p in Inbox(archive.inbox, archive.failed).scan())
    assert found == ["file-link.txt", "sub/linked", "sub/real.txt"]  # links reported (to failed/), never entered


def test_full_disk_when_writing_the_error_report_undoes_the_move(tmp_path: Path, small_disk: Path) -> None:
    """Inbox and failed/ on one full disk: the rename into failed/ works, its .error.json cannot be written.
    The file must not sit in failed/ without its reason: it goes back to the inbox."""
    archive = Archive(tmp_path, f"sqlite:///{tmp_path / 'archive.db'}")
    inbox, failed = small_disk / "inbox", small_disk / "failed"
    settings = {"inbox": inbox, "failed_dir": failed}
    with archive.start(**settings) as daemon:
        reserve = small_disk / "reserve"
        reserve.write_bytes(b"\0" * 4096)
        filler = fill(small_disk)
        reserve.unlink()  # room for exactly one page: the bad file, not its report
        (inbox / "bad.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 15)
        wait_until(lambda: "cannot move bad.txt to failed/ (No space left on device)" in daemon.log(), timeout=30)
        wait_until(lambda: (inbox / "bad.txt").exists(), timeout=10)
        assert not (failed / "bad.txt").exists() and not list(failed.rglob("*.error.json"))
        filler.unlink()
        code, _ = daemon.terminate()
    assert code == 0
    assert archive.run_once(**settings).returncode == 0
    assert json.loads((failed / "bad.txt.error.json").read_text())["code"] == "binary"
    assert not (inbox / "bad.txt").exists()
    archive.close()


def _pool_workers(daemon_pid: int) -> list[int]:
    """The pipeline workers: the children of the daemon's forkserver."""
    workers: list[int] = []
    for child in subprocess.run(["pgrep", "-P", str(daemon_pid)], capture_output=True, text=True).stdout.split():
        if "forkserver" in Path(f"/proc/{child}/cmdline").read_text():
            out = subprocess.run(["pgrep", "-P", child], capture_output=True, text=True).stdout.split()
            workers.extend(int(pid) for pid in out)
    return workers


def test_a_worker_killed_mid_backlog_loses_nothing_and_fails_nothing(tmp_path: Path, database_url: str) -> None:
    """A worker dies (the OOM killer, a crash in C) holding a chunk of files: all of them go back to the
    inbox and are retried one at a time; none is sent to failed/, none is recorded twice."""
    archive = Archive(tmp_path, database_url)
    with archive.start(workers=2) as daemon:
        for i in range(1000):
            archive.drop(f"burst/{i:04d}.txt", article(i) + _filler(i))
        wait_until(lambda: archive.count("ingestions") >= 20, interval=0.01)
        assert len(_pool_workers(daemon.process.pid)) == 2
        # A running worker holds a chunk; an idle one sleeps waiting for work, and killing it loses nothing.
        busy = wait_until(lambda: next((w for w in _pool_workers(daemon.process.pid) if _running(w)), None), interval=0)
        os.kill(busy, signal.SIGKILL)
        wait_until(lambda: archive.count("ingestions") == 1000, timeout=120)
        wait_until(lambda: not archive.inbox_files())
        assert "a worker process died" in daemon.log()
        assert len(_pool_workers(daemon.process.pid)) == 2  # a new worker took the dead one's place
        assert daemon.terminate()[0] == 0
    assert archive.failed_reports() == []
    assert archive.count("documents") == 1000


def _filler(n: int) -> str:
    """A few kilobytes of distinct prose: enough work per file that the kill lands mid-backlog."""
    return "".join(
        f"\nParagraph {k} of report {n} covers the berth, the tides and the budget in some detail.\n" for k in range(40)
    )


def _state(pid: int) -> str | None:
    """The process's state letter from /proc (R running, S sleeping, Z zombie...); None once it is reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return None


def _gone(pid: int) -> bool:
    return _state(pid) in (None, "Z")


def _running(pid: int) -> bool:
    return _state(pid) == "R"


def test_a_worker_stuck_past_its_budget_is_killed_and_nothing_is_lost(tmp_path: Path, database_url: str) -> None:
    """SIGSTOP stands for a worker stuck in C code, where the SIGALRM budget cannot reach it: the daemon
    kills it itself after pipeline_timeout plus a grace, and the files it held are archived all the same."""
    archive = Archive(tmp_path, database_url)
    with archive.start(workers=2, pipeline_timeout=3) as daemon:
        for i in range(150):
            archive.drop(f"big/{i:03d}.txt", article(i) + _filler(i) * 12)
        wait_until(lambda: archive.count("ingestions") >= 5, interval=0.01)
        busy = wait_until(lambda: next((w for w in _pool_workers(daemon.process.pid) if _running(w)), None), interval=0)
        os.kill(busy, signal.SIGSTOP)
        wait_until(lambda: "a worker was stuck on one file" in daemon.log(), timeout=60)
        wait_until(lambda: archive.count("ingestions") == 150, timeout=120)
        wait_until(lambda: not archive.inbox_files())
        assert daemon.terminate()[0] == 0
    assert _gone(busy)
    assert archive.failed_reports() == []
    assert archive.count("documents") == 150


def test_workers_that_cannot_start_fail_no_file(tmp_path: Path) -> None:
    """A wrapper script without the `if __name__ == "__main__"` guard: every worker dies while starting.
    That is the environment's fault, not the files': they stay in the inbox, and the daemon says why."""
    archive = Archive(tmp_path, f"sqlite:///{tmp_path / 'archive.db'}")
    wrapper = tmp_path / "wrapper.py"
    wrapper.write_text("import sys\nfrom archiver.cli import main\nsys.argv = ['archiver', 'run']\nmain()\n")
    archive.drop("kept.txt", article(1))
    log_path = tmp_path / "wrapper.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, str(wrapper)], env=archive.env(), cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            wait_until(lambda: log_path.read_text().count("the pipeline workers cannot start") >= 2, timeout=60)
            assert archive.failed_reports() == []
            assert files_under_inbox(archive) == 1  # in the inbox, or claimed for the next try
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=20) == 0
    assert [p.name for p in archive.inbox_files()] == ["kept.txt"]
    assert archive.count("ingestions") == 0
