"""Command line only: parse, call, print. Heavy libraries are imported inside the commands that need them."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from archiver.errors import ArchiverError, ConfigError, NotFound, UsageError

if TYPE_CHECKING:
    from archiver.config import Settings
    from archiver.pipeline.document import Document

F = TypeVar("F", bound=Callable[..., Any])
# How long a check's lease outlives a crashed `archiver check` on SQLite (PostgreSQL's lock ends with it).
CHECK_LEASE_SECONDS = 3600.0


class ArchiverGroup(click.Group):
    """Turns archiver's own errors into one line on stderr and the documented exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (ConfigError, UsageError, NotFound) as exc:
            click.echo(f"archiver: error: {exc}", err=True)
            sys.exit(2)
        except ArchiverError as exc:
            click.echo(f"archiver: error: {exc}", err=True)
            sys.exit(1)
        except BrokenPipeError:
            sys.stderr.close()
            sys.exit(0)


@click.group(cls=ArchiverGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="Configuration file (TOML).")
@click.option("--database", "database_url", help="Database URL (overrides database_url).")
@click.version_option(package_name="archiver")
@click.pass_context
def cli(ctx: click.Context, config_file: str | None, database_url: str | None) -> None:
    """archiver: a clean, deduplicated, searchable archive of the text files dropped into an inbox."""
    ctx.obj = {"config_file": config_file, "database_url": database_url}


def settings_from(ctx: click.Context, **overrides: Any) -> Settings:
    from archiver.config import load_settings

    obj = ctx.find_root().obj or {}
    return load_settings(obj.get("config_file"), database_url=obj.get("database_url"), **overrides)


def emit_json(obj: Any) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, default=str))


# ------------------------------------------------------------------ pipeline only (store nothing)


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line.")
def decode(files: tuple[str, ...], as_json: bool) -> None:
    """What the decoder makes of FILES (stores nothing)."""
    from archiver.errors import NotText
    from archiver.pipeline.decode import decode as decode_bytes

    for name in files:
        data = Path(name).read_bytes()
        try:
            result = decode_bytes(data)
        except NotText as exc:
            row: dict[str, Any] = {
                "path": name,
                "text": None,
                "encoding": None,
                "confidence": None,
                "mojibake_repaired": False,
                "reason": exc.reason,
            }
        else:
            row = {
                "path": name,
                "text": result.text,
                "encoding": result.encoding,
                "confidence": result.confidence,
                "mojibake_repaired": result.mojibake_repaired,
            }
        if as_json:
            emit_json(row)
        elif row["text"] is None:
            click.echo(f"{name}: not text: {row['reason']}")
        else:
            repaired = ", mojibake repaired" if row["mojibake_repaired"] else ""
            click.echo(f"==> {name} ({row['encoding']}, confidence {row['confidence']:.2f}{repaired})")
            click.echo(row["text"])


def document_json(path: str, document: Document) -> dict[str, Any]:
    meta = document.metadata
    return {
        "path": path,
        "body": document.body,
        "title": meta.title,
        "author": meta.author,
        "published": meta.published.isoformat() if meta.published else None,
        "language": meta.language,
        "tags": list(meta.tags),
        "source": meta.source,
        "word_count": document.word_count,
        "encoding": document.encoding,
        "confidence": document.confidence,
        "mojibake_repaired": document.mojibake_repaired,
        "content_hash": document.content_hash,
        "removed": [{"text": r.text, "reason": r.reason, "position": r.position} for r in document.removed],
    }


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line.")
def clean(files: tuple[str, ...], as_json: bool) -> None:
    """What the pipeline makes of FILES: clean body, metadata, removed blocks (stores nothing)."""
    from archiver.errors import NotText
    from archiver.pipeline import process

    failures = 0
    for name in files:
        try:
            document = process(Path(name).read_bytes())
        except NotText as exc:
            failures += 1
            click.echo(f"archiver: {name}: {exc.reason}", err=True)
            if as_json:
                emit_json({"path": name, "body": None, "error": exc.reason, "code": exc.code})
            continue
        row = document_json(name, document)
        if as_json:
            emit_json(row)
            continue
        click.echo(f"==> {name}")
        for key in ("title", "author", "published", "language", "encoding", "content_hash"):
            click.echo(f"{key}: {row[key]}")
        click.echo("")
        click.echo(document.body)
        for removed in document.removed:
            click.echo(f"[removed: {removed.reason}] {removed.text}")
    if failures:
        sys.exit(1)


# ------------------------------------------------------------------ the daemon and the store


