"""The reading room's own address: the host names it answers to, and the links it hands out.

A request's Host header is whatever the client claims. A link meant to leave the page (a
citation's permalink, the API's `url`, `image` and `next`, the OpenAPI server) starts with
`ARCHIVE_BASE_URL` when it is set; otherwise with the request's host only if Flask checked
that host against `TRUSTED_HOSTS`; otherwise with the address `archive serve` listens on;
otherwise the link is relative. A request naming a host that is not trusted (a DNS-rebinding
page that made evil.example resolve to 127.0.0.1) is refused by Flask with a 400.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, request, url_for

from archive.config import Settings
from archive.errors import SettingError

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")


def base_url(settings: Settings) -> str:
    """`ARCHIVE_BASE_URL` without a trailing slash; "" when it is not set.

    Raises:
        SettingError: the value is not an http(s) address.
    """
    value = settings.base_url.strip()
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query \
            or parts.fragment or parts.username is not None:
        raise SettingError(f"ARCHIVE_BASE_URL must be the reading room's public address, "
                           f"such as https://foia.example.org, not {value!r}: fix or unset it")
    return value.rstrip("/")


def trusted_hosts(settings: Settings, *, any_host: bool = False) -> list[str] | None:
    """The host names the reading room answers to (Flask's `TRUSTED_HOSTS`); None: any.

    `ARCHIVE_TRUSTED_HOSTS` when set (`*`: any), with `ARCHIVE_BASE_URL`'s host; when not
    set, that host and the loopback names, or any host if `any_host` (a server listening
    beyond this machine, whose names are not known). Ports are not compared.

    Raises:
        SettingError: ARCHIVE_BASE_URL is not an http(s) address.
    """
    names = [name.strip().lower() for name in settings.trusted_hosts.split(",") if name.strip()]
    if "*" in names:
        return None
    base = base_url(settings)
    public = [_host(base)] if base else []
    if names:
        return list(dict.fromkeys(names + public))
    return None if any_host else list(dict.fromkeys(public + list(LOOPBACK_HOSTS)))


def _host(url: str) -> str:
    host = urlsplit(url).hostname or ""
    return f"[{host}]" if ":" in host else host


def public_root() -> str:
    """Where the reading room's links start: its base URL, the request's checked host, the
    address it listens on, or "" (relative links)."""
    config = current_app.config
    if config.get("ARCHIVE_BASE_URL"):
        return str(config["ARCHIVE_BASE_URL"])
    if config.get("TRUSTED_HOSTS") and request.host:
        return request.url_root.rstrip("/")
    if config.get("ARCHIVE_BOUND_URL"):
        return str(config["ARCHIVE_BOUND_URL"]).rstrip("/") + request.script_root
    return request.script_root


def absolute_url(endpoint: str, **values: Any) -> str:
    """The address of one of the reading room's pages to hand out (see `public_root`)."""
    path = url_for(endpoint, **values)
    return public_root() + path.removeprefix(request.script_root)
