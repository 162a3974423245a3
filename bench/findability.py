#!/usr/bin/env python3
"""Findability (issue 11): is a phrase a reader sees on a page found on that page?

Usage::

    python bench/findability.py [--seed 11] [--misses 15] [--json [PATH]] [--rebuild]

Builds an archive of real documents from ../shared/corpus with the real pipeline
(`archive.ingest.pipeline.add_production`, the code of `archive add`: text layers, OCR where
the archive decides it is needed) into a temporary ARCHIVE_HOME, then searches it through
`archive.search.query.search` (the code of `archive search` and the reading room), top 10
hits per phrase. Exact mode is today's phrase search (`"w1 w2 w3"`); tolerant mode is the
same call with `tolerant=True`, used when `search` has that keyword (inspect.signature),
else reported "n/a". The archive is cached in --cache (default /tmp/findability), keyed by
the input files, the archive's source and the tesseract version: a second run on the same
code only searches.

Classes (phrases: bench/findability_phrases.py explains the sampling and the judge):

* a text_layer: real born-digital pages (court opinions, a complaint, agency letters and
  tables): windows of 3-6 words inside one text block.
* b ocr: the 7 hand-transcribed scanned pages of ocr_ground_truth/scribe_pages, added as
  PNGs; phrases from the transcription, searched in what our OCR made of them.
* c hybrid: derived. A real born-digital page (HYBRID_BASES in findability_corpus.py) with
  its lower 70 % blanked by a redaction (its text removed) and a scribe page image inserted
  there as a figure (PyMuPDF `insert_image`); phrases from the picture's transcription.
* d numbered: derived. Real transcribed text set on 28 numbered lines a page (Courier 12,
  24 pt apart): deposition_01's transcript with the number printed just left of each line,
  and filing_01's complaint followed by the body of pages 1-2 of the real Cook County
  complaint, rewrapped on pleading paper (numbers in a margin left of a double rule);
  phrases span a line break, so a line number lies between their words in the text layer.
* d' numbered_scan: the real scanned 4-up deposition (deposition_01, 25 numbered lines a
  quarter), phrases spanning two transcript lines; scored against the OCR goals.
* e page_break: real multi-page documents with running headers, footers and page stamps (a
  Supreme Court slip opinion, a Missouri opinion, a Cook County complaint, two Chicago PD
  response letters, and a First Circuit opinion that, derived, carries a Bates number
  stamped on each page's bottom right as producing parties stamp them:
  `CA1-FOIA-004101`...): the last 1-5 words of page N's body and the first words of page
  N+1's body (headers, footers, page numbers, Bates and footnotes left out), for pages whose
  body runs on (page N's last body line has 5+ words and does not end a sentence). Found
  when the hit is page N or N+1.
* e' page_break_notes: the same, where footnotes lie between the two parts.
* f short: real born-digital pages of a few words and no image (an exhibit slip sheet,
  one-line test pages; copied out of their files with PyMuPDF `insert_pdf`), and, derived,
  the first line of 4+ words of six real documents set alone on a page (Helvetica 11). Such
  pages must be read from their text layer, not OCR'd.

Also in the archive: 6 scanned NTSB and Chicago PD pages nobody transcribed (distractors;
a tolerant extra hit there counts as wrong). The derived files are written by
`findability_corpus.make_examples` (deterministic: the same corpus gives the same bytes).

Reported per class: phrases, found in the top 10 (exact, tolerant), the tolerant mode's
precision (of the hits it adds beyond exact mode's top 10, the share on a page whose true
text holds the phrase up to OCR errors), pages OCR'd; the misses with file, page, phrase and
why (words absent from the stored text, a word split by a soft hyphen or glued to a footnote
mark, what lies between the words, what the stored text has across a page break); and the
OCR word accuracy (bench/ocr_accuracy.py's bag-of-words metric) of the archive's OCR of the
scribe pages in the same run. Exits 0 with a message when ../shared/corpus or tesseract is
absent.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import inspect
import json
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import findability_corpus as files  # noqa: E402
import findability_phrases as fp  # noqa: E402
import findability_report as rep  # noqa: E402
import ocr_accuracy  # noqa: E402
import pymupdf  # noqa: E402
from findability_report import CLASSES  # noqa: E402

import archive  # noqa: E402
from archive.catalog import Catalog  # noqa: E402
from archive.config import Settings, load_settings  # noqa: E402
from archive.errors import ArchiveError  # noqa: E402
from archive.ingest.pipeline import add_production  # noqa: E402
from archive.search.query import open_searcher, search  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus"
Truth = dict[tuple[str, int], list[str] | None]


# --------------------------------------------------------------------------- the archive


def _digest(paths: Sequence[Path], *extra: str) -> str:
    h = hashlib.sha256("\0".join(extra).encode())
    for path in paths:
        h.update(str(path).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


def prepare_inputs(corpus: Path, cache: Path) -> tuple[Path, list[files.Source]]:
    """The input files, made once per corpus and recipe."""
    cache.mkdir(parents=True, exist_ok=True)
    used = [corpus / rel for rel in files.corpus_files()]
    recipe = "".join(inspect.getsource(f) for f in files.RECIPE) + repr(files.RECIPE_DATA)
    inputs = cache / f"inputs-{_digest(used, str(files.RECIPE_VERSION), recipe)}"
    if not (inputs / "sources.json").exists():
        fresh = Path(tempfile.mkdtemp(prefix="making-", dir=cache))
        files.make_examples(corpus, fresh)
        try:
            fresh.rename(inputs)  # whole or absent, whoever else makes them
        except OSError:
            shutil.rmtree(fresh)
    return inputs, files.load_sources(inputs)


def build_archive(inputs: Path, cache: Path, jobs: int, rebuild: bool) -> tuple[Settings, dict]:
    """An archive of the inputs, built by `add_production` unless one for the same inputs,
    archive code and tesseract is cached."""
    import pytesseract

    code = sorted(Path(archive.__file__).parent.rglob("*.py"))  # the archive searched
    home = cache / f"home-{_digest(code, inputs.name, str(pytesseract.get_tesseract_version()))}"
    settings = load_settings(home, jobs=jobs, ocr_mode="auto")
    done = home / "findability-build.json"
    with (cache / f"{home.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another run building the same archive: wait
        if done.exists() and not rebuild:
            return settings, {**json.loads(done.read_text()), "cached": str(home)}
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
        start = time.perf_counter()
        folders = [inputs / name for name in ("real", "noise", "scans", "derived")]
        report = add_production(folders, settings, production="findability")
        build = {"seconds": round(time.perf_counter() - start, 1), "pages": report.pages,
                 "ocr_pages": report.ocr_pages,
                 "failed": [f"{f.file}: {f.error}" for f in report.failed]}
        done.write_text(json.dumps(build))
    return settings, build


# --------------------------------------------------------------------------- truth, phrases


def truths(inputs: Path, sources: list[files.Source], corpus: Path) -> tuple[Truth, dict]:
    """Every page's true words (None for the untranscribed scans) and, per source page, the
    segments and lines phrases are drawn from."""
    truth: Truth = {}
    parts: dict[tuple[str, int], dict[str, Any]] = {}
    for src in sources:
        if src.cls == "scan":
            lines = files.gt_lines(corpus, src.pictures[1])
            truth[(src.file, 1)] = [w for line in lines if line for w in line]
            parts[(src.file, 1)] = {"cls": src.cls, "lines": lines}
            continue
        with pymupdf.open(inputs / src.file) as doc:
            for page in doc:
                key = (src.file, page.number + 1)
                lines = files.page_lines(page)
                words = files.page_words(lines)
                part: dict[str, Any] = {"cls": src.cls, "segments": files.block_segments(lines)}
                if src.cls == "noise":
                    truth[key] = None
                    continue
                if page.number + 1 in src.pictures:
                    picture = files.gt_lines(corpus, src.pictures[page.number + 1])
                    words += [w for line in picture if line for w in line]
                    part["lines"] = picture
                if page.number + 1 in src.lines:
                    laid = files.normalized([ln.split() for ln in src.lines[page.number + 1]])
                    words = [w for line in laid for w in line]
                    part["lines"] = laid
                truth[key] = words
                parts[key] = part
    return truth, parts


def draw_phrases(truth: Truth, parts: dict, inputs: Path, seed: int) -> list[fp.Phrase]:
    """The phrases of every class, seeded per class (a class's phrases do not change when
    another class's recipe does)."""
    haystacks = [" " + " ".join(w) + " " for w in truth.values() if w]

    def pages_with(window: tuple[str, ...]) -> int:
        needle = " " + " ".join(window) + " "
        return sum(needle in h for h in haystacks)

    def rare(window: tuple[str, ...]) -> bool:
        return pages_with(window) <= fp.MAX_PAGES_WITH_PHRASE

    def rng(cls: str) -> random.Random:
        return random.Random(f"{seed}:{cls}")

    phrases: list[fp.Phrase] = []
    by_cls: dict[str, list[tuple[str, int]]] = {}
    for key, part in parts.items():
        by_cls.setdefault(part["cls"], []).append(key)
    # a: two windows a page, pages in a seeded order, until enough
    r = rng("text_layer")
    pages = sorted(by_cls.get("text", []))
    r.shuffle(pages)
    for file, page in pages:
        for window in fp.sample_windows(parts[(file, page)]["segments"], 2, r, rare):
            if len([p for p in phrases if p.cls == "text_layer"]) < CLASSES["text_layer"][1]:
                phrases.append(fp.Phrase("text_layer", file, page, window))
    # b, c: windows in the transcription's paragraphs (a numbered transcript: in one line)
    for cls, source_cls, each in (("ocr", "scan", 8), ("hybrid", "hybrid", 5)):
        r = rng(cls)
        for file, page in sorted(by_cls.get(source_cls, [])):
            lines = parts[(file, page)]["lines"]
            numbered = any(n in file for n in files.NUMBERED_SCANS)
            segments = fp.flow_segments((ln or [] for ln in lines),
                                        10**6 if numbered else fp.FLOW_WORDS)
            for window in fp.sample_windows(segments, each, r, rare):
                phrases.append(fp.Phrase(cls, file, page, window))
    # d, d': across a line break of a numbered page
    r = rng("numbered")
    for file, page in sorted(by_cls.get("numbered", [])):
        lines = parts[(file, page)]["lines"]
        for _, window in fp.sample_joins(list(zip(lines, lines[1:], strict=False)), 6, r, rare):
            phrases.append(fp.Phrase("numbered", file, page, window))
    r = rng("numbered_scan")
    for file, page in sorted(k for k in by_cls.get("scan", [])
                             if any(n in k[0] for n in files.NUMBERED_SCANS)):
        lines = parts[(file, page)]["lines"]
        pairs = [(a, b) for a, b in zip(lines, lines[1:], strict=False) if a and b]
        for _, window in fp.sample_joins(pairs, CLASSES["numbered_scan"][1], r, rare):
            phrases.append(fp.Phrase("numbered_scan", file, page, window))
    # e, e': on no single page (else a page could answer without the break being bridged)
    phrases += page_break_phrases(inputs, rng("page_break"), lambda w: not pages_with(w))
    # f: up to two windows of each short page's whole text
    r = rng("short")
    for file, page in sorted(by_cls.get("short", [])):
        for window in fp.sample_windows([truth[(file, page)] or []], 2, r, rare):
            phrases.append(fp.Phrase("short", file, page, window))
    capped: list[fp.Phrase] = []  # at most the class's count, in the order drawn
    for phrase in phrases:
        if sum(p.cls == phrase.cls for p in capped) < CLASSES[phrase.cls][1]:
            capped.append(phrase)
    return capped


def page_break_phrases(inputs: Path, r: random.Random, keep: Any) -> list[fp.Phrase]:
    """One phrase per page break whose body runs on (page N's last body word does not end a
    sentence), at most the class's count, pairs chosen in a seeded order."""
    breaks = []
    for file, allowed in files.PAGE_BREAK_DOCS.items():
        with pymupdf.open(inputs / file) as doc:
            parts = files.page_parts(doc)
        body = {n: [line for line, kind in lines if kind == "body"] for n, lines in parts.items()}
        numbers = [n for n in sorted(body) if allowed is None or n in allowed]
        for n in numbers[:-1]:
            if n + 1 not in body or not body[n] or not body[n + 1]:
                continue
            last = body[n][-1].words
            if len(last) < 5 or re.search(r"[.?!:;]['\"’”)]*$", last[-1]):
                continue  # a paragraph's end, a date or a signature line: nothing runs on
            left, right = files.normalized([[w for line in body[n][-2:] for w in line.words],
                                            [w for line in body[n + 1][:2] for w in line.words]])
            cls = "page_break_notes" if files.notes_after_body(parts[n]) else "page_break"
            breaks.append((cls, file, n, left, right))
    r.shuffle(breaks)
    phrases: list[fp.Phrase] = []
    for cls, file, n, left, right in breaks:
        if sum(p.cls == cls for p in phrases) >= CLASSES[cls][1]:
            continue
        for _, window in fp.sample_joins([(left, right)], 1, r, keep):
            phrases.append(fp.Phrase(cls, file, n, window, (n, n + 1)))
    return phrases


# --------------------------------------------------------------------------- searching


def run_queries(settings: Settings, phrases: list[fp.Phrase], file_of: dict[str, str],
                truth: Truth) -> list[fp.Outcome]:
    """Each phrase through `search`, top 10 per mode, judged."""
    tolerant = "tolerant" in inspect.signature(search).parameters
    outcomes = []
    with open_searcher(settings) as searcher:
        for phrase in phrases:
            errors: list[str] = []
            exact, total = _top(searcher, phrase, settings, file_of, errors)
            loose = (_top(searcher, phrase, settings, file_of, errors, tolerant=True)[0]
                     if tolerant else None)
            outcome = fp.judge(phrase, exact, loose, lambda f, p: truth.get((f, p)))
            outcome.error, outcome.exact_total = "; ".join(errors), total
            outcomes.append(outcome)
    return outcomes


def _top(searcher: Any, phrase: fp.Phrase, settings: Settings, file_of: dict[str, str],
         errors: list[str], **tolerant: bool) -> tuple[list[tuple[str, int]], int]:
    """(file, page) of the top hits and the number of pages matched; none when the query
    is refused (the error noted)."""
    mode = "tolerant: " if tolerant else "exact: "
    try:
        results = search(searcher, phrase.query, settings, pagelen=fp.TOP, **tolerant)
    except ArchiveError as exc:  # refused: the message says why
        errors.append(mode + str(exc).splitlines()[0])
        return [], 0
    except Exception as exc:  # a crash on one phrase is a miss, counted and shown
        errors.append(f"{mode}crashed: {type(exc).__name__}: {exc}")
        return [], 0
    hits = [(file_of.get(hit.doc_id, f"?{hit.doc_id}"), hit.page) for hit in results.hits]
    return hits, results.total


def stored_pages(settings: Settings, doc_ids: dict[str, str]) -> tuple[dict, dict]:
    """Every page's stored text and how it was read, by (file, page)."""
    text: dict[tuple[str, int], str] = {}
    source: dict[tuple[str, int], str] = {}
    with Catalog(settings.catalog_path, readonly=True) as catalog:
        for doc_id, file in doc_ids.items():
            for row in catalog.pages(doc_id):
                text[(file, row["page_no"])] = row["text"] or ""
                source[(file, row["page_no"])] = row["text_source"]
    return text, source


def ocr_accuracy_of(stored: dict[tuple[str, int], str], corpus: Path) -> dict[str, Any]:
    """bench/ocr_accuracy.py's bag-of-words accuracy of the archive's OCR of the scans."""
    items = {i.name: i for i in ocr_accuracy.load_corpus(corpus / files.GT)}
    scores = [ocr_accuracy.score(items[Path(file).stem], text)
              for (file, _), text in stored.items()
              if file.startswith("scans/") and Path(file).stem in items]
    if not scores:
        return {"pages": 0, "bow": None, "bow_micro": None}
    words = sum(s["n_gt"] for s in scores)
    return {"pages": len(scores), "bow": statistics.fmean(s["bow"] for s in scores),
            "bow_micro": 1 - sum(s["bow_err"] for s in scores) / words}


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    if args.json == "-":  # the JSON alone on stdout, the readable report on stderr
        with contextlib.redirect_stdout(sys.stderr):
            result = run(args)
        print(json.dumps(result, indent=1, default=str))
    else:
        result = run(args)
        if args.json:
            Path(args.json).write_text(json.dumps(result, indent=1, default=str),
                                       encoding="utf-8")
            print(f"results written to {args.json}")
    return 0


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/findability"),
                    help="where the inputs and the built archive are kept (default %(default)s)")
    ap.add_argument("--seed", type=int, default=11, help="phrase sampling seed (default 11)")
    ap.add_argument("--jobs", type=int, default=2, help="`add` worker processes (default 2)")
    ap.add_argument("--misses", type=int, default=15, help="misses listed per class")
    ap.add_argument("--rebuild", action="store_true", help="build the archive again")
    ap.add_argument("--json", nargs="?", const="-", metavar="PATH",
                    help="also write the results as JSON to PATH (stdout without PATH)")
    return ap.parse_args(argv)


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Build (or reuse) the archive, search every phrase, print the report; the results."""
    if not (args.corpus / files.GT).is_dir() or not (args.corpus / "foia_pdfs").is_dir():
        print(f"findability: skipped, {args.corpus} (../shared/corpus: foia_pdfs, "
              f"{files.GT}) not found")
        return {"skipped": "corpus not found"}
    if shutil.which("tesseract") is None:
        print("findability: skipped, tesseract is not installed (apt-get install tesseract-ocr)")
        return {"skipped": "tesseract not installed"}
    inputs, sources = prepare_inputs(args.corpus, args.cache)
    settings, build = build_archive(inputs, args.cache, args.jobs, args.rebuild)
    print(f"archive: {settings.home} ({'cached' if 'cached' in build else 'built'}; "
          f"{build['pages']} pages, {build['ocr_pages']} OCR'd, {build['seconds']} s to add)")
    for failure in build["failed"]:
        print(f"  FAILED {failure}")
    file_of = {hashlib.sha256((inputs / s.file).read_bytes()).hexdigest()[:16]: s.file
               for s in sources}
    truth, parts = truths(inputs, sources, args.corpus)
    phrases = draw_phrases(truth, parts, inputs, args.seed)
    print(f"phrases: seed {args.seed}, random 3-6 word windows of the true text, skipping "
          "windows under half content words and phrases on 4+ pages")
    start = time.perf_counter()
    outcomes = run_queries(settings, phrases, file_of, truth)
    stored, read_by = stored_pages(settings, file_of)
    stored_words = {key: ocr_accuracy.normalize_words(text) for key, text in stored.items()}
    for outcome in outcomes:
        if not outcome.exact or outcome.tolerant is False:
            outcome.why = rep.diagnose(outcome, stored_words)
    pages: dict[str, dict[str, int]] = {}
    for cls in CLASSES:
        keys = {(p.file, q) for p in phrases if p.cls == cls for q in (p.pages or (p.page,))}
        ocr_read = sorted(k for k in keys if read_by.get(k) == "ocr")
        pages[cls] = {"all": len(keys), "ocr": len(ocr_read),
                      "ocr_read": [f"{f} p{n}" for f, n in ocr_read]}
    print(f"{len(phrases)} phrases searched in {time.perf_counter() - start:.1f} s")
    accuracy = ocr_accuracy_of(stored, args.corpus)
    result = rep.report(outcomes, pages, accuracy, args.misses)
    result.update(seed=args.seed, archive=str(settings.home), build=build,
                  files=files.describe(sources), date=time.strftime("%Y-%m-%d"))
    return result


if __name__ == "__main__":
    sys.exit(main())
