#!/usr/bin/env python3
"""Precision and recall of Bates detection on real scans stamped as a producing party would.

Usage::

    python bench/bates_stamps.py [--jobs 2] [--reread] [--limit N] [--verbose]
    python bench/bates_stamps.py --compare /tmp/old_bates.py    # before/after, same readings
    python bench/bates_stamps.py --seed 7                       # held-out pages and stamps

../shared/corpus holds only two real Bates-stamped scans, so this makes more the way they
are made: a producing party's software burns a Bates number (and often a confidentiality
legend) into each page image of a released scan, or writes it onto the PDF page as text
(Acrobat's "Bates numbering"). Pages: a fixed, seeded selection of image-only pages from
../shared/corpus/foia_pdfs/ntsb_mu5735 (NTSB emails and response letter; the same files as
the repo's scans/ntsb-mu5735) and chicago_pd_foia (Chicago PD / Cook County releases),
taking the files in turn. (scans/reconstructed-ice-email is left out: it already carries a
Bates-like stamp.) When ../shared is absent, only the repo's scans/ntsb-mu5735 is used, and
the script says so.

Each stamped page varies, seeded: the format (`DHS-000123`, `2019-ICLI-00003 022454`,
`CITY-FREDDY 000123`, `CPD0001234`, `DEF 0012345`, `USAO-0001234`, ...), the font (the
Liberation faces stand in for Arial, Times and Courier; DejaVu), 8-12 pt, the corner
(bottom right, bottom centre, bottom left, top right) and inset, a legend beside, above or
across the page, "busy" placement on the same line as the page's own footer or header
text within an inch of the edge (with a white box behind the stamp, as stamping software
does), stamps drawn over whatever lies in the margin (signatures too), and how the page
leaves the producing party:

* clean    stamped at the scan's resolution, lossless, in a PDF;
* jpeg     the same saved as JPEG (quality 45-75) in a PDF;
* rescan   rendered at 300 dpi, stamped, turned 0.3-1.5 degrees, blurred, downsampled to
           200 dpi, speckled and binarised (a printed-and-rescanned page), as a PDF or a
           bilevel G4 TIFF (the usual image in a production with load files);
* vector   Acrobat-style: the stamp is text drawn on the PDF page over the scan.

Also read: the seven page images of ../shared/corpus/ocr_ground_truth/scribe_pages, two of
which are real released pages carrying their producing party's Bates stamps (UCSF Industry
Documents, opioid litigation) and five of which carry none; and, as more unstamped pages,
every ../shared/corpus PDF page (60 per file at most) whose own text layer the archive
keeps (born-digital releases, court filings: no OCR needed).

Every stamped page, every source page unstamped (the negatives: nothing may be found on
them) and the real pages are read through the archive's real path,
`archive.read.worker.read_page` (text layer or OCR, as `archive add` does), then
`archive.foia.bates.find` (what `archive.foia.annotate` stores). A detected number is right when
its key equals the label's letters and digits, uppercased (no look-alike repair on the
label side). Precision = right / all detections (stamped and unstamped pages); recall =
right / pages with a stamp. `--compare OLD_bates.py` scores another version of the
detector on the same readings; `--seed N` draws other pages and stamps (a held-out check
for changes tuned on the default seed).

Readings are cached by file hash in bench/out/bates_stamps/readings.json, so a change to
archive/foia/bates.py is re-scored in a second (`--reread` reads again). Stamped files, their
labels (truth.json) and the report are in bench/out/bates_stamps/seed-SEED/ (not versioned).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import io
import json
import random
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pymupdf
from PIL import Image, ImageDraw, ImageFilter, ImageFont

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from archive.config import load_settings  # noqa: E402
from archive.errors import ArchiveError  # noqa: E402
from archive.foia import bates  # noqa: E402
from archive.read import extract, ocr, worker  # noqa: E402

SHARED = REPO.parent / "shared" / "corpus" / "foia_pdfs"
OUT = REPO / "bench" / "out" / "bates_stamps"
SEED = 20261128
PER_ORIGIN = {"chicago": 22, "ntsb": 18}

_TTF = Path("/usr/share/fonts/truetype")
FONTS = {  # name: file; Liberation Sans/Serif/Mono are metric clones of Arial/Times/Courier
    "arial-bold": _TTF / "liberation/LiberationSans-Bold.ttf",
    "arial": _TTF / "liberation/LiberationSans-Regular.ttf",
    "arial-narrow-bold": _TTF / "liberation/LiberationSansNarrow-Bold.ttf",
    "times-bold": _TTF / "liberation/LiberationSerif-Bold.ttf",
    "times": _TTF / "liberation/LiberationSerif-Regular.ttf",
    "courier-bold": _TTF / "liberation/LiberationMono-Bold.ttf",
    "courier": _TTF / "liberation/LiberationMono-Regular.ttf",
    "dejavu-bold": _TTF / "dejavu/DejaVuSans-Bold.ttf",
}
PDF_FONTS = {"helvetica-bold": "hebo", "helvetica": "helv", "times-bold": "tibo",
             "courier-bold": "cobo"}  # the base-14 fonts Acrobat's Bates numbering offers
FORMATS = [  # (name, template): real producing parties' styles
    ("dhs", "DHS-{:06d}"),
    ("icli", "2019-ICLI-00003 {:06d}"),
    ("freddy", "CITY-FREDDY {:06d}"),
    ("cpd", "CPD{:07d}"),
    ("def", "DEF {:07d}"),
    ("usao", "USAO-{:07d}"),
    ("doi", "DOI-{:07d}"),
    ("oig", "OIG{:06d}"),
    ("ntsb", "NTSB-FOIA-{:06d}"),
    ("epa", "EPA-HQ-2019-{:06d}"),
    ("cook", "COOK_CTY_{:07d}"),
    ("ice", "ICE 2019-ICLI-00003-{:06d}"),
]
LEGENDS = ["CONFIDENTIAL", "CONFIDENTIAL - SUBJECT TO PROTECTIVE ORDER",
           "HIGHLY CONFIDENTIAL - ATTORNEYS' EYES ONLY", "Produced Pursuant to FOIA",
           "FOIA CONFIDENTIAL TREATMENT REQUESTED", "Subject to Protective Order"]


@dataclass
class Plan:
    """One stamped page: where it came from and how it was stamped (the label)."""

    id: str
    origin: str
    source: str
    page: int
    bates: str
    format: str
    font: str
    size: float
    position: str  # br, bc, bl, tr
    inset: tuple[float, float]  # inches from the side and from the bottom/top edge
    legend: str | None
    legend_place: str | None  # beside, opposite, above
    busy: bool
    mode: str  # clean, jpeg, rescan, vector
    file: str = ""
    box: list[float] = field(default_factory=list)  # the stamp's box in page points
    rotation: float = 0.0


def sources() -> list[tuple[str, Path, int]]:
    """(origin, file, page) of every image-only page available, sorted."""
    found: list[tuple[str, Path, int]] = []
    if SHARED.is_dir():
        ntsb = SHARED / "ntsb_mu5735"
        found += _pdf_pages("ntsb", sorted(ntsb.glob("*.pdf")))
        found += [("ntsb", p, 1) for p in sorted((ntsb / "response_letter_images").glob("*.png"))]
        found += _pdf_pages("chicago", sorted((SHARED / "chicago_pd_foia").glob("*.[pP][dD][fF]")))
    else:
        print(f"{SHARED} is absent: using only the NTSB release in the repo's scans/; "
              "figures are not comparable with a full run")
        ntsb = REPO / "scans" / "ntsb-mu5735"
        found += _pdf_pages("ntsb", sorted(ntsb.glob("*.pdf")))
        found += [("ntsb", p, 1) for p in sorted((ntsb / "response_letter").glob("*.png"))]
    return found


def _pdf_pages(origin: str, paths: list[Path]) -> list[tuple[str, Path, int]]:
    pages = []
    for path in paths:
        with pymupdf.open(path) as doc:
            pages += [(origin, path, page.number + 1) for page in doc
                      if len(page.get_text().strip()) < 20 and page.get_images()]
    return pages


def select(pool: list[tuple[str, Path, int]], rng: random.Random) -> list[tuple[str, Path, int]]:
    """A fixed number of pages per origin, taking files in turn so no long file dominates."""
    chosen = []
    for origin, wanted in PER_ORIGIN.items():
        by_file: dict[Path, list[int]] = defaultdict(list)
        for o, path, page in pool:
            if o == origin:
                by_file[path].append(page)
        files = sorted(by_file)
        rng.shuffle(files)
        for pages in by_file.values():
            rng.shuffle(pages)
        taken = 0
        while taken < wanted and any(by_file.values()):
            for path in files:
                if taken < wanted and by_file[path]:
                    chosen.append((origin, path, by_file[path].pop()))
                    taken += 1
    return chosen


def plan(index: int, origin: str, path: Path, page: int, counters: dict[str, int],
         rng: random.Random) -> Plan:
    """Draw one page's stamp."""
    fmt, template = rng.choice(FORMATS)
    counters.setdefault(fmt, rng.randrange(1, 40000))
    counters[fmt] += rng.randrange(1, 60)
    mode = rng.choices(["clean", "jpeg", "rescan", "vector"], [40, 15, 30, 15])[0]
    legend_place = rng.choices([None, "beside", "opposite", "above"], [50, 20, 15, 15])[0]
    position = rng.choices(["br", "bc", "bl", "tr"], [45, 25, 8, 22])[0]
    font = rng.choice(list(PDF_FONTS) if mode == "vector" else list(FONTS))
    return Plan(id=f"p{index:02d}", origin=origin, source=str(path), page=page,
                bates=template.format(counters[fmt]), format=fmt, font=font,
                size=rng.choice([8, 9, 10, 10, 11, 12]), position=position,
                inset=(round(rng.uniform(0.25, 0.7), 2), round(rng.uniform(0.2, 0.5), 2)),
                legend=rng.choice(LEGENDS) if legend_place else None,
                legend_place=legend_place, busy=rng.random() < 0.25, mode=mode)


