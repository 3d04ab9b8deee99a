"""The query commands (search, list, show, export, stats) end to end, on SQLite and on PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from archiver.cli import cli

from .conftest import Corpus, failed_dir_with

ARCHIVER = [sys.executable, "-m", "archiver"]


@pytest.fixture(scope="module")
def failed_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return failed_dir_with(tmp_path_factory.mktemp("failed"), 2)


@pytest.fixture
def env(corpus: Corpus, failed_dir: Path) -> dict[str, str]:
    return {"ARCHIVER_DATABASE_URL": corpus.url, "ARCHIVER_FAILED_DIR": str(failed_dir)}


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def jsonl(result: Result) -> list[dict[str, Any]]:
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def proc(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([*ARCHIVER, *args], env={**os.environ, **env}, capture_output=True, timeout=60)


# ------------------------------------------------------------------ search


def test_search_json(env: dict[str, str], corpus: Corpus) -> None:
    rows = jsonl(run(env, "search", "employes", "--json"))
    assert {r["id"] for r in rows} == {corpus.ids["poste"], corpus.ids["hopital"]}
    for row in rows:
        assert {"id", "title", "author", "published", "language", "source", "tags", "snippet", "score"} <= set(row)


def test_search_text(env: dict[str, str], corpus: Corpus) -> None:
    result = run(env, "search", "railway")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"[{corpus.ids['railway_title']}] Railway strike paralyses the north")
    assert lines[2].startswith(f"[{corpus.ids['railway_body']}] Council budget debate drags on")


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["employes", "--lang", "fr", "--source", "courrier"], ["poste", "hopital"]),
        (["employes", "--author", "girard"], ["hopital"]),
        (["employes", "--tag", "SOCIAL"], ["poste"]),
        (["employes", "--since", "2024-01-01"], ["hopital"]),
        (["employes", "--until", "2023-12-31"], ["poste"]),
        (["employes", "--since", "2025-06-01", "--received"], ["hopital"]),
        (["stadt OR employes", "--duplicates"], ["wahl"]),
        (["employes OR railway", "--limit", "1"], None),
        (['"chemin de fer"'], ["poste"]),
        (["employes -poste"], ["hopital"]),
        (["ferrov*"], ["hopital"]),
        (["greve OR wahl"], ["poste", "wahl"]),
    ],
)
def test_search_flags_and_syntax(env: dict[str, str], corpus: Corpus, args: list[str], names: list[str] | None) -> None:
    rows = jsonl(run(env, "search", *args, "--json"))
    if names is None:
        assert len(rows) == 1
    else:
        assert {r["id"] for r in rows} == {corpus.ids[n] for n in names}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('"employes', 'archiver: error: unclosed quote in search query: add the closing "'),
        ("employes OR", 'archiver: error: "OR" needs something to search for on each side'),
        ("(employes", 'archiver: error: unclosed "(" in search query'),
        ("-employes", "archiver: error: search query only excludes: add a word to look for"),
    ],
)
def test_malformed_query_is_one_line_and_exit_2(env: dict[str, str], query: str, message: str) -> None:
    result = proc(env, "search", "--", query)  # "--": a query may start with "-"
    assert result.returncode == 2
    assert result.stdout == b""
    assert result.stderr.decode().splitlines() == [message]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["search", "x", "--since", "2024-13-01"],
            "archiver: error: bad --since date '2024-13-01': expected YYYY-MM-DD",
        ),
        (["list", "--until", "yesterday"], "archiver: error: bad --until date 'yesterday': expected YYYY-MM-DD"),
        (["show", "999999"], "archiver: error: no document with id 999999"),
    ],
)
def test_bad_values_are_one_line_and_exit_2(env: dict[str, str], args: list[str], message: str) -> None:
    result = proc(env, *args)
    assert result.returncode == 2
    assert result.stderr.decode().splitlines() == [message]


def test_bad_flag_is_a_usage_error(env: dict[str, str]) -> None:
    result = run(env, "list", "--limit", "0")
    assert result.exit_code == 2
    result = run(env, "search", "x", "--colour")
    assert result.exit_code == 2


# ------------------------------------------------------------------ list


def test_list_newest_first(env: dict[str, str], corpus: Corpus) -> None:
    rows = jsonl(run(env, "list", "--json"))
    assert [r["id"] for r in rows] == sorted(corpus.ids.values(), reverse=True)
    rows = jsonl(run(env, "list", "--json", "--limit", "2"))
    assert len(rows) == 2


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["--lang", "en"], ["railway_title", "railway_body"]),
        (["--source", "rundschau"], ["wahl"]),
        (["--author", "SMITH"], ["railway_title"]),
        (["--tag", "transport"], ["railway_title"]),
        (["--since", "2024-02-01", "--until", "2024-03-31"], ["wahl", "railway_title"]),
        (["--until", "2025-01-31", "--received"], ["poste", "railway_title", "railway_body"]),
        (["--duplicates"], ["wahl"]),
    ],
)
def test_list_filters(env: dict[str, str], corpus: Corpus, args: list[str], names: list[str]) -> None:
    rows = jsonl(run(env, "list", *args, "--json"))
    assert [r["id"] for r in rows] == sorted((corpus.ids[n] for n in names), reverse=True)


def test_list_text(env: dict[str, str], corpus: Corpus) -> None:
    result = run(env, "list", "--source", "rundschau")
    assert result.stdout == f"[{corpus.ids['wahl']}] Die Wahl in der Stadt  (rundschau, 2024-02-01, de)\n"


# ------------------------------------------------------------------ show


def test_show_json(env: dict[str, str], corpus: Corpus) -> None:
    result = run(env, "show", str(corpus.ids["wahl"]), "--json")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["id"] == corpus.ids["wahl"]
    assert doc["title"] == "Die Wahl in der Stadt"
    assert doc["author"] == "Hans Müller"
    assert doc["body"].startswith("Die Stadt wählt am Sonntag")
    assert {r["reason"] for r in doc["removed"]} and all(r["text"] for r in doc["removed"])
    assert [i["file_name"] for i in doc["ingestions"]] == ["wahl.txt", "wahl-copy.txt"]
    assert doc["ingestions"][0]["encoding"]


def test_show_text(env: dict[str, str], corpus: Corpus) -> None:
    result = run(env, "show", str(corpus.ids["poste"]))
    assert result.exit_code == 0
    out = result.stdout
    assert "title: Les employés de la poste en grève" in out
    assert "author: Marie Dupont" in out
    assert "Les employés de la poste ont cessé le travail" in out
    assert "removed (" in out and "ingestions (1):" in out
    assert "courrier/poste.txt" in out


@pytest.mark.parametrize("name", ["wahl", "poste"])
def test_show_raw_is_byte_for_byte(env: dict[str, str], corpus: Corpus, name: str) -> None:
    result = proc(env, "show", str(corpus.ids[name]), "--raw")
    assert result.returncode == 0, result.stderr
    assert result.stdout == corpus.raw[name]
    if name == "wahl":
        assert b"\r\n" in result.stdout and "ü".encode("cp1252") in result.stdout


# ------------------------------------------------------------------ export


def test_export_jsonl(env: dict[str, str], corpus: Corpus) -> None:
    rows = jsonl(run(env, "export"))
    assert [r["id"] for r in rows] == sorted(corpus.ids.values())
    assert all(r["body"] for r in rows)
    rows = jsonl(run(env, "export", "--format", "jsonl", "--lang", "de"))
    assert [r["id"] for r in rows] == [corpus.ids["wahl"]]


def test_export_csv(env: dict[str, str], corpus: Corpus) -> None:
    result = run(env, "export", "--format", "csv", "--source", "courrier")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [int(r["id"]) for r in rows] == sorted([corpus.ids["poste"], corpus.ids["hopital"]])
    assert rows[0]["title"] == "Les employés de la poste en grève"
    assert json.loads(rows[0]["tags"]) == ["social", "Poste"]
    assert "\n\n" in rows[0]["body"]


# ------------------------------------------------------------------ stats


def test_stats_json(env: dict[str, str]) -> None:
    result = run(env, "stats", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert (data["documents"], data["ingestions"], data["duplicates"], data["failed"]) == (5, 6, 1, 2)
    assert data["by_source"] == {"courrier": 2, "ledger": 2, "rundschau": 1}
    assert data["by_language"] == {"en": 2, "fr": 2, "de": 1}
    assert sum(data["by_day"].values()) == 5
    assert "ingest_rate" in data


def test_stats_filters_and_text(env: dict[str, str]) -> None:
    data = json.loads(run(env, "stats", "--json", "--lang", "fr").stdout)
    assert data["documents"] == 2 and data["by_language"] == {"fr": 2}
    out = run(env, "stats").stdout
    assert "documents: 5" in out and "duplicates: 1" in out and "failed: 2" in out


def test_no_archive_is_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "nothing.db"
    result = proc({"ARCHIVER_DATABASE_URL": f"sqlite:///{missing}"}, "list")
    assert result.returncode == 1
    assert len(result.stderr.decode().splitlines()) == 1
    assert not missing.exists()


def test_help_is_fast() -> None:
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        result = subprocess.run([*ARCHIVER, "--help"], capture_output=True, timeout=30)
        timings.append(time.perf_counter() - start)
        assert result.returncode == 0
    for command in ("search", "list", "show", "export", "stats"):
        assert command.encode() in result.stdout
    assert min(timings) < 1.0  # the 300 ms target is measured by bench/search_bench.py, not asserted here
