"""The pipeline: pure functions, bytes in and a Document out. No I/O, no database."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from archiver.pipeline.boilerplate import classify, join_blocks, split_blocks
from archiver.pipeline.decode import decode
from archiver.pipeline.document import Decoded, Document, Metadata, RemovedBlock
from archiver.pipeline.identity import block_hash, content_hash, sketch
from archiver.pipeline.metadata import detect_language, extract_metadata
from archiver.pipeline.normalize import normalize_text

__all__ = ["Decoded", "Document", "Metadata", "RemovedBlock", "clean", "process"]

_WORD = re.compile(r"\w+")
# Lines longer than this are prose, not a source's stock lines: never counted, so never learned.
LEARNABLE_CHARS = 300
_OVERRIDABLE = frozenset({"title", "author", "published", "language", "tags", "source"})


def clean(decoded: Decoded, *, learned: frozenset[str] = frozenset(), hash_blocks: bool = True) -> Document:
    """Normalise, strip boilerplate and extract metadata from decoded text.

    `hash_blocks`: compute the per-line hashes that learned boilerplate counts (only useful with a source).
    """
    text = normalize_text(decoded.text)
    blocks, paragraphs = split_blocks(text)
    language = detect_language(text)
    verdicts = classify(blocks, language, learned)
    kept = [
        (block, paragraph)
        for block, paragraph, verdict in zip(blocks, paragraphs, verdicts, strict=True)
        if verdict.keep
    ]
    removed = tuple(
        RemovedBlock(position, verdict.reason or "boilerplate", block)
        for position, (block, verdict) in enumerate(zip(blocks, verdicts, strict=True))
        if not verdict.keep
    )
    body = join_blocks([block for block, _ in kept], [paragraph for _, paragraph in kept])
    unlearned = [
        (block, paragraph)
        for block, paragraph, verdict in zip(blocks, paragraphs, verdicts, strict=True)
        if verdict.keep or verdict.reason == "learned"
    ]
    unlearned_hash = (
        content_hash(join_blocks([b for b, _ in unlearned], [p for _, p in unlearned]))
        if len(unlearned) != len(kept)
        else None
    )
    return Document(
        body=body,
        content_hash=content_hash(body),
        metadata=extract_metadata(blocks, verdicts, language, paragraphs),
        word_count=len(_WORD.findall(body)),
        encoding=decoded.encoding,
        confidence=decoded.confidence,
        mojibake_repaired=decoded.mojibake_repaired,
        removed=removed,
        block_hashes=tuple(block_hash(b) for b in blocks if len(b) <= LEARNABLE_CHARS) if hash_blocks else (),
        sketch=sketch(body),
        unlearned_hash=unlearned_hash,
    )


def keep_something(document: Document, decoded: Decoded) -> Document:
    """A document never has an empty body: when every block looks like boilerplate, keep the whole text.

    Otherwise every such file would share the hash of the empty body and merge into one document.
    """
    if document.body.strip():
        return document
    text = normalize_text(decoded.text)
    return replace(
        document,
        body=text,
        content_hash=content_hash(text),
        word_count=len(_WORD.findall(text)),
        removed=(),
        sketch=sketch(text),
    )


def process(
    raw: bytes,
    *,
    source: str | None = None,
    learned: frozenset[str] = frozenset(),
    overrides: Mapping[str, Any] | None = None,
) -> Document:
    """The whole pipeline on one file's bytes. Raises NotText for what is not text.

    `overrides` are sidecar metadata fields (already validated) that win over what the text says.
    """
    decoded = decode(raw)
    has_source = source is not None or "source" in (overrides or {})
    document = keep_something(clean(decoded, learned=learned, hash_blocks=has_source), decoded)
    fields = {k: v for k, v in (overrides or {}).items() if k in _OVERRIDABLE}
    if source is not None and "source" not in fields:
        fields["source"] = source
    if not fields:
        return document
    return replace(document, metadata=replace(document.metadata, **fields))
