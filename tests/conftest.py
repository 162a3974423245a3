"""Shared fixtures: settings over a temp archive, PDF factories, paths to real resources."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pymupdf
import pytest
from PIL import Image, ImageDraw, ImageFont

from archive.config import Settings, load_settings

REPO = Path(__file__).resolve().parents[1]
RESOURCES = REPO / "tests" / "resources"
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus"

has_tesseract = shutil.which("tesseract") is not None
needs_tesseract = pytest.mark.skipif(not has_tesseract, reason="tesseract is not installed "
                                     "(apt-get install tesseract-ocr tesseract-ocr-eng)")
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is absent")


@pytest.fixture
def resources() -> Path:
    """The small real files committed with the tests (see tests/resources/README.md)."""
    return RESOURCES


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for an empty archive in a temp folder; one worker, no OCR unless asked."""
    home = tmp_path / "home"
    home.mkdir()
    return load_settings(home, jobs=1, ocr_mode="never", ocr_lang="eng")


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for candidate in ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
                      "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf"):
        if Path(candidate).exists():
            return ImageFont.truetype(candidate, size)
    return ImageFont.load_default(size)


def text_image(lines: list[str], width: int = 1275, height: int = 1650,
               size: int = 34) -> Image.Image:
    """A clean 150-dpi letter page image with the given lines typed on it."""
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    font = _font(size)
    y = 120
    for line in lines:
        draw.text((110, y), line, fill=0, font=font)
        y += int(size * 1.6)
    return image


PageSpec = str  # "t:words" for a text-layer page, "s:words" for a scanned (image-only) page


@pytest.fixture
def make_pdf(tmp_path: Path) -> Callable[..., Path]:
    """Build a PDF: make_pdf("name.pdf", "t:Alpha text", "s:Bravo scan", folder=...)."""

    def build(name: str, *pages: PageSpec, folder: Path | None = None) -> Path:
        target = (folder or tmp_path / "in") / name
        target.parent.mkdir(parents=True, exist_ok=True)
        doc = pymupdf.open()
        for spec in pages:
            kind, _, text = spec.partition(":")
            page = doc.new_page(width=612, height=792)
            if kind == "t":
                page.insert_textbox(pymupdf.Rect(72, 72, 540, 720), text, fontsize=12)
            else:
                image = text_image(text.split("\n"))
                png = target.parent / f".{name}.{len(doc)}.png"
                image.save(png, dpi=(150, 150))
                page.insert_image(page.rect, filename=str(png))
                png.unlink()
        doc.save(target)
        doc.close()
        return target

    return build
