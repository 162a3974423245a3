"""The `archive` command: a thin layer over the library; errors become exit codes here only."""

from __future__ import annotations

import html
import json
import re
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import click

from archive import __version__, exports, health, releases
from archive import alerts as alerts_lib
from archive.config import Settings, load_settings
from archive.editing import accounts
from archive.errors import ArchiveError, ExitCode, NotFoundError
from archive.ingest.pipeline import add_production
from archive.ingest.progress import Progress
from archive.models import counted
from archive.read import derived
from archive.search import require_embedded, streams
from archive.search.query import open_searcher
from archive.search.query import search as run_search
from archive.search.writer import reindex as rebuild_index
from archive.store import Row, Store, open_store, store_exists


def _settings(ctx: click.Context) -> Settings:
    settings: Settings = ctx.obj
    return settings


def _print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def release_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The release metadata options shared by `add` and `production edit`."""
    for option in reversed((
        click.option("--agency", help="Agency that released it, e.g. \"U.S. Immigration and "
                     "Customs Enforcement\"."),
        click.option("--request-number", help="FOIA request or case number."),
        click.option("--released", metavar="YYYY-MM-DD", help="Date of the release."),
        click.option("--interim", metavar="N", help="Number of the interim release."),
        click.option("--source-url", metavar="URL", help="Where the release was published."),
    )):
        command = option(command)
    return command


def _reload(ctx: click.Context, **overrides: Any) -> Settings:
    """The settings again with a command's own options, keeping the global ones."""
    given = _settings(ctx)
    return load_settings(given.home, database_url=given.database_url, **overrides)


broker_option = click.option(
    "--broker-url", metavar="URL", default=None,
    help="Redis URL of the page-worker queue (default: $ARCHIVE_BROKER_URL); see "
         "README, Many machines.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--home", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Archive folder (data in index/, originals in scans/). "
                   "Default: $ARCHIVE_HOME or the current folder.")
@click.option("--database-url", metavar="URL", default=None,
              help="Server mode: the PostgreSQL catalog several machines share, "
                   "postgresql://USER:PASSWORD@HOST/DATABASE (default: "
                   "$ARCHIVE_DATABASE_URL; none: the embedded archive under index/).")
@click.version_option(__version__, prog_name="archive")
@click.pass_context
def cli(ctx: click.Context, home: Path | None, database_url: str | None) -> None:
    """A searchable archive of FOIA productions.

    \b
    archive add ~/Downloads/dhs-release-2017-10/ --production "DHS ICE detainers, Oct 2017"
    archive search '"sally port" AND detainer'
    """
    ctx.obj = load_settings(home, database_url=database_url)


@cli.command()
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@click.option("--production", "production", help="Name of the release these files belong to "
              "(default: production.toml's name, else the folder's name).")
@release_options
@click.option("--ocr", "ocr_mode", type=click.Choice(["auto", "always", "never"]),
              default=None, help="auto: OCR pages without a usable text layer (default).")
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: one per core).")
@broker_option
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def add(ctx: click.Context, paths: tuple[Path, ...], production: str | None,
        ocr_mode: str | None, jobs: int | None, broker_url: str | None, as_json: bool,
        **meta: str | None) -> None:
    """Add files, folders or zips as one production: store, extract, OCR, index.

    \b
    archive add ~/Downloads/dhs-release-2017-10/ --production "DHS ICE detainers, Oct 2017"
    archive add release-7.zip --production "NTSB MU5735 release" --jobs 2
    archive add ice-foia/ --agency "ICE" --request-number 2019-ICLI-00003 --released 2020-03-05

    Run it again after an interruption: finished pages are kept, nothing is duplicated.
    """
    settings = _reload(ctx, ocr_mode=ocr_mode, jobs=jobs, broker_url=broker_url)
    report = add_production(list(paths), settings, production=production, meta=meta,
                            progress=Progress())
    if as_json:
        _print_json(report.to_json())
    else:
        for name in report.added:
            click.echo(f"added      {name}")
        for name in report.unchanged:
            click.echo(f"unchanged  {name}")
        for failure in report.failed:
            click.echo(f"FAILED     {failure.file}: {failure.error}")
        for warning in report.warnings:
            click.echo(f"warning    {warning}", err=True)
        click.echo(f"{len(report.added)} added, {len(report.unchanged)} already present, "
                   f"{len(report.failed)} failed; {counted(report.pages, 'page')} read, "
                   f"{report.ocr_pages} by OCR")
        for alert in alerts_lib.listed(settings) if report.added else []:
            click.echo(f"saved search {alert.name}: {counted(alert.new, 'new page')} "
                       "(archive alerts list)")
    if report.failed:
        ctx.exit(ExitCode.partial)