@cli.command()
@click.option("--once", is_flag=True, help="Process what is in the inbox now, then exit.")
@click.option("--inbox", type=click.Path(file_okay=False), help="Inbox folder (overrides inbox).")
@click.option("--workers", type=click.IntRange(min=0), help="Pipeline worker processes (0: one per core).")
@click.pass_context
def run(ctx: click.Context, once: bool, inbox: str | None, workers: int | None) -> None:
    """Run the daemon in the foreground: watch the inbox and archive every file dropped into it."""
    from archiver.forkserver import start_forkserver

    # First, even before the settings (a fifth of a second of imports): the forkserver loads the pipeline
    # on the other core meanwhile. Settings in error leave it nothing to do; it exits with this process.
    start_forkserver()
    settings = settings_from(ctx, inbox=inbox, workers=workers)
    from archiver.daemon import Daemon
    from archiver.logs import setup_logging

    setup_logging(settings.log_format, settings.log_level)
    _exit_now(Daemon(settings, once=once).run())


def _exit_now(code: int) -> NoReturn:
    """End a stopped daemon without the interpreter's teardown.

    The daemon has committed, closed its database, joined its workers and removed its claim folder;
    what is left is freeing SQLAlchemy's, pydantic's and numpy's objects one by one, which took 0.2-0.3 s
    of every `archiver run --once` (and of every stop) for memory the system takes back at once.
    """
    import logging
    import os

    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--source", help="Source recorded for these files (default: their first sub-folder).")
@click.pass_context
def ingest(ctx: click.Context, paths: tuple[str, ...], source: str | None) -> None:
    """Archive files or folders now (backfill), with a progress bar. The files are left where they are."""
    settings = settings_from(ctx)
    from archiver.backfill import backfill
    from archiver.logs import setup_logging

    setup_logging(settings.log_format, "WARNING")
    report = backfill(settings, [Path(p) for p in paths], source=source)
    click.echo(
        f"{report.new} new, {report.duplicate} duplicate(s), {report.already} already archived, {report.failed} failed",
        err=True,
    )
    for path, reason in report.failures[:20]:
        click.echo(f"  failed {path}: {reason}", err=True)
    if report.failed:
        sys.exit(1)


