"""Collect the files to add: walk folders, unpack zips safely, keep originals under scans/.

An original is copied once into `scans/<production-slug>/`, keeping its relative path, and
is never modified afterwards. A production already under scans/ is read in place.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archive.config import Settings
from archive.errors import (
    DamagedDocumentError,
    DocumentError,
    TooLargeError,
    UnsafeArchiveError,
    UnsupportedFileError,
)
from archive.formats import bundles, loadfiles
from archive.ingest import zips
from archive.ingest.sniff import is_sidecar, is_unpacked_member, sniff
from archive.models import Failure, SourceFile

_CHUNK = 1 << 20


@dataclass(slots=True)
class Collected:
    """Files ready to read, files refused with a reason, sidecar files passed over, and
    what load files say of the documents they define (`archive.formats.bundles.hints`, by
    doc_id)."""

    files: list[SourceFile] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    hints: dict[str, dict[str, Any]] = field(default_factory=dict)


def sha256_of(path: Path) -> str:
    """The hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def collect(inputs: list[Path], slug: str, settings: Settings) -> Collected:
    """Store every input under `scans/<slug>/` and describe each file found, in path order."""
    out = Collected()
    target = settings.scans_dir / slug
    for given in inputs:
        given = given.expanduser()
        if not given.exists():
            out.failed.append(Failure(str(given), "does not exist; check the path"))
        elif given.is_dir():
            _collect_folder(given, given, target, out, settings)
        elif given.suffix.lower() == ".opt":
            out.failed.append(Failure(str(given), "is a load file; add the production folder "
                                      f"that holds it and its images ({given.parent})"))
        else:
            _collect_file(given, given.parent, target, out, settings)
    return out


def _collect_folder(folder: Path, root: Path, target: Path, out: Collected,
                    settings: Settings, depth: int = 0) -> None:
    """Every file in a folder; the documents its load files define are bound from their
    page images instead of adding each image as a document."""
    try:
        found = loadfiles.find_sets(folder)
    except OSError as exc:
        out.failed.append(Failure(str(folder), f"has a load file that cannot be read "
                                  f"({exc.strerror}); check it, or remove it to add the files "
                                  "one by one"))
        found = []
    claimed = set().union(*(load_set.claimed() for load_set in found))
    # Everything but folders: a link, a named pipe or a device is reported, not passed over.
    for path in sorted(p for p in folder.rglob("*") if p.is_symlink() or not p.is_dir()):
        if path not in claimed:
            _collect_file(path, root, target, out, settings, depth)
    for load_set in found:
        try:
            _collect_load_set(load_set, root, target, out, settings, depth)
        except OSError as exc:
            out.failed.append(Failure(str(load_set.load_file), f"cannot be read with its "
                                      f"files ({exc.strerror}); check them"))


def _collect_load_set(found: loadfiles.LoadSet, root: Path, target: Path, out: Collected,
                      settings: Settings, depth: int) -> None:
    """Store a load file's files; describe each document it defines (`bundles`)."""
    kept: dict[Path, tuple[Path, int, str]] = {}

    def keep(path: Path) -> tuple[Path, int, str]:
        if path not in kept:
            stored = store_original(path, target / path.relative_to(root), settings)
            kept[path] = (stored, stored.stat().st_size, sha256_of(stored))
        return kept[path]

    load_file = keep(found.load_file)[0]
    for extra in (found.dat, *(doc.text for doc in found.documents)):
        if extra is not None:
            keep(extra)  # kept as released; the pages are read from the images
    by_begin: dict[str, dict[str, Any]] = {}
    for doc in found.documents:
        native = None  # beside page images; a document that is only its native file is it
        if doc.pages and None in doc.images:
            missing = doc.pages[doc.images.index(None)]
            out.failed.append(Failure(f"{found.load_file} ({doc.begin})", (
                f"lists {missing.image} for page {missing.bates}, but it is not in the "
                "production folder; ask the producing party for it, then run `archive add` "
                "again (the other documents were added)")))
            continue
        images = [keep(p) for p in dict.fromkeys(p for p in doc.images if p is not None)]
        if images:
            native = keep(doc.native)[0] if doc.native is not None else None
            source = bundles.source(doc, [i[0] for i in images], [i[1] for i in images],
                                    [i[2] for i in images], given=found.load_file.with_name(
                                        f"{found.load_file.name} [{bundles.span(doc)}]"))
            out.files.append(source)
        elif doc.native is not None:
            count = len(out.files)
            _collect_file(doc.native, root, target, out, settings, depth)
            if len(out.files) == count:
                continue  # refused, with its reason
            source = out.files[-1]
        else:
            named = loadfiles.field_value(doc.fields, loadfiles.NATIVE)
            out.failed.append(Failure(f"{found.load_file} ({doc.begin})", (
                f"names {named} as its native file, but it is not in the production folder"
                if named else "lists a document without page images or a native file") +
                "; nothing of it was added: ask the producing party for its files, then run "
                "`archive add` again"))
            continue
        hints = bundles.hints(settings, load_file, doc, [i[0] for i in images], native)
        out.hints[source.doc_id] = by_begin[doc.begin] = hints
        hints["doc_id"] = source.doc_id
    for hints in by_begin.values():  # an attachment names its family's first document
        parent = by_begin.get(hints.get("family") or "")
        if parent is not None and parent is not hints:
            hints["parent"] = parent["doc_id"]


