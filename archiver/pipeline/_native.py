"""The compiled pipeline (mypyc, built by hatch_build.py at install), or its sources when they are newer.

An extension module beside its source wins the import. After an edit to a compiled module's source, the
build would silently run the old code until the next `pip install -e .`: so at import, before any of
them loads, the sources are compared with the hashes the build recorded (native.json), and when one
differs (or ARCHIVER_PURE_PYTHON is set) every compiled module loads from its source instead. All or
none: the compiled modules call each other directly, so a mix would run some of the old code still.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.util
import json
import logging
import os
import sys
from collections.abc import Sequence
from importlib.machinery import EXTENSION_SUFFIXES, ModuleSpec
from pathlib import Path
from types import ModuleType

log = logging.getLogger("archiver")

FOLDER = Path(__file__).resolve().parent
MANIFEST = FOLDER / "native.json"


class _Sources(importlib.abc.MetaPathFinder):
    """Finds the listed modules as their .py files, ahead of the extensions beside them."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = frozenset(names)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname not in self.names:
            return None
        return importlib.util.spec_from_file_location(fullname, FOLDER / f"{fullname.rsplit('.', 1)[1]}.py")


def _choose() -> bool:
    """True when the compiled modules will load; otherwise installs the finder for their sources."""
    compiled = _compiled_modules()
    if not compiled:
        return False  # not built, or built pure: the sources load anyway
    recorded = _recorded_hashes()
    stale = [name for name in compiled if recorded.get(name) != _source_hash(name)]
    if not stale and not os.environ.get("ARCHIVER_PURE_PYTHON"):
        return True
    if stale:
        log.warning(
            "the compiled pipeline is older than its sources (%s): running them as pure Python, slower; "
            "`pip install -e .` compiles them again",
            ", ".join(stale),
        )
    sys.meta_path.insert(0, _Sources(compiled))
    return False


def _compiled_modules() -> list[str]:
    """The modules of this folder with an extension for this Python beside their source."""
    names = {
        path.name[: -len(suffix)]
        for suffix in EXTENSION_SUFFIXES
        for path in FOLDER.glob(f"*{suffix}")
        if (FOLDER / f"{path.name[: -len(suffix)]}.py").exists()
    }
    return sorted(f"{__package__}.{name}" for name in names)


def _recorded_hashes() -> dict[str, str]:
    """What the build recorded: each compiled module's source hash ({} when the manifest is missing)."""
    try:
        modules = json.loads(MANIFEST.read_text())["modules"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return modules if isinstance(modules, dict) else {}


def _source_hash(module: str) -> str | None:
    try:
        return hashlib.sha256((FOLDER / f"{module.rsplit('.', 1)[1]}.py").read_bytes()).hexdigest()
    except OSError:
        return None


NATIVE = _choose()  # decided once, when archiver.pipeline is first imported