@cli.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Create the schema or apply pending migrations."""
    from archiver.store.repository import Store

    settings = settings_from(ctx)
    store = Store(settings.database_url)
    store.upgrade()
    store.close()
    click.echo("database is up to date", err=True)


@cli.command()
@click.option("--repair", is_flag=True, help="Rebuild what can be rebuilt (the full-text index).")
@click.pass_context
def check(ctx: click.Context, repair: bool) -> None:
    """Integrity of the database, the originals and the full-text index. Exit 1 when a problem is found."""
    from archiver.store.maintenance import check as check_archive
    from archiver.store.repository import Store

    store = Store(settings_from(ctx).database_url, upgrade=True)
    try:
        with store.job_lock("check", ttl=CHECK_LEASE_SECONDS) as mine:  # one check per archive at a time
            if not mine:
                raise ArchiverError("another `archiver check` is running on this archive; run it again when it ends")
            problems = check_archive(store, repair=repair)
    finally:
        store.close()
    for problem in problems:
        click.echo(problem)
    unrepaired = [p for p in problems if "(repaired" not in p]
    if unrepaired:
        click.echo(f"{len(unrepaired)} problem(s) found", err=True)
        sys.exit(1)
    click.echo("archive is sound" if not problems else "archive repaired", err=True)


@cli.command()
@click.option("--id", "ids", type=int, multiple=True, help="Only this document (repeatable).")
@click.option("--source", help="Only documents of this source.")
@click.option("--lang", help="Only documents in this language.")
@click.option("--dry-run", is_flag=True, help="Report what would change, store nothing.")
@click.pass_context
def reprocess(ctx: click.Context, ids: tuple[int, ...], source: str | None, lang: str | None, dry_run: bool) -> None:
    """Re-run the pipeline on stored originals (after rules or learning improve) and report what changed."""
    from archiver.reprocess import reprocess as reprocess_archive

    settings = settings_from(ctx)
    report = reprocess_archive(settings, ids=list(ids) or None, source=source, language=lang, dry_run=dry_run)
    for change in report.changes:
        click.echo(change)
    click.echo(
        f"{report.updated} updated, {report.merged} merged, {report.unchanged} unchanged"
        + (" (dry run: nothing stored)" if dry_run else ""),
        err=True,
    )


# ------------------------------------------------------------------ query commands (search, list, show, export, stats)


def _iso_day(option: str) -> Callable[[click.Context, click.Parameter, str | None], Any]:
    def convert(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Any:
        if value is None:
            return None
        from datetime import date

        try:
            return date.fromisoformat(value)
        except ValueError:
            raise UsageError(f"bad {option} date {value!r}: expected YYYY-MM-DD") from None

    return convert


def filter_options(f: F) -> F:
    """The filters shared by search, list, export and stats (and anything else that narrows the archive)."""
    options = [
        click.option("--lang", help="Language (ISO 639-1 code, e.g. fr)."),
        click.option("--source", help="Source (the inbox sub-folder or sidecar source), exactly."),
        click.option("--author", help="Author name contains this (any case)."),
        click.option("--tag", help="Has this tag (any case)."),
        click.option("--since", callback=_iso_day("--since"), metavar="YYYY-MM-DD", help="Published on or after."),
        click.option("--until", callback=_iso_day("--until"), metavar="YYYY-MM-DD", help="Published on or before."),
        click.option("--received", is_flag=True, help="--since/--until apply to when files arrived, not publication."),
        click.option("--duplicates", is_flag=True, help="Only documents received more than once."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def filters_from(params: dict[str, Any]) -> Any:
    from archiver.store.search import Filters

    return Filters(
        lang=params.get("lang"),
        source=params.get("source"),
        author=params.get("author"),
        tag=params.get("tag"),
        since=params.get("since"),
        until=params.get("until"),
        received=bool(params.get("received")),
        duplicates=bool(params.get("duplicates")),
    )


class _archive:
    """The archive for reading, with database failures turned into one line (exit 1).

    `full=False` opens a search.Reader (an engine only) instead of the Store: it spares the commands
    that only query (search, list, export, stats) importing the pipeline, a fifth of a second.
    """

    def __init__(self, ctx: click.Context, *, full: bool = False) -> None:
        self.ctx = ctx
        self.full = full
        self.store: Any = None

    def __enter__(self) -> Any:
        from sqlalchemy import make_url

        settings = settings_from(self.ctx)
        url = make_url(settings.database_url)
        database = url.database or ""
        local = url.get_backend_name() == "sqlite" and database not in ("", ":memory:")
        if local and not database.startswith("file:") and not Path(database).expanduser().is_file():
            raise ArchiverError(f"no archive at {database}: run `archiver run` or `archiver ingest` first")
        if self.full:
            from archiver.store.repository import Store

            self.store = Store(settings.database_url)
        else:
            from archiver.store.search import Reader

            self.store = Reader(settings.database_url)
        return self.store

    def __exit__(self, _type: Any, exc: BaseException | None, _tb: Any) -> None:
        from sqlalchemy.exc import DBAPIError

        from archiver.errors import DatabaseUnavailable

        self.store.close()
        if not isinstance(exc, DBAPIError):
            return
        text = str(exc.orig or exc).strip()
        reason = text.splitlines()[0] if text else type(exc).__name__
        if exc.connection_invalidated or "connect" in reason.lower():
            raise DatabaseUnavailable(f"cannot reach the database: {reason}") from None
        if "no such table" in reason or "does not exist" in reason:
            raise ArchiverError(f"the database has no archive yet ({reason}): run `archiver db upgrade`") from None
        raise ArchiverError(f"database error: {reason}") from None


def _summary(row: dict[str, Any]) -> str:
    facts = [str(v) for v in (row.get("source"), row.get("published"), row.get("language")) if v]
    title = row.get("title") or "(no title)"
    return f"[{row['id']}] {title}" + (f"  ({', '.join(facts)})" if facts else "")


@cli.command()
@click.argument("query")
@filter_options
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="Rows at most.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line.")
@click.pass_context
def search(ctx: click.Context, query: str, limit: int, as_json: bool, **filters: Any) -> None:
    """Full-text search, best matches first, with snippets.

    \b
    QUERY syntax (the same on SQLite and PostgreSQL; accents and case never matter):
      word other      every word must match
      "exact phrase"  words next to each other
      a OR b          either one
      -word           exclude
      pref*           prefix
      (a OR b) c      group
    A query that starts with "-" goes after "--":  archiver search -- '-colis poste'
    """
    from archiver.store.query import parse
    from archiver.store.search import search as run_search

    parse(query)  # a malformed query is a usage error before any database is opened
    with _archive(ctx) as store:
        rows = run_search(store, query, filters_from(filters), limit)
    for row in rows:
        if as_json:
            emit_json(row)
        else:
            click.echo(_summary(row))
            click.echo("    " + " ".join(str(row.get("snippet") or "").split()))


@cli.command(name="list")
@filter_options
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="Rows at most.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line.")
@click.pass_context
def list_command(ctx: click.Context, limit: int, as_json: bool, **filters: Any) -> None:
    """Documents, newest first."""
    from archiver.store.search import list_documents

    with _archive(ctx) as store:
        rows = list_documents(store, filters_from(filters), limit)
    for row in rows:
        if as_json:
            emit_json(row)
        else:
            click.echo(_summary(row))


@cli.command()
@click.argument("document_id", metavar="ID", type=int)
@click.option("--raw", is_flag=True, help="Write the original bytes, exactly as dropped, to stdout.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@click.pass_context
def show(ctx: click.Context, document_id: int, raw: bool, as_json: bool) -> None:
    """One document: metadata, body, removed paragraphs and their reasons, ingestions."""
    with _archive(ctx, full=True) as store:
        if raw:
            data = store.original(document_id)
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
            return
        doc = store.document(document_id)
    if as_json:
        emit_json(doc)
        return
    for key in ("id", "title", "author", "published", "language", "source", "tags", "word_count", "content_hash"):
        value = doc.get(key)
        click.echo(f"{key}: {', '.join(value) if isinstance(value, list) else value}")
    click.echo(f"created_at: {doc.get('created_at')}")
    if doc.get("near_duplicate_of"):
        click.echo(f"near_duplicate_of: {doc['near_duplicate_of']} (similarity {doc.get('similarity')})")
    click.echo("")
    click.echo(doc["body"])
    if doc["removed"]:
        click.echo("")
        click.echo(f"removed ({len(doc['removed'])}):")
        for block in doc["removed"]:
            click.echo(f"  [{block['reason']}] {' '.join(block['text'].split())}")
    click.echo("")
    click.echo(f"ingestions ({len(doc['ingestions'])}):")
    for ing in doc["ingestions"]:
        path = f"{ing['folder']}/{ing['file_name']}" if ing["folder"] else ing["file_name"]
        size, encoding = ing["size"], ing["encoding"]
        click.echo(f"  {ing['received_at']}  {path}  {size} bytes  {encoding}  sha256 {ing['raw_sha256']}")


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@filter_options
@click.pass_context
def export(ctx: click.Context, fmt: str, **filters: Any) -> None:
    """Every matching document with its body, streamed to stdout (JSON Lines or CSV)."""
    import csv
    import io

    from archiver.store.search import EXPORT_FIELDS, iter_export, iter_export_jsonl

    sys.stdout.flush()
    binary = sys.stdout.buffer
    with _archive(ctx) as store:
        if fmt == "jsonl":
            pending: list[bytes] = []
            for line in iter_export_jsonl(store, filters_from(filters)):
                pending.append(line)
                if len(pending) >= 256:
                    pending.append(b"")
                    binary.write(b"\n".join(pending))
                    pending.clear()
            if pending:
                pending.append(b"")
                binary.write(b"\n".join(pending))
            binary.flush()
            return
        out = io.TextIOWrapper(binary, encoding="utf-8", newline="", write_through=False)
        try:
            dumps = json.JSONEncoder(ensure_ascii=False).encode
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(EXPORT_FIELDS)
            for row in iter_export(store, filters_from(filters)):
                row["tags"] = dumps(row["tags"])
                writer.writerow([row[k] for k in EXPORT_FIELDS])
            out.flush()
        finally:
            out.detach()


@cli.command()
@filter_options
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@click.pass_context
def stats(ctx: click.Context, as_json: bool, **filters: Any) -> None:
    """Counts: documents, ingestions, duplicates, failures; by source, language and day; recent ingest rate."""
    from archiver.store.search import count_failed
    from archiver.store.search import stats as compute

    failed = count_failed(settings_from(ctx).failed_dir)
    with _archive(ctx) as store:
        result = compute(store, filters_from(filters), failed=failed)
    if as_json:
        emit_json(result)
        return
    for key in ("documents", "ingestions", "duplicates", "failed"):
        click.echo(f"{key}: {result[key]}")
    rate = result["ingest_rate"]
    click.echo(f"received: {rate['last_hour']} in the last hour, {rate['last_day']} in the last day")
    for title, key in (("by source", "by_source"), ("by language", "by_language"), ("by day", "by_day")):
        click.echo(f"{title}:")
        for name, count in result[key].items():
            click.echo(f"  {name}: {count}")


# ------------------------------------------------------------------ end of query commands


def main() -> None:
    cli(prog_name="archiver")
