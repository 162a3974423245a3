"""Run a command and sample the memory of its whole process tree from /proc (Linux only).

Every `interval` seconds each process below the command's pid is read from
/proc/<pid>/status: VmRSS (resident now), VmHWM (the kernel's own peak-resident mark, so a
spike between two samples is not missed) and RssAnon (private memory, as opposed to pages
of mapped files such as the Whoosh segments, which the kernel can drop at will).
Processes are grouped by role: the command itself ("supervisor"), Python children
("worker"), tesseract, and anything else.
"""

from __future__ import annotations

import os
import resource
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_PROC = Path("/proc")


def _status(pid: int) -> dict[str, str]:
    out: dict[str, str] = {}
    try:
        for line in (_PROC / str(pid) / "status").read_text().splitlines():
            key, _, value = line.partition(":")
            out[key] = value.strip()
    except OSError:
        return {}
    return out


def _kib(value: str | None) -> int:
    return int(value.split()[0]) if value else 0


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def _descendants(root: int) -> list[int]:
    tree = _children()
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(tree.get(pid, []))
    return found


@dataclass
class TreeMemory:
    """Peaks seen while a process tree ran (MiB)."""

    supervisor_peak_mb: float = 0.0
    supervisor_anon_peak_mb: float = 0.0  # of that, private memory (not mapped index files)
    worker_peak_mb: float = 0.0  # the largest single worker
    worker_anon_peak_mb: float = 0.0
    tesseract_peak_mb: float = 0.0
    tree_peak_mb: float = 0.0  # the largest sum over the tree at one sample
    workers_seen: int = 0
    samples: int = 0
    _worker_pids: set[int] = field(default_factory=set)

    def as_dict(self) -> dict[str, Any]:
        """The figures, rounded."""
        return {k: (round(v, 1) if isinstance(v, float) else v)
                for k, v in self.__dict__.items() if not k.startswith("_")}


def _role(root: int, pid: int, name: str) -> str:
    if pid == root:
        return "supervisor"
    if name.startswith("tesseract"):
        return "tesseract"
    if name.startswith(("python", "archive")):
        try:
            cmdline = (_PROC / str(pid) / "cmdline").read_bytes()
        except OSError:
            return "other"
        return "other" if b"resource_tracker" in cmdline else "worker"
    return "other"


def sample_tree(root: int, memory: TreeMemory) -> None:
    """Take one sample of the tree below `root` into `memory`."""
    total = 0.0
    for pid in _descendants(root):
        status = _status(pid)
        if not status:
            continue
        rss = _kib(status.get("VmRSS")) / 1024
        hwm = max(rss, _kib(status.get("VmHWM")) / 1024)
        total += rss
        role = _role(root, pid, status.get("Name", ""))
        anon = _kib(status.get("RssAnon")) / 1024
        if role == "supervisor":
            memory.supervisor_peak_mb = max(memory.supervisor_peak_mb, hwm)
            memory.supervisor_anon_peak_mb = max(memory.supervisor_anon_peak_mb, anon)
        elif role == "worker":
            memory.worker_peak_mb = max(memory.worker_peak_mb, hwm)
            memory.worker_anon_peak_mb = max(memory.worker_anon_peak_mb, anon)
            memory._worker_pids.add(pid)
        elif role == "tesseract":
            memory.tesseract_peak_mb = max(memory.tesseract_peak_mb, hwm)
    memory.tree_peak_mb = max(memory.tree_peak_mb, total)
    memory.workers_seen = len(memory._worker_pids)
    memory.samples += 1


@dataclass
class Run:
    """What running a command cost."""

    returncode: int
    wall_s: float
    cpu_s: float  # user + system of the command and every descendant it waited for
    memory: TreeMemory
    stdout: str
    stderr: str


def run(cmd: list[str], *, env: dict[str, str] | None = None, interval: float = 0.1,
        cwd: Path | None = None) -> Run:
    """Run `cmd`, sampling its tree's memory; measure wall time and the tree's CPU time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})}, cwd=cwd)
    memory = TreeMemory()
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            sample_tree(proc.pid, memory)
            done.wait(interval)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - started
    done.set()
    watcher.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(proc.returncode, wall, cpu, memory, stdout, stderr)