def _collect_file(path: Path, root: Path, target: Path, out: Collected,
                  settings: Settings, depth: int = 0) -> None:
    relative = path.relative_to(root)
    if (any(part.startswith(".") for part in relative.parts) or is_sidecar(path)
            or is_unpacked_member(path)):
        out.skipped.append(str(path))
        return
    try:
        special = _special_file(path)
        if special:
            raise UnsupportedFileError(f"is {special}, not a file; nothing was read from it: "
                                       "copy the real file in instead")
        size = path.stat().st_size
        if size > settings.max_file_mb * 1024 * 1024:
            raise TooLargeError(
                f"is {size // (1024 * 1024)} MiB, over the limit of {settings.max_file_mb}; "
                "raise ARCHIVE_MAX_FILE_MB to add it"
            )
        kind, description = sniff(path)
        if kind == "zip":
            if depth >= 2:
                raise UnsafeArchiveError("is a zip nested inside zips; unpack it by hand")
            _collect_zip(path, relative, target, out, settings, depth)
            return
        kind = _kind_for(kind, description, path)
        stored = store_original(path, target / relative, settings)
        out.files.append(SourceFile(path=stored, given=path, sha256=sha256_of(stored),
                                    size=size, kind=kind))
    except DocumentError as exc:
        out.failed.append(Failure(str(path), exc.message))
    except OSError as exc:
        out.failed.append(Failure(str(path), f"cannot be read ({exc.strerror or exc}); "
                                  "check it"))


def _special_file(path: Path) -> str:
    """What a path is when it is not a regular file ("" when it is one); never opened, since
    reading a named pipe would wait forever."""
    mode = path.lstat().st_mode
    if stat.S_ISREG(mode):
        return ""
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a folder" if stat.S_ISDIR(mode) else "a special file"


def _kind_for(kind: str, description: str, path: Path) -> str:
    """pdf, image, email, mbox; an unsupported file is stored but reported with a reason."""
    if kind in ("pdf", "image", "email", "mbox"):
        return kind
    if kind == "damaged":
        raise DamagedDocumentError(f"is {description}; ask the agency for a new copy")
    said = f"is {description}, not a PDF" if path.suffix.lower() == ".pdf" else (
        f"is {description}, not an email" if path.suffix.lower() in (".eml", ".msg", ".mbox")
        else f"is {description}")
    raise DocumentError(f"{said}; the archive reads PDF, TIFF, JPEG, PNG and emails (.eml, "
                        ".msg, mbox): convert it to PDF and add it again")


def store_original(path: Path, dest: Path, settings: Settings) -> Path:
    """Copy `path` to `dest` under scans/ (atomically), unless it is already inside scans/.

    A different file already at `dest` is never overwritten: the copy gets another name.
    """
    scans = settings.scans_dir.resolve()
    resolved = path.resolve()
    if resolved.is_relative_to(scans):
        return resolved
    if dest.exists():
        if dest.stat().st_size == path.stat().st_size and sha256_of(dest) == sha256_of(path):
            return dest
        dest = dest.with_name(f"{dest.stem}-{sha256_of(path)[:8]}{dest.suffix}")
        if dest.exists():
            return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".part-")
    try:
        with os.fdopen(fd, "wb") as out, path.open("rb") as src:
            shutil.copyfileobj(src, out, _CHUNK)
            out.flush()
            os.fsync(out.fileno())
        Path(tmp).chmod(0o444)
        Path(tmp).replace(dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return dest


def _collect_zip(path: Path, relative: Path, target: Path, out: Collected,
                 settings: Settings, depth: int) -> None:
    """Unpack a zip into scans/ after checking every member (`archive.ingest.zips`), then
    collect its files. A member that cannot be unpacked is that member's failure, named;
    the other members are unpacked and added.
    """
    folder = target / relative.with_suffix("")
    for member, reason in zips.unpack(path, folder, settings):
        out.failed.append(Failure(f"{path} ({member})", reason))
    _collect_folder(folder, folder, folder, out, settings, depth + 1)
