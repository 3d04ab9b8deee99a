"""The file lifecycle (DESIGN rules 1-9) against a real daemon process, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SEEDS
from tests.harness import Archive, sha256, wait_until

ARTICLE = (
    "The Council Approves A New Budget\n\n"
    "The city council approved a new budget on Tuesday after months of talks with the unions.\n\n"
    "The budget funds three new schools and a library, according to officials, despite strong opposition.\n"
)


@pytest.fixture
def archive(tmp_path: Path, database_url: str) -> Iterator[Archive]:
    archive = Archive(tmp_path, database_url)
    yield archive
    archive.close()


def article(n: int) -> str:
    return f"Report number {n} on the harbour\n\nThe harbour committee met for the {n}th time to discuss dredging.\n"


def test_dropped_file_is_archived_then_removed(archive: Archive) -> None:
    seed = (SEEDS / "000_ffb08b1a9a9183c0.txt").read_bytes()
    with archive.start() as daemon:
        archive.drop("dailyai/seed.txt", seed)
        wait_until(lambda: archive.count("ingestions") == 1)
        wait_until(lambda: not archive.inbox_files())
        assert daemon.terminate()[0] == 0
    (row,) = archive.query("SELECT file_name, folder, size, raw_sha256 FROM ingestions")
    assert tuple(row) == ("seed.txt", "dailyai", len(seed), sha256(seed))
    (source,) = archive.query("SELECT source FROM documents")
    assert source[0] == "dailyai"
    shown = archive.cli("show", "1", "--raw")
    assert shown.returncode == 0 or "No such command" in shown.stderr  # --raw lands with the query commands


def test_ignored_names_and_folders_are_left_alone(archive: Archive) -> None:
    ignored = [
        ".hidden.txt",
        "draft.txt.tmp",
        "download.txt.part",
        "big.crdownload",
        "notes.txt~",
        "image.pdf",
        ".secret/inside.txt",
    ]
    for name in ignored:
        archive.drop(name, ARTICLE)
    (archive.inbox / "folder.txt").mkdir()
    result = archive.run_once()
    assert result.returncode == 0, result.stderr
    assert archive.count("ingestions") == 0
    for name in ignored:
        assert (archive.inbox / name).exists(), name
    assert (archive.inbox / "folder.txt").is_dir()
    assert not archive.failed_reports()


def test_taken_extensions_any_case_any_depth(archive: Archive) -> None:
    deep = "/".join(f"d{i}" for i in range(20))
    names = [
        "a.txt",
        "b.TXT",
        "c.text",
        "d.md",
        f"{deep}/deep.txt",
        "with space.txt",
        "ünïcødé ✓.txt",
        "-leading-dash.txt",
        "new\nline.txt",
    ]
    for i, name in enumerate(names):
        archive.drop(name, article(i))
    result = archive.run_once()
    assert result.returncode == 0, result.stderr
    assert archive.count("ingestions") == len(names)
    assert archive.inbox_files() == []
    folders = {row[0] for row in archive.query("SELECT folder FROM ingestions")}
    assert deep in folders
    assert {row[0] for row in archive.query("SELECT file_name FROM ingestions")} == {n.split("/")[-1] for n in names}


def test_part_file_renamed_to_txt_is_taken_once_after_the_rename(archive: Archive) -> None:
    with archive.start() as daemon:
        part = archive.inbox / "article.txt.part"
        with part.open("w") as handle:
            handle.write(ARTICLE[:40])
            handle.flush()
            time.sleep(1.2)
            handle.write(ARTICLE[40:])
        time.sleep(1.0)
        assert archive.count("ingestions") == 0
        os.rename(part, archive.inbox / "article.txt")
        wait_until(lambda: archive.count("ingestions") == 1)
        time.sleep(1.0)
        assert daemon.terminate()[0] == 0
    assert archive.count("ingestions") == 1
    (size,) = archive.query("SELECT size FROM ingestions")
    assert size[0] == len(ARTICLE.encode())


def test_slowly_written_file_is_taken_once_complete(archive: Archive) -> None:
    chunks = [ARTICLE[i : i + 30].encode() for i in range(0, len(ARTICLE), 30)]
    with archive.start() as daemon:
        with (archive.inbox / "slow.txt").open("wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
                handle.flush()
                time.sleep(0.3)  # longer than nothing, shorter than the created-file fallback settle
        wait_until(lambda: archive.count("ingestions") == 1)
        time.sleep(0.5)
        assert daemon.terminate()[0] == 0
    (row,) = archive.query("SELECT size, raw_sha256 FROM ingestions")
    assert tuple(row) == (len(ARTICLE.encode()), sha256(ARTICLE.encode()))


def test_files_dropped_while_down_are_taken_at_restart(archive: Archive) -> None:
    with archive.start() as daemon:
        archive.drop("first.txt", article(1))
        wait_until(lambda: archive.count("ingestions") == 1)
        assert daemon.terminate()[0] == 0
    for i in range(2, 12):
        archive.drop(f"while-down-{i}.txt", article(i))
    with archive.start() as daemon:
        wait_until(lambda: archive.count("ingestions") == 11)
        wait_until(lambda: not archive.inbox_files())
        assert daemon.terminate()[0] == 0


def test_sigterm_during_a_burst_exits_zero_within_ten_seconds_and_loses_nothing(archive: Archive) -> None:
    total = 400
    with archive.start(workers=2) as daemon:
        for i in range(total):
            archive.drop(f"burst/{i:04d}.txt", article(i))
        wait_until(lambda: archive.count("ingestions") > 10)
        code, seconds = daemon.terminate()
    assert code == 0
    assert seconds < 10
    recorded = archive.count("ingestions")
    left = archive.inbox_files()
    assert recorded + len(left) == total
    assert not archive.failed_reports()
    result = archive.run_once()
    assert result.returncode == 0, result.stderr
    assert archive.count("ingestions") == total
    assert archive.count("documents") == total


def test_same_article_in_two_encodings_and_line_ends_is_one_document(archive: Archive) -> None:
    text = "Les employés d'OpenAI\n\nLa décision a été prise à l'unanimité, selon les employés interrogés.\n"
    archive.drop("a.txt", text.encode("utf-8"))
    archive.drop("b.txt", text.replace("\n", "\r\n").encode("cp1252"))
    archive.drop("c.txt", b"\xef\xbb\xbf" + text.encode("utf-8") + b"  \n\n")
    assert archive.run_once().returncode == 0
    assert archive.count("documents") == 1
    assert archive.count("ingestions") == 3
    assert archive.count("originals") == 3


def test_an_ingestion_already_committed_is_not_recorded_twice(archive: Archive) -> None:
    """Rule 5: a crash between commit and unlink leaves the file; the idempotency key recognises it."""
    path = archive.drop("again.txt", ARTICLE)
    stat = path.stat()
    assert archive.run_once().returncode == 0
    assert archive.count("ingestions") == 1
    archive.drop("again.txt", ARTICLE, via_rename=False)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # as it was: same path, size, mtime, bytes
    assert archive.run_once().returncode == 0
    assert archive.count("ingestions") == 1
    assert archive.inbox_files() == []
    archive.drop("again.txt", ARTICLE)  # a new drop of the same file (new mtime) is a new ingestion
    assert archive.run_once().returncode == 0
    assert archive.count("ingestions") == 2
    assert archive.count("documents") == 1


BAD_INPUTS = {
    "empty.txt": (b"", "empty"),
    "blank.txt": (b"  \n\t\n \r\n", "empty"),
    "image.txt": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "binary"),
    "archive.txt": (b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(256)) * 4, "binary"),
    "huge.txt": (b"word " * 5000, "too_large"),
}


def test_bad_input_goes_to_failed_with_its_reason(archive: Archive) -> None:
    for name, (data, _code) in BAD_INPUTS.items():
        archive.drop(f"bad/{name}", data)
    result = archive.run_once(max_file_bytes=10_000)
    assert result.returncode == 0, result.stderr
    assert archive.count("ingestions") == 0
    for name, (data, code) in BAD_INPUTS.items():
        moved = archive.failed / "bad" / name
        assert moved.read_bytes() == data
        report = json.loads((archive.failed / "bad" / f"{name}.error.json").read_text())
        assert report["code"] == code
        assert report["original_path"] == f"bad/{name}"
        assert report["reason"] and "\n" not in report["reason"]
        assert report["failed_at"]
        assert data[:20].decode("latin-1") not in report["reason"] or not data  # never the file's content
    assert archive.inbox_files() == []


def test_links_fifos_are_never_followed_or_opened(archive: Archive) -> None:
    secret = archive.outside / "secret.txt"
    secret.write_text("outside the inbox: must never be read\n")
    secret_dir = archive.outside / "folder"
    secret_dir.mkdir()
    (secret_dir / "inner.txt").write_text(ARTICLE)
    before = secret.stat()
    os.symlink(secret, archive.inbox / "link.txt")
    os.symlink(secret_dir, archive.inbox / "linked-folder")
    os.mkfifo(archive.inbox / "pipe.txt")
    result = archive.run_once(timeout=60)
    assert result.returncode == 0, result.stderr
    assert archive.count("ingestions") == 0
    for name in ("link.txt", "linked-folder", "pipe.txt"):
        report = json.loads((archive.failed / f"{name}.error.json").read_text())
        assert report["code"] == "not_regular"
    assert (archive.failed / "link.txt").is_symlink()  # the link itself moved, not its target
    assert secret.stat().st_atime_ns == before.st_atime_ns  # never read (checked before we read it)
    assert secret.read_text() == "outside the inbox: must never be read\n"
    assert (secret_dir / "inner.txt").exists()


def test_failed_names_get_a_suffix_and_long_names_are_shortened(archive: Archive) -> None:
    long_name = "é" * 124 + ".txt"  # 252 bytes: no room for a suffix and .error.json
    for _ in range(2):
        archive.drop("same.txt", b"")
        archive.drop(long_name, b"")
        assert archive.run_once().returncode == 0
    names = sorted(p.name for p in archive.failed.iterdir())
    assert "same.txt" in names and "same.1.txt" in names
    reports = [json.loads(p.read_text()) for p in archive.failed_reports()]
    assert sum(r["original_path"] == long_name for r in reports) == 2
    assert all(len(n.encode()) <= 255 for n in names)


def test_claims_left_by_a_dead_daemon_go_back_to_the_inbox(archive: Archive) -> None:
    stale = archive.inbox / ".archiver-claims" / "otherhost-123-abc"
    (stale / "news").mkdir(parents=True)
    (stale / "news" / "claimed.txt").write_text(ARTICLE)
    (stale / ".lock").touch()  # nobody holds its flock: the daemon is gone
    assert archive.run_once().returncode == 0
    assert archive.count("ingestions") == 1
    (folder,) = archive.query("SELECT folder FROM ingestions")
    assert folder[0] == "news"
    assert not stale.exists()


def test_dropping_a_failed_file_back_retries_it(archive: Archive) -> None:
    archive.drop("later.txt", b"")
    assert archive.run_once().returncode == 0
    assert (archive.failed / "later.txt").exists()
    archive.drop("later.txt", ARTICLE)
    assert archive.run_once().returncode == 0
    assert archive.count("ingestions") == 1


def test_sidecar_sets_metadata_but_never_paths(archive: Archive) -> None:
    archive.drop("one.txt", article(1))
    archive.drop("one.txt.meta.json", json.dumps({"title": "Stated title", "tags": ["x", "y"], "source": "wire"}))
    archive.drop("two.txt", article(2))
    archive.drop("two.meta.json", json.dumps({"source": "../../etc", "title": "Sneaky"}))
    assert archive.run_once().returncode == 0
    rows = {
        r[0]: r[1:]
        for r in archive.query(
            "SELECT i.file_name, d.title, d.source FROM documents d JOIN ingestions i ON i.document_id = d.id"
        )
    }
    assert rows["one.txt"] == ("Stated title", "wire")
    assert rows["two.txt"][1] is None  # the unsafe sidecar is refused whole
    assert archive.inbox_files() == [] or all(p.name.endswith(".meta.json") is False for p in archive.inbox_files())


def test_crash_at_random_moments_loses_nothing_and_records_nothing_twice(archive: Archive) -> None:
    rng = random.Random(7)
    originals = [article(i) + f"Paragraph {rng.random()}.\n" for i in range(1800)]
    files = originals + [rng.choice(originals) for _ in range(200)]  # 10 % duplicates
    expected = {}
    for i, text in enumerate(files):
        data = text.encode("utf-8")
        expected[f"crash/{i:05d}.txt"] = sha256(data)
        archive.drop(f"crash/{i:05d}.txt", data, via_rename=False)
    kills_at = []
    for _kill in range(3):
        daemon = archive.start(workers=2, batch_size=50)
        target = archive.count("ingestions") + rng.randint(20, 300)
        wait_until(lambda target=target: archive.count("ingestions") >= target, timeout=120)
        time.sleep(rng.uniform(0, 0.3))  # a random moment: mid-batch, mid-commit, between commit and unlink
        daemon.kill()
        kills_at.append(archive.count("ingestions"))
    assert kills_at[-1] < len(files), "the kills must land while files remain"
    result = archive.run_once(timeout=300, workers=2)
    assert result.returncode == 0, result.stderr
    rows = archive.query("SELECT folder, file_name, raw_sha256 FROM ingestions")
    recorded = {f"{folder}/{name}": raw for folder, name, raw in rows}
    assert len(rows) == len(files)  # each file exactly once
    assert recorded == expected  # and each raw_sha256 is the hash of the bytes dropped
    assert archive.count("documents") == len(set(files))
    (dupes,) = archive.query(
        "SELECT count(*) FROM (SELECT content_hash FROM documents GROUP BY content_hash HAVING count(*) > 1) x"
    )
    assert dupes[0] == 0
    assert archive.inbox_files() == []
    assert not archive.failed_reports()


def test_polling_mode_takes_files_once_settled(archive: Archive) -> None:
    """For network shares, where inotify sees nothing: the polling observer plus settle_seconds."""
    with archive.start(polling="true", settle_seconds=0.5) as daemon:
        archive.drop("share/polled.txt", ARTICLE, via_rename=False)
        wait_until(lambda: archive.count("ingestions") == 1)
        wait_until(lambda: not archive.inbox_files())
        assert daemon.terminate()[0] == 0


def test_json_logs_one_object_per_file(archive: Archive) -> None:
    archive.drop("logged.txt", ARTICLE)
    archive.drop("empty.txt", b"")
    result = archive.run_once(log_format="json")
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert len(events) == len(result.stderr.splitlines())  # every line is a JSON object
    by_path = {e.get("path"): e for e in events if e.get("path")}
    assert by_path["logged.txt"]["event"] == "ingested"
    assert by_path["empty.txt"]["event"] == "failed" and by_path["empty.txt"]["code"] == "empty"


def _descendants(pid: int) -> set[int]:
    import subprocess

    found: set[int] = set()
    frontier = [pid]
    while frontier:
        out = subprocess.run(["pgrep", "-P", str(frontier.pop())], capture_output=True, text=True).stdout.split()
        kids = {int(p) for p in out} - found
        found |= kids
        frontier.extend(kids)
    return found


def test_a_killed_daemon_leaves_no_worker_processes_behind(archive: Archive) -> None:
    """Pool workers would wait forever on pipes they hold both ends of: they watch the daemon instead."""
    daemon = archive.start(workers=2)
    archive.drop("one.txt", ARTICLE)
    wait_until(lambda: archive.count("ingestions") == 1)
    children = _descendants(daemon.process.pid)
    assert len(children) >= 3  # resource tracker, forkserver, two workers
    daemon.kill()
    wait_until(lambda: not any(os.path.exists(f"/proc/{pid}") for pid in children), timeout=15)


def test_scheduled_index_optimisation_runs_and_keeps_search_working(archive: Archive) -> None:
    with archive.start(optimize_interval=1) as daemon:
        archive.drop("one.txt", ARTICLE)
        wait_until(lambda: archive.count("ingestions") == 1)
        wait_until(lambda: "optimized the full-text index" in daemon.log(), timeout=30)
        assert daemon.terminate()[0] == 0
    assert archive.cli("check").returncode == 0
    found = archive.cli("search", "budget", "--json")
    assert found.returncode == 0 and json.loads(found.stdout.splitlines()[0])["id"] == 1
