"""Full-text search over pages, with Whoosh (the only package that imports it).

`index` holds the schema, its analyzer and per-page writes; `writer` batches writes from
the catalog (`archive add`, `archive reindex`); `query` turns a query string into hits;
`rewrites` applies the FOIA fields' query rewrites; `collectors` counts totals and facets;
`excerpts` and `matches` show where a query matched.
"""

from __future__ import annotations

from archive.config import Settings
from archive.errors import ServerModeError


def require_embedded(settings: Settings) -> None:
    """Refuse, before anything is written, what needs the search index in server mode
    (`ARCHIVE_DATABASE_URL`): its search engine is not built yet.

    Raises:
        ServerModeError: server mode is on.
    """
    if settings.database_url:
        raise ServerModeError("server mode's search is not built yet; unset "
                              "ARCHIVE_DATABASE_URL to use the embedded archive")
