"""Settings: packaged defaults < configuration file < ARCHIVER_* environment < command-line flags."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from archiver.errors import ConfigError
from archiver.inbox import CLAIM_DIR_NAME
from archiver.shipped import config_dir


class Settings(BaseSettings):
    """Every setting, with the defaults documented in config/archiver.toml."""

    model_config = SettingsConfigDict(env_prefix="ARCHIVER_", extra="forbid", validate_default=True)

    inbox: Path = Path("./inbox")
    database_url: str = "sqlite:///./archive.db"
    failed_dir: Path = Path("./failed")
    settle_seconds: float = Field(2.0, ge=0)
    max_file_bytes: int = Field(20_000_000, gt=0)
    workers: int = Field(0, ge=0)
    polling: bool = False
    rescan_interval: float = Field(60.0, gt=0)
    log_format: Literal["text", "json"] = "text"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    batch_size: int = Field(200, gt=0)
    batch_seconds: float = Field(0.05, ge=0)
    queue_size: int = Field(256, gt=0)
    claim_timeout: float = Field(300.0, gt=0)
    pipeline_timeout: float = Field(60.0, gt=0)
    learn_min_documents: int = Field(4, ge=2)
    learn_interval: float = Field(600.0, gt=0)
    retry_max_seconds: float = Field(30.0, gt=0)
    optimize_interval: float = Field(86400.0, gt=0)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=_CURRENT_FILE[0])
        return init_settings, env_settings, toml

    @property
    def worker_count(self) -> int:
        return self.workers or (os.cpu_count() or 1)

    @property
    def claim_root(self) -> Path:
        return self.inbox / CLAIM_DIR_NAME


_CURRENT_FILE: list[Path | None] = [None]


def find_config_file(explicit: str | os.PathLike[str] | None = None) -> Path:
    """--config, then $ARCHIVER_CONFIG, then ./archiver.toml, else the packaged defaults."""
    for candidate in (explicit, os.environ.get("ARCHIVER_CONFIG")):
        if candidate:
            path = Path(candidate)
            if not path.is_file():
                raise ConfigError(f"configuration file not found: {path}")
            return path
    local = Path("archiver.toml")
    return local if local.is_file() else config_dir() / "archiver.toml"


def load_settings(config_file: str | os.PathLike[str] | None = None, **overrides: Any) -> Settings:
    """Read the settings; a bad value becomes one ConfigError line naming the setting."""
    path = find_config_file(config_file)
    _CURRENT_FILE[0] = path
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        error = exc.errors()[0]
        name = ".".join(str(p) for p in error["loc"]) or "settings"
        raise ConfigError(f"bad setting {name} (file {path} or ARCHIVER_{name.upper()}): {error['msg']}") from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read configuration {path}: {exc}") from None
    finally:
        _CURRENT_FILE[0] = None
