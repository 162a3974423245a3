#!/usr/bin/env python3
"""Measure tesseract word accuracy and CPU cost per OCR config on hand-transcribed pages.

Usage::

    python bench/ocr_accuracy.py [--configs A B D ...] [--corpus DIR] [--jobs 2]

The corpus is a directory of page images ``NAME.png`` with ``NAME.gt.txt`` (plain-text
transcription; ``NAME.truth.hocr`` word-level truth is used when the .txt is missing), or
of line images ``NAME.bin.png`` + ``NAME.gt.txt`` (UW3 style), or a directory holding such
directories (the default: ``../shared/corpus/ocr_ground_truth`` next to the repo).  When it
is absent the script prints a message and exits 0.

Metrics (both reported, on normalised words: NFKC, curly quotes/dashes folded, lowercased,
punctuation stripped at word ends, tokens that become empty dropped):

* ``bow``   bag-of-words accuracy = 1 - (max(N_gt, N_ocr) - matched) / N_gt, where matched is
            the multiset intersection.  Insensitive to reading order, which is what matters
            for a page-level full-text index and what is ambiguous on tables/multi-column
            pages.  This is the primary metric.
* ``align`` 1 - WER from a difflib.SequenceMatcher alignment of the two word sequences
            (replace counts max(len), insert/delete their length).  Penalises reading-order
            differences as well as misrecognitions.

CPU: ``tess`` is the CPU (user+sys) of the tesseract child process, from
resource.getrusage(RUSAGE_CHILDREN) deltas around each pytesseract call; ``py`` is the
CPU this process spent on preprocessing + pytesseract's PNG encoding / TSV parsing.
Every tesseract run gets OMP_THREAD_LIMIT=1.  Work is spread over at most --jobs processes.

Extra experiments: per-invocation model load overhead (a 10x10 white image), and page
rotation (90/180/270) with no OSD, OSD on every page, OSD only when the first pass looks
bad (low mean confidence / few words), and ``--psm 1``.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import resource
import statistics
import string
import subprocess
import sys
import time
import unicodedata
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

os.environ["OMP_THREAD_LIMIT"] = "1"  # before any tesseract child is spawned

try:
    import pytesseract
    from PIL import Image, ImageFilter
except ImportError as exc:  # pragma: no cover - dependency-light bench
    print(f"ocr_accuracy: skipped, missing dependency: {exc}")
    sys.exit(0)

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus" / "ocr_ground_truth"

LETTER_SHORT_IN, LETTER_LONG_IN = 8.5, 11.0


# --------------------------------------------------------------------------- configs


@dataclass(frozen=True)
class Config:
    name: str
    desc: str
    lang: str = "eng"
    dpi: str = "real"  # "none" (no hint), "real" (estimated), "meta" (trust PNG pHYs as is)
    upsample_to: int = 0  # upsample to this dpi when the real dpi is below upsample_below
    upsample_below: int = 250
    filt: str = ""  # "", "gauss:R", "median:N"
    resample: str = "lanczos"  # upsampling filter: "lanczos" | "bicubic"
    psm: int = 0  # 0 = default for the corpus kind (3 for pages, 7 for lines)
    oem: int = -1  # -1 = tesseract default
    via_path: bool = False  # hand the PNG file itself to tesseract (its own pHYs dpi)
    retry_conf: float = 0  # if the mean word confidence is below this, run again with
    retry_filt: str = ""  # this filter and keep the pass with the higher mean confidence

    def tess_config(self, dpi: int | None, kind: str) -> str:
        psm = self.psm or (7 if kind == "line" else 3)
        parts = [f"--psm {psm}"]
        if self.oem >= 0:
            parts.append(f"--oem {self.oem}")
        if dpi:
            parts.append(f"--dpi {dpi}")
        return " ".join(parts)


_D = Config("D", "C + upsample to 300 when dpi<250 (LANCZOS)", lang="eng+Latin", upsample_to=300)
CONFIGS: dict[str, Config] = {
    c.name: c
    for c in [
        Config(
            "A",
            "eng, no dpi hint (PIL image: pytesseract drops pHYs, tesseract guesses)",
            dpi="none",
        ),
        Config(
            "A0",
            "eng, file path: tesseract reads the PNG's own pHYs dpi",
            dpi="none",
            via_path=True,
        ),
        Config("Bm", "eng --dpi <PNG metadata dpi, unchecked>", dpi="meta"),
        Config("B", "eng --dpi <real dpi>"),
        Config("B+up", "eng --dpi, upsample to 300 when dpi<250", upsample_to=300),
        Config("C", "eng+Latin --dpi <real dpi>", lang="eng+Latin"),
        _D,
        replace(_D, name="E-gauss", desc="D + GaussianBlur(0.6)", filt="gauss:0.6"),
        replace(_D, name="E-median", desc="D + MedianFilter(3)", filt="median:3"),
        Config("F", "Latin alone, D preprocessing", lang="Latin", upsample_to=300),
        replace(_D, name="G-oem1", desc="D --oem 1", oem=1),
        replace(_D, name="G-psm4", desc="D --psm 4", psm=4),
        replace(_D, name="G-psm6", desc="D --psm 6", psm=6),
        replace(_D, name="G-psm11", desc="D --psm 11", psm=11),
        Config(
            "U400",
            "eng+Latin, upsample to 400 when dpi<350",
            lang="eng+Latin",
            upsample_to=400,
            upsample_below=350,
        ),
        Config(
            "B+up+gauss",
            "eng --dpi, upsample to 300, GaussianBlur(0.6)",
            upsample_to=300,
            filt="gauss:0.6",
        ),
        replace(_D, name="D-bicubic", desc="D with BICUBIC instead of LANCZOS", resample="bicubic"),
        Config("F0", "Latin alone --dpi <real dpi>, no upsampling", lang="Latin"),
        Config(
            "C-median",
            "C + MedianFilter(3) at native resolution",
            lang="eng+Latin",
            filt="median:3",
        ),
        replace(
            _D, name="C+up150", desc="C + upsample to 300 only when dpi<150", upsample_below=150
        ),
        replace(
            _D,
            name="C+up150+med",
            desc="C+up150 + MedianFilter(3)",
            upsample_below=150,
            filt="median:3",
        ),
        Config(
            "B+up150",
            "eng --dpi, upsample to 300 only when dpi<150",
            upsample_to=300,
            upsample_below=150,
        ),
        replace(
            _D,
            name="R",
            desc="C+up150; if mean conf<70 retry with MedianFilter(3), keep higher-conf pass",
            upsample_below=150,
            retry_conf=70,
            retry_filt="median:3",
        ),
        Config(
            "R-eng",
            "B+up150; if mean conf<70 retry with MedianFilter(3), keep higher-conf pass",
            upsample_to=300,
            upsample_below=150,
            retry_conf=70,
            retry_filt="median:3",
        ),
        # line-corpus variants (psm 0 means psm 7 there)
        Config("A-psm3", "eng, no dpi hint, --psm 3 even on a single line", dpi="none", psm=3),
        Config("G-psm13", "eng --dpi --psm 13 (raw line)", psm=13),
        Config("B-psm6", "eng --dpi --psm 6", psm=6),
    ]
}
DEFAULT_PAGE_CONFIGS = [
    *("A", "A0", "B", "C", "D", "E-gauss", "E-median", "F", "F0"),
    *("G-oem1", "G-psm4", "G-psm6", "G-psm11"),
    *("B+up150", "C+up150", "C-median", "C+up150+med", "R", "R-eng"),
]
DEFAULT_LINE_CONFIGS = ["A", "A-psm3", "B", "C", "F", "G-psm13", "B-psm6"]


# --------------------------------------------------------------------------- metrics

_FOLD = str.maketrans(
    {
        "‘": "'",
        "’": "'",
        "‚": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "–": "-",
        "—": "-",
        "−": "-",
        "‐": "-",
    }
)
_STRIP = string.punctuation + "•·…«»§¶°|"


def normalize_words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).translate(_FOLD)
    out = []
    for tok in text.split():
        t = tok.lower().strip(_STRIP)
        if t:
            out.append(t)
    return out


def bow_errors(gt: list[str], hyp: list[str]) -> int:
    matched = sum((Counter(gt) & Counter(hyp)).values())
    return max(len(gt), len(hyp)) - matched


def align_errors(gt: list[str], hyp: list[str]) -> int:
    err = 0
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, gt, hyp, autojunk=False).get_opcodes():
        if tag == "replace":
            err += max(i2 - i1, j2 - j1)
        elif tag == "delete":
            err += i2 - i1
        elif tag == "insert":
            err += j2 - j1
    return err


# --------------------------------------------------------------------------- corpus


@dataclass(frozen=True)
class Item:
    name: str
    image: str
    kind: str  # "page" | "line"
    gt: tuple[str, ...]


def _hocr_words(path: Path) -> str:
    doc = path.read_text(encoding="utf-8")
    spans = re.findall(r"<span[^>]*class=['\"]ocrx_word['\"][^>]*>(.*?)</span>", doc, re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", s)) for s in spans)


def load_corpus(root: Path) -> list[Item]:
    items: list[Item] = []
    for png in sorted(root.glob("*.png")):
        line = png.name.endswith(".bin.png")
        stem = png.name[: -len(".bin.png")] if line else png.stem
        txt, hocr = root / f"{stem}.gt.txt", root / f"{stem}.truth.hocr"
        if txt.exists():
            text = txt.read_text(encoding="utf-8")
        elif hocr.exists():
            text = _hocr_words(hocr)
        else:
            continue
        words = normalize_words(text)
        if words:
            items.append(Item(stem, str(png), "line" if line else "page", tuple(words)))
    return items


def find_corpora(root: Path) -> list[tuple[Path, list[Item]]]:
    found = []
    for d in [root, *sorted(p for p in root.iterdir() if p.is_dir())]:
        items = load_corpus(d)
        if items:
            found.append((d, items))
    return found


# --------------------------------------------------------------------------- images / dpi


def load_gray(path: str) -> Image.Image:
    im: Image.Image = Image.open(path)
    im.load()
    if "A" in im.getbands():
        bg = Image.new("RGB", im.size, (255, 255, 255))
        bg.paste(im, (0, 0), im.getchannel("A"))
        im = bg
    return im.convert("L")


def meta_dpi(path: str) -> float | None:
    with Image.open(path) as im:
        dpi = im.info.get("dpi")
    return float(dpi[0]) if dpi and dpi[0] else None


def estimate_dpi(size: tuple[int, int], meta: float | None) -> tuple[int, str]:
    """Real scan dpi: PNG metadata when it gives a plausible paper size, else assume letter.

    Letter estimate: min(short side / 8.5 in, long side / 11 in) - exact for letter in
    either orientation, and right for legal/A4 portrait (short side) too.
    """
    short, long_ = sorted(size)
    if meta and 70 <= meta <= 1200 and long_ / meta <= 17.5 and short / meta <= 11.7:
        return round(meta), "meta"
    est = min(short / LETTER_SHORT_IN, long_ / LETTER_LONG_IN)
    why = f"letter (meta {meta:.0f} => {long_ / meta:.0f}in, implausible)" if meta else "letter"
    return round(est), why


def preprocess(im: Image.Image, cfg: Config, dpi: int) -> tuple[Image.Image, int]:
    if cfg.upsample_to and dpi < cfg.upsample_below:
        scale = cfg.upsample_to / dpi
        method = Image.Resampling[cfg.resample.upper()]
        im = im.resize((round(im.width * scale), round(im.height * scale)), method)
        dpi = cfg.upsample_to
    if cfg.filt.startswith("gauss:"):
        im = im.filter(ImageFilter.GaussianBlur(float(cfg.filt.split(":")[1])))
    elif cfg.filt.startswith("median:"):
        im = im.filter(ImageFilter.MedianFilter(int(cfg.filt.split(":")[1])))
    return im, dpi


def child_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def run_ocr(image: Image.Image | str, lang: str, config: str) -> dict[str, Any]:
    c0, w0 = child_cpu(), time.perf_counter()
    p0 = time.process_time()
    data = pytesseract.image_to_data(
        image, lang=lang, config=config, output_type=pytesseract.Output.DICT
    )
    wall = time.perf_counter() - w0
    tess = child_cpu() - c0
    py = time.process_time() - p0
    words, confs = [], []
    for text, conf in zip(data["text"], data["conf"], strict=True):
        if text and text.strip():
            words.append(text)
            if float(conf) >= 0:
                confs.append(float(conf))
    return {
        "text": " ".join(words),
        "n_raw": len(words),
        "conf": statistics.fmean(confs) if confs else 0.0,
        "tess_cpu": tess,
        "py_cpu": py,
        "wall": wall,
    }


def score(item: Item, text: str) -> dict[str, Any]:
    hyp = normalize_words(text)
    gt = list(item.gt)
    be, ae = bow_errors(gt, hyp), align_errors(gt, hyp)
    return {
        "n_gt": len(gt),
        "n_ocr": len(hyp),
        "bow_err": be,
        "align_err": ae,
        "bow": 1 - be / len(gt),
        "align": 1 - ae / len(gt),
    }


def item_dpi(item: Item, line_dpi: int) -> tuple[int, str]:
    if item.kind == "line":
        return line_dpi, "assumed (line corpus)"
    with Image.open(item.image) as im:
        size = im.size
    return estimate_dpi(size, meta_dpi(item.image))


# --------------------------------------------------------------------------- tasks


def _ocr_pass(item: Item, cfg: Config, real: int) -> dict[str, Any]:
    p0 = time.process_time()
    if cfg.via_path:
        image: Image.Image | str = item.image
        dpi: int | None = None
    else:
        im, dpi_used = preprocess(load_gray(item.image), cfg, real)
        image = im
        meta = round(meta_dpi(item.image) or 0) or None
        dpi = {"none": None, "meta": meta, "real": dpi_used}[cfg.dpi]
    prep = time.process_time() - p0
    r = run_ocr(image, cfg.lang, cfg.tess_config(dpi, item.kind))
    r["py_cpu"] += prep
    r.update(score(item, r.pop("text")), dpi_hint=dpi)
    r["size"] = "file" if isinstance(image, str) else f"{image.width}x{image.height}"
    return r


def task_config(item: Item, cfg: Config, line_dpi: int) -> dict[str, Any]:
    real, src = item_dpi(item, line_dpi)
    r = _ocr_pass(item, cfg, real)
    r["retried"] = ""
    if cfg.retry_conf and r["conf"] < cfg.retry_conf:
        # low-confidence rescue: second pass with a filter, keep the higher-confidence one
        r2 = _ocr_pass(item, replace(cfg, filt=cfg.retry_filt, retry_conf=0), real)
        keep = r2 if r2["conf"] > r["conf"] else r
        keep = dict(keep, retried="kept 2nd" if keep is r2 else "kept 1st")
        for k in ("tess_cpu", "py_cpu", "wall"):
            keep[k] = r[k] + r2[k]
        r = keep
    r.update(item=item.name, kind=item.kind, config=cfg.name, real_dpi=real, dpi_src=src)
    return r


def _osd(im: Image.Image, dpi: int) -> dict[str, Any]:
    c0, w0 = child_cpu(), time.perf_counter()
    try:
        d = pytesseract.image_to_osd(im, config=f"--dpi {dpi}", output_type=pytesseract.Output.DICT)
        out = {"rotate": int(d["rotate"]), "conf": float(d["orientation_conf"]), "error": ""}
    except pytesseract.TesseractError as exc:
        out = {"rotate": 0, "conf": 0.0, "error": str(exc.message).strip()[:60]}
    out.update(tess_cpu=child_cpu() - c0, wall=time.perf_counter() - w0)
    return out


def task_rotation(item: Item, angle: int, cfg: Config, osd_small_dpi: int) -> dict[str, Any]:
    """Rotate the page CCW by `angle`; OCR it with and without OSD correction."""
    real, _ = item_dpi(item, 300)
    base = load_gray(item.image)
    rot = base.rotate(angle, expand=True, fillcolor=255) if angle else base
    tconf = cfg.tess_config  # dpi after preprocessing

    def ocr(im: Image.Image, c: Config = cfg) -> dict[str, Any]:
        p0 = time.process_time()
        pim, dpi = preprocess(im, c, real)
        prep = time.process_time() - p0
        r = run_ocr(pim, c.lang, c.tess_config(dpi, "page"))
        r["py_cpu"] += prep
        r.update(score(item, r.pop("text")))
        return r

    out: dict[str, Any] = {
        "item": item.name,
        "angle": angle,
        "config": cfg.name,
        "tess_config": tconf(real, "page"),
    }
    out["pass1"] = ocr(rot)
    out["osd"] = _osd(rot, real)
    small = rot
    if real > osd_small_dpi:
        s = osd_small_dpi / real
        small = rot.resize((round(rot.width * s), round(rot.height * s)), Image.Resampling.BOX)
    out["osd_small"] = _osd(small, min(real, osd_small_dpi))
    corrected: dict[int, dict[str, Any]] = {0: out["pass1"]}
    for key in ("osd", "osd_small"):
        r = out[key]["rotate"]
        if r not in corrected:
            corrected[r] = ocr(rot.rotate(-r, expand=True, fillcolor=255))
    out["corrected"] = {str(k): v for k, v in corrected.items()}
    out["psm1"] = ocr(rot, replace(cfg, psm=1))
    return out


def _run_task(args: tuple[str, tuple[Any, ...]]) -> dict[str, Any]:
    kind, a = args
    if kind == "cfg":
        return task_config(*a)
    return task_rotation(*a)


def load_overhead(reps: int, tmp: Path) -> list[dict[str, Any]]:
    tiny = tmp / "ocr_accuracy_tiny.png"
    Image.new("L", (10, 10), 255).save(tiny)
    rows = []
    try:
        for lang in ("eng", "Latin", "eng+Latin"):
            cpus, walls = [], []
            for _ in range(reps):
                r = run_ocr(str(tiny), lang, "--psm 3")
                cpus.append(r["tess_cpu"])
                walls.append(r["wall"])
            rows.append(
                {
                    "lang": lang,
                    "cpu": statistics.median(cpus),
                    "wall": statistics.median(walls),
                    "reps": reps,
                }
            )
    finally:
        tiny.unlink(missing_ok=True)
    return rows


# --------------------------------------------------------------------------- reporting


def _mean(rows: list[dict[str, Any]], key: str) -> float:
    return statistics.fmean(r[key] for r in rows) if rows else float("nan")


def summarize(results: list[dict[str, Any]], names: list[str]) -> list[dict[str, Any]]:
    out = []
    for n in names:
        rows = [r for r in results if r["config"] == n]
        if not rows:
            continue
        ngt = sum(r["n_gt"] for r in rows)
        out.append(
            {
                "config": n,
                "pages": len(rows),
                "bow": _mean(rows, "bow"),
                "align": _mean(rows, "align"),
                "bow_micro": 1 - sum(r["bow_err"] for r in rows) / ngt,
                "align_micro": 1 - sum(r["align_err"] for r in rows) / ngt,
                "conf": _mean(rows, "conf"),
                "tess_cpu": _mean(rows, "tess_cpu"),
                "py_cpu": _mean(rows, "py_cpu"),
                "wall": _mean(rows, "wall"),
            }
        )
    return out


def print_corpus(
    label: str, results: list[dict[str, Any]], names: list[str], per_item: bool
) -> list[dict[str, Any]]:
    items = sorted({r["item"] for r in results})
    if per_item:
        for it in items:
            rows = [r for r in results if r["item"] == it]
            r0 = rows[0]
            print(f"\n== {it}: {r0['n_gt']} gt words, real dpi {r0['real_dpi']} ({r0['dpi_src']})")
            print(
                f"  {'config':<12}{'bow':>7}{'align':>7}{'words':>6}{'conf':>6}"
                f"{'tess s':>8}{'py s':>6}  image / hint"
            )
            for n in names:
                for r in rows:
                    if r["config"] == n:
                        print(
                            f"  {n:<12}{r['bow']:7.1%}{r['align']:7.1%}{r['n_ocr']:6d}"
                            f"{r['conf']:6.1f}{r['tess_cpu']:8.2f}{r['py_cpu']:6.2f}"
                            f"  {r['size']} dpi={r['dpi_hint']} {r.get('retried', '')}"
                        )
    summ = summarize(results, names)
    print(
        f"\n=== {label}: mean over {len(items)} items per config "
        "(bow = bag-of-words 1-WER, primary; align = SequenceMatcher 1-WER; "
        "micro = pooled over all words)"
    )
    print(
        f"  {'config':<12}{'bow':>7}{'align':>7}{'bow_mi':>7}{'aln_mi':>7}{'conf':>6}"
        f"{'tess s':>8}{'py s':>6}{'wall s':>7}  description"
    )
    for s in summ:
        print(
            f"  {s['config']:<12}{s['bow']:7.1%}{s['align']:7.1%}{s['bow_micro']:7.1%}"
            f"{s['align_micro']:7.1%}{s['conf']:6.1f}{s['tess_cpu']:8.3f}{s['py_cpu']:6.2f}"
            f"{s['wall']:7.2f}  {CONFIGS[s['config']].desc}"
        )
    if per_item and len(items) > 1:
        print(f"\n  bow accuracy matrix ({label})")
        cols = [s["config"] for s in summ]
        print("  " + f"{'item':<15}" + "".join(f"{c[:8]:>9}" for c in cols))
        for it in items:
            cells = []
            for c in cols:
                v = [r["bow"] for r in results if r["item"] == it and r["config"] == c]
                cells.append(f"{v[0]:9.1%}" if v else f"{'-':>9}")
            print("  " + f"{it:<15}" + "".join(cells))
    return summ


def _choice(rec: dict[str, Any], key: str) -> dict[str, Any]:
    return rec["corrected"][str(rec[key]["rotate"])]


def print_rotation(
    recs: list[dict[str, Any]], thresholds: list[float], min_words: int
) -> dict[str, Any]:
    print(f"\n=== rotation (config {recs[0]['config']}: {recs[0]['tess_config']} ...)")
    print(
        f"  {'page':<15}{'rot':>4}{'p1 bow':>8}{'conf':>6}{'words':>6}{'osd':>5}{'o.conf':>7}"
        f"{'osd s':>7}{'small':>6}{'sm s':>6}{'fixed':>7}{'psm1':>7}{'psm1 s':>7}"
    )
    for r in sorted(recs, key=lambda x: (x["item"], x["angle"])):
        p1, o, os_ = r["pass1"], r["osd"], r["osd_small"]
        fixed = _choice(r, "osd")
        err = "!" if o["error"] else ""
        print(
            f"  {r['item']:<15}{r['angle']:>4}{p1['bow']:8.1%}{p1['conf']:6.1f}"
            f"{p1['n_raw']:6d}{o['rotate']:>4}{err:1}{o['conf']:7.2f}{o['tess_cpu']:7.2f}"
            f"{os_['rotate']:>5}{'!' if os_['error'] else ' '}{os_['tess_cpu']:6.2f}"
            f"{fixed['bow']:7.1%}{r['psm1']['bow']:7.1%}{r['psm1']['tess_cpu']:7.2f}"
        )

    def correct(r: dict[str, Any], key: str) -> bool:
        return r[key]["rotate"] == r["angle"]

    rot = [r for r in recs if r["angle"]]
    up = [r for r in recs if not r["angle"]]
    summary: dict[str, Any] = {}
    for key in ("osd", "osd_small"):
        summary[key] = {
            "correct_rotated": sum(correct(r, key) for r in rot),
            "rotated": len(rot),
            "correct_upright": sum(correct(r, key) for r in up),
            "upright": len(up),
            "errors": sum(bool(r[key]["error"]) for r in recs),
            "cpu": _mean([r[key] for r in recs], "tess_cpu"),
            "wall": _mean([r[key] for r in recs], "wall"),
        }
        s = summary[key]
        print(
            f"  {key:<10} correct on rotated {s['correct_rotated']}/{s['rotated']}, "
            f"on upright {s['correct_upright']}/{s['upright']}, errors {s['errors']}, "
            f"mean tesseract CPU {s['cpu']:.2f}s, wall {s['wall']:.2f}s"
        )

    def strategy(name: str, pick: Any) -> dict[str, Any]:
        res: dict[str, Any] = {"name": name}
        for sub, rows in (("all", recs), ("rotated", rot), ("upright", up)):
            picks = [pick(r) for r in rows]
            res[sub] = {
                "bow": statistics.fmean(p[0]["bow"] for p in picks),
                "cpu": statistics.fmean(p[1] for p in picks),
                "osd_runs": sum(p[2] for p in picks),
            }
        return res

    def tot(*parts: dict[str, Any]) -> float:
        return sum(p["tess_cpu"] + p.get("py_cpu", 0.0) for p in parts)

    def always(key: str) -> Any:
        def f(r: dict[str, Any]) -> tuple[dict[str, Any], float, int]:
            c = _choice(r, key)
            return c, tot(r[key], c), 1

        return f

    def conditional(t: float, safe: bool) -> Any:
        def f(r: dict[str, Any]) -> tuple[dict[str, Any], float, int]:
            p1 = r["pass1"]
            if p1["conf"] >= t and p1["n_raw"] >= min_words:
                return p1, tot(p1), 0
            if r["osd"]["rotate"] == 0:
                return p1, tot(p1, r["osd"]), 1
            c = _choice(r, "osd")
            best = c if (not safe or c["conf"] >= p1["conf"]) else p1
            return best, tot(p1, r["osd"], c), 1

        return f

    strategies = [
        strategy("no OSD", lambda r: (r["pass1"], tot(r["pass1"]), 0)),
        strategy("OSD every page (native res)", always("osd")),
        strategy("OSD every page (downscaled)", always("osd_small")),
        strategy("--psm 1 (OSD inside the OCR run)", lambda r: (r["psm1"], tot(r["psm1"]), 1)),
    ]
    for t in thresholds:
        strategies.append(
            strategy(f"OSD if conf<{t:g} or words<{min_words}", conditional(t, safe=False))
        )
        strategies.append(strategy("  same, keep higher-conf pass", conditional(t, safe=True)))
    print(
        f"\n  strategy (CPU = tesseract+python s/page){'':<3}{'bow all':>8}{'rotated':>8}"
        f"{'upright':>8}{'CPU rot':>8}{'CPU upr':>8}{'OSD on upr':>11}"
    )
    for s in strategies:
        print(
            f"  {s['name']:<43}{s['all']['bow']:8.1%}{s['rotated']['bow']:8.1%}"
            f"{s['upright']['bow']:8.1%}{s['rotated']['cpu']:8.2f}{s['upright']['cpu']:8.2f}"
            f"{s['upright']['osd_runs']:>8}/{len(up)}"
        )
    cu = sorted(r["pass1"]["conf"] for r in up)
    cr = sorted(r["pass1"]["conf"] for r in rot)
    print(
        f"  first-pass mean conf: upright {[round(c) for c in cu]}; "
        f"rotated {[round(c) for c in cr]}"
    )
    summary["strategies"] = strategies
    return summary


# --------------------------------------------------------------------------- main


def installed_languages() -> set[str]:
    """`tesseract --list-langs` (pytesseract.get_languages drops names like 'Latin')."""
    proc = subprocess.run(
        [pytesseract.pytesseract.tesseract_cmd, "--list-langs"],
        capture_output=True,
        text=True,
        check=False,
    )
    lines = (proc.stdout + proc.stderr).splitlines()
    return {ln.strip() for ln in lines if ln.strip() and not ln.startswith("List of")}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="configs:\n" + "\n".join(f"  {c.name:<12}{c.desc}" for c in CONFIGS.values()),
    )
    ap.add_argument(
        "--corpus",
        type=Path,
        default=DEFAULT_CORPUS,
        help="ground-truth dir, or a dir of such dirs (default: %(default)s)",
    )
    ap.add_argument(
        "--configs",
        nargs="+",
        choices=sorted(CONFIGS),
        metavar="NAME",
        help="configs to run (default: a page set and a line set, see below)",
    )
    ap.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument(
        "--line-dpi",
        type=int,
        default=300,
        help="dpi of line-image corpora, whose PNG metadata is unreliable "
        "(UW3 was scanned at 300; default %(default)s)",
    )
    ap.add_argument("--max-lines", type=int, default=0, help="use only N line images")
    ap.add_argument(
        "--rotate-pages",
        type=int,
        default=-1,
        help="pages for the rotation experiment (-1 all, 0 skip)",
    )
    ap.add_argument(
        "--rot-config",
        default="C+up150",
        choices=[*sorted(CONFIGS), "best"],
        help="first-pass config of the rotation experiment ('best' = best single-pass page "
        "bow of this run; default %(default)s)",
    )
    ap.add_argument(
        "--osd-small-dpi",
        type=int,
        default=150,
        help="downscale to this dpi for the cheap OSD variant",
    )
    ap.add_argument("--conf-thresholds", type=float, nargs="+", default=[40, 50, 60, 70, 80])
    ap.add_argument(
        "--min-words",
        type=int,
        default=10,
        help="first pass with fewer words than this also triggers OSD",
    )
    ap.add_argument("--load-reps", type=int, default=5, help="tiny-image runs per language")
    ap.add_argument("--json", type=Path, help="also write all raw results here")
    ap.add_argument("-q", "--quiet", action="store_true", help="no per-item tables")
    args = ap.parse_args(argv)

    if not args.corpus.is_dir():
        print(f"ocr_accuracy: skipped, corpus dir {args.corpus} not found")
        return 0
    try:
        version = pytesseract.get_tesseract_version()
        langs = installed_languages()
    except (pytesseract.TesseractNotFoundError, OSError) as exc:  # no binary
        print(f"ocr_accuracy: skipped, tesseract not available: {exc}")
        return 0
    corpora = find_corpora(args.corpus)
    if not corpora:
        print(f"ocr_accuracy: skipped, no *.png + *.gt.txt ground truth under {args.corpus}")
        return 0
    print(
        f"tesseract {version}, languages {sorted(langs)}, OMP_THREAD_LIMIT=1, "
        f"jobs={args.jobs}, cpu count {os.cpu_count()}"
    )

    def usable(name: str) -> bool:
        ok = all(lang in langs for lang in CONFIGS[name].lang.split("+"))
        if not ok:
            print(f"  (config {name} skipped: language {CONFIGS[name].lang} not installed)")
        return ok

    t_start = time.perf_counter()
    out: dict[str, Any] = {"tesseract": str(version)}
    if args.load_reps > 0:
        rows = load_overhead(args.load_reps, Path(os.environ.get("TMPDIR", "/tmp")))
        rows = [r for r in rows if all(x in langs for x in r["lang"].split("+"))]
        print(
            "\n=== per-invocation overhead: tesseract on a 10x10 white image "
            f"(median of {args.load_reps})"
        )
        for r in rows:
            print(f"  -l {r['lang']:<10} CPU {r['cpu']:.3f}s  wall {r['wall']:.3f}s")
        out["load_overhead"] = rows

    plan: list[tuple[str, list[Item], list[str]]] = []
    for d, items in corpora:
        kind = items[0].kind
        if kind == "line" and args.max_lines:
            items = items[: args.max_lines]
        names = args.configs or (DEFAULT_LINE_CONFIGS if kind == "line" else DEFAULT_PAGE_CONFIGS)
        plan.append((str(d), items, [n for n in names if usable(n)]))

    tasks = [
        ("cfg", (it, CONFIGS[n], args.line_dpi))
        for _, items, names in plan
        for it in items
        for n in names
    ]
    # biggest first for load balancing: pages before lines, Latin/upsampled before plain
    tasks.sort(
        key=lambda t: (t[1][0].kind != "page", "Latin" not in t[1][1].lang, not t[1][1].upsample_to)
    )
    with ProcessPoolExecutor(max_workers=max(1, min(args.jobs, 2))) as pool:
        results = list(pool.map(_run_task, tasks))

        out["corpora"] = {}
        page_summ: list[dict[str, Any]] = []
        for dname, items, names in plan:
            names_set = {it.name for it in items}
            res = [r for r in results if r["item"] in names_set and r["kind"] == items[0].kind]
            summ = print_corpus(
                f"{Path(dname).name} ({items[0].kind}s)",
                res,
                names,
                per_item=not args.quiet and items[0].kind == "page",
            )
            out["corpora"][dname] = {"results": res, "summary": summ}
            if items[0].kind == "page":
                page_summ = summ

        pages = [it for _, items, _ in plan for it in items if it.kind == "page"]
        if args.rotate_pages and pages and page_summ:
            if args.rot_config == "best":
                single = [s for s in page_summ if not CONFIGS[s["config"]].retry_conf]
                best = max(single, key=lambda s: (round(s["bow"], 3), -s["tess_cpu"]))
                rcfg = CONFIGS[best["config"]]
            else:
                rcfg = CONFIGS[args.rot_config]
            sel = pages if args.rotate_pages < 0 else pages[: args.rotate_pages]
            rtasks = [
                ("rot", (it, a, rcfg, args.osd_small_dpi)) for it in sel for a in (0, 90, 180, 270)
            ]
            recs = list(pool.map(_run_task, rtasks))
            out["rotation"] = {
                "records": recs,
                "summary": print_rotation(recs, args.conf_thresholds, args.min_words),
            }

    print(f"\ntotal wall time {time.perf_counter() - t_start:.0f}s")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1, default=str), encoding="utf-8")
        print(f"raw results written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
