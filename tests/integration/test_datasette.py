"""Datasette opens the SQLite archive with full-text search on `documents`, with and without our metadata."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from archiver.store.repository import Store

from .conftest import fill

DATASETTE = [sys.executable, "-m", "datasette"]
METADATA = Path(__file__).resolve().parents[2] / "config" / "datasette-metadata.json"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def archive_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    path = tmp_path_factory.mktemp("datasette") / "archive.db"
    store = Store(f"sqlite:///{path}", upgrade=True)
    try:
        corpus = fill(store)
    finally:
        store.close()
    return path, corpus.ids


class Server:
    def __init__(self, db: Path, *extra: str) -> None:
        self.port = free_port()
        self.log = db.parent / f"datasette-{self.port}.log"
        self._log = self.log.open("w")
        self.process = subprocess.Popen(
            [*DATASETTE, "serve", str(db), "--host", "127.0.0.1", "--port", str(self.port), *extra],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                self.get("/-/versions.json")
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise AssertionError(f"datasette did not start:\n{self.log.read_text()}") from None
                time.sleep(0.1)

    def get(self, path: str, **params: str) -> Any:
        url = f"http://127.0.0.1:{self.port}{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        with urllib.request.urlopen(url, timeout=10) as response:
            return json.loads(response.read())

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self._log.close()


@pytest.fixture
def server(request: pytest.FixtureRequest, archive_db: tuple[Path, dict[str, int]]) -> Iterator[Server]:
    extra = ("--metadata", str(METADATA)) if getattr(request, "param", False) else ()
    s = Server(archive_db[0], *extra)
    try:
        yield s
    finally:
        s.stop()


@pytest.mark.parametrize("server", [False, True], ids=["no-metadata", "metadata"], indirect=True)
def test_search_over_http(server: Server, archive_db: tuple[Path, dict[str, int]]) -> None:
    _, ids = archive_db
    data = server.get("/archive/documents.json", _search="employes", _shape="objects")
    assert {row["id"] for row in data["rows"]} == {ids["poste"], ids["hopital"]}
    data = server.get("/archive/documents.json", _search="ferroviaire", _shape="objects")
    assert [row["title"] for row in data["rows"]] == ["L'hôpital régional agrandit ses urgences"]
    data = server.get("/archive/documents.json", _search="nothingmatchesthis", _shape="objects")
    assert data["rows"] == []


@pytest.mark.parametrize("server", [True], ids=["metadata"], indirect=True)
def test_metadata_describes_tables(server: Server) -> None:
    meta = server.get("/-/metadata.json")
    tables = meta["databases"]["archive"]["tables"]
    assert {"documents", "ingestions", "originals", "removed_blocks"} <= set(tables)
    assert tables["documents"]["columns"]["content_hash"]
