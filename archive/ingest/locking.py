"""One writer at a time: `archive add` and `reindex` hold an exclusive lock on the archive."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager

from archive.config import Settings
from archive.errors import ArchiveLockedError


@contextmanager
def write_lock(settings: Settings) -> Iterator[None]:
    """Hold the archive's write lock; the OS releases it if the process dies.

    Raises:
        ArchiveLockedError: another process holds it.
    """
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    path = settings.index_dir / "write.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "another process"
            raise ArchiveLockedError(
                f"another `archive add` or `reindex` is writing to this archive (pid {holder}); "
                "searches still work; run your command again when it has finished"
            ) from exc
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)
