"""pytesseract only: read page images with tesseract, keeping words, boxes and confidences."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass

import pytesseract
from PIL import Image, ImageFilter

from archive.errors import OcrFailedError, OcrUnavailableError
from archive.models import OcrResult, Word

# Several tesseracts run at once, one per worker; OpenMP threads inside each only spin.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

INSTALL_HINT = "install it with `apt-get install tesseract-ocr tesseract-ocr-eng`"


@dataclass(frozen=True, slots=True)
class OcrOptions:
    """How to read an image: languages, resolution, time limit, when to detect orientation."""

    lang: str = "eng+Latin"
    dpi: int = 300
    timeout: float = 180.0
    osd_confidence: float = 70.0  # below it, one rescue pass (orientation or despeckle)
    psm: int = 3
    chars: str = ""  # when set, the only characters tesseract may read (a whitelist)


def available_languages() -> list[str]:
    """Languages tesseract can load here.

    Raises:
        OcrUnavailableError: tesseract is not installed.
    """
    command = pytesseract.pytesseract.tesseract_cmd
    if shutil.which(command) is None:
        raise OcrUnavailableError(f"tesseract not found; {INSTALL_HINT}, then run `archive check`")
    # Not pytesseract.get_languages(): it drops names that are not lowercase, like "Latin".
    listing = subprocess.run([command, "--list-langs"], capture_output=True, text=True,
                             timeout=60, check=False)
    lines = (listing.stdout or "").splitlines()[1:]
    return sorted(line.strip() for line in lines if line.strip())


def tesseract_version() -> str:
    """tesseract's version string."""
    return str(pytesseract.get_tesseract_version())


def usable_lang(wanted: str) -> str:
    """The wanted `a+b` languages that are installed; at least one must be.

    Raises:
        OcrUnavailableError: none of the wanted languages is installed.
    """
    have = set(available_languages())
    usable = [lang for lang in wanted.split("+") if lang in have]
    if not usable:
        raise OcrUnavailableError(
            f"tesseract has none of the languages {wanted!r} (it has {', '.join(sorted(have))}); "
            "install them, e.g. `apt-get install tesseract-ocr-eng tesseract-ocr-script-latn`"
        )
    return "+".join(usable)


def ocr_image(image: Image.Image, options: OcrOptions) -> OcrResult:
    """Read an image; if it reads poorly, detect its orientation and read it turned upright.

    Word boxes are in pixels of `image` as given (not of the turned copy).

    Raises:
        OcrFailedError: tesseract crashed or ran out of time.
    """
    return improve(image, options, _read(image, options))


def improve(image: Image.Image, options: OcrOptions, result: OcrResult) -> OcrResult:
    """`result`, a first reading of `image`, or a better one if it reads poorly (see
    `ocr_image`).

    Raises:
        OcrFailedError: tesseract crashed or ran out of time.
    """
    if result.confidence is not None and result.confidence >= options.osd_confidence:
        return result
    # One rescue pass (measured on hand-transcribed pages, bench/ocr_accuracy.py): a page
    # turned 90 or 180 degrees reads as junk with confidence under 60 and OSD finds its
    # orientation 20 times in 21; a speckled copier scan gains ~25 points of word accuracy
    # from a median filter, which would hurt clean small print if applied to every page.
    rotation = detect_rotation(image, options)
    if rotation:
        retry = _read(image.rotate(-rotation, expand=True), options)
        retry.words = _unrotate(retry.words, rotation, image.size)
        retry.rotation = rotation
    else:
        retry = _read(despeckle(image), options)
    return retry if (retry.confidence or 0) > (result.confidence or 0) else result


def detect_rotation(image: Image.Image, options: OcrOptions) -> int:
    """Clockwise degrees (0, 90, 180, 270) that turn the image upright; 0 when unsure."""
    try:
        osd = pytesseract.image_to_osd(
            image, config=f"--psm 0 --dpi {options.dpi}", timeout=min(options.timeout, 60),
            output_type=pytesseract.Output.DICT,
        )
    except (pytesseract.TesseractError, RuntimeError):
        return 0  # too little text to tell: keep the first reading
    if float(osd.get("orientation_conf", 0)) < 1.5:
        return 0
    return int(osd.get("rotate", 0)) % 360


def read_once(image: Image.Image, options: OcrOptions) -> OcrResult:
    """Read an image in one tesseract pass, with no rescue pass (for small known crops).

    Raises:
        OcrFailedError: tesseract crashed or ran out of time.
    """
    return _read(image, options)


def _read(image: Image.Image, options: OcrOptions) -> OcrResult:
    config = f"--psm {options.psm} --dpi {options.dpi}"
    if options.chars:
        config += f" -c tessedit_char_whitelist={options.chars}"
    try:
        data = pytesseract.image_to_data(
            image, lang=options.lang, config=config, timeout=options.timeout,
            output_type=pytesseract.Output.DICT,
        )
    except RuntimeError as exc:  # pytesseract signals its timeout with RuntimeError
        raise OcrFailedError(
            f"tesseract took over {options.timeout:.0f} s on this page; "
            "raise ARCHIVE_OCR_TIMEOUT to give it longer"
        ) from exc
    except (pytesseract.TesseractError, subprocess.SubprocessError, OSError) as exc:
        raise OcrFailedError(f"tesseract failed on this page: {exc}") from exc
    return _from_data(data)


def _from_data(data: dict[str, list]) -> OcrResult:
    lines: dict[tuple[int, int, int], list[str]] = {}
    words: list[Word] = []
    line_of: list[int] = []
    confidences: list[float] = []
    for i, raw in enumerate(data["text"]):
        word = raw.strip()
        conf = float(data["conf"][i])
        if not word or conf < 0:
            continue
        key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
        if key not in lines:
            lines[key] = []
        lines[key].append(word)
        line_of.append(len(lines) - 1)
        left, top = data["left"][i], data["top"][i]
        words.append([left, top, left + data["width"][i], top + data["height"][i], word])
        confidences.append(conf)
    text_lines: list[str] = []
    previous: tuple[int, int] | None = None
    for (block, par, _), line_words in lines.items():
        if previous is not None and previous != (block, par):
            text_lines.append("")
        text_lines.append(" ".join(line_words))
        previous = (block, par)
    confidence = round(sum(confidences) / len(confidences), 1) if confidences else None
    return OcrResult(text="\n".join(text_lines), words=words, confidence=confidence,
                     lines=line_of)


def _unrotate(words: list[Word], rotation: int, size: tuple[int, int]) -> list[Word]:
    """Map boxes read on an image turned `rotation` degrees clockwise back to the original."""
    width, height = size
    out: list[Word] = []
    for x0, y0, x1, y1, text in words:
        if rotation == 90:  # turned clockwise: (x, y) came from (y, height - x)
            box = (y0, height - x1, y1, height - x0)
        elif rotation == 180:
            box = (width - x1, height - y1, width - x0, height - y0)
        elif rotation == 270:
            box = (width - y1, x0, width - y0, x1)
        else:
            box = (x0, y0, x1, y1)
        out.append([*box, text])
    return out


def despeckle(image: Image.Image) -> Image.Image:
    """A light median filter that removes copier speckle without eroding letters."""
    return image.filter(ImageFilter.MedianFilter(3))
