"""The compiled pipeline (mypyc, built by hatch_build.py at install), or its sources when they are newer.

An extension module beside its source wins the import. After an edit to a compiled module's source, the
build would silently run the old code until the next `pip install -e .`: so at import, before any of
them loads, the build's manifest (native.json: each module's source hash, the extension suffix) is
checked, and unless every compiled module is there, for this Python, from its current source, every one
of them loads from its source instead. All or none: the compiled modules live in one shared library
(native__mypyc) and call each other directly, so any one of them loads all of them.
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
from typing import Any

log = logging.getLogger("archiver")

FOLDER = Path(__file__).resolve().parent
MANIFEST = FOLDER / "native.json"
SHARED_LIBRARY = "native__mypyc"


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


def _choose() -> tuple[bool, str]:
    """(compiled, why not); when not, installs the finder for the sources of any module that has an extension."""
    manifest = _manifest()
    recorded: dict[str, str] = manifest.get("modules") or {}
    suffix = EXTENSION_SUFFIXES[0]
    present = _modules_with_extensions()
    here = {name for name in present if (FOLDER / f"{name.rsplit('.', 1)[1]}{suffix}").exists()}
    why, warn = "", False
    if not recorded:
        why = manifest.get("failed") or "not compiled at install"
    elif os.environ.get("ARCHIVER_PURE_PYTHON"):
        why = "ARCHIVER_PURE_PYTHON is set"
    elif manifest.get("suffix") != suffix:
        why = f"compiled for another Python ({manifest.get('suffix')})"
    elif not (FOLDER / f"{SHARED_LIBRARY}{suffix}").exists() or set(recorded) != here:
        why, warn = "the compiled pipeline is incomplete", True
    else:
        stale = [name for name in sorted(recorded) if recorded[name] != _source_hash(name)]
        if stale:
            why, warn = f"the compiled pipeline is older than its sources ({', '.join(stale)})", True
    if warn:
        log.warning("%s: running them as pure Python, slower; `pip install -e .` compiles them again", why)
    if not why:
        return True, ""
    names = set(recorded) | present
    if names:
        sys.meta_path.insert(0, _Sources(sorted(names)))
    return False, why


def _manifest() -> dict[str, Any]:
    try:
        manifest = json.loads(MANIFEST.read_text())
    except (OSError, ValueError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def _modules_with_extensions() -> set[str]:
    """The modules of this folder with an extension (for any Python) beside their source."""
    found = set()
    for path in FOLDER.iterdir():
        stem = path.name.split(".", 1)[0]
        if path.suffix in (".so", ".pyd") and (FOLDER / f"{stem}.py").exists():
            found.add(f"{__package__}.{stem}")
    return found


def _source_hash(module: str) -> str | None:
    try:
        return hashlib.sha256((FOLDER / f"{module.rsplit('.', 1)[1]}.py").read_bytes()).hexdigest()
    except OSError:
        return None


# Decided once, when archiver.pipeline is first imported; WHY_NOT says why the sources run (the daemon logs it).
NATIVE, WHY_NOT = _choose()
