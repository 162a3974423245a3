#!/usr/bin/env python3
"""Rebuild ocr_pages.json: the archive's own reading (OCR) of the public-domain labelled pages.

The hand-labelled sample (labels.json) includes image-only pages; OCR'ing them in every test
run would take minutes, so their text and word boxes are cached here, produced by the same
code path as `archive add` (archive.read.worker.read_page: render at 300 dpi, tesseract eng+Latin,
orientation detection when confidence is low). Only US federal records (public domain) and
the project's own reconstruction are cached; Chicago pages are never copied into the repo.

Run from the repo root:  python tests/resources/labelled/make_ocr_fixture.py
"""

from __future__ import annotations

import json
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(REPO))

from archive.config import load_settings  # noqa: E402
from archive.read import ocr, worker  # noqa: E402

SOURCES = {  # fixture name -> file, relative to the repo
    "ntsb": REPO / "scans" / "ntsb-mu5735",
    "recon": REPO / "scans" / "reconstructed-ice-email",
}


def _files() -> list[tuple[str, Path, str]]:
    found = []
    for key, folder in SOURCES.items():
        for path in sorted(folder.rglob("*")):
            if path.suffix.lower() == ".pdf":
                found.append((f"{key}/{path.relative_to(folder)}", path, "pdf"))
            elif path.suffix.lower() == ".png":
                found.append((f"{key}/{path.relative_to(folder)}", path, "image"))
    return found


def _read(job: tuple[str, Path, str]) -> list[dict]:
    name, path, kind = job
    settings = load_settings(REPO, ocr_mode="auto")
    lang = ocr.usable_lang(settings.ocr_lang)
    probe = worker.probe_file(path, kind, settings)
    pages = []
    for n in range(1, probe.page_count + 1):
        page = worker.read_page(path, kind, name, n, settings, "auto", lang)
        pages.append({"file": name, "page": n, "text": page.text,
                      "words": [[round(v, 1) for v in w[:4]] + [w[4]] for w in page.words],
                      "width": round(page.width, 2), "height": round(page.height, 2),
                      "text_source": page.text_source})
    return pages


def main() -> None:
    with ProcessPoolExecutor(max_workers=2) as pool:
        pages = [p for chunk in pool.map(_read, _files()) for p in chunk]
    out = HERE / "ocr_pages.json"
    out.write_text(json.dumps({"pages": pages}, ensure_ascii=False, indent=0) + "\n")
    print(f"wrote {len(pages)} pages to {out}")


if __name__ == "__main__":
    main()
