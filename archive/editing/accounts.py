"""Editors and admins: passwords (werkzeug's scrypt), API tokens (stored as sha256), the
limit on failed sign-ins per name and address, and the audit log's writer."""

from __future__ import annotations

import getpass
import hashlib
import os
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

from werkzeug.security import check_password_hash, generate_password_hash

from archive.config import Settings
from archive.errors import TooManySignInsError, UserError
from archive.store import Store, open_store

ROLES = ("editor", "admin")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
TOKEN_PREFIX = "fa_"
MAX_FAILURES = 5  # failed sign-ins for one name from one address ...
FAILURE_WINDOW = 15 * 60  # ... within this many seconds, then sign-in waits
# Hash of a password nobody has: checked for unknown names too, so that a sign-in takes as
# long whether the name exists or not.
_NOBODY = generate_password_hash(secrets.token_urlsafe(16), method="scrypt")


@dataclass(frozen=True, slots=True)
class User:
    """Who is making a change: a name and a role (editor, admin)."""

    name: str
    role: str

    @property
    def is_admin(self) -> bool:
        """Admins may also read the audit log."""
        return self.role == "admin"

    def may(self, role: str) -> bool:
        """Whether this user has `role` or a higher one."""
        return ROLES.index(self.role) >= ROLES.index(role)


def _user(row: Any) -> User | None:
    return None if row is None else User(str(row["name"]), str(row["role"]))


def add_user(settings: Settings, name: str, role: str = "editor") -> str:
    """Create a user and return its password, generated here and shown once.

    Raises:
        UserError: the name is taken or not a plain name, or the role is unknown.
    """
    if not _NAME.fullmatch(name):
        raise UserError(f"{name!r} is not a usable user name: use letters, digits and . _ @ -, "
                        "starting with a letter or digit, at most 64 characters")
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    password = secrets.token_urlsafe(15)
    session_key(settings, create=True)
    with open_store(settings) as catalog:
        if not catalog.add_user(name, role, generate_password_hash(password, method="scrypt")):
            raise UserError(f"there is already a user called {name}; choose another name")
        catalog.audit(command_line_user(), "user.add", name, {"role": role})
    return password


SESSION_KEY_FILE = "secret_key"  # in index/: signs the reading room's session cookies


def session_key(settings: Settings, *, create: bool = False) -> str | None:
    """The key that signs the reading room's sessions, kept in `index/secret_key` (mode
    0600) so that sessions outlive a restart and every server process shares it; made
    once, with the first user (`create`). None while there is none.
    """
    path = settings.index_dir / SESSION_KEY_FILE
    if create and not path.exists():
        settings.index_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # made by another process meanwhile
            pass
        else:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_hex(32) + "\n")
    try:
        return path.read_text().strip() or None
    except FileNotFoundError:
        return None


def issue_token(settings: Settings, name: str) -> str:
    """A new API token for a user, returned once (only its sha256 is kept).

    Raises:
        UserError: no such user.
    """
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with open_store(settings) as catalog:
        if catalog.user(name) is None:
            raise UserError(f"there is no user called {name}; add one with "
                            f"`archive users add {name}`")
        catalog.add_token(token_hash(token), name)
        catalog.audit(command_line_user(), "token.add", name)
    return token


def command_line_user() -> str:
    """Who ran an `archive` command, for the audit log: `command line (login name)`."""
    try:
        login = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        login = str(os.getuid())
    return f"command line ({login})"


def token_hash(token: str) -> str:
    """How a token is stored: its sha256 (a token is random, so no salt or slow hash)."""
    return hashlib.sha256(token.encode()).hexdigest()


def user_for_token(catalog: Store, token: str) -> User | None:
    """The user an API token belongs to; None for an unknown token."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    return _user(catalog.token_user(token_hash(token)))


def user_named(catalog: Store, name: str) -> User | None:
    """A user by name (a signed-in session names one); None if it is gone."""
    return _user(catalog.user(name))


def sign_in(catalog: Store, name: str, password: str, address: str) -> User | None:
    """Check a name and password from an address; None when they do not match.

    Failed attempts are counted per name and address: after MAX_FAILURES within
    FAILURE_WINDOW seconds, sign-in is refused, whatever the password, until the oldest
    failure is that old. A success clears the count.

    Raises:
        TooManySignInsError: too many recent failures for this name from this address.
    """
    now = time.time()
    if catalog.sign_in_failures(name, address, now - FAILURE_WINDOW) >= MAX_FAILURES:
        minutes = FAILURE_WINDOW // 60
        raise TooManySignInsError(f"too many failed sign-ins for {name} from your address; "
                                  f"wait {minutes} minutes, or ask an admin for a new password")
    row = catalog.user(name)
    if not check_password_hash(row["password_hash"] if row else _NOBODY, password) or not row:
        catalog.record_sign_in_failure(name, address, forget_before=now - FAILURE_WINDOW)
        return None
    catalog.clear_sign_in_failures(name, address)
    return _user(row)
