"""Engines and schema upgrades for SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.exc import ArgumentError

from archiver.errors import ConfigError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_MS = 30_000
# Pages of WAL before a commit copies them into the database (SQLite's default: 1,000, 4 MB). A backlog's
# batch writes 2-3 MB, so the default checkpointed every other batch, rewriting the same index and FTS
# pages each time: at 10,000 pages (40 MB) the writer spends about a tenth less per document. After a
# checkpoint the WAL file is cut back to SQLITE_WAL_KEEP_BYTES.
SQLITE_WAL_PAGES = 10_000
SQLITE_WAL_KEEP_BYTES = 64 * 2**20
# SQLite's page cache per connection, in KiB (the default is 2,000). Each document adds a key at a random
# place in five indexes of hashes (content, original twice, idempotency key, LSH bands): with 2 MB those
# pages were read back for every batch, and 16 MB take a tenth off the writer's CPU a document (0.42 ->
# 0.37 ms, bench/RESULTS.md, eleventh session). Filled only as pages are read: a short query allocates little.
SQLITE_CACHE_KIB = 16_000
PG_UPGRADE_LOCK = 0x41524348  # "ARCH": advisory lock held while one daemon upgrades the schema


def make_engine(url: str) -> Engine:
    """An engine set up for the archive: SQLite in WAL with a busy timeout and foreign keys; PostgreSQL pinged."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(f"bad database_url {url!r}: expected sqlite:///PATH or postgresql+psycopg://...") from None
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_MS / 1000})
        _tune_sqlite(engine)
        return engine
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        engine = create_engine(parsed, pool_pre_ping=True, pool_size=4, max_overflow=4)
        # A batch inserts thousands of removed-block and sketch rows. Without RETURNING, SQLAlchemy hands such
        # an executemany to psycopg 3 as one pipelined statement a row; with this flag (which psycopg2's
        # dialect sets itself) it sends INSERT ... VALUES (...), (...) a thousand rows at a time.
        engine.dialect.use_insertmanyvalues_wo_returning = True
        return engine
    raise ConfigError(f"unsupported database {parsed.get_backend_name()!r}: use sqlite or postgresql")


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below decide how transactions start (pysqlite would defer them).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA wal_autocheckpoint={SQLITE_WAL_PAGES}")
        cursor.execute(f"PRAGMA journal_size_limit={SQLITE_WAL_KEEP_BYTES}")
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        # Writers take the write lock up front: a deferred transaction that upgrades later can fail
        # with "database is locked" at once, whatever the busy timeout.
        immediate = connection.get_execution_options().get("sqlite_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def upgrade_schema(engine: Engine) -> None:
    """Create or upgrade the schema to the newest migration (safe with several daemons on PostgreSQL)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": PG_UPGRADE_LOCK})
            connection.commit()
        try:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            connection.commit()
        finally:
            if engine.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": PG_UPGRADE_LOCK})
                connection.commit()


def schema_is_current(engine: Engine) -> bool:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision() == head
