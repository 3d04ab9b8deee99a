"""`archiver` commands other than the daemon and the query commands: config, db upgrade, ingest, check, reprocess."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import SEEDS
from tests.harness import Archive


@pytest.fixture
def archive(tmp_path: Path, database_url: str) -> Archive:
    return Archive(tmp_path, database_url)


TOPICS = [
    "The harbour committee met to discuss the dredging plan and the budget of the port authority.",
    "Farmers in the valley reported the driest spring in forty years and asked for water rights.",
    "The university opened a new library wing with reading rooms that stay open through the night.",
    "A storm damaged the old railway bridge, and engineers expect repairs to take several months.",
    "The museum returned a collection of letters to the family of the poet who wrote them.",
    "Police closed the market square for a day after a gas leak was found under a bakery.",
    "The regional court ruled that the new wind farm may go ahead despite objections from hikers.",
    "Teachers at the village school started a garden where pupils grow vegetables for lunch.",
]


def articles(folder: Path, n: int, *, recurring: str = "") -> None:
    """n different articles; `recurring` is a paragraph in the middle of each, as a source's stock text is."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        first = f"{TOPICS[i % len(TOPICS)]} {TOPICS[(i + 3) % len(TOPICS)]} Report {i}."
        last = f"{TOPICS[(i + 5) % len(TOPICS)]} A decision is expected before the summer of {2000 + i}."
        parts = [f"Report number {i}: {TOPICS[i % len(TOPICS)][:40]}", first, recurring, last]
        (folder / f"a{i}.txt").write_text("\n\n".join(p for p in parts if p) + "\n")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"ARCHIVER_WORKERS": "many"}, "workers"),
        ({"ARCHIVER_POLLING": "perhaps"}, "polling"),
        ({"ARCHIVER_LOG_FORMAT": "xml"}, "log_format"),
        ({"ARCHIVER_SETTLE_SECONDS": "-1"}, "settle_seconds"),
        ({"ARCHIVER_DATABASE_URL": "mysql://nope"}, "database"),
    ],
)
def test_a_bad_setting_is_one_line_and_exit_2(tmp_path: Path, env: dict[str, str], expected: str) -> None:
    archive = Archive(tmp_path, f"sqlite:///{tmp_path / 'a.db'}")
    environment = archive.env()
    environment.update(env)
    import subprocess

    from tests.harness import ARCHIVER

    result = subprocess.run(
        [*ARCHIVER, "run", "--once"], env=environment, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0]
    assert "Traceback" not in result.stderr


def test_config_file_and_its_errors(tmp_path: Path) -> None:
    archive = Archive(tmp_path, f"sqlite:///{tmp_path / 'a.db'}")
    missing = archive.cli("--config", str(tmp_path / "nope.toml"), "stats")
    assert missing.returncode == 2 and "not found" in missing.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text("workers = \n")
    result = archive.cli("--config", str(bad), "db", "upgrade")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    good = tmp_path / "good.toml"
    good.write_text(f'database_url = "sqlite:///{tmp_path / "from-file.db"}"\n')
    environment_wins = archive.cli("--config", str(good), "db", "upgrade")
    assert environment_wins.returncode == 0
    assert (tmp_path / "a.db").exists() and not (tmp_path / "from-file.db").exists()


def test_db_upgrade_creates_the_documented_schema(archive: Archive) -> None:
    result = archive.cli("db", "upgrade")
    assert result.returncode == 0, result.stderr
    for table in ("documents", "ingestions", "originals", "removed_blocks"):
        assert archive.count(table) == 0
    again = archive.cli("db", "upgrade")
    assert again.returncode == 0


