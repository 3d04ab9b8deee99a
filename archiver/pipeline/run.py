"""The pipeline end to end on one file's bytes: decode, normalise, strip boilerplate, extract metadata.

Here, not in the package's __init__, so that it is compiled with the rest (hatch_build.py): the glue
between the steps runs once per line of every file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from archiver.pipeline.boilerplate import classify, join_blocks, split_blocks
from archiver.pipeline.decode import decode
from archiver.pipeline.document import Decoded, Document, RemovedBlock
from archiver.pipeline.identity import (
    content_hash,
    content_hash_of_lines,
    head_words,
    sketch,
    sketch_of_words,
    words_hash,
)
from archiver.pipeline.language import detect_language
from archiver.pipeline.metadata import extract_metadata
from archiver.pipeline.normalize import normalize_text
from archiver.pipeline.tokens import words_of_lines

_WORD = re.compile(r"\w+")
# Lines longer than this are prose, not a source's stock lines: never counted, so never learned.
LEARNABLE_CHARS = 300
_OVERRIDABLE = frozenset({"title", "author", "published", "language", "tags", "source"})
# The characters whose casefold has characters of the other kind (word or not): "İ" folds to "i" and a
# combining dot, U+0345 to "ι". Without them a line has as many words as its casefold. Checked
# against the running Python's Unicode tables by tests/unit/test_identity.py.
_FOLD_CHANGES_WORDS = re.compile(
    "[\u0130\u01f0\u0345\u0390\u03b0\u1e96-\u1e99\u1f50\u1f52\u1f54\u1f56\u1fb6-\u1fb7\u1fc6-\u1fc7"
    "\u1fd2-\u1fd3\u1fd6-\u1fd7\u1fe2-\u1fe4\u1fe6-\u1fe7\u1ff6-\u1ff7]"
)


def clean(decoded: Decoded, *, learned: frozenset[str] = frozenset(), hash_blocks: bool = True) -> Document:
    """Normalise, strip boilerplate and extract metadata from decoded text.

    `hash_blocks`: compute the per-line hashes that learned boilerplate counts (only useful with a source).
    """
    text = normalize_text(decoded.text)
    blocks, paragraphs = split_blocks(text)
    # Each line is casefolded and split into words once, for the boilerplate cues, its hash, the word
    # count and the sketch.
    casefolded = [block.casefold() for block in blocks]
    words = words_of_lines(casefolded)
    language = detect_language(text)
    hashes = _hashes(blocks, words, learned, hash_blocks)
    verdicts = classify(blocks, language, learned, words=words, hashes=hashes, casefolded=casefolded)
    kept = [
        (block, paragraph)
        for block, paragraph, verdict in zip(blocks, paragraphs, verdicts, strict=True)
        if verdict.keep
    ]
    kept_words = [block_words for block_words, verdict in zip(words, verdicts, strict=True) if verdict.keep]
    removed = tuple(
        RemovedBlock(position, verdict.reason or "boilerplate", block)
        for position, (block, verdict) in enumerate(zip(blocks, verdicts, strict=True))
        if not verdict.keep
    )
    kept_blocks = [block for block, _ in kept]
    body = join_blocks(kept_blocks, [paragraph for _, paragraph in kept])
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
        content_hash=content_hash_of_lines(kept_blocks, body),
        metadata=extract_metadata(blocks, verdicts, language, paragraphs),
        word_count=_word_count(body, kept_words),
        encoding=decoded.encoding,
        confidence=decoded.confidence,
        mojibake_repaired=decoded.mojibake_repaired,
        removed=removed,
        block_hashes=_learnable(blocks, hashes) if hash_blocks else (),
        sketch=sketch_of_words(head_words(kept_blocks, [p for _, p in kept], kept_words)),
        unlearned_hash=unlearned_hash,
    )


def _hashes(blocks: list[str], words: list[list[str]], learned: frozenset[str], hash_blocks: bool) -> list[str | None]:
    """Each block's hash where something reads it: every block against `learned`, learnable ones to be counted."""
    return [
        words_hash(block_words) if learned or (hash_blocks and len(block) <= LEARNABLE_CHARS) else None
        for block, block_words in zip(blocks, words, strict=True)
    ]


def _learnable(blocks: list[str], hashes: list[str | None]) -> tuple[str, ...]:
    """The hashes of the blocks short enough to be learned as a source's boilerplate."""
    return tuple(h for b, h in zip(blocks, hashes, strict=True) if h is not None and len(b) <= LEARNABLE_CHARS)


def _word_count(body: str, kept_words: list[list[str]]) -> int:
    """`len(_WORD.findall(body))`, from the kept blocks' casefolded words when casefolding changes no count."""
    if _FOLD_CHANGES_WORDS.search(body) is None:
        return sum(map(len, kept_words))
    return len(_WORD.findall(body))


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
