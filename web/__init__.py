"""The reading room: a public, read-only Flask app over the archive (`archive serve`), with
a signed-in editors' side (web/auth.py, web/editors.py, web/editapi.py)."""

from __future__ import annotations

from typing import Any

from flask import Flask

from archive.citation import bates_as_stamped
from archive.config import Settings, load_settings
from archive.models import counted


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: settings, per-request resources, blueprints, error pages, headers.

    Args:
        test_config: overrides of the app's config; `ARCHIVE_SETTINGS` (a Settings) or
            `ARCHIVE_HOME` choose the archive, otherwise `ARCHIVE_HOME` in the environment
            or the current folder does.

    Raises:
        SettingError: ARCHIVE_BASE_URL is not an http(s) address.
    """
    from web import (
        api,
        auth,
        compare,
        db,
        documents,
        editapi,
        editors,
        errors,
        exports,
        feeds,
        headers,
        links,
        search,
    )

    app = Flask(__name__)
    config = dict(test_config or {})
    settings = config.pop("ARCHIVE_SETTINGS", None)
    if not isinstance(settings, Settings):
        settings = load_settings(config.get("ARCHIVE_HOME"))
    app.config.from_mapping(
        ARCHIVE_SETTINGS=settings,
        ARCHIVE_HOME=str(settings.home),
        ARCHIVE_BASE_URL=links.base_url(settings),  # links handed out start with it
        TRUSTED_HOSTS=links.trusted_hosts(settings),  # other Host names get a 400
        ARCHIVE_BOUND_URL=None,  # where `archive serve` listens, for links if nothing else
        RESULTS_PER_PAGE=20,
        HITS_SHOWN_PER_DOCUMENT=2,
        MAX_RESULTS_PAGE=500,
        THUMB_WIDTH=200,
        IMAGE_WIDTH=1200,
        GRID_PAGES=120,
    )
    app.config.update(config)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.add_template_filter(counted)
    app.add_template_filter(bates_as_stamped, "bates")

    db.init_app(app)
    headers.init_app(app)
    errors.init_app(app)
    app.register_blueprint(search.bp)
    app.register_blueprint(documents.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(compare.bp)
    app.register_blueprint(feeds.bp)
    app.register_blueprint(exports.bp)
    auth.init_app(app)  # the editors' side: sign-in, CSRF, sessions
    app.register_blueprint(editors.bp)
    app.register_blueprint(editapi.bp)
    return app
