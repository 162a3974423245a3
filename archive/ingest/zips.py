"""Zips unpacked safely: every member checked (path escapes, links, zip bombs) before any is
written, each written through a temporary file, one member's failure reported on its own.
"""

from __future__ import annotations

import errno
import lzma
import os
import stat
import tempfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import IO

from archive.config import Settings
from archive.errors import (
    DamagedDocumentError,
    DocumentError,
    EncryptedDocumentError,
    UnsafeArchiveError,
    UnsupportedFileError,
)

_CHUNK = 1 << 20


def unpack(path: Path, folder: Path, settings: Settings) -> list[tuple[str, str]]:
    """Unpack every member of a zip under `folder`; return [(member, reason)] of those that
    could not be (corrupt data, a compression method or encryption the zip module cannot
    read, a name the file system refuses). The other members are unpacked.

    Raises:
        UnsafeArchiveError: the zip as a whole is damaged, encrypted or unsafe (naming the
            member and the limit it breaks); nothing was unpacked.
    """
    failed: list[tuple[str, str]] = []
    try:
        with zipfile.ZipFile(path) as archive:
            members = check_zip(archive, settings)
            taken: set[Path] = set()
            for info in members:
                try:
                    _unpack_member(archive, info, folder, taken)
                except (DocumentError, OSError) as exc:
                    failed.append((info.filename, _member_failure(info, exc)))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, RuntimeError, EOFError) as exc:
        raise UnsafeArchiveError(
            f"is a damaged or encrypted zip ({exc}); unpack it by hand and add the folder"
        ) from exc
    return failed


# What the zip module raises on a member's data: corrupt deflate, bzip2 and LZMA streams,
# a bad CRC or header, a cut stream, a method (Deflate64, AES) or encryption it cannot read.
_MEMBER_DATA_ERRORS: tuple[type[Exception], ...] = (
    zlib.error, lzma.LZMAError, zipfile.BadZipFile, EOFError, NotImplementedError,
    RuntimeError)


def _unpack_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, folder: Path,
                   taken: set[Path]) -> None:
    """Write one member under `folder`, through a temporary file removed on any failure.

    Raises:
        DamagedDocumentError, UnsupportedFileError, UnsafeArchiveError: the member's data.
        OSError: the file system refused it (a name too long, a full disk).
    """
    parts = PurePosixPath(info.filename).parts
    if not parts:
        raise UnsafeArchiveError("has no file name; unpack the zip by hand and check it")
    dest = _member_dest(folder.joinpath(*parts), info, taken)
    if dest is None:
        return  # unpacked by an earlier run
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".part-")
    try:
        with os.fdopen(fd, "wb") as fh:
            try:
                with archive.open(info) as src:
                    _copy_bounded(src, fh, info.file_size)
            except OSError as exc:
                if exc.errno is not None:
                    raise  # the file system's, not the zip's
                raise _member_data_error(exc) from exc
            except _MEMBER_DATA_ERRORS as exc:
                raise _member_data_error(exc) from exc
        Path(tmp).replace(dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _member_dest(dest: Path, info: zipfile.ZipInfo, taken: set[Path]) -> Path | None:
    """Where a member goes: its own path, or, when another member of this zip went there
    or a different file is already there, its path with its CRC added (`a-1f2e3d4c.pdf`).
    Never overwrites. None when the member is already there, unpacked by an earlier run.
    """
    candidate, n = dest, 0
    while True:
        if candidate not in taken:
            taken.add(candidate)
            if not candidate.exists():
                return candidate
            if candidate.is_file() and candidate.stat().st_size == info.file_size and (
                    _crc32_of(candidate) == info.CRC):
                return None
        n += 1
        candidate = dest.with_name(
            f"{dest.stem}-{info.CRC:08x}{'' if n == 1 else f'-{n}'}{dest.suffix}")


def _crc32_of(path: Path) -> int:
    crc = 0
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            crc = zlib.crc32(chunk, crc)
    return crc


def _member_data_error(exc: BaseException) -> DocumentError:
    """What went wrong with a member's data, as the failure to report."""
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, RuntimeError) and "password" in reason:
        return EncryptedDocumentError(
            "is encrypted in the zip; unpack the zip with its password (`7z x`) and add the "
            "folder")
    if isinstance(exc, NotImplementedError):
        return UnsupportedFileError(
            f"uses a compression method or encryption the archive cannot unpack ({reason}; "
            "Deflate64 or AES, say); unpack the zip with `7z x` and add the folder")
    return DamagedDocumentError(
        f"is damaged in the zip ({reason}); ask the agency for a new copy of the zip, or "
        "unpack what `7z x` can recover and add the folder")


def _member_failure(info: zipfile.ZipInfo, exc: DocumentError | OSError) -> str:
    """One line for a member that could not be unpacked; the rest of the zip was."""
    name = f"member {info.filename!r}"
    if isinstance(exc, DocumentError):
        return f"{name} {exc.message} (the rest of the zip was unpacked)"
    if exc.errno == errno.ENAMETOOLONG:
        return (f"{name} has a name too long for this file system; unpack the zip by hand, "
                "shorten the name and add the file (the rest of the zip was unpacked)")
    return (f"{name} cannot be unpacked into scans/ ({exc.strerror or exc}); fix that, then "
            "run `archive add` again (the rest of the zip was unpacked)")


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


def _copy_bounded(src: IO[bytes], dest: IO[bytes], declared: int) -> None:
    """Copy a zip member, refusing one that expands past its declared size."""
    written = 0
    while chunk := src.read(_CHUNK):
        written += len(chunk)
        if written > declared:
            raise UnsafeArchiveError("expands past its declared size (a zip bomb?); unpack "
                                     "the zip by hand if you trust it")
        dest.write(chunk)
