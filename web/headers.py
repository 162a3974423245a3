"""Security headers on every response: a Content-Security-Policy without inline script."""

from __future__ import annotations

from flask import Flask, Response, request

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)

# An original PDF is shown by the browser's own viewer, which a page policy with
# `object-src 'none'` would block; it is never rendered as HTML (nosniff, PDF type).
_NO_PAGE_POLICY = {"documents.original"}


def add_security_headers(response: Response) -> Response:
    """Add the policy and the usual hardening headers (released records are untrusted)."""
    if request.endpoint not in _NO_PAGE_POLICY:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    return response


def init_app(app: Flask) -> None:
    """Register the headers on every response, errors included."""
    app.after_request(add_security_headers)
