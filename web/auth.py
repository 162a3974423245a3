"""Who is asking: anonymous readers, or editors and admins signed in (session cookie) or
holding an API token (`Authorization: Bearer`). Sign-in and sign-out, the session's
secret, CSRF tokens on every form, and the checks every write goes through.

The reading room stays public and read-only: nothing here runs for a reader who sends
neither a session cookie nor a token, and no public page sets a cookie.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect
from werkzeug.wrappers import Response

from archive.editing import accounts
from archive.editing.accounts import User
from archive.errors import ForbiddenError, SignInError, TooManySignInsError
from archive.store import Store, open_store
from web.db import get_catalog, get_settings

bp = Blueprint("auth", __name__)
csrf = CSRFProtect()
_WRITES = ("POST", "PUT", "PATCH", "DELETE")
F = TypeVar("F", bound=Callable[..., Any])


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the Secure flag when the reading room is served
    over HTTPS (ARCHIVE_BASE_URL is https, or this request came over HTTPS), signed with
    the archive's own key (`accounts.session_key`) as soon as it has one."""

    def get_cookie_secure(self, app: Flask) -> bool:  # noqa: D102
        base = str(app.config.get("ARCHIVE_BASE_URL") or "")
        return base.startswith("https://") or request.is_secure

    def get_signing_serializer(self, app: Flask) -> Any:  # noqa: D102
        if app.config.get("ARCHIVE_KEY_PENDING"):  # made by `archive users add` since
            found = accounts.session_key(app.config["ARCHIVE_SETTINGS"])
            if found:
                app.config.update(SECRET_KEY=found, ARCHIVE_KEY_PENDING=False)
        return super().get_signing_serializer(app)


def current_user() -> User | None:
    """The signed-in user or the token's owner; None for the public.

    Raises:
        SignInError: an Authorization header with an unknown token.
    """
    if "user" not in g:
        g.user = _identify()
    user: User | None = g.user
    return user


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if header and scheme.lower() == "bearer" else None


def _identify() -> User | None:
    token = _bearer()
    if token is None and request.headers.get("Authorization"):
        raise SignInError("give the API token as `Authorization: Bearer TOKEN` "
                          "(`archive users token NAME` makes one)")
    if token is not None:
        catalog = get_catalog()
        user = accounts.user_for_token(catalog, token) if catalog is not None else None
        if user is None:
            raise SignInError("this API token is not valid; ask an admin for a new one "
                              "(`archive users token NAME`)")
        return user
    name = session.get("user") if request.cookies else None  # the public sends no cookie
    catalog = get_catalog() if isinstance(name, str) else None
    return accounts.user_named(catalog, name) if catalog is not None and name else None


def require(role: str = "editor") -> User:
    """The user making a change, who must have `role` (or a higher one).

    Raises:
        SignInError: nobody is signed in (401).
        ForbiddenError: the user's role is too low (403).
    """
    user = current_user()
    if user is None:
        raise SignInError("sign in as an editor to change the archive (API: send "
                          "`Authorization: Bearer TOKEN`)")
    if not user.may(role):
        raise ForbiddenError(f"this needs the {role} role; {user.name} is an {user.role}")
    return user


def signed_in(role: str = "editor") -> Callable[[F], F]:
    """A view for signed-in users only: the public is sent to the sign-in page on GET,
    refused (401) otherwise; a lower role gets a 403."""
    def wrap(view: F) -> F:
        @functools.wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            if request.method == "GET" and current_user() is None:
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            require(role)
            return view(*args, **kwargs)
        return checked  # type: ignore[return-value]
    return wrap


def writable_catalog() -> Store:
    """A writable connection to the catalog, for one change (the request's own is
    read-only); close it when done."""
    return open_store(get_settings())


def _protect() -> None:
    """Every write from a signed-in browser, and every sign-in, carries the CSRF token of its
    session; API calls with a Bearer token carry none (no cookie is involved, so no other
    site can forge them). A write with neither a session nor a token goes on to its view,
    which answers 401."""
    if request.method not in _WRITES or _bearer() is not None:
        return
    if request.endpoint == "auth.login" or session.get("user") is not None:
        csrf.protect()


def _safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site only."""
    parts = urlsplit(target or "")
    if not target or parts.scheme or parts.netloc or not target.startswith("/") \
            or target.startswith("//") or "\\" in target:  # browsers read /\ as //
        return url_for("search.home")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response | tuple[str, int]:
    """The sign-in form; a wrong name or password says so, too many tries wait."""
    error = None
    status = 200
    if request.method == "POST":
        name = request.form.get("name", "", type=str).strip()
        password = request.form.get("password", "", type=str)
        address = request.remote_addr or "unknown"
        try:
            with writable_catalog() as catalog:
                user = accounts.sign_in(catalog, name, password, address)
                if user is not None:
                    catalog.audit(user.name, "sign-in", address)
        except TooManySignInsError as exc:
            error, status, user = exc.message, 429, None
        if user is not None:
            session.clear()
            session.permanent = True
            session["user"] = user.name
            return redirect(_safe_next(request.form.get("next")))
        if error is None:
            error, status = "That name and password do not match; try again.", 401
    return render_template("login.html", error=error,
                           next=_safe_next(request.values.get("next"))), status


@bp.route("/logout", methods=["GET", "POST"])
def logout() -> str | Response:
    """Sign out (POST, from the button in the header); GET shows the button."""
    if request.method == "POST":
        session.clear()
        return redirect(url_for("search.home"))
    return render_template("logout.html")


def _private_for_editors(response: Response) -> Response:
    """Pages made for a signed-in user (forms with their CSRF token, withdrawn material)
    are never kept by a shared cache."""
    if g.get("user") is not None and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "private, no-store"
    return response


def init_app(app: Flask) -> None:
    """Secret key, session cookie settings, CSRF checks, the user in every template."""
    settings = app.config["ARCHIVE_SETTINGS"]
    if not app.config.get("SECRET_KEY"):
        # Without a user there is no key yet (and nothing to sign in to): a key for this
        # process keeps the sign-in form working until `archive users add` makes one.
        found = accounts.session_key(settings)
        app.config.update(SECRET_KEY=found or secrets.token_hex(32),
                          ARCHIVE_KEY_PENDING=found is None)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        WTF_CSRF_CHECK_DEFAULT=False,  # checked in _protect
        WTF_CSRF_TIME_LIMIT=None,  # a form's token lasts as long as its session
    )
    if app.config.get("MAX_CONTENT_LENGTH") is None:  # one upload: ARCHIVE_MAX_FILE_MB
        app.config["MAX_CONTENT_LENGTH"] = settings.max_file_mb * 1024 * 1024
    app.session_interface = SessionInterface()
    csrf.init_app(app)
    app.before_request(_protect)
    app.after_request(_private_for_editors)
    app.context_processor(lambda: {"current_user": _template_user()})
    app.register_blueprint(bp)


def _template_user() -> User | None:
    """The user for templates; a bad token already answered 401, so None here."""
    try:
        return current_user()
    except SignInError:
        return None


def is_editor() -> bool:
    """Whether the request comes from an editor (or admin): they see withdrawn material."""
    user = _template_user()
    return user is not None and user.may("editor")


def login_url() -> str:
    """The sign-in page, coming back here."""
    return url_for("auth.login", next=request.full_path.rstrip("?"))

