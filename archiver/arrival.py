"""What a pipeline worker hands to the writer for one file. Light on purpose: the workers' forkserver
imports it, and SQLAlchemy (the store's) would add a fifth to every start-up before the first file."""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from archiver.pipeline.document import Document


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Arrival:
    """A file the pipeline has processed, waiting for the writer: everything one ingestion records."""

    file_name: str
    folder: str
    size: int
    mtime_ns: int
    raw_sha256: str
    compressed: bytes
    document: Document
    received_at: datetime = field(default_factory=utcnow)
    overrides: dict[str, Any] | None = None  # sidecar fields, JSON-ready
    # PostgreSQL: the document's search vector literal, built in the worker (archiver.store.tsvector)
    # rather than in the one writer thread; None: the writer builds it if the database wants one.
    search: str | None = None

    @property
    def idempotency_key(self) -> str:
        return idempotency_key(self.raw_sha256, self.folder, self.file_name, self.size, self.mtime_ns)


def idempotency_key(raw_sha256: str, folder: str, file_name: str, size: int, mtime_ns: int) -> str:
    """One file as it was dropped: the same bytes under the same relative path, size and mtime."""
    material = "\0".join((raw_sha256, folder, file_name, str(size), str(mtime_ns)))
    return hashlib.sha256(material.encode("utf-8", "surrogateescape")).hexdigest()


def compress(raw: bytes) -> bytes:
    return zlib.compress(raw, 6)