def source_image(path: Path, page_no: int, dpi: float | None = None) -> tuple[Image.Image, float]:
    """The page as a grayscale image at its own resolution (or `dpi`), with that dpi."""
    if path.suffix.lower() == ".png":
        image = Image.open(path).convert("L")
        native = image.info.get("dpi", (image.width / 8.5,))[0]
        if dpi and abs(dpi - native) > 1:
            image = image.resize((round(image.width * dpi / native),
                                  round(image.height * dpi / native)), Image.Resampling.LANCZOS)
        return image, dpi or native
    with pymupdf.open(path) as doc:
        page = doc[page_no - 1]
        if dpi is None:
            largest = max(page.get_image_info(), key=lambda i: i["width"] * i["height"])
            bbox = pymupdf.Rect(largest["bbox"])
            native = 72 * max(largest["width"], largest["height"]) / max(bbox.width, bbox.height)
            dpi = min(max(round(native), 150), 300)
        zoom = dpi / 72
        pix = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), colorspace=pymupdf.csGRAY,
                              alpha=False)
        return Image.frombytes("L", (pix.width, pix.height), pix.samples), dpi


def ink_line(image: Image.Image, top: bool) -> tuple[float, float] | None:
    """(top, bottom) in pixels of the page's outermost text line within an inch of the edge
    (where stamping software puts its stamp)."""
    pixels = np.asarray(image) < 128
    height = pixels.shape[0]
    band = range(0, int(height * 0.09)) if top else range(height - 1, int(height * 0.91), -1)
    edge = int(height * 0.01)  # scanner edge shadows are not text
    rows = [y for y in band if edge < y < height - edge
            and 0.004 < pixels[y, edge:-edge].mean() < 0.5]
    if not rows:
        return None
    first = rows[0]
    run = [first]
    for y in rows[1:]:
        if abs(y - run[-1]) > 2:
            break
        run.append(y)
    return (min(run), max(run)) if len(run) >= 4 else None