@cli.group()
def production() -> None:
    """See and correct the release metadata of productions (no re-OCR)."""


@production.command("edit")
@click.argument("name")
@release_options
@click.pass_context
def production_edit(ctx: click.Context, name: str, **meta: str | None) -> None:
    """Change a production's agency, request number, release date, interim or URL.

    \b
    archive production edit "NTSB MU5735 release" --released 2026-05-01
    archive production edit ntsb-mu5735-release --agency "NTSB" --interim 2

    The pages are re-indexed from the catalog; nothing is OCR'd again. "" clears a field.
    """
    if all(v is None for v in meta.values()):
        raise click.UsageError("give at least one field to change, e.g. --agency NAME")
    changed = releases.edit_production(_settings(ctx), name, meta)
    for key, value in changed.items():
        click.echo(f"{key:15} {'' if value is None else value}")


@production.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the productions as JSON.")
@click.pass_context
def production_list(ctx: click.Context, as_json: bool) -> None:
    """List productions with their release metadata and counts, oldest first."""
    rows = releases.list_productions(_settings(ctx))
    if as_json:
        _print_json(rows)
        return
    for row in rows:
        when = f"released {row['released']}" if row["released"] else "release date unknown"
        click.echo(f"{row['name']}  [{row['slug']}]  {row.get('documents', 0)} documents, "
                   f"{row.get('pages', 0)} pages; {row['agency'] or 'agency unknown'}; {when}")


_MARK = re.compile(r"<mark>(.*?)</mark>", re.S)


def _terminal_excerpt(excerpt: str, bold: bool) -> str:
    text = _MARK.sub((lambda m: click.style(m.group(1), bold=True)) if bold
                     else (lambda m: f"[{m.group(1)}]"), excerpt)
    return html.unescape(" ".join(text.split()))


@cli.command()
@click.argument("query")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True,
              help="Hits to print.")
@click.option("--collapse", is_flag=True,
              help="Show a page released several times once (its earliest release).")
@click.option("--tolerant", is_flag=True,
              help="In phrases, let words of 5+ letters be one letter off on OCR'd pages.")
@click.option("--json", "as_json", is_flag=True, help="Print the hits as JSON.")
@click.option("--all", "every", is_flag=True, help="Every matching page (up to "
              "ARCHIVE_EXPORT_MAX_ROWS), one row each, in --format.")
@click.option("--format", "fmt", type=click.Choice(exports.FORMATS), default="csv",
              show_default=True, help="With --all: CSV (safe for spreadsheets) or JSON lines.")
