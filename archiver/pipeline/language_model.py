"""py3langid's model, scored with numpy, and kept ready on disk so that a process maps it in milliseconds.

py3langid counts byte n-grams by walking an automaton over the text's UTF-8 bytes, one Python step
per byte, then adds up the log-probabilities of the n-grams it met. The walk was the largest cost of
the whole metadata step, so it is done here with numpy instead (`Model.counts`), giving the same
counts and therefore the same scores, to the bit: the automaton's state after any byte depends only
on the last `depth` bytes (it recognises n-grams of at most that many bytes), so the states at all
positions are found by `depth` vectorised table lookups rather than one lookup per byte. With another
py3langid whose model lacks the attributes used here, its own `rank` is used, as shipped.

The shipped model is an LZMA-compressed npz. Decompressing it and preparing the arrays (the table in
float32, the automaton's depth) took 0.9 s of every start of the daemon's forkserver, on the path to
the first file, and of every `archiver decode` or `clean`. The prepared arrays are written once to the
user's cache folder ($XDG_CACHE_HOME/archiver, ~100 MB) and memory-mapped from then on: a few
milliseconds, and the pages are shared by every process that maps them. A cache that cannot be
written or read is only slower: the model is loaded from py3langid as before.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import unicodedata
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

log = logging.getLogger("archiver.language")

CACHE_FORMAT = 1  # raise it when what Model.save writes, or how it is computed, changes
ROWS_AT_ONCE = 2048  # rows of the transition table read at once when measuring the automaton
RAW_FLOOR = float(np.finfo(np.float32).min)  # py3langid's score of a masked column or a featureless text


class Ranker(Protocol):
    def ranked(self, text: str) -> Iterator[tuple[str, float]]:
        """Languages best first with their scores, one entry per code (py3langid's `rank`)."""
        ...


class Model:
    """py3langid's model with its feature table widened from float16 to float32 and its walk vectorised.

    numpy converts float16 rows to float32 element by element when it multiplies them, a third of
    the scoring; every float16 is a float32 and the product is the float32 one either way, so the
    scores are the same to the bit, for ~28 MB more per process.
    """

    ARRAYS = ("table", "prior", "nextmove", "rowbase", "output")

    def __init__(
        self,
        classes: list[str],
        *,
        table: np.ndarray,
        prior: np.ndarray,
        nextmove: np.ndarray,
        rowbase: np.ndarray,
        output: np.ndarray,
        depth: int,
    ) -> None:
        self.classes = classes
        self.table = table  # features x languages, float32
        self.prior = prior
        self.nextmove = nextmove  # the automaton's transitions, 256 per row
        self.rowbase = rowbase  # each state's first transition in `nextmove`
        self.output = output  # the feature each state recognises, or -1
        self.depth = depth
        first: dict[str, int] = {}
        self.aliases: list[tuple[int, int]] = []  # (first column, later column) of one code
        for column, code in enumerate(self.classes):
            if code in first:
                self.aliases.append((first[code], column))
            else:
                first[code] = column
        self._check()

    @classmethod
    def from_identifier(cls, identifier: Any) -> Model:
        """From py3langid's LanguageIdentifier (the slow way: ~0.9 s with the model's decompression)."""
        nextmove = np.asarray(identifier.tk_nextmove)  # an array.array: shared, not copied
        rows = np.asarray(identifier.tk_row, dtype=np.intp)  # each state's row of the transition table
        return cls(
            list(identifier.nb_classes),
            table=np.asarray(identifier.nb_ptc, dtype=np.float32),
            prior=np.asarray(identifier.nb_pc),
            nextmove=nextmove,
            rowbase=rows << 8,
            output=np.asarray(identifier.tk_output),
            depth=_automaton_depth(nextmove, rows),
        )

    def save(self, folder: Path) -> None:
        for name in self.ARRAYS:
            np.save(folder / f"{name}.npy", getattr(self, name), allow_pickle=False)
        (folder / "model.json").write_text(json.dumps({"classes": self.classes, "depth": self.depth}))

    @classmethod
    def load(cls, folder: Path) -> Model:
        """Memory-mapped from a folder written by `save`. Raises ValueError (or OSError) on a damaged one."""
        meta = json.loads((folder / "model.json").read_text())
        arrays = {
            # asarray: plain ndarrays over the mapping (a memmap subclass would wrap every result)
            name: np.asarray(np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False))
            for name in cls.ARRAYS
        }
        classes, depth = meta["classes"], meta["depth"]
        if not (isinstance(classes, list) and all(isinstance(c, str) for c in classes) and isinstance(depth, int)):
            raise ValueError(f"{folder}: model.json is not what Model.save writes")
        return cls(classes, depth=depth, **arrays)

    def _check(self) -> None:
        """The arrays fit together (a cache written by another version, or damaged, would not)."""
        languages = len(self.classes)
        if (
            self.table.ndim != 2
            or self.table.shape[1] != languages
            or self.table.dtype != np.float32
            or self.prior.shape != (languages,)
            or self.rowbase.shape != self.output.shape
            or self.nextmove.ndim != 1
            or len(self.nextmove) % 256
            or not 0 < self.depth < 64
        ):
            raise ValueError("the language model's arrays do not fit together")

    def counts(self, data: bytes) -> tuple[np.ndarray, np.ndarray]:
        """The n-gram features met in `data` and how often, in order of first meeting (as py3langid's walk)."""
        text = np.frombuffer(data, dtype=np.uint8)
        size = len(text)
        states = np.zeros(size, dtype=np.intp)
        for back in range(min(self.depth, size) - 1, -1, -1):  # position i reads byte i - back
            states[back:] = self.nextmove[self.rowbase[states[back:]] + text[: size - back]]
        features = self.output[states]
        features = features[features >= 0]
        unique, first_seen, counts = np.unique(features, return_index=True, return_counts=True)
        order = np.argsort(first_seen, kind="stable")
        return unique[order], counts[order]

    def scores(self, text: str) -> np.ndarray:
        if text.isupper():
            text = text.lower()
        data = unicodedata.normalize("NFC", text).encode("utf8", errors="surrogatepass")
        features, counts = self.counts(data)
        if len(features) == 0:
            scores = np.full(len(self.classes), RAW_FLOOR, dtype=np.float32)
        else:
            scores = np.log1p(counts.astype(np.float32)) @ self.table[features] + self.prior
        for kept, dropped in self.aliases:
            scores[kept] = max(scores[kept], scores[dropped])
            scores[dropped] = RAW_FLOOR
        return scores

    def ranked(self, text: str) -> Iterator[tuple[str, float]]:
        scores = self.scores(text)
        seen: set[str] = set()
        for column in np.argsort(-scores, kind="stable").tolist():
            code = self.classes[column]
            if code not in seen:
                seen.add(code)
                yield code, float(scores[column])


