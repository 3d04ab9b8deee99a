"""Fixtures for the query tests: one small, known archive per test module, on SQLite and on PostgreSQL."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import make_url

from archiver.pipeline import process
from archiver.store.repository import Arrival, Store, compress

PG_URL = os.environ.get("ARCHIVER_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _admin_dsn() -> str:
    return make_url(PG_URL).set(drivername="postgresql").render_as_string(hide_password=False)


def create_pg_database() -> str:
    name = f"archiver_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_admin_dsn(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(url: str) -> None:
    name = make_url(url).database
    with psycopg.connect(_admin_dsn(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh database for the whole test module: a SQLite file, or a new PostgreSQL database dropped after."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'archive.db'}"
        return
    url = create_pg_database()
    try:
        yield url
    finally:
        drop_pg_database(url)


def arrival(
    raw: bytes,
    name: str,
    *,
    folder: str = "",
    source: str | None = None,
    tags: tuple[str, ...] = (),
    received_at: datetime | None = None,
    mtime_ns: int = 1_700_000_000_000_000_000,
) -> Arrival:
    """What the daemon would hand the writer for a file with these bytes (the real pipeline, no I/O)."""
    overrides: dict[str, Any] = {"tags": tags} if tags else {}
    return Arrival(
        file_name=name,
        folder=folder,
        size=len(raw),
        mtime_ns=mtime_ns,
        raw_sha256=hashlib.sha256(raw).hexdigest(),
        compressed=compress(raw),
        document=process(raw, source=source, overrides=overrides),
        received_at=received_at or datetime.now(UTC),
    )


JAN = datetime(2025, 1, 10, 9, 30, tzinfo=UTC)
JUNE = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
JUNE_2 = datetime(2025, 6, 2, 8, 0, tzinfo=UTC)

POSTE = """Les employés de la poste en grève

8 décembre 2023

Par Marie Dupont

Les employés de la poste ont cessé le travail mardi dernier pour protester contre la réforme des horaires. \
Le syndicat réclame des négociations rapides avec la direction nationale.

La direction affirme que le chemin de fer et la poste partagent les mêmes contraintes budgétaires \
depuis plusieurs années, malgré une forte opposition des élus locaux.
"""

RAILWAY_TITLE = """Railway strike paralyses the north

March 5, 2024

By Jane Smith

Trains stood still across the northern region on Tuesday as drivers walked out over pay. \
Commuters crowded onto buses and many offices told staff to work from home.

Union leaders said the dispute could last for weeks unless the operator improves its offer, \
according to officials who spoke after the talks broke down.
"""

RAILWAY_BODY = """Council budget debate drags on

April 2, 2024

By David Okafor

The city council spent another evening arguing over the annual budget for schools, libraries \
and the harbour. Several members questioned the cost of the new museum wing.

One councillor briefly mentioned the old railway bridge, which needs repairs, before the debate \
returned to school funding and the library opening hours for the summer.
"""

HOPITAL = """L'hôpital régional agrandit ses urgences

15 janvier 2024

Par Hélène Girard

L'hôpital régional annonce l'ouverture d'une nouvelle aile pour les urgences, financée par le \
conseil départemental. Les employés de l'hôpital saluent une décision attendue depuis longtemps.

Le projet ferroviaire voisin retarde toutefois les travaux : le chemin vers le chantier traverse \
la voie, et le fer des rails doit être déplacé avant la fin de l'été.
"""

WAHL = """Die Wahl in der Stadt

1. Februar 2024

Von Hans Müller

Die Stadt wählt am Sonntag einen neuen Rat. Nach monatelangen Gesprächen haben sich die Parteien \
auf gemeinsame Regeln für den Wahlkampf geeinigt, trotz heftigen Widerstands einiger Mitglieder.

Die Polizei bereitet sich auf einen ruhigen Wahltag vor. Die Ergebnisse werden am späten Abend \
im Rathaus veröffentlicht, nach Angaben der Behörden.
"""


@dataclass
class Corpus:
    """The known archive: ids by short name, the raw bytes of each first ingestion."""

    url: str
    ids: dict[str, int] = field(default_factory=dict)
    raw: dict[str, bytes] = field(default_factory=dict)


def fill(store: Store) -> Corpus:
    corpus = Corpus(store.url)
    wahl_cp1252 = WAHL.replace("\n", "\r\n").encode("cp1252")
    batch = [
        ("poste", POSTE.encode("utf-8"), "poste.txt", "courrier", ("social", "Poste"), JAN),
        ("railway_title", RAILWAY_TITLE.encode("utf-8"), "strike.txt", "ledger", ("transport",), JAN),
        ("railway_body", RAILWAY_BODY.encode("utf-8"), "council.txt", "ledger", (), JAN),
        ("hopital", HOPITAL.encode("utf-8"), "hopital.txt", "courrier", ("santé",), JUNE),
        ("wahl", wahl_cp1252, "wahl.txt", "rundschau", (), JUNE),
    ]
    results = store.save_batch(
        [
            arrival(raw, name, folder=source, source=source, tags=tags, received_at=at)
            for _, raw, name, source, tags, at in batch
        ]
    )
    for (key, raw, *_), saved in zip(batch, results, strict=True):
        assert saved.status == "new", key
        corpus.ids[key] = saved.document_id
        corpus.raw[key] = raw
    # The same article again, in UTF-8 with LF: one more ingestion of the same document.
    again = store.save_batch(
        [arrival(WAHL.encode("utf-8"), "wahl-copy.txt", folder="rundschau", source="rundschau", received_at=JUNE_2)]
    )
    assert again[0].status == "duplicate" and again[0].document_id == corpus.ids["wahl"]
    return corpus


@pytest.fixture(scope="module")
def corpus(module_database_url: str) -> Iterator[Corpus]:
    """The five known documents (one received twice) in a fresh database of each kind."""
    store = Store(module_database_url, upgrade=True)
    try:
        yield fill(store)
    finally:
        store.close()


@pytest.fixture(scope="module")
def store(corpus: Corpus) -> Iterator[Store]:
    s = Store(corpus.url)
    yield s
    s.close()


def failed_dir_with(tmp: Path, count: int) -> Path:
    failed = tmp / "failed"
    (failed / "sub").mkdir(parents=True, exist_ok=True)
    for i in range(count):
        folder = failed if i % 2 else failed / "sub"
        (folder / f"f{i}.txt").write_bytes(b"\0")
        (folder / f"f{i}.txt.error.json").write_text('{"reason": "binary", "code": "binary"}')
    return failed
