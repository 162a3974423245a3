"""Serve the reading room with waitress, a production WSGI server (`archive serve`)."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import waitress

from archive.config import Settings
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


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8080,
          threads: int = 8) -> None:
    """Serve the archive at `settings.home` until interrupted.

    Raises:
        SettingError: ARCHIVE_BASE_URL is not an http(s) address.
    """
    app = create_app({"ARCHIVE_SETTINGS": settings, **listening_config(settings, host, port)})
    waitress.serve(app, host=host, port=port, threads=threads, ident="archive",
                   clear_untrusted_proxy_headers=True, _quiet=True)
