"""Data files under config/rules/, loaded once per process."""

from __future__ import annotations

import tomllib
from functools import cache
from typing import Any

from archiver.shipped import config_dir


@cache
def load_rules(name: str) -> dict[str, Any]:
    """config/rules/<name>.toml as a dict; cached, so workers read each file once."""
    with (config_dir() / "rules" / f"{name}.toml").open("rb") as handle:
        return tomllib.load(handle)
