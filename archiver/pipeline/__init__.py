"""The pipeline: pure functions, bytes in and a Document out. No I/O, no database."""

from __future__ import annotations

# First: whether the compiled modules or their sources load (see _native).
from archiver.pipeline import _native  # noqa: F401  # isort: skip

from archiver.pipeline.document import Decoded, Document, Metadata, RemovedBlock
from archiver.pipeline.run import clean, process

__all__ = ["Decoded", "Document", "Metadata", "RemovedBlock", "clean", "process"]
