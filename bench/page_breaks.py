#!/usr/bin/env python3
"""Phrases across page breaks: how many are found, and what the bridges cost.

Usage::

    python bench/page_breaks.py                 # findability on the corpus + cost, 2,000 pages
    python bench/page_breaks.py --pages 5000
    python bench/page_breaks.py --pages 0       # findability only

Findability: the multi-page born-digital records of ../shared/corpus (court opinions with
running stamps, page numbers and alternating running heads) are added as `archive add`
adds them; at every page break a phrase of the last 2 words of a page's body and the first
2 of the next page's body is searched. The bodies come from running lines written down by
hand for each document below (not from archive/foia/running.py, which is what is
measured). Found: the hit list holds the page where the phrase starts. Wrong: phrases of a
page's last 2 body words and the first 2 words of the next page's running head (or the
page's own running foot), which only exist if a running line is read as the sentence,
must find nothing.

Cost: one synthetic document of `--pages` pages (~400 words, a letterhead, "Page N of M"
and a Bates stamp each) written to a fresh index with and without bridges (one commit, as
`IndexBatch` writes a document), and phrase queries timed with and without the bridge
half of the query. CPU time of this process (the machine is shared: wall time would
measure the neighbours).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from archive.catalog import Catalog  # noqa: E402
from archive.config import Settings, load_settings  # noqa: E402
from archive.foia import running  # noqa: E402
from archive.ingest.pipeline import add_production  # noqa: E402
from archive.search import crossing, index  # noqa: E402
from archive.search.query import open_searcher, search  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus" / "foia_pdfs" / "gov_born_digital"
# Each document's running lines, written by hand from its pages (regexes on a whole line).
RUNNING = {
    "ca1_00117684624.pdf": [r"Case: 20-1507 .*Entry ID: 6390389", r"- \d+ -"],
    "missouri.pdf": [r"\d+"],
    "vector-pdf.pdf": [r"\d+", r"Cite as: 569 U\. S\. ____ \(2013\)",
                       r"TARRANT REGIONAL WATER DIST\. v\. HERRMANN",
                       r"Opinion of the Court", r"Syllabus"],
}
NOTES = "——————"  # the Supreme Court's rule over footnotes
SOFT = "\xad"  # the soft hyphen typeset PDFs break words with
_WORD = re.compile(r"\w+(?:['’]\w+)*")
OUT = REPO / "bench" / "out"


def true_parts(text: str, patterns: list[str]) -> tuple[list[str], list[str], list[str]]:
    """A page's running head words, body words, running foot words, by the hand-written
    patterns: running lines at the edges, blank lines skipped, footnotes left out."""
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    if NOTES in lines:  # footnotes under the rule: not where the sentence runs on
        lines = lines[:len(lines) - lines[::-1].index(NOTES) - 1]
    runs = [any(re.fullmatch(p, line) for p in patterns) for line in lines]
    first = next((i for i, r in enumerate(runs) if not r), len(lines))
    last = next((i for i in range(len(lines) - 1, -1, -1) if not runs[i]), -1)
    words = [_WORD.findall(line) for line in lines]
    # a word soft-hyphenated at a line end is one word; at the body's end "word\xad"
    body = _WORD.findall(re.sub(r"\xad\n", "", "\n".join(lines[first:last + 1])))
    if last >= first and lines[last].endswith("\xad"):
        body[-1] += SOFT
    return ([w for ws in words[:first] for w in ws], body,
            [w for ws in words[last + 1:] for w in ws])


def findability(work: Path) -> dict[str, object]:
    """Add the corpus documents and search a phrase over each page break."""
    folder = work / "in"
    folder.mkdir(parents=True)
    for name in RUNNING:
        shutil.copy(CORPUS / name, folder / name)
    settings = load_settings(work / "home", jobs=1, ocr_mode="never", ocr_lang="eng")
    assert not add_production([folder], settings, production="Corpus").failed
    found = tried = wrong = negatives = 0
    misses: list[str] = []
    with Catalog(settings.catalog_path, readonly=True) as catalog:
        docs = {row["title"]: row["doc_id"] for row in catalog.documents()}
        for name, patterns in RUNNING.items():
            doc_id = docs[Path(name).stem]
            parts = [true_parts(row["text"], patterns) for row in catalog.pages(doc_id)]
            for page, (here, after) in enumerate(zip(parts, parts[1:], strict=False), 1):
                body, next_head, next_body = here[1], after[0], after[1]
                if len(body) < 2 or len(next_body) < 2:
                    continue
                tried += 1
                if body[-1].endswith(SOFT):  # one word over the break
                    phrase = " ".join([body[-2], body[-1][:-1] + next_body[0], *next_body[1:3]])
                else:
                    phrase = " ".join(body[-2:] + next_body[:2])
                hits = _pages(settings, doc_id, phrase)
                if page in hits:
                    found += 1
                else:
                    misses.append(f"{name} p. {page}: {phrase}")
                for joined in (body[-2:] + next_head[:2], body[-2:] + here[2][:2]):
                    if len(joined) == 4:
                        negatives += 1
                        wrong += bool(_pages(settings, doc_id, " ".join(joined)))
    return {"breaks": tried, "found": found, "found_share": round(found / max(tried, 1), 3),
            "through_running_lines": negatives, "wrongly_found": wrong, "misses": misses}


def _pages(settings: Settings, doc_id: str, phrase: str) -> set[int]:
    with open_searcher(settings) as searcher:
        results = search(searcher, f'"{phrase}"', settings, pagelen=100)
    return {h.page for h in results.hits if h.doc_id == doc_id}


def synthetic_pages(count: int, seed: int = 11) -> list[dict[str, object]]:
    """Pages of a long released document: letterhead, 400 words drawn from a Zipf
    vocabulary of 50,000, page number, Bates stamp."""
    rng = random.Random(seed)
    vocabulary = ["sally", "port", "detainer"] + [f"w{n}" for n in range(50_000)]
    weights = [1 / (rank + 10) for rank in range(len(vocabulary))]  # Zipf, as words are
    pages = []
    for n in range(1, count + 1):
        words = rng.choices(vocabulary, weights, k=400)
        lines = [" ".join(words[i:i + 12]) for i in range(0, 400, 12)]
        text = "\n".join(["U.S. Department of Homeland Security", "Immigration and Customs "
                          "Enforcement", *lines, f"Page {n} of {count}", f"DHS-{n:08d}"])
        pages.append({"page_no": n, "text": text, "text_source": "text"})
    return pages


def _unbridged(q: object, closed: frozenset[str] = frozenset()) -> object:
    """`crossing.across_pages` left out: the phrase query as it was before bridges."""
    return q


def cost(work: Path, count: int) -> dict[str, object]:
    """Seconds to write one document of `count` pages with and without bridges, and
    phrase query times with and without the bridge half."""
    pages = synthetic_pages(count)
    doc = {"doc_id": "bench", "title": "bench", "kind": "pdf", "page_count": count,
           "productions": [{"slug": "b", "name": "B"}]}
    texts = [str(p["text"]) for p in pages]
    started = time.process_time()
    running.bodies(texts)
    detect = time.process_time() - started
    timings: dict[str, list[float]] = {"without": [], "with": []}
    keep = index.page_bridges
    for label in ("without", "with", "without", "with"):  # alternated: the machine is shared
        if label == "without":
            index.page_bridges = lambda found: [""] * len(found)  # type: ignore[assignment]
        shutil.rmtree(work / f"ix-{label}", ignore_errors=True)
        ix = index.recreate(work / f"ix-{label}")
        started = time.process_time()
        with index.writer(ix) as w:
            index.add_pages(w, doc, pages)  # type: ignore[arg-type]
        timings[label].append(time.process_time() - started)
        index.page_bridges = keep
    settings = load_settings(work / "qhome")
    shutil.copytree(work / "ix-with", settings.whoosh_dir)
    queries = ['"sally port"', '"port detainer"', '"w17 w170"', '"w5 w6 w7"']
    latency: dict[str, list[float]] = {"without": [], "with": []}
    keep_rewrite = crossing.across_pages
    with open_searcher(settings) as searcher:
        for _ in range(7):
            for label, rewrite in (("with", keep_rewrite), ("without", _unbridged)):
                crossing.across_pages = rewrite  # type: ignore[assignment]
                for q in queries:
                    started = time.process_time()
                    search(searcher, q, settings)
                    latency[label].append(time.process_time() - started)
    crossing.across_pages = keep_rewrite
    per_page = {label: round(min(found) / count * 1000, 3) for label, found in timings.items()}
    p50 = {label: round(statistics.median(found) * 1000, 2) for label, found in latency.items()}
    return {"pages": count,
            "detector_cpu_ms_per_page": round(detect / count * 1000, 3),
            "write_cpu_ms_per_page_without": per_page["without"],
            "write_cpu_ms_per_page_with": per_page["with"],
            "phrase_query_p50_cpu_ms_without": p50["without"],
            "phrase_query_p50_cpu_ms_with": p50["with"]}


def main() -> None:
    """Run both parts and print (and save) the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=2000,
                        help="pages of the cost part (0: findability only)")
    args = parser.parse_args()
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        if CORPUS.is_dir():
            results["findability"] = findability(Path(tmp) / "corpus")
        else:
            print(f"{CORPUS} is absent: findability skipped", file=sys.stderr)
        if args.pages:
            results["cost"] = cost(Path(tmp), args.pages)
    OUT.mkdir(exist_ok=True)
    (OUT / "page_breaks.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
