"""The values the pipeline passes along and returns. Immutable, so workers can ship them between processes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Decoded:
    """Text recovered from bytes, with how it was recovered."""

    text: str
    encoding: str
    confidence: float
    mojibake_repaired: bool = False


@dataclass(frozen=True)
class RemovedBlock:
    """A paragraph dropped as boilerplate: kept so that every decision can be audited and undone."""

    position: int
    reason: str
    text: str


@dataclass(frozen=True)
class Metadata:
    title: str | None = None
    author: str | None = None
    published: date | None = None
    language: str | None = None
    tags: tuple[str, ...] = ()
    source: str | None = None


@dataclass(frozen=True)
class Document:
    """What the pipeline makes of one file's bytes."""

    body: str
    content_hash: str
    metadata: Metadata
    word_count: int
    encoding: str
    confidence: float
    mojibake_repaired: bool
    removed: tuple[RemovedBlock, ...] = ()
    block_hashes: tuple[str, ...] = field(default=(), repr=False)
    sketch: tuple[int, ...] = field(default=(), repr=False)
    # The content hash the body would have without `learned` drops: a copy of an article archived
    # before its source's footer was learned is still recognised as the same document.
    unlearned_hash: str | None = None
