"""Command line only: parse, call, print. Heavy libraries are imported inside the commands that need them."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from archiver.errors import ArchiverError, ConfigError, NotFound, UsageError

if TYPE_CHECKING:
    from archiver.config import Settings
    from archiver.pipeline.document import Document

F = TypeVar("F", bound=Callable[..., Any])


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
    settings = settings_from(ctx, inbox=inbox, workers=workers)
    from archiver.daemon import Daemon
    from archiver.logs import setup_logging

    setup_logging(settings.log_format, settings.log_level)
    sys.exit(Daemon(settings, once=once).run())


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


# ------------------------------------------------------------------ query commands (search, list, show, export, stats)
# ------------------------------------------------------------------ end of query commands


def main() -> None:
    cli(prog_name="archiver")