@click.pass_context
def search(ctx: click.Context, query: str, limit: int, as_json: bool,
           collapse: bool, tolerant: bool, every: bool, fmt: str) -> None:
    """Find the pages that match a query (Whoosh syntax).

    \b
    archive search '"sally port"'
    archive search '"sally port" AND detainer' --json
    archive search 'detain* OR "rikers island"' --limit 5
    archive search '"sally port"' --tolerant    # also "saliy port" on OCR'd pages
    archive search '"sally port"' --all --format csv > sally-port.csv
    """
    settings = _settings(ctx)
    if every:
        _export(settings, query, fmt)
        return
    with open_searcher(settings) as searcher:
        results = run_search(searcher, query, settings, pagelen=limit, collapse=collapse,
                             tolerant=tolerant)
    if as_json:
        _print_json(results.to_json())
        return
    bold = sys.stdout.isatty()
    count = ("about " if results.total_is_estimate else "") + counted(results.total,
                                                                      "matching page")
    click.echo(f"{count} {results.folded_note}".rstrip())
    for n, hit in enumerate(results.hits, 1):
        click.echo(f"\n{n}. {hit.title} · {hit.production} · p. {hit.page}  [{hit.text_source}]")
        click.echo(f"   {_terminal_excerpt(hit.excerpt, bold)}")
        if hit.fuzzy_words:
            click.echo(f"   matched fuzzily: {', '.join(hit.fuzzy_words)}")
        click.echo(f"   {hit.url}")


def _export(settings: Settings, query: str, fmt: str) -> None:
    """Every matching page as rows on stdout, written as they are read."""
    base = settings.base_url.rstrip("/")
    with open_searcher(settings) as searcher:
        found = streams.export(searcher, query, settings, streams.Window(),
                               settings.export_max_rows)
        hits = found.hits() if found is not None else iter(())
        rows = exports.rows(hits, lambda hit: base + hit.url, date.today())
        for line in exports.lines(fmt, rows):
            click.echo(line, nl=False)
    if found is not None and found.truncated:
        click.echo(f"archive: only the first {found.limit:,} of {found.total:,} matching "
                   "pages were written (ARCHIVE_EXPORT_MAX_ROWS); narrow the search",
                   err=True)


@cli.group()
def alerts() -> None:
    """Saved searches: follow a query and see the pages each new release adds."""


@alerts.command("add")
@click.argument("name")
@click.argument("query")
@click.option("--email", metavar="ADDRESS[,ADDRESS]", default=None,
              help="Who `alerts send` mails (default: to= of ARCHIVE_SMTP_URL).")
@click.pass_context
def alerts_add(ctx: click.Context, name: str, query: str, email: str | None) -> None:
    """Save a search; pages added from now on are new for it.

    \b
    archive alerts add sally-port '"sally port"'
    archive alerts add detainers 'detainer AND exemption:b6' --email desk@example.org

    Its feed is /alerts/NAME.atom in the reading room, its new pages /alerts/NAME.
    """
    alert = alerts_lib.add(_settings(ctx), name, query, email)
    click.echo(f"saved {alert.name}: {alert.query}")


@alerts.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the saved searches as JSON.")
@click.pass_context
def alerts_list(ctx: click.Context, as_json: bool) -> None:
    """List saved searches and how many pages each gained since last seen or sent."""
    found = alerts_lib.listed(_settings(ctx))
    if as_json:
        _print_json([alert.to_json() for alert in found])
        return
    for alert in found:
        click.echo(f"{alert.name:20} {counted(alert.new, 'new page'):>12}  {alert.query}")
    if not found:
        click.echo("no saved searches; add one with `archive alerts add NAME QUERY`")


@alerts.command("remove")
@click.argument("name")
@click.pass_context
def alerts_remove(ctx: click.Context, name: str) -> None:
    """Forget a saved search."""
    alerts_lib.remove(_settings(ctx), name)
    click.echo(f"removed {name}")


@alerts.command("seen")
@click.argument("names", nargs=-1)
@click.pass_context
def alerts_seen(ctx: click.Context, names: tuple[str, ...]) -> None:
    """Mark the new pages of saved searches (all, without NAMES) as seen."""
    for name in alerts_lib.mark_seen(_settings(ctx), list(names)):
        click.echo(f"seen {name}")


