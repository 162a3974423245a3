"""Totals exact up to ARCHIVE_COUNT_EXACT_UP_TO and estimated beyond, on a real index:
flagged as estimates in the results, the JSON, the reading room and the CLI, with facets
estimated alike; hostile queries still stopped by the deadline."""

from __future__ import annotations

import dataclasses

import pytest
from click.testing import CliRunner

from archive.cli import cli
from archive.config import Settings
from archive.errors import SearchTimeoutError
from archive.search import index
from archive.search.query import open_searcher, search

PAGES = 1500  # over the sample taken before an estimate may stop the count


def _text(n: int) -> str:
    # Every page holds "sally", "port", "bravo" and "charlie"; "sally port" stands on the
    # even pages only ("port sally" on the others), "bravo charlie" on 30 pages only.
    words = ["sally", "port"] if n % 2 == 0 else ["port", "sally"]
    tail = ["bravo", "charlie"] if n % 50 == 0 else ["charlie", "and", "bravo"]
    extra = ["rikers", "island"] if n % 75 == 0 else []
    return " ".join(["memo", *words, "of", *tail, *extra, "detainer"])


@pytest.fixture
def big(settings: Settings) -> Settings:
    """1,500 pages in three segments and two productions."""
    ix = index.open_or_create(settings.whoosh_dir)
    n = 0
    for batch in range(3):
        with index.writer(ix) as w:
            for d in range(10):
                slug = ("ice", "ntsb")[d % 2]
                doc = {"doc_id": f"{batch}{d}".ljust(16, "0"), "title": "memo", "kind": "pdf",
                       "page_count": 50, "productions": [{"slug": slug, "name": slug}]}
                pages = []
                for p in range(1, 51):
                    pages.append({"page_no": p, "text": _text(n), "text_source": "ocr"})
                    n += 1
                index.add_pages(w, doc, pages)
    assert n == PAGES
    return settings


def _bounded(settings: Settings, up_to: int) -> Settings:
    return dataclasses.replace(settings, count_exact_up_to=up_to)


def test_totals_exact_below_the_bound(big: Settings) -> None:
    with open_searcher(big) as searcher:
        found = search(searcher, '"sally port"', _bounded(big, 10_000), pagelen=10)
    assert (found.total, found.total_is_estimate) == (750, False)
    assert found.facets["production"] == {"ice": 375, "ntsb": 375}
    assert found.to_json()["total_is_estimate"] is False


def test_totals_estimated_and_flagged_above_the_bound(big: Settings) -> None:
    settings = _bounded(big, 100)
    with open_searcher(settings) as searcher:
        found = search(searcher, '"sally port"', settings, pagelen=10)
        again = search(searcher, '"sally port"', settings, pagelen=10, page=2)
    assert found.total_is_estimate and found.to_json()["total_is_estimate"] is True
    assert abs(found.total - 750) <= 0.1 * 750  # a sample of the 1,500 candidates
    assert again.total == found.total  # the same sample: paging keeps the same total
    # the facets are the same sample's counts, scaled as the total is
    by_production = found.facets["production"]
    assert set(by_production) == {"ice", "ntsb"}
    assert abs(sum(by_production.values()) - found.total) <= len(by_production)
    # the top hits are still exact: every one of them says "sally port"
    assert len(found.hits) == 10 and all("<mark>sally port</mark>" in h.excerpt.lower()
                                         or "<mark>sally</mark> <mark>port</mark>"
                                         in h.excerpt.lower() for h in found.hits)


def test_small_result_sets_stay_exact_under_a_low_bound(big: Settings) -> None:
    settings = _bounded(big, 100)
    with open_searcher(settings) as searcher:
        # 30 matching pages among 1,500 holding both words: every candidate is checked
        rare = search(searcher, '"bravo charlie"', settings, pagelen=10)
        # single words and ANDs need no position check: always counted exactly
        word = search(searcher, "detainer", settings, pagelen=10)
        both = search(searcher, '"rikers island" AND memo', settings, pagelen=10)
    assert (rare.total, rare.total_is_estimate) == (30, False)
    assert (word.total, word.total_is_estimate) == (PAGES, False)
    assert (both.total, both.total_is_estimate) == (20, False)


def test_estimate_shown_as_about_in_the_reading_room_api_and_cli(big: Settings,
                                                                  monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from web import create_app

    client = create_app({"ARCHIVE_SETTINGS": _bounded(big, 100), "TESTING": True}).test_client()
    page = client.get("/search?q=%22sally+port%22")
    assert page.status_code == 200
    assert '<span class="estimate"' in page.get_data(as_text=True)
    assert "about</span> <strong>" in page.get_data(as_text=True)
    data = client.get("/api/search?q=%22sally+port%22").json
    assert data["total_is_estimate"] is True and data["total"] > 100
    exact = client.get("/api/search?q=%22bravo+charlie%22").json
    assert (exact["total"], exact["total_is_estimate"]) == (30, False)
    assert 'class="estimate"' not in client.get("/search?q=%22bravo+charlie%22").get_data(
        as_text=True)

    monkeypatch.setenv("ARCHIVE_COUNT_EXACT_UP_TO", "100")
    result = CliRunner().invoke(cli, ["--home", str(big.home), "search", '"sally port"'])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("about ")


def test_hostile_phrase_stopped_by_the_deadline(big: Settings) -> None:
    settings = dataclasses.replace(big, search_deadline=1e-9, count_exact_up_to=0)
    with open_searcher(settings) as searcher, pytest.raises(SearchTimeoutError):
        search(searcher, '"sally port of charlie and bravo" OR "port sally of bravo"', settings)
