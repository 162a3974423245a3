"""Serve the reading room with waitress, a production WSGI server (`archive serve`): one
process, or several sharing one listening socket.

Whoosh searches in pure Python under one GIL: a process uses one core for searching
however many threads it has. With `processes` > 1 the socket is bound here, then each of
that many forked processes runs its own waitress (and opens its own searchers) on it; the
kernel hands each connection to whichever process accepts it first. This process only
watches them: one that dies is started again, and Ctrl+C or SIGTERM stops them all.
"""

from __future__ import annotations

import ipaddress
import math
import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

import waitress

from archive.config import Settings
from archive.search.query import warm_caches
from web import create_app, links

_WILDCARDS = ("", "0.0.0.0", "::")


def is_loopback(host: str) -> bool:
    """Whether `host` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        try:
            return ipaddress.ip_address(socket.gethostbyname(host)).is_loopback
        except (OSError, ValueError):
            return False


def listening_config(settings: Settings, host: str, port: int) -> dict[str, Any]:
    """The app's config for a server listening on `host`:`port`.

    On loopback it answers only to the loopback names, its own address and the settings'
    names (a DNS-rebinding Host such as evil.example gets a 400); on another address, to
    any name unless ARCHIVE_TRUSTED_HOSTS says which. Its address is kept for links when
    ARCHIVE_BASE_URL is not set and the Host cannot be trusted.
    """
    trusted = links.trusted_hosts(settings, any_host=not is_loopback(host))
    config: dict[str, Any] = {"TRUSTED_HOSTS": trusted}
    if host not in _WILDCARDS:
        shown = f"[{host}]" if ":" in host else host
        config["ARCHIVE_BOUND_URL"] = f"http://{shown}:{port}"
        if trusted is not None and shown.lower() not in trusted:
            config["TRUSTED_HOSTS"] = [*trusted, shown.lower()]
    return config


def serve_processes(settings: Settings, given: int | None = None) -> int:
    """How many server processes to run: `given` (--processes), else the setting, where 0
    means one per core."""
    chosen = settings.serve_processes if given is None else given
    return chosen if chosen > 0 else (os.cpu_count() or 1)


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8080,
          threads: int = 8, processes: int = 1, *, tag_process: bool = False) -> None:
    """Serve the archive at `settings.home` until interrupted, in `processes` processes.

    Args:
        tag_process: answer every request with an `X-Archive-Process` header (the serving
            process's id), for tests that check the processes share the work.

    Raises:
        SettingError: ARCHIVE_BASE_URL is not an http(s) address.
    """
    config = {"ARCHIVE_SETTINGS": settings, **listening_config(settings, host, port)}
    app = create_app(config)  # a bad setting stops here, before any process starts
    options: dict[str, Any] = {"threads": threads, "ident": "archive",
                               "clear_untrusted_proxy_headers": True, "_quiet": True}
    warm_caches(settings)  # before forking: the processes share what was read
    if processes <= 1:
        waitress.serve(_tagged(app) if tag_process else app, host=host, port=port, **options)
        return
    listener = socket.create_server((host, port), backlog=1024,
                                    family=socket.AF_INET6 if ":" in host else socket.AF_INET)
    try:
        _supervise(processes, lambda: _child(config, listener, options, tag_process))
    finally:
        listener.close()


def _child(config: dict[str, Any], listener: socket.socket, options: dict[str, Any],
           tag_process: bool) -> None:
    """One serving process: its own app (and so its own searchers and catalog connections)
    on the shared socket."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C: the supervisor stops us
    app = create_app(dict(config))
    waitress.serve(_tagged(app) if tag_process else app, sockets=[listener], **options)


def _supervise(count: int, run: Callable[[], None]) -> None:
    """Keep `count` forked processes running `run`; on Ctrl+C or SIGTERM stop them all."""
    children: set[int] = set()

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        while True:
            while len(children) < count:
                children.add(_fork(run))
            pid, status = os.wait()
            if pid in children:
                children.discard(pid)
                print(f"archive serve: process {pid} exited ({status}); starting another",
                      file=sys.stderr)
                time.sleep(0.5)  # a process that dies at once is not restarted in a loop
    finally:
        signal.signal(signal.SIGTERM, previous)
        _stop(children)


def _fork(run: Callable[[], None]) -> int:
    pid = os.fork()
    if pid:
        return pid
    code = 0
    try:
        run()
    except BaseException:  # noqa: BLE001 - a child must never return into the parent's code
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        os._exit(code)


def _stop(children: Iterable[int]) -> None:
    """SIGTERM each child, then wait for them (SIGKILL one that is still there after 10 s)."""
    left = set(children)
    _signal(left, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while left:
        for pid in list(left):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:  # already waited for
                done = pid
            if done:
                left.discard(pid)
        if left and time.monotonic() > deadline:
            _signal(left, signal.SIGKILL)
            deadline = math.inf
        time.sleep(0.05)


def _signal(pids: Iterable[int], signum: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, signum)
        except ProcessLookupError:  # gone meanwhile; waitpid collects it
            continue


def _tagged(app: Any) -> Any:
    """`app` adding the serving process's id to every response."""
    def tagged(environ: dict[str, Any], start_response: Any) -> Any:
        def start(status: str, headers: list[tuple[str, str]], *exc: Any) -> Any:
            return start_response(status, [*headers, ("X-Archive-Process", str(os.getpid()))],
                                  *exc)
        return app(environ, start)

    return tagged
