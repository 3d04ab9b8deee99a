"""Exception classes. Each carries the one line a user reads."""

from __future__ import annotations


class ArchiverError(Exception):
    """Base class: `str(error)` is the one-line reason shown to a person."""


class ConfigError(ArchiverError):
    """A setting has a bad value or the configuration file cannot be read (exit code 2)."""


class UsageError(ArchiverError):
    """The user asked for something malformed, e.g. a search query with an unclosed quote (exit 2)."""


class NotFound(ArchiverError):
    """A document id or file the user named does not exist (exit 2)."""


class FileRejected(ArchiverError):
    """A file in the inbox cannot be archived; it goes to failed/ with `code` and this reason."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class NotText(FileRejected):
    """The bytes are not text (binary data, empty, undecodable)."""

    def __init__(self, reason: str, code: str = "binary") -> None:
        super().__init__(code, reason)


class DatabaseUnavailable(ArchiverError):
    """The database is down, locked or unreachable: retry later, never fail the file."""
