"""Settings: one frozen object, read once from defaults, `ARCHIVE_*` variables and arguments."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any


def _setting(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything configurable, with defaults. Only `load_settings` reads the environment."""

    home: Path = _setting(Path(), "archive home: index/ and scans/ live below it")
    ocr_mode: str = _setting("auto", "auto: OCR pages without a usable text layer; always; never")
    ocr_lang: str = _setting("eng+Latin", "tesseract languages (falls back to eng if missing)")
    ocr_dpi: int = _setting(
        300, "resolution for OCR of pages without images, and coarse scans are upsampled to"
    )
    ocr_timeout: float = _setting(180.0, "seconds tesseract may spend on one page")
    ocr_osd_confidence: float = _setting(
        70.0, "mean OCR confidence below which a page is read once more: turned upright if "
        "orientation detection says so, else despeckled; the better reading is kept"
    )
    ocr_upsample_below: int = _setting(
        150, "scans coarser than this many dpi are upsampled to ARCHIVE_OCR_DPI for OCR"
    )
    jobs: int = _setting(0, "worker processes (0: one per core)")
    parse_timeout: float = _setting(300.0, "seconds a worker may spend opening one file")
    worker_memory_mb: int = _setting(3072, "address-space limit of each worker process, MiB")
    max_file_mb: int = _setting(2048, "larger source files are refused")
    max_pages: int = _setting(10000, "documents with more pages are refused")
    max_page_inches: float = _setting(200.0, "pages wider or taller than this are refused")
    max_image_pixels: int = _setting(
        120_000_000, "images and rendered pages over this many pixels are scaled down or refused"
    )
    view_max_pixels: int = _setting(
        4_000_000, "reading-room page images and thumbnails are scaled down (aspect kept) to "
        "at most this many pixels (delete index/cache/ after changing it)"
    )
    view_max_side: int = _setting(
        4800, "reading-room page images and thumbnails are scaled down (aspect kept) so "
        "neither side is longer than this many pixels (a very tall or wide page)"
    )
    min_text_chars: int = _setting(
        40, "a page that paints an image and has fewer text-layer characters is OCR'd; the text "
        "outside its pictures a text-layer page needs for them to be read alone (hybrid pages)"
    )
    zip_max_members: int = _setting(20000, "zip files with more members are refused")
    zip_max_total_mb: int = _setting(20480, "zip files expanding to more are refused")
    zip_max_ratio: int = _setting(200, "zip members compressed more than this are refused")
    query_max_chars: int = _setting(1000, "longer queries are refused")
    query_max_depth: int = _setting(20, "deeper nesting of parentheses is refused")
    query_min_prefix: int = _setting(2, "letters required before a wildcard")
    query_max_expansion: int = _setting(
        2000, "words the wildcard and fuzzy terms of one query may expand to, together"
    )
    query_max_scanned: int = _setting(
        50_000, "words of the index the wildcard, prefix and fuzzy terms of one query may look "
        "through, summed over the index's segments (a fuzzy term with distance 2 looks "
        "through thousands); a query over it is refused with a message"
    )
    count_exact_up_to: int = _setting(
        10_000, "matching pages a search counts exactly; beyond, its total and facets are "
        "estimated from a random sample of the pages to check and said as \"about N\" "
        "(total_is_estimate in the JSON); 0: always count every match"
    )
    search_deadline: float = _setting(
        10.0, "seconds one search may run; a search still running then is stopped with a "
        "message (the reading room answers 503, the CLI exits with code 9); 0: no limit"
    )
    serve_processes: int = _setting(
        0, "processes `archive serve` runs on one listening socket, each with its own "
        "searchers (Whoosh searches under one GIL: one core per process); 0: one per core"
    )
    base_url: str = _setting(
        "", "the reading room's public address (https://foia.example.org): permalinks, "
        "citations and API links start with it; empty: they are relative, or name the "
        "address `archive serve` listens on, never the Host a request claims"
    )
    broker_url: str = _setting(
        "", "Redis URL of the page-worker queue (redis://queue.example:6379/0): `archive add` "
        "sends pages of scans to `archive worker` processes on any machine; empty: a local "
        "process pool reads them (see README, Many machines)"
    )
    broker_visibility_timeout: float = _setting(
        3600.0, "seconds after which a page a lost worker was reading is given to another; "
        "must exceed the page timeout (ARCHIVE_PARSE_TIMEOUT + 3 x ARCHIVE_OCR_TIMEOUT)"
    )
    worker_tries: int = _setting(
        3, "times a page may crash or lose its page worker before its file fails"
    )
    queue_ahead: int = _setting(
        64, "pages `archive add` keeps waiting on the queue beyond what it reads locally"
    )
    database_url: str = _setting(
        "", "server mode: PostgreSQL URL of the catalog several machines share "
        "(postgresql://user:password@db.example/archive); empty: the embedded catalog, "
        "index/catalog.sqlite (see README, Many machines)"
    )
    scans: str = _setting(
        "", "on a page worker: where this machine mounts the archive's scans/ folder; "
        "empty: at the same path as on the archive's machine"
    )
    trusted_hosts: str = _setting(
        "", "host names the reading room answers to, comma-separated (.example.org: and "
        "its subdomains; *: any); empty: localhost and ARCHIVE_BASE_URL's host, or any "
        "when `archive serve --host` is not loopback; other names get a 400"
    )
    export_max_rows: int = _setting(
        100_000, "rows an export of every hit gives at most (`/search.csv`, "
        "`/api/search?format=jsonl`, `archive search --all`); the rest are left out"
    )
    export_max_pdf_pages: int = _setting(
        200, "page images `/search.pdf` binds into one PDF at most"
    )
    feed_entries: int = _setting(50, "pages an Atom feed lists, newest first")
    smtp_url: str = _setting(
        "", "where `archive alerts send` mails digests: smtp://[user:password@]host[:port]"
        "?from=archive@example.org&to=desk@example.org (smtps:// for TLS, &starttls=1); "
        "a saved search's own --email replaces `to`"
    )

    @property
    def index_dir(self) -> Path:
        """The archive's own data: catalog, Whoosh index, cache."""
        return self.home / "index"

    @property
    def scans_dir(self) -> Path:
        """The originals, one folder per production; never modified after they are stored."""
        return self.home / "scans"

    @property
    def catalog_path(self) -> Path:
        """The SQLite catalog: the durable record of every page."""
        return self.index_dir / "catalog.sqlite"

    @property
    def whoosh_dir(self) -> Path:
        """The Whoosh full-text index, derived from the catalog."""
        return self.index_dir / "whoosh"

    @property
    def cache_dir(self) -> Path:
        """Rendered page images and thumbnails; disposable."""
        return self.index_dir / "cache"

    @property
    def workers(self) -> int:
        """Number of worker processes to run."""
        return self.jobs if self.jobs > 0 else (os.cpu_count() or 1)


def _coerce(value: str, kind: Any) -> Any:
    if kind in (Path, "Path"):
        return Path(value)
    if kind in (int, "int"):
        return int(value)
    if kind in (float, "float"):
        return float(value)
    return value


def load_settings(home: str | Path | None = None, **overrides: Any) -> Settings:
    """Build the settings from defaults, `ARCHIVE_<NAME>` variables, then explicit overrides.

    Args:
        home: the archive's home folder; `ARCHIVE_HOME` or the current folder when None.
        **overrides: field values that win over the environment (None values are ignored).
    """
    values: dict[str, Any] = {}
    for f in fields(Settings):
        env = os.environ.get(f"ARCHIVE_{f.name.upper()}")
        if env:
            values[f.name] = _coerce(env, f.type)
    if home is not None:
        values["home"] = Path(home)
    values.update({k: v for k, v in overrides.items() if v is not None})
    settings = Settings(**values)
    return replace(settings, home=settings.home.resolve())


def settings_help() -> list[tuple[str, Any, str]]:
    """(environment variable, default, help) for every setting, for `archive check`."""
    return [
        (f"ARCHIVE_{f.name.upper()}", f.default, f.metadata.get("help", ""))
        for f in fields(Settings)
    ]
