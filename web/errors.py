"""Error pages: a bad query is a 400 with the parser's message, an unknown page a 404, a
search stopped at its deadline a 503 (try a narrower query, or again later).

No response ever carries a traceback: unexpected errors are logged and answered with a
plain 500 page. Requests under /api/ get JSON instead of HTML.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, SecurityError

from archive.errors import (
    ArchiveError,
    ArchiveLockedError,
    ForbiddenError,
    InvalidMetadataError,
    NotFoundError,
    QueryError,
    SearchTimeoutError,
    SignInError,
    TooManySignInsError,
    UserError,
    WithdrawnError,
)

_TITLES = {400: "The query could not be used", 404: "Not found", 405: "Method not allowed",
           500: "Something went wrong", 503: "The archive needs attention",
           401: "Sign in to change the archive", 403: "Not allowed", 409: "Busy",
           410: "Withdrawn", 413: "Upload too large", 429: "Too many tries"}


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/openapi.json"


def error_response(status: int, message: str, *, bad_query: bool = False,
                   title: str | None = None) -> Response:
    """An error as JSON for the API, or as the error page, with the query kept in the box."""
    title = title or _TITLES.get(status, "Error")
    if _wants_json():
        response = jsonify(error=title, status=status, message=message)
    else:
        response = Response(render_template(
            "error.html", status=status, title=title, message=message, bad_query=bad_query))
    response.status_code = status
    return response


def _query_error(exc: QueryError) -> Response:
    return error_response(400, exc.message, bad_query=True)


def _timed_out(exc: SearchTimeoutError) -> Response:
    response = error_response(503, exc.message, bad_query=True,
                              title="The search took too long")
    response.headers["Retry-After"] = "10"
    return response


def _not_found(exc: NotFoundError) -> Response:
    return error_response(404, exc.message)


def _withdrawn(exc: WithdrawnError) -> Response:
    """Withdrawn material: 410, the date and the reason (never the material)."""
    if _wants_json():
        response = jsonify(error="Withdrawn", status=410, message=exc.message,
                           withdrawn_on=exc.withdrawn_on, reason=exc.reason)
    else:
        response = Response(render_template("withdrawn.html", status=410, exc=exc))
    response.status_code = 410
    return response


def _sign_in_needed(exc: SignInError) -> Response:
    status = 429 if isinstance(exc, TooManySignInsError) else 401
    response = error_response(status, exc.message)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="archive"'
    return response


def _edit_refused(exc: ArchiveError) -> Response:
    """A change that cannot be made as asked: 403 (role), 409 (an add is running), 400."""
    status = 403 if isinstance(exc, ForbiddenError) else (
        409 if isinstance(exc, ArchiveLockedError) else 400)
    return error_response(status, exc.message, title="The change was not made"
                          if status == 400 else None)


def _archive_error(exc: ArchiveError) -> Response:
    return error_response(503, exc.message)


def _http_error(exc: HTTPException) -> Response:
    return error_response(exc.code or 500, str(exc.description or ""))


def _untrusted_host(exc: SecurityError) -> Response:
    """A Host the reading room does not answer to (see web/links.py): no link can be built
    for such a request, so the answer is plain, and the claimed name is not echoed."""
    message = ("This reading room does not answer to that host name: open it at its own "
               "address, or add the name to ARCHIVE_TRUSTED_HOSTS.")
    if _wants_json():
        response = jsonify(error="Untrusted host", status=400, message=message)
    else:
        response = Response(message + "\n", mimetype="text/plain")
    response.status_code = 400
    return response


def _unexpected(exc: Exception) -> Response:
    current_app.logger.exception("unexpected error on %s", request.path)
    return error_response(500, "The reading room hit an unexpected error. It has been "
                          "logged; try again, or go back to the search page.")


def init_app(app: Flask) -> None:
    """Register the handlers."""
    app.register_error_handler(QueryError, _query_error)
    app.register_error_handler(SearchTimeoutError, _timed_out)
    app.register_error_handler(NotFoundError, _not_found)
    app.register_error_handler(WithdrawnError, _withdrawn)
    app.register_error_handler(SignInError, _sign_in_needed)
    for refused in (ForbiddenError, ArchiveLockedError, InvalidMetadataError, UserError):
        app.register_error_handler(refused, _edit_refused)
    app.register_error_handler(ArchiveError, _archive_error)
    app.register_error_handler(SecurityError, _untrusted_host)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