@alerts.command("send")
@click.pass_context
def alerts_send(ctx: click.Context) -> None:
    """Mail each saved search's new pages (ARCHIVE_SMTP_URL), then mark them seen.

    \b
    ARCHIVE_SMTP_URL='smtp://mail.example.org?from=archive@example.org&to=desk@example.org' \\
      archive alerts send
    """
    sent = alerts_lib.send(_settings(ctx))
    for alert, pages in sent:
        click.echo(f"sent {alert.name}: {counted(pages, 'new page')}")
    click.echo(f"{counted(len(sent), 'digest')} sent")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@click.pass_context
def stats(ctx: click.Context, as_json: bool) -> None:
    """Count productions, documents, pages and OCR'd pages."""
    settings = _settings(ctx)
    if not store_exists(settings):
        counts = {"productions": 0, "documents": 0, "pages": 0, "ocr_pages": 0}
    else:
        with open_store(settings, readonly=True) as catalog:
            counts = catalog.stats()
    if as_json:
        _print_json(counts)
    else:
        for key, value in counts.items():
            click.echo(f"{key:12} {value}")


MIN_ID_PREFIX = 4  # hex digits of a doc_id that `show` accepts in place of all 16


def _find_document(catalog: Store, given: str) -> Row:
    """The document `given` names: its whole id, or a unique prefix of 4 or more hex digits.

    Raises:
        NotFoundError: no document has that id or prefix, the prefix is shorter than 4
            digits, or several documents share it (they are listed).
    """
    wanted = given.strip().lower()
    doc = catalog.document(wanted)
    if doc is not None:
        return doc
    unknown = NotFoundError(f"no document {given} in this archive; `archive search` shows "
                            "document ids")
    if not re.fullmatch(r"[0-9a-f]+", wanted):
        raise unknown
    if len(wanted) < MIN_ID_PREFIX:
        raise NotFoundError(f"document id {given} is too short: give at least "
                            f"{MIN_ID_PREFIX} of its 16 hex digits")
    found = catalog.doc_ids_starting(wanted, limit=11)
    if len(found) > 1:
        listed = ", ".join(found[:10]) + (", ..." if len(found) > 10 else "")
        raise NotFoundError(f"{given} is the start of several document ids ({listed}); "
                            "give more of the id")
    doc = catalog.document(found[0]) if found else None
    if doc is None:
        raise unknown
    return doc


def _stored_page(catalog: Store, doc: Row, page: int) -> Row:
    """The catalog row of page `page` of `doc`.

    Raises:
        NotFoundError: the document has no such page, or that page has not been read.
    """
    row = catalog.page(doc["doc_id"], page)
    if row is not None:
        return row
    count = doc["page_count"]
    if count and page > count:
        raise NotFoundError(f"document {doc['doc_id']} has {counted(count, 'page')}; "
                            f"ask for page 1 to {count}")
    why = f" (it failed: {doc['error']})" if doc["error"] else ""
    raise NotFoundError(f"page {page} of document {doc['doc_id']} has not been read{why}; "
                        "run `archive add` on its file again")


