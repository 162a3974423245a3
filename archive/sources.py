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
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from archive.config import Settings
from archive.errors import DocumentError, TooLargeError, UnsafeArchiveError
from archive.models import Failure, SourceFile
from archive.sniff import is_sidecar, is_unpacked_member, sniff

_CHUNK = 1 << 20


@dataclass(slots=True)
class Collected:
    """Files ready to read, files refused with a reason, sidecar files passed over."""

    files: list[SourceFile] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


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
            for path in sorted(p for p in given.rglob("*") if p.is_file()):
                _collect_file(path, given, target, out, settings)
        else:
            _collect_file(given, given.parent, target, out, settings)
    return out


def _collect_file(path: Path, root: Path, target: Path, out: Collected,
                  settings: Settings, depth: int = 0) -> None:
    relative = path.relative_to(root)
    if (any(part.startswith(".") for part in relative.parts) or is_sidecar(path)
            or is_unpacked_member(path)):
        out.skipped.append(str(path))
        return
    try:
        if path.is_symlink() or not path.is_file():
            raise DocumentError("is a link or special file; copy the real file in instead")
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
        out.failed.append(Failure(str(path), f"cannot be read ({exc.strerror}); check it"))


def _kind_for(kind: str, description: str, path: Path) -> str:
    """pdf, image, email, mbox; an unsupported file is stored but reported with a reason."""
    if kind in ("pdf", "image", "email", "mbox"):
        return kind
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
    """Unpack a zip into scans/ after checking every member, then collect its files."""
    folder = target / relative.with_suffix("")
    try:
        with zipfile.ZipFile(path) as archive:
            members = check_zip(archive, settings)
            for info in members:
                dest = folder.joinpath(*PurePosixPath(info.filename).parts)
                if dest.exists() and dest.stat().st_size == info.file_size:
                    continue
                dest.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".part-")
                with os.fdopen(fd, "wb") as fh, archive.open(info) as src:
                    _copy_bounded(src, fh, info.file_size)
                Path(tmp).replace(dest)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, RuntimeError, EOFError) as exc:
        raise UnsafeArchiveError(
            f"is a damaged or encrypted zip ({exc}); unpack it by hand and add the folder"
        ) from exc
    for member in sorted(p for p in folder.rglob("*") if p.is_file()):
        if not member.name.startswith(".part-"):
            _collect_file(member, folder, folder, out, settings, depth + 1)


def check_zip(archive: zipfile.ZipFile, settings: Settings) -> list[zipfile.ZipInfo]:
    """The zip's file members, refusing path escapes, links, and zip bombs.

    Raises:
        UnsafeArchiveError: naming the member and the limit it breaks.
    """
    infos = [i for i in archive.infolist() if not i.is_dir()]
    if len(infos) > settings.zip_max_members:
        raise UnsafeArchiveError(
            f"has {len(infos)} files, over the limit of {settings.zip_max_members}; "
            "raise ARCHIVE_ZIP_MAX_MEMBERS or unpack it by hand"
        )
    total = 0
    for info in infos:
        name = PurePosixPath(info.filename.replace("\\", "/"))
        if name.is_absolute() or ".." in name.parts or ":" in info.filename.split("/")[0]:
            raise UnsafeArchiveError(f"member {info.filename!r} would be written outside the "
                                     "production folder; unpack it by hand and check it")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise UnsafeArchiveError(f"member {info.filename!r} is a symbolic link; "
                                     "unpack it by hand and check it")
        if info.compress_size and info.file_size / info.compress_size > settings.zip_max_ratio:
            raise UnsafeArchiveError(
                f"member {info.filename!r} expands {info.file_size // info.compress_size}x "
                "(a zip bomb?); unpack it by hand if you trust it"
            )
        total += info.file_size
    if total > settings.zip_max_total_mb * 1024 * 1024:
        raise UnsafeArchiveError(
            f"expands to {total // (1024 * 1024)} MiB, over the limit of "
            f"{settings.zip_max_total_mb}; raise ARCHIVE_ZIP_MAX_TOTAL_MB or unpack it by hand"
        )
    return infos


def _copy_bounded(src: object, dest: object, declared: int) -> None:
    """Copy a zip member, refusing one that expands past its declared size."""
    written = 0
    while chunk := src.read(_CHUNK):  # type: ignore[attr-defined]
        written += len(chunk)
        if written > declared:
            raise UnsafeArchiveError("a member expands past its declared size (a zip bomb?)")
        dest.write(chunk)  # type: ignore[attr-defined]
