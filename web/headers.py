"""Security headers on every response: a Content-Security-Policy without inline script, and
released files (originals, native files) sandboxed."""

from __future__ import annotations

from flask import Flask, Response, request

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)

# Released files as released: an original PDF is shown by the browser's own viewer, which
# the page policy (`object-src 'none'`) would block. A PDF may carry JavaScript (/OpenAction,
# /JS) and a native file may be HTML: they are served sandboxed (no script, no same-origin
# access, no forms or popups), besides nosniff and their own types.
RELEASED_FILE_POLICY = "sandbox"
_RELEASED_FILES = {"documents.original", "documents.native"}


def add_security_headers(response: Response) -> Response:
    """Add the policy and the usual hardening headers (released records are untrusted)."""
    released = request.endpoint in _RELEASED_FILES and response.status_code < 400
    policy = RELEASED_FILE_POLICY if released else CONTENT_SECURITY_POLICY
    response.headers.setdefault("Content-Security-Policy", policy)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    return response


def init_app(app: Flask) -> None:
    """Register the headers on every response, errors included."""
    app.after_request(add_security_headers)
