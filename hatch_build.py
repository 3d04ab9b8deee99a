"""Build hook: compile the pipeline's hottest modules with mypyc, each into a C extension beside its source.

Why: a backlog is bound by the workers' CPU, and most of it is the boilerplate and metadata code, plain
Python that mypyc compiles as it is, unchanged: the pipeline takes about a tenth less CPU in process,
and a backlog runs 3-5 % faster (bench/RESULTS.md, tenth session).
The sources stay the truth: archiver/pipeline/_native.py loads them instead of the extensions when they
changed since this build, or when ARCHIVER_PURE_PYTHON is set.

- Where there is no C compiler the install goes on, pure Python, with a warning; with
  ARCHIVER_REQUIRE_NATIVE=1 (CI) it fails instead.
- ARCHIVER_PURE_PYTHON=1 at install time: nothing is compiled (an editable install also removes an earlier
  build's extensions).
- The list of modules is `modules` under [tool.hatch.build.targets.wheel.hooks.custom] in pyproject.toml.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

PACKAGE = "archiver/pipeline"
GROUP = "archiver.pipeline.native"  # mypyc's shared library: archiver/pipeline/native__mypyc.<suffix>
MANIFEST = "native.json"  # beside the modules: the source hash each extension was built from

# Type-checking for the compiler only: the build environment has mypy, not the runtime dependencies (numpy,
# SQLAlchemy...), whose types are then Any; the project's own mypy settings are for CI's full check.
MYPY_CONFIG = """\
[mypy]
ignore_missing_imports = True
follow_imports = silent
"""

COMPILE = textwrap.dedent(
    """\
    import sys
    from setuptools import setup
    from mypyc.build import mypycify

    config, temp, group, *paths = sys.argv[1:]
    extensions = mypycify(["--config-file", config, *paths], group_name=group, target_dir=temp, opt_level="3")
    setup(
        name="archiver-native",
        packages=[],  # the extensions only: no discovery of the project's folders
        py_modules=[],
        ext_modules=extensions,
        script_args=["build_ext", "--inplace", "--build-temp", temp, "--parallel", str(len(paths))],
    )
    """
)


class CompileFailed(Exception):
    pass


class NativeBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Editable: compile in the checkout, where the sources are imported from. Wheel: compile in a copy,
        and put the extensions in the wheel, leaving the checkout (and an editable build in it) alone."""
        root = Path(self.root)
        modules: list[str] = list(self.config.get("modules", []))
        editable = version == "editable"
        if editable:
            remove_compiled(root)
        if os.environ.get("ARCHIVER_PURE_PYTHON") or not modules:
            self.app.display_info("archiver: the pipeline stays pure Python (ARCHIVER_PURE_PYTHON)")
            return
        self._copy: tempfile.TemporaryDirectory[str] | None = None
        if editable:
            where = root
        else:
            self._copy = tempfile.TemporaryDirectory(prefix="archiver-wheel-")
            where = Path(self._copy.name)
            shutil.copytree(root / "archiver", where / "archiver", ignore=shutil.ignore_patterns("__pycache__", "*.so"))
        try:
            built = compile_in_place(where, modules)
        except CompileFailed as exc:
            if os.environ.get("ARCHIVER_REQUIRE_NATIVE"):
                raise
            self.app.display_warning(f"archiver: the pipeline stays pure Python, slower: {exc}")
            if editable:  # the daemon's start-up line says why
                reason = f"not compiled at install: {str(exc).splitlines()[-1].strip()}"
                (root / PACKAGE / MANIFEST).write_text(json.dumps({"failed": reason}) + "\n")
            return
        if editable:
            return
        for path in built:
            build_data["force_include"][str(path)] = str(path.relative_to(where))
        build_data["pure_python"] = False  # a wheel with extensions is for this platform and Python only
        build_data["infer_tag"] = True

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        if getattr(self, "_copy", None) is not None:
            self._copy.cleanup()  # type: ignore[union-attr]


def compile_in_place(root: Path, modules: list[str]) -> list[Path]:
    """Compile `modules` (names in archiver/pipeline) beside their sources; the files written, manifest last."""
    sources = [root / PACKAGE / f"{name}.py" for name in modules]
    with tempfile.TemporaryDirectory(prefix="archiver-mypyc-") as temp:
        config = Path(temp) / "mypy.ini"
        config.write_text(MYPY_CONFIG)
        paths = [str(source.relative_to(root)) for source in sources]
        done = subprocess.run(
            [sys.executable, "-c", COMPILE, str(config), temp, GROUP, *paths],
            cwd=root,
            capture_output=True,
            text=True,
        )
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-15:]
        raise CompileFailed("mypyc failed:\n" + "\n".join(tail))
    suffix = EXTENSION_SUFFIXES[0]
    built = [root / PACKAGE / f"{name}{suffix}" for name in [*modules, GROUP.rsplit(".", 1)[1] + "__mypyc"]]
    missing = [path.name for path in built if not path.exists()]
    if missing:
        raise CompileFailed(f"mypyc did not write {', '.join(missing)}")
    manifest = root / PACKAGE / MANIFEST
    hashes = {f"archiver.pipeline.{name}": source_hash(source) for name, source in zip(modules, sources, strict=True)}
    manifest.write_text(json.dumps({"suffix": suffix, "modules": hashes}, indent=1) + "\n")
    return [*built, manifest]


def remove_compiled(root: Path) -> None:
    """An earlier build's extensions and manifest (any Python version's)."""
    folder = root / PACKAGE
    for path in [folder / MANIFEST, *folder.glob("*.so"), *folder.glob("*.pyd")]:
        path.unlink(missing_ok=True)


def source_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
