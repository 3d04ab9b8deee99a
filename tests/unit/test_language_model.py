"""The language model's disk cache: the same scores as py3langid, loaded without py3langid's file, and
never a reason to fail (a damaged or unwritable cache only costs the slow load)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import py3langid
import pytest
from py3langid.langid import MODEL_DIR, MODEL_FILE

from archiver.pipeline import language_model
from archiver.pipeline.language_model import Model, load_model

SOURCE = Path(MODEL_DIR) / MODEL_FILE
TEXTS = [
    "Le conseil municipal a voté le budget hier soir, après un long débat.",
    "Der Stadtrat hat gestern Abend den Haushalt beschlossen.",
    "The council approved the budget last night after a long debate.",
    "ÉTÉ À PARIS",
    "",
    "12 34",
]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache built for the module: building it loads py3langid's model (about a second)."""
    root = tmp_path_factory.mktemp("cache")
    load_model(SOURCE, root)
    return root


def test_a_model_is_cached_once_and_then_memory_mapped(cache: Path) -> None:
    [folder] = [p for p in cache.iterdir() if not p.name.startswith(".")]
    assert {p.name for p in folder.iterdir()} == {f"{n}.npy" for n in Model.ARRAYS} | {"model.json"}
    loaded = load_model(SOURCE, cache)
    assert isinstance(loaded, Model)
    assert isinstance(loaded.table.base, np.memmap)  # mapped from the cache, not read into memory


def test_the_cached_model_ranks_as_py3langid_does(cache: Path) -> None:
    loaded = load_model(SOURCE, cache)
    for text in TEXTS:
        assert list(loaded.ranked(text)) == py3langid.rank(text)


def test_the_cache_is_read_without_py3langid_s_model_file(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the model file was loaded although the cache holds it")

    monkeypatch.setattr(py3langid.langid.LanguageIdentifier, "from_model_file", refuse)
    assert isinstance(load_model(SOURCE, cache), Model)


def test_a_damaged_cache_is_rebuilt(tmp_path: Path, cache: Path) -> None:
    [folder] = [p for p in cache.iterdir() if not p.name.startswith(".")]
    damaged = tmp_path / folder.name
    damaged.mkdir()
    for part in folder.iterdir():
        (damaged / part.name).write_bytes(part.read_bytes())
    table = damaged / "table.npy"
    table.write_bytes(table.read_bytes()[: table.stat().st_size // 2])  # a crash while it was copied
    rebuilt = load_model(SOURCE, tmp_path)
    assert list(rebuilt.ranked(TEXTS[0])) == py3langid.rank(TEXTS[0])
    assert table.stat().st_size == (folder / "table.npy").stat().st_size  # written again, whole
    assert isinstance(load_model(SOURCE, tmp_path), Model)


def test_a_cache_that_cannot_be_written_only_costs_time(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would be")
    loaded = load_model(SOURCE, blocked)
    assert list(loaded.ranked(TEXTS[1])) == py3langid.rank(TEXTS[1])
    assert blocked.is_file()


def test_the_cache_lives_under_xdg_cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert language_model.cache_root() == tmp_path / "archiver"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert language_model.cache_root() == tmp_path / "home" / ".cache" / "archiver"


class _RankingFails(Exception):
    pass


def test_an_error_inside_the_ranking_reaches_the_caller_as_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pipeline's timeout is raised wherever the file happens to be, the ranking included; compiled code
    that unpacked the ranking's iterator itself reported it as a ValueError (an "internal" failure)."""
    from archiver.pipeline import language

    class Failing:
        def ranked(self, text: str) -> Iterator[tuple[str, float]]:
            yield "en", 0.0
            raise _RankingFails

    monkeypatch.setattr(language_model, "model", Failing)
    language._language_of.cache_clear()
    prose = "The council met on Tuesday evening to discuss the harbour and its ferries, as it does every year. " * 5
    with pytest.raises(_RankingFails):
        language.detect_language(prose)
    language._language_of.cache_clear()
