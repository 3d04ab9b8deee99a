"""Where the files shipped with archiver are. Light on purpose: the pipeline's rules are read from there by
the workers' forkserver, which would otherwise import the settings (pydantic: a fifth of a second)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path


@cache
def config_dir() -> Path:
    """The shipped `config/` folder: beside the package in a checkout, inside it in a wheel."""
    checkout = Path(__file__).resolve().parent.parent / "config"
    if (checkout / "archiver.toml").is_file():
        return checkout
    return Path(str(resources.files("archiver") / "_config"))