class _Shipped:
    """py3langid as shipped, for a version whose model this module does not know."""

    def __init__(self, identifier: Any) -> None:
        self.identifier = identifier

    def ranked(self, text: str) -> Iterator[tuple[str, float]]:
        return iter(self.identifier.rank(text))


def _automaton_depth(nextmove: np.ndarray, rows: np.ndarray) -> int:
    """The longest byte string the automaton remembers: the number of breadth-first steps from the start
    state that reach every state (a state stands for the longest n-gram prefix ending at the byte read).

    States share rows of the transition table (`rows`: each state's row): a row's targets are found the
    first time a state using it is reached, so each row is read once (~0.1 s at start-up).
    """
    reached = np.zeros(len(rows), dtype=bool)
    reached[0] = True
    read = np.zeros(int(rows.max()) + 1, dtype=bool)
    frontier = np.zeros(1, dtype=np.intp)
    depth = 0
    every_byte = np.arange(256, dtype=np.intp)
    while True:
        new_rows = np.unique(rows[frontier])
        new_rows = new_rows[~read[new_rows]]
        read[new_rows] = True
        found = np.zeros(len(rows), dtype=bool)
        for chunk in range(0, len(new_rows), ROWS_AT_ONCE):  # a few MB at a time, not 150 MB at once
            bases = new_rows[chunk : chunk + ROWS_AT_ONCE] << 8
            found[nextmove[(bases[:, None] + every_byte).ravel()]] = True
        found &= ~reached
        frontier = np.flatnonzero(found)
        if len(frontier) == 0:
            return depth
        reached |= found
        depth += 1


# ---------------------------------------------------------------------------------------- loading


@cache
def model() -> Ranker:
    """Loaded once per process (the forkserver loads it before forking the workers)."""
    import py3langid

    try:
        from py3langid.langid import MODEL_DIR, MODEL_FILE
    except ImportError:
        return _Shipped(py3langid)
    return load_model(Path(MODEL_DIR) / MODEL_FILE, cache_root())


def load_model(source: Path, cache_dir: Path | None) -> Ranker:
    """The model in `source` (py3langid's file), from its prepared copy under `cache_dir` when there is
    one, else prepared now and copied there for the next process. `cache_dir` None: no copy."""
    folder = cache_dir / _cache_name(source) if cache_dir is not None else None
    if folder is not None and folder.is_dir():
        try:
            return Model.load(folder)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("rebuilding the language model's cache %s: %s", folder, exc)
    import py3langid

    try:
        from py3langid.langid import LanguageIdentifier

        built = Model.from_identifier(LanguageIdentifier.from_model_file(source))
    except (ImportError, AttributeError, TypeError, ValueError):
        return _Shipped(py3langid)
    if folder is not None:
        _store(built, folder)
    return built


def cache_root() -> Path | None:
    """$XDG_CACHE_HOME/archiver, or ~/.cache/archiver; None when there is no home to put it in."""
    base = os.environ.get("XDG_CACHE_HOME")
    try:
        return Path(base) / "archiver" if base else Path.home() / ".cache" / "archiver"
    except RuntimeError:  # no HOME and no passwd entry
        return None


def _cache_name(source: Path) -> str:
    """Changes with the model file (size and mtime, as Python's own bytecode cache) and with this code."""
    info = source.stat()
    return f"langid-{info.st_size}-{info.st_mtime_ns}-{np.dtype(np.intp).itemsize}-v{CACHE_FORMAT}"


def _store(built: Model, folder: Path) -> None:
    """Written to a fresh folder then renamed into place: a process never maps half a cache. Two processes
    that build it at once both succeed; the second rename fails and its copy is dropped."""
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(folder, ignore_errors=True)  # a damaged copy (Model.load refused it)
        staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    except OSError as exc:
        log.debug("no cache for the language model in %s: %s", folder.parent, exc)
        return
    try:
        built.save(staging)
        os.rename(staging, folder)
    except OSError as exc:
        log.debug("no cache for the language model in %s: %s", folder, exc)
        shutil.rmtree(staging, ignore_errors=True)
