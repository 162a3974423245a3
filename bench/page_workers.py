"""Page workers (issue 10): the same scanned pages read by the local pool and by page workers.

In one run on this machine, with a redis-server of its own:
  (a) `archive add --jobs 2` (the local pool),
  (b) one `archive worker --concurrency 2`,
  (c) two `archive worker --concurrency 1`,
all on the NTSB scans in scans/ntsb-mu5735; then the supervisor's own cost per page (receive
a result, store it, index it: the CPU time of the `add` process itself, without its pool),
on born-digital pages that two workers read faster than one supervisor can store them, and
a worker's memory over those pages.

    python bench/page_workers.py [--born 1000] [--out bench/out/page_workers.json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCANS = ROOT / "scans" / "ntsb-mu5735"
TICK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process (not its children)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def env(**settings: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("ARCHIVE_")}
    return {**base, "PYTHONPATH": str(ROOT), **settings}


def add(home: Path, inputs: Path, extra: list[str], environ: dict[str, str]) -> dict[str, Any]:
    """Run `archive add`, timing it and sampling its own CPU time until it exits."""
    shutil.rmtree(home, ignore_errors=True)
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "archive", "--home", str(home), "add",
                                str(inputs), "--production", "bench", "--json", *extra],
                               env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    own_cpu = 0.0
    while process.poll() is None:
        try:
            own_cpu = cpu_seconds(process.pid)
        except OSError:
            break
        time.sleep(0.05)
    out, err = process.communicate()
    wall = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"add failed ({process.returncode}): {err[-2000:]}")
    report = json.loads(out)
    return {"wall_s": round(wall, 2), "pages": report["pages"], "ocr_pages": report["ocr_pages"],
            "supervisor_cpu_s": round(own_cpu, 2)}


class Workers:
    """`archive worker` processes on the bench's broker, stopped on exit."""

    def __init__(self, url: str, concurrencies: list[int], folder: Path) -> None:
        self.processes = []
        for n, concurrency in enumerate(concurrencies):
            machine = folder / f"machine-{n}"
            machine.mkdir(parents=True, exist_ok=True)
            self.processes.append(subprocess.Popen(
                [sys.executable, "-m", "archive", "worker", "--concurrency", str(concurrency)],
                cwd=machine, env=env(ARCHIVE_BROKER_URL=url, HOME=str(machine)),
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
        time.sleep(6)  # started and connected

    def pool_pids(self) -> list[int]:
        return [child for process in self.processes for child in children(process.pid)]

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *_: object) -> None:
        for process in self.processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            process.wait(timeout=60)


def born_digital(folder: Path, pages: int) -> Path:
    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import write_text_pdf

    rng = random.Random(7)  # varied words, as on real pages (no page a near-copy of another)
    vocabulary = ["".join(rng.choice("bcdfghklmnprstvw") + rng.choice("aeiou")
                          for _ in range(rng.randint(1, 4))) for _ in range(5000)]
    for n in range(0, pages, 50):  # a full page: 40 lines, ~400 words, a Bates number
        write_text_pdf(folder / f"born-{n:05d}.pdf", [
            [f"Record {n + k} withheld under (b)(6) DHS-{n + k:06d}",
             *(" ".join(rng.choices(vocabulary, k=10)) for _ in range(39))]
            for k in range(min(50, pages - n))])
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--born", type=int, default=1000, help="born-digital pages")
    parser.add_argument("--parts", default="scan,born", help="scan, born or both")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "page_workers.json")
    args = parser.parse_args()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        port = free_port()
        url = f"redis://127.0.0.1:{port}/0"
        redis = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                                  "--dir", tmp, "--save", ""], stdout=subprocess.DEVNULL)
        try:
            time.sleep(1)
            queued = env(ARCHIVE_BROKER_URL=url)
            if "scan" in args.parts:
                results["a_local_jobs_2"] = add(work / "a", SCANS, ["--jobs", "2"], env())
                print("a", results["a_local_jobs_2"], flush=True)
                with Workers(url, [2], work / "b"):
                    results["b_one_worker_c2"] = add(work / "b", SCANS, ["--jobs", "1"], queued)
                print("b", results["b_one_worker_c2"], flush=True)
                with Workers(url, [1, 1], work / "c"):
                    results["c_two_workers_c1"] = add(work / "c", SCANS, ["--jobs", "1"], queued)
                print("c", results["c_two_workers_c1"], flush=True)
            if "born" in args.parts:
                inputs = born_digital(work / "born", args.born)
                local = add(work / "d", inputs, ["--jobs", "2"], env())
                results["born_local_jobs_2"] = local
                local["supervisor_ms_per_page"] = round(1000 * local["supervisor_cpu_s"] /
                                                        local["pages"], 2)
                print("born local", results["born_local_jobs_2"], flush=True)
                with Workers(url, [1, 1], work / "e") as workers:
                    memory: list[float] = []
                    stop = threading.Event()

                    def sample() -> None:
                        while not stop.wait(0.5):
                            memory.append(rss_mb(workers.pool_pids()) / 2)

                    sampler = threading.Thread(target=sample)
                    sampler.start()
                    born = add(work / "e", inputs, ["--jobs", "1"], queued)
                    stop.set()
                    sampler.join()
                born["pages_per_s"] = round(born["pages"] / born["wall_s"], 1)
                born["supervisor_ms_per_page"] = round(1000 * born["supervisor_cpu_s"] /
                                                       born["pages"], 2)
                tenth = memory[max(0, len(memory) // 10 - 1)] if memory else 0.0
                born["worker_reader_rss_mb_at_10pct_end"] = [round(tenth, 1),
                                                             round(memory[-1], 1) if memory else 0]
                results["born_two_workers_c1"] = born
                print("born queued", born, flush=True)
        finally:
            redis.terminate()
            redis.wait(timeout=30)
    if "a_local_jobs_2" in results:
        a = results["a_local_jobs_2"]["wall_s"]
        for key in ("b_one_worker_c2", "c_two_workers_c1"):
            results[key]["ratio_to_a"] = round(results[key]["wall_s"] / a, 3)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
