"""Serve the reading room with waitress, a production WSGI server (`archive serve`)."""

from __future__ import annotations

import ipaddress
import socket

import waitress

from archive.config import Settings
from web import create_app


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


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8080,
          threads: int = 8) -> None:
    """Serve the archive at `settings.home` until interrupted."""
    app = create_app({"ARCHIVE_SETTINGS": settings})
    waitress.serve(app, host=host, port=port, threads=threads, ident="archive",
                   clear_untrusted_proxy_headers=True, _quiet=True)
