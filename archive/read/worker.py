"""What runs inside a worker process: open a file, read one page, OCR it where needed.

Workers never write to the catalog or the index; the supervisor does (they write only
derived files: an email's printed PDF and its staged attachments, a load-file document's
bound page images). A worker may crash (MuPDF segfaults on some real files) or be killed on
a timeout without harming anything.
"""

from __future__ import annotations

import pickle
import resource
from collections.abc import Iterator
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pebble import ProcessExpired
from PIL import Image

from archive import storage
from archive.config import Settings
from archive.errors import ArchiveError, DamagedDocumentError, OcrFailedError, TooLargeError
from archive.foia import box_labels, redactions
from archive.formats import bundles, emails
from archive.models import DocumentProbe, PageResult
from archive.read import extract, hybrid, numbered_lines, ocr

Image.MAX_IMAGE_PIXELS = None  # the archive checks pixel counts itself, with its own limit

_open: dict[str, object] = {}


def init_worker(memory_mb: int) -> None:
    """Bound the worker's address space so a decompression bomb fails instead of swapping."""
    if memory_mb > 0:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


@contextmanager
def _sendable_errors() -> Iterator[None]:
    """Turn a failure the pool could not send back to the supervisor into one it can.

    MuPDF's errors hold a C++ object that cannot be pickled: sent as they are, the
    supervisor would only learn "cannot pickle 'SwigPyObject'", not what was wrong.
    """
    try:
        yield
    except ArchiveError:
        raise
    except extract.MUPDF_ERRORS as exc:
        raise DamagedDocumentError(f"is damaged ({extract.mupdf_reason(exc)}); ask the "
                                   "agency for a new copy") from None
    except Exception as exc:
        try:
            pickle.dumps(exc)
        except Exception:  # whatever stops pickling it: send its text instead
            raise RuntimeError(f"{type(exc).__name__}: {exc}") from None
        raise


def probe_file(path: Path, kind: str, settings: Settings, doc_id: str = "",
               hints: dict[str, Any] | None = None) -> DocumentProbe:
    """Open a file and check it is whole and within the limits.

    An email, mbox or text attachment is printed to its derived PDF here, and the files
    inside it are staged for the supervisor (see `archive.formats.emails`); the page images of a
    load-file document are bound into its derived PDF (see `archive.formats.bundles`).
    """
    with _sendable_errors():
        return _probe(path, kind, settings, doc_id, hints)


def _probe(path: Path, kind: str, settings: Settings, doc_id: str,
           hints: dict[str, Any] | None) -> DocumentProbe:
    if kind in storage.RENDERED_KINDS:
        return emails.probe(path, kind, doc_id, settings, hints or {})
    if kind == bundles.KIND:  # page images a load file binds into one document
        return bundles.probe(doc_id, hints or {}, settings, _check_image_pixels)
    if kind == "image":
        _check_image_pixels(path, settings)
    return extract.probe(path, kind, settings)


def _check_image_pixels(path: Path, settings: Settings) -> None:
    with Image.open(path) as image:
        frames = getattr(image, "n_frames", 1)
        width, height = image.size
    if width * height > settings.max_image_pixels:
        raise TooLargeError(
            f"is a {width} x {height} pixel image, over the limit of "
            f"{settings.max_image_pixels:,} pixels; raise ARCHIVE_MAX_IMAGE_PIXELS to add it"
        )
    if frames > settings.max_pages:
        raise TooLargeError(f"has {frames} frames, over the limit of {settings.max_pages}")


def _document(path: Path, kind: str, settings: Settings):  # type: ignore[no-untyped-def]
    key = str(path)
    doc = _open.get(key)
    if doc is None:
        for old in _open.values():
            old.close()  # type: ignore[attr-defined]
        _open.clear()
        doc = extract.open_document(path, kind, settings)
        _open[key] = doc
    return doc


def read_page(path: Path, kind: str, doc_id: str, page_no: int, settings: Settings,
              ocr_mode: str, lang: str, printed: bool = False) -> PageResult:
    """Read one page (1-based): its text layer, or OCR where the text layer is not usable,
    or both: the text layer and the pictures of text on the page (`archive.read.hybrid`).

    A page the archive `printed` itself (a native email's) has only its text read: there
    is nothing on its image to look for.
    """
    with _sendable_errors():
        return _read_page(path, kind, doc_id, page_no, settings, ocr_mode, lang, printed)