def test_ingest_backfills_folders_and_leaves_files_in_place(archive: Archive, tmp_path: Path) -> None:
    backlog = tmp_path / "backlog"
    articles(backlog / "harbour-news", 12)
    shutil.copy(SEEDS / "000_ffb08b1a9a9183c0.txt", backlog / "seed.txt")
    shutil.copy(SEEDS / "000_ffb08b1a9a9183c0.txt", backlog / "seed-copy.txt")
    (backlog / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    result = archive.cli("ingest", str(backlog))
    assert result.returncode == 1  # one file could not be archived
    assert "13 new, 1 duplicate(s)" in result.stderr and "1 failed" in result.stderr
    assert archive.count("documents") == 13
    assert archive.count("ingestions") == 14
    assert len(list(backlog.rglob("*.txt"))) == 15  # nothing moved or deleted
    sources = {r[0] for r in archive.query("SELECT DISTINCT source FROM documents")}
    assert "harbour-news" in sources
    rerun = archive.cli("ingest", str(backlog))  # the same backfill again records nothing twice
    assert "0 new, 0 duplicate(s), 14 already archived, 1 failed" in rerun.stderr
    assert archive.count("ingestions") == 14


def test_usage_errors_exit_2_without_traceback(archive: Archive) -> None:
    for args in (["ingest"], ["ingest", "/no/such/path"], ["clean"], ["nonsense"], ["run", "--workers", "-3"]):
        result = archive.cli(*args)
        assert result.returncode == 2, args
        assert "Traceback" not in result.stderr


def test_check_finds_and_repairs_a_broken_index_then_reports_tampered_originals(tmp_path: Path) -> None:
    archive = Archive(tmp_path, f"sqlite:///{tmp_path / 'archive.db'}")
    articles(tmp_path / "in", 3)
    assert archive.cli("ingest", str(tmp_path / "in")).returncode == 0
    assert archive.cli("check").returncode == 0
    db = sqlite3.connect(tmp_path / "archive.db")
    db.execute(  # the index loses document 1: it now disagrees with the documents table
        "INSERT INTO documents_fts(documents_fts, rowid, title, body, author) "
        "SELECT 'delete', id, title, body, author FROM documents WHERE id = 1"
    )
    db.commit()
    broken = archive.cli("check")
    assert broken.returncode == 1 and "full-text index" in broken.stdout
    assert archive.cli("check", "--repair").returncode == 0
    assert archive.cli("check").returncode == 0
    db.close()
    db = sqlite3.connect(tmp_path / "archive.db")
    db.execute("UPDATE originals SET data = zeroblob(10) WHERE rowid = 1")
    db.execute("UPDATE documents SET body = 'tampered' WHERE id = 2")
    db.commit()
    db.close()
    tampered = archive.cli("check", "--repair")
    assert tampered.returncode == 1
    assert "cannot be decompressed" in tampered.stdout
    assert "document 2: body does not match its content_hash" in tampered.stdout


def test_check_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    archive = Archive(tmp_path, pg_url)
    articles(tmp_path / "in", 3)
    assert archive.cli("ingest", str(tmp_path / "in")).returncode == 0
    assert archive.cli("check").returncode == 0
    archive.query("SELECT 1")
    with archive.engine.begin() as conn:
        from sqlalchemy import text

        conn.execute(text("UPDATE documents SET body = 'tampered' WHERE id = 1"))
    result = archive.cli("check")
    assert result.returncode == 1 and "document 1" in result.stdout
    archive.close()


def test_reprocess_applies_learned_boilerplate_and_merges_what_becomes_equal(archive: Archive, tmp_path: Path) -> None:
    stock = (
        "Tide tables for the week are printed on the back page, together with the ferry timetable and reader service."
    )
    articles(tmp_path / "in" / "gazette", 6, recurring=stock)
    assert archive.cli("ingest", str(tmp_path / "in")).returncode == 0
    before = archive.query("SELECT body FROM documents ORDER BY id")
    assert all("reader service" in body for (body,) in before)
    result = archive.cli("reprocess", "--source", "gazette", learn_min_documents=4)
    assert result.returncode == 0, result.stderr
    assert "6 updated" in result.stderr
    after = archive.query("SELECT body FROM documents ORDER BY id")
    assert not any("reader service" in body for (body,) in after)
    reasons = {r[0] for r in archive.query("SELECT reason FROM removed_blocks")}
    assert "learned" in reasons
    again = archive.cli("reprocess", learn_min_documents=4)
    assert "0 updated" in again.stderr and "6 unchanged" in again.stderr


def test_clean_and_decode_commands_json(tmp_path: Path) -> None:
    archive = Archive(tmp_path, f"sqlite:///{tmp_path / 'a.db'}")
    seed = SEEDS / "000_ffb08b1a9a9183c0.txt"
    png = tmp_path / "x.txt"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    decoded = archive.cli("decode", "--json", str(seed), str(png))
    rows = [json.loads(line) for line in decoded.stdout.splitlines()]
    assert rows[0]["encoding"] == "utf-8" and rows[0]["text"].startswith("Les employés")
    assert rows[1]["text"] is None
    cleaned = archive.cli("clean", "--json", str(seed))
    row = json.loads(cleaned.stdout)
    for key in ("path", "body", "title", "author", "published", "language", "encoding", "content_hash", "removed"):
        assert key in row
    assert all({"text", "reason"} <= set(r) for r in row["removed"])
