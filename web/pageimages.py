"""Page images for the reading room: rendered once from the original, then cached on disk.

A document's id is a hash of its bytes, so a page image never changes: it is cached under
`index/cache/<doc_id>/<page>-<width>-r<version>.png` (disposable, rebuilt on demand) and
served with a year-long, immutable cache lifetime.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from archive import storage
from archive.config import Settings
from archive.errors import NotFoundError
from archive.read import extract

RENDER_VERSION = 2  # bump when rendering changes: browsers and the cache get new images
# 2: page images bounded in pixels (ARCHIVE_VIEW_MAX_PIXELS, ARCHIVE_VIEW_MAX_SIDE)


def cache_path(settings: Settings, doc_id: str, page_no: int, width: int) -> Path:
    """Where a page's rendering of a given width is cached (by render version: an image made
    by an earlier renderer, e.g. one over today's pixel bound, is never served again)."""
    return settings.cache_dir / doc_id / f"{page_no}-{width}-r{RENDER_VERSION}.png"


def etag(doc_id: str, page_no: int, width: int) -> str:
    """The entity tag of a page image (stable: the document id is a content hash)."""
    return f"{doc_id}-{page_no}-{width}-r{RENDER_VERSION}"


def original_path(settings: Settings, doc: Mapping[str, Any]) -> Path:
    """The original file of a document, as released.

    Raises:
        NotFoundError: the file is no longer under the archive's scans/.
    """
    path = settings.home / str(doc["path"])
    if not path.is_file():
        raise NotFoundError(f"The original file of \u201c{doc['title']}\u201d is missing "
                            f"from the archive ({doc['path']}); restore it from a backup.")
    return path


def page_png(settings: Settings, doc: Mapping[str, Any], page_no: int, page_width: float,
             width: int) -> Path | bytes:
    """The cached PNG of a page `width` pixels wide (smaller if the page is too long to
    render whole: see `image_size`), rendering it first if needed.

    Returns the cached file, or the PNG's bytes when the cache cannot be written.
    """
    cached = cache_path(settings, str(doc["doc_id"]), page_no, width)
    if cached.is_file():
        return cached
    original_path(settings, doc)  # the original must still be there
    path, kind = storage.readable_path(settings, doc)  # emails: the PDF they were printed to
    png = extract.render_png(path, kind, page_no, _dpi(page_width, width), settings)
    try:
        _write_atomically(cached, png)
    except OSError:
        return png  # a read-only cache still serves pages, just more slowly
    return cached


def image_size(settings: Settings, page_width: float, page_height: float,
               width: int) -> tuple[int, int]:
    """The pixel size of the PNG `page_png` makes of a page asked `width` pixels wide (for
    `<img width height>`): narrower and shorter when the page is too long to render whole
    (`ARCHIVE_VIEW_MAX_PIXELS`, `ARCHIVE_VIEW_MAX_SIDE`)."""
    if page_width <= 0 or page_height <= 0:  # size unknown: a letter page
        page_width, page_height = 612.0, 792.0
    return extract.view_size(page_width, page_height, _dpi(page_width, width),
                             settings.view_max_pixels, settings.view_max_side)


def _dpi(page_width: float, width: int) -> float:
    """The resolution that renders a page `page_width` points wide `width` pixels wide."""
    return width * 72 / page_width if page_width > 0 else 72.0


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-", suffix=".png")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
