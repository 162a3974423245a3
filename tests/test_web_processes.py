"""`archive serve --processes N`: N real server processes answer on one port, each with its
own searcher, and all stop cleanly with the command."""

from __future__ import annotations

import os
import signal
import socket
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import free_port, server_process

REPO = Path(__file__).resolve().parents[1]


def _get(url: str) -> tuple[int, str, bytes]:
    request = urllib.request.Request(url, headers={"Connection": "close"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status, response.headers["X-Archive-Process"], response.read()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "zombie" not in Path(
        f"/proc/{pid}/status").read_text().lower()


def test_processes_share_one_port_and_stop_cleanly(web_home: Path) -> None:
    port = free_port()
    command = [sys.executable, "-m", "archive", "--home", str(web_home), "serve",
               "--port", str(port), "--processes", "2", "--threads", "2", "--tag-process"]
    url = f"http://127.0.0.1:{port}/search?q=detainer"
    pids: set[str] = set()
    with server_process(command, port) as server:
        deadline = time.monotonic() + 90
        with ThreadPoolExecutor(8) as pool:  # concurrent readers: both processes accept
            while len(pids) < 2 and time.monotonic() < deadline:
                for status, pid, body in pool.map(_get, [url] * 16):
                    assert status == 200 and b'class="hit"' in body
                    pids.add(pid)
        assert len(pids) == 2, pids
        assert str(server.pid) not in pids  # the supervisor only watches
        workers = [int(pid) for pid in pids]
        # a serving process that dies is replaced; the port keeps answering
        os.kill(workers[0], signal.SIGKILL)
        deadline = time.monotonic() + 60
        replaced: set[str] = set()
        with ThreadPoolExecutor(8) as pool:
            while not replaced - pids and time.monotonic() < deadline:
                replaced.update(pid for _, pid, _ in pool.map(_get, [url] * 16))
        assert replaced - pids, "no new process took over"
        server.send_signal(signal.SIGTERM)
        out, _ = server.communicate(timeout=60)
        assert server.returncode == 0 and "stopped" in out
    every = workers + [int(pid) for pid in replaced - pids]
    assert not any(_alive(pid) for pid in every)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_one_process_serves_as_before(web_home: Path) -> None:
    port = free_port()
    command = [sys.executable, "-m", "archive", "--home", str(web_home), "serve",
               "--port", str(port), "--processes", "1", "--tag-process"]
    with server_process(command, port) as server:
        status, pid, _ = _get(f"http://127.0.0.1:{port}/search?q=detainer")
        assert status == 200 and pid == str(server.pid)
        bad = urllib.request.Request(f"http://127.0.0.1:{port}/", headers={"Host": "evil.test"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(bad, timeout=30)
        refused.value.close()
        assert refused.value.code == 400  # TRUSTED_HOSTS still applies
