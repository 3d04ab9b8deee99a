"""Build hook: compile the pipeline's hottest modules with mypyc, each into a C extension beside its source.

Why: a backlog is bound by the workers' CPU, and most of it is the boilerplate and metadata code, plain
Python that mypyc compiles as it is, unchanged (about a tenth more documents a second; bench/RESULTS.md).
The sources stay the truth: archiver/pipeline/_native.py loads them instead of the extensions when they
changed since this build, or when ARCHIVER_PURE_PYTHON is set.

- Where there is no C compiler the install goes on, pure Python, with a warning; with
  ARCHIVER_REQUIRE_NATIVE=1 (CI) it fails instead.
- ARCHIVER_PURE_PYTHON=1 at install time: nothing is compiled, and an earlier build's extensions are removed.
- The list of modules is `modules` under [tool.hatch.build.targets.wheel.hooks.custom] in pyproject.toml.
"""

from __future__ import annotations

import hashlib
import json
import os
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
        root = Path(self.root)
        modules: list[str] = list(self.config.get("modules", []))
        remove_compiled(root)
        if os.environ.get("ARCHIVER_PURE_PYTHON") or not modules:
            self.app.display_info("archiver: the pipeline stays pure Python (ARCHIVER_PURE_PYTHON)")
            return
        try:
            built = compile_in_place(root, modules)
        except CompileFailed as exc:
            if os.environ.get("ARCHIVER_REQUIRE_NATIVE"):
                raise
            remove_compiled(root)
            self.app.display_warning(f"archiver: the pipeline stays pure Python, about a tenth slower: {exc}")
            return
        build_data["artifacts"].extend(str(path.relative_to(root)) for path in built)
        if version != "editable":  # a wheel with extensions is for this platform and Python only
            build_data["pure_python"] = False
            build_data["infer_tag"] = True


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
