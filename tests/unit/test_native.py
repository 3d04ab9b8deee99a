"""The compiled pipeline (mypyc, hatch_build.py) against its sources: the same documents, and never stale code.

CI installs with ARCHIVER_REQUIRE_NATIVE=1: there the build must be compiled and in use, so the comparison
is between the extensions and the sources, not the sources twice.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

import pytest

import archiver
from tests.conftest import SHARED

PACKAGE = Path(archiver.__file__).resolve().parent
REQUIRE_NATIVE = bool(os.environ.get("ARCHIVER_REQUIRE_NATIVE"))

# Runs process() on every file of the folders given, in a fresh interpreter; prints whether the compiled
# modules were used and a digest of every outcome (the whole Document, or the reason it is not text).
DIGEST = """
import hashlib, json, sys
from pathlib import Path
from archiver.pipeline import _native, process
digest, count = hashlib.sha256(), 0
for folder in sys.argv[1:]:
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        try:
            outcome = repr(process(path.read_bytes(), source="test"))
        except Exception as exc:
            outcome = f"{type(exc).__name__}: {exc}"
        digest.update(outcome.encode("utf-8", "surrogateescape"))
        count += 1
print(json.dumps({"native": _native.NATIVE, "digest": digest.hexdigest(), "count": count}))
"""


def _digest(folders: list[Path], *, pure: bool) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k != "ARCHIVER_PURE_PYTHON"}
    if pure:
        env["ARCHIVER_PURE_PYTHON"] = "1"
    done = subprocess.run(
        [sys.executable, "-c", DIGEST, *map(str, folders)], env=env, capture_output=True, text=True, check=True
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_compiled_and_pure_python_pipelines_give_the_same_documents(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    subprocess.run(
        [sys.executable, str(SHARED / "tools" / "make_corpus.py"), str(corpus), "--n", "400", "--seed", "11"],
        check=True,
        capture_output=True,
    )
    folders = [
        SHARED / "seeds",
        SHARED / "data" / "boilerplate-dev" / "inputs",
        SHARED / "data" / "encoding-dev" / "files",
        corpus,
    ]
    compiled = _digest(folders, pure=False)
    if not compiled["native"]:
        assert not REQUIRE_NATIVE, "CI builds the compiled pipeline: it must be the one in use"
        pytest.skip("the pipeline is not compiled here: nothing to compare the sources with")
    pure = _digest(folders, pure=True)
    assert pure["native"] is False
    assert int(str(compiled["count"])) > 3000
    assert compiled["digest"] == pure["digest"]


def _copy_with_fake_extensions(tmp_path: Path, recorded: dict[str, str]) -> Path:
    """A copy of the package whose pipeline has an unloadable "extension" for each module of `recorded`
    (module name -> source hash recorded by the build): importing one of them would fail."""
    root = tmp_path / "site"
    shutil.copytree(PACKAGE, root / "archiver", ignore=shutil.ignore_patterns("__pycache__", "*.so", "native.json"))
    folder = root / "archiver" / "pipeline"
    for name in recorded:
        (folder / f"{name}{EXTENSION_SUFFIXES[0]}").write_bytes(b"not an extension")
    (folder / f"native__mypyc{EXTENSION_SUFFIXES[0]}").write_bytes(b"not a shared library")
    modules = {f"archiver.pipeline.{name}": digest for name, digest in recorded.items()}
    (folder / "native.json").write_text(json.dumps({"suffix": EXTENSION_SUFFIXES[0], "modules": modules}))
    return root


def _import_in(root: Path, env_extra: dict[str, str]) -> tuple[dict[str, object], str]:
    script = (
        "import json, archiver.pipeline.metadata as m, archiver.pipeline.tokens as t\n"
        "from archiver.pipeline import _native\n"
        "print(json.dumps({'native': _native.NATIVE, 'files': [m.__file__, t.__file__]}))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "ARCHIVER_PURE_PYTHON"}
    env.update(env_extra, PYTHONPATH=str(root))
    done = subprocess.run([sys.executable, "-c", script], cwd=root, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), done.stderr


def _hash_of(name: str) -> str:
    import hashlib

    return hashlib.sha256((PACKAGE / "pipeline" / f"{name}.py").read_bytes()).hexdigest()


def test_a_source_edited_since_the_build_runs_every_compiled_module_from_source(tmp_path: Path) -> None:
    root = _copy_with_fake_extensions(tmp_path, {"metadata": "0" * 64, "tokens": _hash_of("tokens")})
    result, stderr = _import_in(root, {})
    assert result["native"] is False
    assert [Path(str(f)).name for f in result["files"]] == ["metadata.py", "tokens.py"]  # type: ignore[attr-defined]
    assert "older than its sources (archiver.pipeline.metadata)" in stderr


def test_an_extension_the_build_did_not_record_is_not_trusted(tmp_path: Path) -> None:
    root = _copy_with_fake_extensions(tmp_path, {"metadata": _hash_of("metadata")})
    (root / "archiver" / "pipeline" / f"tokens{EXTENSION_SUFFIXES[0]}").write_bytes(b"left by another build")
    result, stderr = _import_in(root, {})
    assert result["native"] is False
    assert [Path(str(f)).name for f in result["files"]] == ["metadata.py", "tokens.py"]  # type: ignore[attr-defined]
    assert "the compiled pipeline is incomplete" in stderr


def test_a_build_missing_one_extension_runs_every_module_from_source(tmp_path: Path) -> None:
    """The shared library holds every compiled module: with one module's own extension gone (and its source
    edited), importing any other compiled module would load the old code of all of them."""
    if not list((PACKAGE / "pipeline").glob(f"*{EXTENSION_SUFFIXES[0]}")):
        assert not REQUIRE_NATIVE, "CI builds the compiled pipeline"
        pytest.skip("the pipeline is not compiled here")
    root = tmp_path / "site"
    shutil.copytree(PACKAGE, root / "archiver", ignore=shutil.ignore_patterns("__pycache__"))
    folder = root / "archiver" / "pipeline"
    (folder / f"tokens{EXTENSION_SUFFIXES[0]}").unlink()
    (folder / "tokens.py").write_text((folder / "tokens.py").read_text() + "\nEDITED = True\n")
    result, stderr = _import_in(root, {})
    assert result["native"] is False
    assert [Path(str(f)).name for f in result["files"]] == ["metadata.py", "tokens.py"]  # type: ignore[attr-defined]
    assert "incomplete" in stderr


def test_an_unchanged_build_is_the_one_in_use(tmp_path: Path) -> None:
    if not list((PACKAGE / "pipeline").glob(f"*{EXTENSION_SUFFIXES[0]}")):
        assert not REQUIRE_NATIVE, "CI builds the compiled pipeline"
        pytest.skip("the pipeline is not compiled here")
    root = tmp_path / "site"
    shutil.copytree(PACKAGE, root / "archiver", ignore=shutil.ignore_patterns("__pycache__"))
    result, stderr = _import_in(root, {})
    assert result["native"] is True
    assert all(str(f).endswith(EXTENSION_SUFFIXES[0]) for f in result["files"])  # type: ignore[attr-defined]
    assert stderr == ""


def test_pure_python_on_request_without_a_warning(tmp_path: Path) -> None:
    root = _copy_with_fake_extensions(tmp_path, {"metadata": _hash_of("metadata"), "tokens": _hash_of("tokens")})
    result, stderr = _import_in(root, {"ARCHIVER_PURE_PYTHON": "1"})
    assert result["native"] is False
    assert [Path(str(f)).name for f in result["files"]] == ["metadata.py", "tokens.py"]  # type: ignore[attr-defined]
    assert "older than" not in stderr
