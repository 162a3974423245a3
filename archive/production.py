"""A production's name and release metadata: from the command line or `production.toml`."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from archive.errors import ArchiveError, InvalidMetadataError
from archive.foia import dates

META_KEYS = ("agency", "request_number", "released", "interim", "source_url", "notes")


def production_defaults(inputs: list[Path], name: str | None,
                        meta: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The production's name and metadata: command-line values win over `production.toml`.

    Without a name, the `name` in production.toml, else the input folder's (or zip's) name.
    """
    found: dict[str, Any] = {}
    for given in inputs:
        toml = given / "production.toml" if given.is_dir() else None
        if toml is not None and toml.is_file():
            found = read_production_toml(toml)
            break
    merged = {k: v for k, v in found.items() if k in META_KEYS}
    merged.update({k: v for k, v in meta.items() if v is not None})
    chosen = name or found.get("name") or _name_from_path(inputs)
    return str(chosen), validate_meta(merged)


def read_production_toml(path: Path) -> dict[str, Any]:
    """The keys of a production.toml.

    Raises:
        ArchiveError: the file is not valid TOML.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ArchiveError(f"{path}: is not valid TOML ({exc}); fix it or remove it") from exc
    return {k: str(v) for k, v in data.items()}


def _name_from_path(inputs: list[Path]) -> str:
    if not inputs:
        return "Unsorted"
    first = inputs[0].expanduser().resolve()
    if first.is_dir():
        return first.name or "Unsorted"
    if first.suffix.lower() == ".zip":
        return first.stem
    return first.parent.name or "Unsorted"


def validate_meta(meta: dict[str, Any]) -> dict[str, Any]:
    """Release metadata checked and tidied: `released` a real YYYY-MM-DD date, `interim` a
    whole number, `source_url` a web address; empty strings clear a value.

    Raises:
        InvalidMetadataError: with the value to fix.
    """
    out = {k: v for k, v in meta.items() if v is not None}
    for key, value in out.items():
        if key not in META_KEYS:
            raise InvalidMetadataError(f"unknown production field {key!r}; "
                                       f"known fields: {', '.join(META_KEYS)}")
        out[key] = str(value).strip()
    released = out.get("released")
    if released and not dates.is_iso(released):
        raise InvalidMetadataError(
            f"released date {released!r} is not a date written YYYY-MM-DD "
            "(for example --released 2020-03-05)")
    interim = out.get("interim")
    if interim and not (interim.isdigit() and int(interim) > 0):
        raise InvalidMetadataError(
            f"interim release {interim!r} is not a whole number (for example --interim 2)")
    url = out.get("source_url")
    if url and not url.lower().startswith(("http://", "https://")):
        raise InvalidMetadataError(
            f"source URL {url!r} does not start with http:// or https://")
    return out