def layout(p: Plan, width: float, height: float, measure: Any,
           line: tuple[float, float] | None) -> list[tuple[str, float, float]]:
    """(text, x, baseline) in points of the stamp and its legend."""
    size = p.size
    stamp = f"{p.legend}   {p.bates}" if p.legend_place == "beside" else p.bates
    w = measure(stamp, size)
    side, edge = p.inset[0] * 72, p.inset[1] * 72
    x = {"br": width - side - w, "tr": width - side - w, "bl": side,
         "bc": (width - w) / 2}[p.position]
    baseline = edge + size * 0.75 if p.position == "tr" else height - edge
    if line is not None:  # on the same line as the page's own footer or header text
        baseline = (line[0] + line[1]) / 2 + size * 0.35
    placed = [(stamp, x, baseline)]
    if p.legend and p.legend_place == "above":
        step = size * 1.25 * (1 if p.position == "tr" else -1)
        lw = measure(p.legend, size)
        lx = {"bc": (width - lw) / 2, "bl": side}.get(p.position, x + w - lw)
        placed.append((p.legend, lx, baseline + step))
    elif p.legend and p.legend_place == "opposite":  # across the page, same baseline
        lw = measure(p.legend, size)
        lx = width - side - lw if p.position == "bl" else side
        if lx < x + w + 10 and lx + lw > x - 10:  # a centred stamp leaves no room: go above
            lx, baseline = x + (w - lw) / 2, baseline - size * 1.25
        placed.append((p.legend, lx, baseline))
    return placed