@cli.command()
@click.argument("doc_id")
@click.argument("page", type=click.IntRange(min=1))
@click.option("--json", "as_json", is_flag=True, help="Print the page as JSON.")
@click.pass_context
def show(ctx: click.Context, doc_id: str, page: int, as_json: bool) -> None:
    """Print one page's text and where it came from (pages count from 1).

    DOC_ID is the id `archive search` prints, or its first 4 or more digits.

    \b
    archive show 3f2a9c0d1e2b4a5c 7
    archive show 3f2a9c 7
    """
    settings = _settings(ctx)
    if not store_exists(settings):
        raise NotFoundError("the archive is empty; add a production first")
    with open_store(settings, readonly=True) as catalog:
        doc = _find_document(catalog, doc_id)
        doc_id = doc["doc_id"]
        row = _stored_page(catalog, doc, page)
        productions = [p["name"] for p in catalog.document_productions(doc_id)]
    info = {"doc_id": doc_id, "page": page, "pages": doc["page_count"], "title": doc["title"],
            "production": "; ".join(productions), "path": doc["path"],
            "text_source": row["text_source"], "ocr_confidence": row["ocr_confidence"],
            "error": row["error"], "text": row["text"],
            "annotations": json.loads(row["annotations"] or "{}")}
    if as_json:
        _print_json(info)
        return
    conf = f", OCR confidence {row['ocr_confidence']:.0f}" if row["ocr_confidence"] else ""
    click.echo(f"{doc['title']} · {info['production']} · p. {page} of {doc['page_count']}")
    click.echo(f"file: {doc['path']}\ntext from: {row['text_source']}{conf}")
    notes, boxes = info["annotations"], (info["annotations"].get("redactions") or {})
    found = [f"Bates {notes['bates']}" if notes.get("bates") else "",
             f"exemptions {', '.join(notes['exemptions'])}" if notes.get("exemptions") else "",
             f"{boxes['count']} redaction box{'es' if boxes['count'] != 1 else ''}"
             if boxes.get("count") else ""]
    if any(found):
        click.echo(" · ".join(f for f in found if f))
    for region in notes.get("ocr_regions") or []:  # a text+ocr page: pictures read by OCR
        x0, y0, x1, y1 = region["box"]
        click.echo(f"read by OCR: the picture at ({x0:.0f}, {y0:.0f})-({x1:.0f}, {y1:.0f}) pt, "
                   f"characters {region['chars'][0]}-{region['chars'][1]} of the text")
    if row["error"]:
        click.echo(f"error: {row['error']}")
    click.echo("-" * 72)
    click.echo(row["text"])


@cli.command()
@click.pass_context
def reindex(ctx: click.Context) -> None:
    """Rebuild the search index from the catalog (no OCR is redone).

    Derived PDFs that went missing (printed emails, bound load-file images) are made again
    first, from the originals, in worker processes.
    """
    settings = _settings(ctx)
    require_embedded(settings)
    made, failures = derived.remake_missing(settings)
    for failure in failures:
        click.echo(f"{failure.file}: {failure.error}", err=True)
    pages = rebuild_index(settings)
    made_again = f"; made {counted(made, 'derived PDF')} again" if made else ""
    click.echo(f"reindexed {counted(pages, 'page')}{made_again}")
    if failures:
        ctx.exit(ExitCode.partial)


@cli.command()
@click.pass_context
def check(ctx: click.Context) -> None:
    """Check that tesseract and its languages are installed and the index is healthy."""
    found = health.findings(_settings(ctx))
    for label, text in found:
        click.echo(f"{label:12} {text}")
    if any(label == health.ERROR for label, _ in found):
        ctx.exit(ExitCode.missing_dependency)


@cli.command()
@click.option("--concurrency", type=click.IntRange(min=1), default=None,
              help="Pages read at once (default: one per core).")
@broker_option
@click.pass_context
def worker(ctx: click.Context, concurrency: int | None, broker_url: str | None) -> None:
    """Read pages for any `archive add` using the same queue, until stopped (Ctrl-C).

    \b
    ARCHIVE_BROKER_URL=redis://queue.example:6379/0 archive worker --concurrency 8

    This machine needs the same archive and tesseract versions and languages as the
    archive's, and scans/ at the same path (or ARCHIVE_SCANS). It never writes the archive.
    """
    from archive.read import tasks

    settings = _broker_settings(ctx, broker_url)
    tasks.run_worker(settings, concurrency or settings.workers)


@cli.command()
@broker_option
@click.option("--json", "as_json", is_flag=True, help="Print the workers as JSON.")
@click.pass_context
def workers(ctx: click.Context, broker_url: str | None, as_json: bool) -> None:
    """List the connected page workers, their pages read and rate, and the queue's depth.

    \b
    ARCHIVE_BROKER_URL=redis://queue.example:6379/0 archive workers
    """
    from archive.read import tasks

    found = tasks.status(_broker_settings(ctx, broker_url))
    if as_json:
        _print_json(found)
        return
    for w in found["workers"]:
        refuses = f"  REFUSES: {w['refuses']}" if w["refuses"] else ""
        click.echo(f"{w['name']:40} concurrency {w['concurrency']}  "
                   f"{counted(w['pages'], 'page')}  "
                   f"{w['pages_per_second']} pages/s since it started{refuses}")
    click.echo(f"{counted(len(found['workers']), 'worker')} connected; "
               f"{counted(found['queued'], 'page')} queued")