def _read_page(path: Path, kind: str, doc_id: str, page_no: int, settings: Settings,
               ocr_mode: str, lang: str, printed: bool) -> PageResult:
    extract.release_caches()  # what the previous page decoded
    doc = _document(path, kind, settings)
    page = doc[page_no - 1]
    width, height = extract.page_size(page, settings)
    text, words = extract.text_layer(page)
    found = extract.pictures(page) if ocr_mode == "auto" and not printed else []
    use_ocr = ocr_mode == "always" or (
        ocr_mode == "auto" and extract.needs_ocr(page, text, words, settings.min_text_chars,
                                                 found)
    )
    result = PageResult(doc_id=doc_id, page_no=page_no, text=text, words=words,
                        text_source="text" if text.strip() else "none",
                        width=width, height=height)
    if printed:
        return result
    if not use_ocr:
        chosen = hybrid.pictures_to_read(found, words, settings.min_text_chars)
        if chosen:  # pictures of text on a text-layer page: read them alone
            hybrid.read_pictures(page, chosen, result, settings, lang)
        result.annotations["redactions"] = redactions.none()
        if extract.may_show_boxes(page, text):
            image, dpi = extract.render_page(page, redactions.TARGET_DPI,
                                             settings.max_image_pixels)
            result.annotations["redactions"] = redactions.detect(
                image, dpi, box_labels.from_words(result.words))
        return result
    render_dpi, true_dpi = extract.ocr_resolution(page, kind, settings.ocr_dpi,
                                                  settings.ocr_upsample_below)
    image, dpi = extract.render_page(page, render_dpi, settings.max_image_pixels)
    options = ocr.OcrOptions(lang=lang, dpi=round(true_dpi * dpi / render_dpi),
                             timeout=settings.ocr_timeout,
                             osd_confidence=settings.ocr_osd_confidence)
    result.annotations["redactions"] = _redactions(image, dpi, options, result.warnings)
    try:
        read = numbered_lines.reread(image, ocr.ocr_image(image, options), options)
    except OcrFailedError as exc:
        result.error = exc.message
        return result
    if not read.text.strip() and text.strip():
        result.warnings.append("OCR found no text; kept the PDF's own text layer")
        return result
    scale = 72.0 / dpi
    result.text = read.text
    result.words = [[round(x0 * scale, 2), round(y0 * scale, 2), round(x1 * scale, 2),
                     round(y1 * scale, 2), word] for x0, y0, x1, y1, word in read.words]
    result.text_source = "ocr"
    result.ocr_confidence = read.confidence
    if read.rotation:
        result.warnings.append(f"page was rotated {read.rotation} degrees; read upright")
    return result


def _redactions(image: Image.Image, dpi: float, options: ocr.OcrOptions,
                warnings: list[str]) -> dict[str, Any]:
    """Redaction boxes on the OCR rendering, with the exemption labels read inside them."""
    try:
        return redactions.detect(image, dpi, box_labels.from_ocr(options))
    except OcrFailedError as exc:
        warnings.append(f"exemption labels in redaction boxes not read: {exc.message}")
        return redactions.detect(image, dpi)


def failure_reason(exc: BaseException) -> str:
    """A one-line reason for a worker's failure as the supervisor sees it (the worker's own
    error, a timeout, a crash), saying what to do next."""
    if isinstance(exc, ArchiveError):
        return exc.message
    if isinstance(exc, FutureTimeout):
        return ("took too long to read and was stopped; raise ARCHIVE_PARSE_TIMEOUT or "
                "ARCHIVE_OCR_TIMEOUT to give it longer")
    if isinstance(exc, ProcessExpired):
        return (f"crashed its reader (exit code {exc.exitcode}); the file is probably "
                "damaged: ask the agency for a new copy")
    if isinstance(exc, MemoryError):
        return ("needed more memory than a worker may use; raise ARCHIVE_WORKER_MEMORY_MB to "
                "try again")
    first = str(exc).strip().splitlines()
    return f"could not be read ({type(exc).__name__}: {first[0] if first else ''}); " \
           "the file may be damaged: ask the agency for a new copy"