def make_page(p: Plan, folder: Path, rng: random.Random) -> tuple[Path, str]:
    """Write the stamped page; returns the file and its kind."""
    path = Path(p.source)
    rescan = p.mode == "rescan"
    image, dpi = source_image(path, p.page, 300.0 if rescan else None)
    width, height = image.width * 72 / dpi, image.height * 72 / dpi
    line = None
    if p.busy:
        found = ink_line(image, top=p.position == "tr")
        line = (found[0] * 72 / dpi, found[1] * 72 / dpi) if found else None
    if p.mode == "vector":
        placed = layout(p, width, height, lambda t, s: pymupdf.get_text_length(
            t, fontname=PDF_FONTS[p.font], fontsize=s), line)
        return _vector_pdf(p, image, dpi, placed, folder), "pdf"
    fonts: dict[float, ImageFont.FreeTypeFont] = {}

    def font(size: float) -> ImageFont.FreeTypeFont:
        if size not in fonts:
            fonts[size] = ImageFont.truetype(str(FONTS[p.font]), round(size * dpi / 72))
        return fonts[size]

    placed = layout(p, width, height, lambda t, s: font(s).getlength(t) * 72 / dpi, line)
    draw = ImageDraw.Draw(image)
    scale = dpi / 72
    for i, (text, x, baseline) in enumerate(placed):
        box = draw.textbbox((x * scale, baseline * scale), text, font=font(p.size), anchor="ls")
        if line is not None:  # stamping software's "white background" option
            draw.rectangle((box[0] - 4, box[1] - 4, box[2] + 4, box[3] + 4), fill=255)
        draw.text((x * scale, baseline * scale), text, fill=0, font=font(p.size), anchor="ls")
        if i == 0:
            p.box = [round(v / scale, 1) for v in box]
    if rescan:
        image, dpi = _rescan(image, dpi, p, rng)
    made = _raster_file(p, image, dpi, folder, rng)
    return made, "image" if made.suffix == ".tif" else "pdf"


def _rescan(image: Image.Image, dpi: float, p: Plan,
            rng: random.Random) -> tuple[Image.Image, float]:
    p.rotation = round(rng.choice([-1, 1]) * rng.uniform(0.3, 1.5), 2)
    image = image.rotate(p.rotation, resample=Image.Resampling.BICUBIC, fillcolor=255)
    image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 0.9)))
    image = image.resize((round(image.width * 200 / dpi), round(image.height * 200 / dpi)),
                         Image.Resampling.LANCZOS)
    noise = np.random.default_rng(rng.randrange(1 << 30)).normal(0, 14, (image.height, image.width))
    pixels = np.clip(np.asarray(image, dtype=np.float64) + noise, 0, 255)
    binary = pixels > rng.uniform(140, 185)
    return Image.fromarray(binary.astype(np.uint8) * 255).convert("1"), 200.0


def _raster_file(p: Plan, image: Image.Image, dpi: float, folder: Path,
                 rng: random.Random) -> Path:
    if p.mode == "rescan" and rng.random() < 0.5:
        out = folder / f"{p.id}.tif"
        image.save(out, compression="group4", dpi=(dpi, dpi))
    else:
        buffer = io.BytesIO()
        if p.mode == "jpeg":
            image.save(buffer, "JPEG", quality=rng.randrange(45, 76))
        else:
            image.save(buffer, "PNG")
        out = folder / f"{p.id}.pdf"
        doc = pymupdf.open()
        page = doc.new_page(width=image.width * 72 / dpi, height=image.height * 72 / dpi)
        page.insert_image(page.rect, stream=buffer.getvalue())
        doc.save(out, deflate=True, no_new_id=True)
        doc.close()
    p.file = out.name
    return out