def _broker_settings(ctx: click.Context, broker_url: str | None) -> Settings:
    settings = _reload(ctx, broker_url=broker_url)
    if not settings.broker_url:
        raise click.UsageError("no queue: set ARCHIVE_BROKER_URL or give --broker-url "
                               "redis://HOST:6379/0")
    return settings


@cli.group()
def users() -> None:
    """Editors and admins of the reading room's signed-in side."""


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(accounts.ROLES), default="editor", show_default=True,
              help="editor: upload, edit, withdraw; admin: also read the audit log.")
@click.pass_context
def users_add(ctx: click.Context, name: str, role: str) -> None:
    """Add a user and print a password for them, shown this once.

    \b
    archive users add alice
    archive users add bob --role admin
    """
    password = accounts.add_user(_settings(ctx), name, role)
    click.echo(f"added {role} {name}; password (shown once): {password}")


@users.command("token")
@click.argument("name")
@click.pass_context
def users_token(ctx: click.Context, name: str) -> None:
    """Print a new API token for a user, shown this once (only its hash is kept).

    \b
    archive users token alice
    curl -H "Authorization: Bearer TOKEN" -F production=... -F files=@a.pdf \\
         http://127.0.0.1:8080/api/productions
    """
    click.echo(accounts.issue_token(_settings(ctx), name))


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback shows the archive to your "
                   "network: reading needs no login (editors sign in to change things).")
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True,
              help="Port to listen on.")
@click.option("--threads", type=click.IntRange(1, 64), default=8, show_default=True,
              help="Requests served at once by each process.")
@click.option("--processes", type=click.IntRange(0, 256), default=None,
              help="Server processes sharing the port, each searching on a core of its own "
                   "(default: ARCHIVE_SERVE_PROCESSES, else one per core).")
@click.option("--tag-process", is_flag=True, hidden=True,
              help="Tests only: name the serving process in an X-Archive-Process header.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, threads: int,
          processes: int | None, tag_process: bool) -> None:
    """Serve the reading room (search, page viewer, JSON API) with waitress.

    \b
    archive serve                  # then open http://127.0.0.1:8080
    archive serve --port 9000
    archive serve --processes 4    # 4 processes on the one port (default: one per core)

    The public side is read-only; editors (`archive users add`) sign in at /login to upload,
    edit and withdraw. For development: flask --app web run
    """
    from web.server import is_loopback, serve_processes
    from web.server import serve as run_server

    settings = _settings(ctx)
    require_embedded(settings)
    if not is_loopback(host):
        click.echo(f"warning: listening on {host}: anyone who can reach this machine can "
                   "read the archive", err=True)
    shown = f"[{host}]" if ":" in host else host
    count = serve_processes(settings, processes)
    click.echo(f"Reading room for {settings.home} at http://{shown}:{port}/ "
               f"({counted(count, 'process', 'processes')}; Ctrl+C to stop)")
    try:
        run_server(settings, host=host, port=port, threads=threads, processes=count,
                   tag_process=tag_process)
    except KeyboardInterrupt:
        click.echo("stopped")


def main() -> None:
    """Run the CLI, turning archive errors into one-line messages and exit codes."""
    try:
        code = cli.main(standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        sys.exit(ExitCode.usage)
    except click.exceptions.Abort:
        click.echo("interrupted; run the same command again to resume", err=True)
        sys.exit(130)
    except ArchiveError as exc:
        click.echo(f"archive: {exc.message}", err=True)
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)
