"""NAME.meta.json beside a file: metadata the user states, validated so that it can set nothing else."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

from archiver.errors import FileRejected
from archiver.inbox import read_file

MAX_SIDECAR_BYTES = 64_000
MAX_FIELD_CHARS = 500
_LANGUAGE = re.compile(r"^[a-z]{2}$")
_UNSAFE_SOURCE = re.compile(r"[\x00-\x1f\x7f/\\]|\.\.")


def load_sidecar(path: Path) -> dict[str, Any]:
    """The valid fields of a sidecar: title, author, published, language, tags, source. Raises FileRejected."""
    raw = read_file(path, MAX_SIDECAR_BYTES).data
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise FileRejected("bad_sidecar", f"{path.name} is not valid UTF-8 JSON: {exc}") from None
    if not isinstance(data, dict):
        raise FileRejected("bad_sidecar", f"{path.name} must hold a JSON object")
    return validate_sidecar(data, path.name)


def validate_sidecar(data: dict[str, Any], name: str = "sidecar") -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key in ("title", "author"):
        if isinstance(data.get(key), str) and data[key].strip():
            fields[key] = _clean_text(data[key])
    if "source" in data:
        source = data["source"]
        if not isinstance(source, str) or _UNSAFE_SOURCE.search(source) or not source.strip():
            raise FileRejected("bad_sidecar", f"{name}: source must be a plain name (no '/', '\\\\', '..' or controls)")
        fields["source"] = _clean_text(source)[:100]
    if isinstance(data.get("language"), str):
        language = data["language"].strip().lower()
        if not _LANGUAGE.match(language):
            raise FileRejected("bad_sidecar", f"{name}: language must be an ISO 639-1 code such as 'fr'")
        fields["language"] = language
    if "published" in data:
        try:
            fields["published"] = date.fromisoformat(str(data["published"])[:10])
        except ValueError:
            raise FileRejected("bad_sidecar", f"{name}: published must be a date YYYY-MM-DD") from None
    if isinstance(data.get("tags"), list):
        fields["tags"] = tuple(_clean_text(t)[:100] for t in data["tags"] if isinstance(t, str) and t.strip())[:50]
    return fields


def _clean_text(value: str) -> str:
    return re.sub(r"[\x00-\x1f\x7f]+", " ", value).strip()[:MAX_FIELD_CHARS]


def sidecar_json(fields: dict[str, Any] | None) -> dict[str, Any] | None:
    """Validated sidecar fields as stored in documents.overrides (dates as ISO strings, tags as a list)."""
    if not fields:
        return None
    return {
        k: v.isoformat() if isinstance(v, date) else list(v) if isinstance(v, tuple) else v for k, v in fields.items()
    }


def sidecar_fields(stored: dict[str, Any] | None) -> dict[str, Any] | None:
    """documents.overrides back into pipeline overrides (re-validated: the database is not trusted blindly)."""
    return validate_sidecar(stored) if stored else None