def _vector_pdf(p: Plan, image: Image.Image, dpi: float,
                placed: list[tuple[str, float, float]], folder: Path) -> Path:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    doc = pymupdf.open()
    page = doc.new_page(width=image.width * 72 / dpi, height=image.height * 72 / dpi)
    page.insert_image(page.rect, stream=buffer.getvalue())
    fontname = PDF_FONTS[p.font]
    for i, (text, x, baseline) in enumerate(placed):
        w = pymupdf.get_text_length(text, fontname=fontname, fontsize=p.size)
        box = pymupdf.Rect(x - 2, baseline - p.size * 0.8, x + w + 2, baseline + p.size * 0.25)
        if p.busy:
            page.draw_rect(box, color=None, fill=(1, 1, 1))
        page.insert_text((x, baseline), text, fontname=fontname, fontsize=p.size)
        if i == 0:
            p.box = [round(v, 1) for v in box]
    out = folder / f"{p.id}.pdf"
    doc.save(out, deflate=True, no_new_id=True)
    doc.close()
    p.file = out.name
    return out


def _read(job: tuple[str, str, str, int]) -> dict[str, Any]:
    """Read one page through the archive's worker, as `archive add` does (runs in a pool)."""
    key, path, kind, page_no = job
    with tempfile.TemporaryDirectory() as home:
        settings = load_settings(Path(home), ocr_mode="auto")
        started = time.perf_counter()
        page = worker.read_page(Path(path), kind, key[:16], page_no, settings, "auto",
                                ocr.usable_lang(settings.ocr_lang))
        return {"text": page.text, "words": page.words, "width": page.width,
                "height": page.height, "text_source": page.text_source, "error": page.error,
                "seconds": round(time.perf_counter() - started, 2)}


def _hash(path: Path, page: int) -> str:
    return hashlib.sha256(path.read_bytes() + str(page).encode()).hexdigest()


def read_all(jobs: list[tuple[str, Path, str, int]], workers: int,
             reread: bool) -> tuple[dict[str, dict[str, Any]], float]:
    """Readings of (key, path, kind, page) jobs, from the cache where the file is unchanged."""
    cache_path = OUT / "readings.json"
    cache = {} if reread or not cache_path.exists() else json.loads(cache_path.read_text())
    hashes = {key: _hash(path, page) for key, path, _, page in jobs}
    todo = [(h, str(path), kind, page) for key, path, kind, page in jobs
            if (h := hashes[key]) not in cache]
    started = time.perf_counter()
    if todo:
        print(f"reading {len(todo)} pages with OCR ({workers} processes) ...", flush=True)
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for job, reading in zip(todo, pool.map(_read, todo), strict=True):
                cache[job[0]] = reading
        cache_path.write_text(json.dumps(cache))
    wall = time.perf_counter() - started
    return {key: cache[h] for key, h in hashes.items()}, wall if todo else 0.0


