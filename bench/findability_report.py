"""Findability benchmark, the report: classes and their goals, why a phrase was missed, the
per-class table (see bench/findability.py)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import findability_phrases as fp

CLASSES = {  # key: (label, at most so many phrases, goals: exact, tolerant, precision, not OCR'd)
    "text_layer": ("a text-layer pages", 60, (1.0, 1.0, None, True)),
    "ocr": ("b OCR'd pages", 56, (0.95, 0.98, 0.9, False)),
    "hybrid": ("c hybrid pages", 35, (1.0, 1.0, None, False)),
    "numbered": ("d line-numbered pages", 60, (1.0, 1.0, None, False)),
    "numbered_scan": ("d' line-numbered scan", 15, (0.95, 0.98, 0.9, False)),
    "page_break": ("e page-break phrases", 40, (0.95, 0.95, None, False)),
    "page_break_notes": ("e' page break after footnotes", 20, (0.95, 0.95, None, False)),
    "short": ("f short born-digital pages", 30, (1.0, 1.0, None, True)),
}
OCR_ACCURACY = 0.949  # bench/ocr_accuracy.py on the same 7 pages (README, 2026-11-28)


def diagnose(outcome: fp.Outcome, stored: dict[tuple[str, int], list[str]]) -> str:
    """Why a phrase was missed, from the page text the archive stored."""
    phrase = outcome.phrase
    if outcome.error:
        return f"query failed: {outcome.error}"
    text = [w for page in (phrase.pages or (phrase.page,))
            for w in stored.get((phrase.file, page), [])]
    if not text:
        return "the page has no stored text"
    if len(phrase.pages) == 2:  # across a page break: what lies between, as stored
        first, second = (stored.get((phrase.file, p), []) for p in phrase.pages)
        return (f"stored: p{phrase.pages[0]} ends '{' '.join(first[-6:])}' | "
                f"p{phrase.pages[1]} begins '{' '.join(second[:12])}'")
    split = [f"{a}|{b}" for a, b in zip(text, text[1:], strict=False)
             if a.endswith(fp.SOFT_HYPHEN) and a[:-1] + b in phrase.words]
    if split:
        return "stored split by a soft hyphen at a line end: " + ", ".join(split)
    absent = [w for w in phrase.words if w not in text]
    in_sequence = not absent and fp.contains(text, phrase.words, tolerant=False)
    glued = [t for t in text for w in (absent or phrase.words) if not w.isdigit()
             and re.fullmatch(rf"\d+{re.escape(w)}|{re.escape(w)}\d+", t)]
    if glued and not in_sequence:
        return "stored glued to a footnote mark: " + ", ".join(dict.fromkeys(glued))
    if absent:
        return "not in the stored text: " + ", ".join(absent)
    if in_sequence:
        if not outcome.exact_total:
            hint = " (the query's ' against the page's \u2019?)" if "'" in phrase.text else ""
            return f"in the stored text (quotes and case folded), yet no page matches{hint}"
        return f"in the stored text, not in the top 10 of {outcome.exact_total} pages"
    best = max(range(len(text)), key=lambda i: _agree(text, i, phrase.words))
    return "stored: " + " ".join(text[best:best + len(phrase.words) + 2])


def _agree(text: list[str], start: int, words: Sequence[str]) -> int:
    n = 0
    while n < len(words) and start + n < len(text) and text[start + n] == words[n]:
        n += 1
    return n


# --------------------------------------------------------------------------- report


def report(outcomes: list[fp.Outcome], pages: dict[str, dict[str, int]],
           ocr: dict[str, Any], misses: int) -> dict[str, Any]:
    """The per-class table, the misses and the OCR accuracy, printed; returned for --json."""
    tolerant = any(o.tolerant is not None for o in outcomes)
    rows: dict[str, Any] = {}
    print(f"\n{'class':<29}{'n':>4}{'exact':>8}{'tolerant':>10}{'precision':>16}"
          f"{'OCR pages':>11}  goals (exact / tolerant / precision)")
    for cls, (label, _, goals) in CLASSES.items():
        row = fp.summarize([o for o in outcomes if o.phrase.cls == cls])
        row["label"], row["pages"] = label, pages.get(cls, {})
        row["goals"] = _goals(row, goals, tolerant)
        rows[cls] = row
        print(f"{label:<29}{row['n']:>4}{_pct(row['exact']):>8}"
              f"{_pct(row['tolerant']) if tolerant else 'n/a':>10}"
              f"{_precision(row) if tolerant else 'n/a':>16}"
              f"{row['pages'].get('ocr', 0):>6}/{row['pages'].get('all', 0):<4}  "
              f"{row['goals']['text']}")
    if not tolerant:
        print("tolerant mode: not available (archive.search.query.search has no `tolerant`)")
    print("\nfound per file (exact" + (", tolerant" if tolerant else "") + " / phrases):")
    for cls in CLASSES:
        mine = [o for o in outcomes if o.phrase.cls == cls]
        counts = {}
        for o in mine:
            c = counts.setdefault(Path(o.phrase.file).name, [0, 0, 0])
            c[0], c[1], c[2] = c[0] + o.exact, c[1] + bool(o.tolerant), c[2] + 1
        rows[cls]["by_file"] = counts
        print(f"  {cls:<17}" + ", ".join(
            f"{name} {e}{f',{t}' if tolerant else ''}/{n}" for name, (e, t, n) in counts.items()))
    kept = ocr["bow"] is not None and round(ocr["bow"], 3) >= OCR_ACCURACY
    ocr["kept"] = kept
    print(f"\nOCR word accuracy of the archive's OCR on {ocr['pages']} hand-transcribed pages "
          f"(bench/ocr_accuracy.py metric): {_pct(ocr['bow'])} mean per page "
          f"({_pct(ocr['bow_micro'])} pooled); bench/ocr_accuracy.py's figure in the README: "
          f"{OCR_ACCURACY:.1%}: {'kept' if kept else 'DROPPED'}")
    for cls, (label, _, goals) in CLASSES.items():
        if goals[3] and pages.get(cls, {}).get("ocr"):
            print(f"{label}: OCR'd although born digital: {', '.join(pages[cls]['ocr_read'])}")
    missed = [o for o in outcomes if not o.exact or o.tolerant is False]
    print(f"\nmisses ({len(missed)}; the first {misses} per class):")
    for cls in CLASSES:
        for o in [o for o in missed if o.phrase.cls == cls][:misses]:
            modes = "/".join(m for m, ok in (("exact", o.exact), ("tolerant", o.tolerant))
                             if ok is False)
            print(f"  {cls:<17}{modes:<15}{o.phrase.file} p{o.phrase.page}  "
                  f"\"{o.phrase.text}\"  -- {o.why}")
    return {"classes": rows, "ocr_word_accuracy": ocr, "tolerant_available": tolerant,
            "phrases": [{"class": o.phrase.cls, "file": o.phrase.file, "page": o.phrase.page,
                         "phrase": o.phrase.text, "exact": o.exact, "tolerant": o.tolerant,
                         "extra_right": o.extra_right, "extra_wrong": o.extra_wrong}
                        for o in outcomes],
            "misses": [{"class": o.phrase.cls, "file": o.phrase.file, "page": o.phrase.page,
                        "phrase": o.phrase.text, "exact": o.exact, "tolerant": o.tolerant,
                        "why": o.why, "exact_top": o.exact_top} for o in missed]}


def _goals(row: dict[str, Any], goals: tuple, tolerant: bool) -> dict[str, Any]:
    exact_goal, tolerant_goal, precision_goal, text_layer = goals
    checks = {"exact": (row["exact"], exact_goal)}
    if tolerant:
        checks["tolerant"] = (row["tolerant"], tolerant_goal)
        if precision_goal is not None:
            checks["precision"] = (row["precision"], precision_goal)
    met = {name: value is not None and value >= goal - 1e-9
           for name, (value, goal) in checks.items()}
    if text_layer:  # read from the text layer: no page OCR'd
        met["not OCR'd"] = not row["pages"].get("ocr")
    wanted = f"{exact_goal:.0%} / {tolerant_goal:.0%}" + (
        f" / {precision_goal}" if precision_goal is not None else "") + (
        " / no OCR" if text_layer else "")
    verdict = ", ".join(f"{name} {'met' if ok else 'NOT met'}" for name, ok in met.items())
    return {"met": met, "text": f"{wanted}: {verdict}" if row["n"] else "no phrases"}


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _precision(row: dict[str, Any]) -> str:
    extras = row["extra_right"] + row["extra_wrong"]
    return "no extra" if not extras else f"{row['precision']:.2f} ({row['extra_right']}/{extras})"