def _strict_key(value: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", value.upper())


def _near(words: list[Any], box: list[float], pad: float = 14.0) -> str:
    """The OCR'd words around the stamp's box."""
    if not box:
        return ""
    x0, y0, x1, y1 = box[0] - 200, box[1] - pad, box[2] + 200, box[3] + pad
    near = [w for w in words if w[2] > x0 and w[0] < x1 and w[3] > y0 and w[1] < y1]
    near.sort(key=lambda w: (round((w[1] + w[3]) / 12), w[0]))
    return " ".join(str(w[4]) for w in near)


@dataclass
class Case:
    """One page to score: its reading's key, its true Bates numbers (none: unstamped)."""

    key: str
    truths: list[str]
    kind: str  # stamped, unstamped, real
    variants: dict[str, Any] = field(default_factory=dict)
    box: list[float] = field(default_factory=list)
    file: str = ""


def cases(plans: list[Plan], chosen: list[tuple[str, Path, int]],
          real: list[tuple[Path, list[str]]]) -> list[Case]:
    """The stamped pages, the same pages unstamped, and the real stamped pages."""
    out = [Case(p.id, [p.bates], "stamped", {
        "mode": p.mode, "position": p.position, "legend": p.legend_place, "busy": p.busy,
        "format": p.format, "font": p.font, "size": p.size, "origin": p.origin},
        p.box, p.file) for p in plans]
    out += [Case(f"neg:{path.name}#{page}", [], "unstamped", {"origin": origin},
                 file=f"{path.name}#{page}") for origin, path, page in chosen]
    out += [Case(f"real:{path.name}", truths, "real" if truths else "unstamped",
                 {"origin": "scribe"}, file=path.name) for path, truths in real]
    return out


def score(all_cases: list[Case], readings: dict[str, dict[str, Any]],
          detector: Any = None) -> dict[str, Any]:
    """Right, misread, missed and false-positive counts, overall and per variant.

    `detector` is another version of archive.foia.bates to score on the same readings.
    """
    module = detector or bates
    counts: Counter[str] = Counter()
    by: dict[str, Counter[str]] = defaultdict(Counter)
    problems, started = [], time.perf_counter()
    for case in all_cases:
        r = readings[case.key]
        stamp = module.find(r["words"], r["width"], r["height"])
        found = stamp.printed if stamp else None
        truths = {_strict_key(t) for t in case.truths}
        if not truths:
            outcome = "false_positive" if found else "clean"
        else:
            outcome = ("right" if found and stamp.key in truths
                       else "misread" if found else "missed")
        counts[f"{case.kind}:{outcome}"] += 1
        for name, value in case.variants.items():
            by[f"{case.kind} {name}={value}"][outcome] += 1
        if outcome not in ("right", "clean"):
            problems.append({"page": case.key, "file": case.file, "truth": case.truths,
                             "found": found, **case.variants,
                             "ocr": _near(r["words"], case.box)})
    detect_ms = (time.perf_counter() - started) * 1000 / max(1, len(all_cases))
    right = counts["stamped:right"] + counts["real:right"]
    wrong = sum(v for k, v in counts.items() if k.endswith((":misread", ":false_positive")))
    positives = sum(1 for c in all_cases if c.truths)
    return {"pages": {kind: sum(1 for c in all_cases if c.kind == kind)
                      for kind in ("stamped", "real", "unstamped")},
            "counts": dict(sorted(counts.items())),
            "precision": round(right / (right + wrong), 3) if right + wrong else None,
            "recall": round(right / positives, 3) if positives else None,
            "stamped_recall": _ratio(counts["stamped:right"], counts, "stamped"),
            "detect_ms_per_page": round(detect_ms, 2),
            "by_variant": {k: dict(v) for k, v in sorted(by.items())}, "problems": problems}


def _ratio(right: int, counts: Counter[str], kind: str) -> float | None:
    total = sum(v for k, v in counts.items() if k.startswith(f"{kind}:"))
    return round(right / total, 3) if total else None


def real_pages() -> list[tuple[Path, list[str]]]:
    """Real pages from ../shared (scribe OCR benchmark), with their Bates numbers, if any.

    Two are UCSF Industry Documents pages from the opioid litigation, carrying the
    producing party's stamps as released (`MNKOI 0004563661`; `MNK-T1_0000000279` beside
    a protective-order legend, above `MNKOI 0005226023`: either counts); the others
    (a deposition with a GUID footer, a court filing header, tables) carry none.
    """
    folder = SHARED.parent / "ocr_ground_truth" / "scribe_pages"
    labels = {"chart_01": ["MNKOI 0005226023", "MNK-T1_0000000279"],
              "form_01": ["MNKOI 0004563661"]}
    return [(path, labels.get(path.stem, [])) for path in sorted(folder.glob("*.png"))]


def text_layer_pages(per_file: int = 60) -> dict[str, dict[str, Any]]:
    """Pages of the ../shared/corpus PDFs whose own text layer the archive keeps (no OCR):
    born-digital releases, court filings, agencies' OCR layers. None is Bates-stamped, so
    they are more negatives, with real word boxes, at no OCR cost."""
    settings = load_settings(REPO)
    pages: dict[str, dict[str, Any]] = {}
    for path in sorted(SHARED.parent.rglob("*")):
        if path.suffix.lower() != ".pdf":
            continue
        try:
            doc = extract.open_document(path, "pdf", settings)
            count = min(doc.page_count, per_file)
        except (ArchiveError, RuntimeError, ValueError):
            continue  # encrypted, damaged or truncated: the corpus has them on purpose
        with doc:
            for number in range(count):
                try:
                    page = doc[number]
                    text, words = extract.text_layer(page)
                    if extract.needs_ocr(page, text, words, settings.min_text_chars):
                        continue
                except (RuntimeError, ValueError):
                    continue
                pages[f"text:{path.name}#{number + 1}"] = {
                    "words": words, "width": page.rect.width, "height": page.rect.height}
    return pages


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=2, help="OCR processes (default 2)")
    parser.add_argument("--reread", action="store_true", help="ignore cached readings")
    parser.add_argument("--limit", type=int, default=0, help="only the first N pages")
    parser.add_argument("--seed", type=int, default=SEED,
                        help="another seed draws other pages and stamps (a held-out check)")
    parser.add_argument("--verbose", action="store_true", help="print results per variant")
    parser.add_argument("--make-only", action="store_true", help="stamp the pages, read none")
    parser.add_argument("--compare", type=Path,
                        help="another bates.py (e.g. the last commit's) to score beside")
    args = parser.parse_args()
    missing = [name for name, path in FONTS.items() if not path.exists()]
    if missing:
        print(f"fonts missing ({', '.join(missing)}): apt-get install fonts-liberation "
              "fonts-dejavu-core")
        return 0
    out = OUT / f"seed-{args.seed}"
    rng = random.Random(args.seed)
    chosen = select(sources(), rng)[:args.limit or None]
    if not chosen:
        print("no scanned pages found; nothing to measure")
        return 0
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    counters: dict[str, int] = {}
    plans = []
    for i, (origin, path, page) in enumerate(chosen):
        page_rng = random.Random(f"{args.seed}:{i}")
        p = plan(i, origin, path, page, counters, page_rng)
        make_page(p, out, page_rng)
        plans.append(p)
    made = time.perf_counter() - started
    (out / "truth.json").write_text(json.dumps(
        {"about": "Bates stamps put on real released scans by bench/bates_stamps.py; "
                  "box is the stamp in page points, rotation in degrees for rescans",
         "pages": [asdict(p) for p in plans]}, indent=1))
    if args.make_only:
        print(f"{len(plans)} stamped pages in {out} ({made:.1f} s)")
        return 0
    real = real_pages() if SHARED.is_dir() and not args.limit else []
    jobs = [(p.id, out / p.file, "image" if p.file.endswith(".tif") else "pdf", 1)
            for p in plans]
    jobs += [(f"neg:{path.name}#{page}", path, "image" if path.suffix == ".png" else "pdf", page)
             for _, path, page in chosen]
    jobs += [(f"real:{path.name}", path, "image", 1) for path, _ in real]
    readings, wall = read_all(jobs, args.jobs, args.reread)
    all_cases = cases(plans, chosen, real)
    if real:
        born = text_layer_pages()
        readings.update(born)
        all_cases += [Case(key, [], "unstamped", {"origin": "text-layer"}, file=key[5:])
                      for key in born]
    seconds = [readings[key]["seconds"] for key, *_ in jobs]
    timing = {"make_seconds": round(made, 1), "read_wall_seconds": round(wall, 1),
              "read_seconds_per_page": round(sum(seconds) / len(seconds), 2)}
    result = {**score(all_cases, readings), **timing}
    (out / "report.json").write_text(json.dumps(result, indent=1))
    if args.compare:
        spec = importlib.util.spec_from_file_location("bates_compared", args.compare)
        assert spec is not None and spec.loader is not None
        other = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = other  # dataclasses look their module up
        spec.loader.exec_module(other)
        before = {**score(all_cases, readings, other), **timing}
        print(f"--- {args.compare}")
        _print(before, args.verbose)
        print(f"--- {Path(bates.__file__).relative_to(REPO)}")
    _print(result, args.verbose)
    return 0


def _print(result: dict[str, Any], verbose: bool) -> None:
    pages, counts = result["pages"], result["counts"]
    print(f"pages: {pages['stamped']} stamped here, {pages['real']} stamped as released, "
          f"{pages['unstamped']} unstamped")
    print("outcomes: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    print(f"precision {result['precision']}, recall {result['recall']} "
          f"(stamped here: {result['stamped_recall']})")
    print(f"time: stamping {result['make_seconds']} s; reading (OCR) "
          f"{result['read_seconds_per_page']} s/page in a worker, wall "
          f"{result['read_wall_seconds']} s this run (0: all cached); detection "
          f"{result['detect_ms_per_page']} ms/page")
    if verbose:
        for variant, tally in result["by_variant"].items():
            print(f"  {variant:34} " + ", ".join(f"{k} {v}" for k, v in sorted(tally.items())))
    for problem in result["problems"]:
        print("  " + json.dumps(problem, ensure_ascii=False))


if __name__ == "__main__":
    sys.exit(main())
