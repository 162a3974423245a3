"""Redaction boxes on a page image: large solid dark rectangles, and white boxes outlined by a
thin border that carry an exemption label; counted, measured and labelled.

numpy is used (here, in frames.py and box_labels.py, and in duplicates.py) because the test
is over every pixel of every page: a 72-dpi letter page is ~500,000 pixels, which pure
Python would take about a second to visit, numpy a millisecond. Black boxes are found at
about 72 dpi (the image is box-averaged down first), on a grid of 4-point cells:

1. a cell is *solid* when at least 70 % of its pixels are dark; printed text, even bold,
   rarely fills half a cell, a black box fills all of it;
2. regions grow from solid cells: up and down over solid cells, sideways also over cells
   at least 45 % dark, so the white exemption label printed inside a box does not split
   it in two, and a box does not leak into the line of text above or below it;
3. a region is a box when it fills most of its bounding rectangle, is at least 16 x 8
   points, is mostly ink inside, and is not a dark strip along the scanner's edge;
4. each box's edges are refined at pixel level.

White boxes with a thin border are found by `archive.foia.frames`, and kept only when an
exemption label is read inside them: an empty one cannot be told apart from a form's empty
field. Labels are read by a `LabelReader` (`archive.foia.box_labels`: OCR of the boxes, or
the text layer's words in them); without one, only black boxes are found, unlabelled. A
page is *withheld in full* when boxes cover at least half of it.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np
from PIL import Image

from archive.foia import frames
from archive.foia.box_labels import LabelReader

TARGET_DPI = 72
CELL = 4  # pixels at TARGET_DPI, i.e. points
DARK = 110  # gray level below which a pixel is ink
SOLID = 0.7  # a cell this dark starts a box ...
WEAK = 0.45  # ... which grows sideways over cells this dark (a white label inside a box)
FILL = 0.72  # share of its bounding rectangle a region must cover
INK = 0.75  # share of dark pixels inside a refined box
MIN_WIDTH, MIN_HEIGHT = 16.0, 8.0  # points
FULL_PAGE = 0.5


def analysis_dpi(dpi: int) -> int:
    """The integer reduction factor that brings `dpi` nearest to TARGET_DPI (at least 1)."""
    return max(1, round(dpi / TARGET_DPI))


def none() -> dict[str, Any]:
    """What `detect` finds on a page that cannot show a box."""
    return {"count": 0, "area": 0.0, "boxes": [], "fills": [], "labels": [], "full": False}


def detect(image: Image.Image, dpi: float,
           read_labels: LabelReader | None = None) -> dict[str, Any]:
    """Find redaction boxes on a page image rendered at `dpi`, and their labels.

    Args:
        image: the page.
        dpi: its resolution.
        read_labels: reads the exemption labels inside boxes; without it, only black boxes
            are found and none is labelled.

    Returns:
        {"count": int, "area": fraction of the page covered (0..1, 3 decimals),
         "boxes": [[x0, y0, x1, y1], ...] in PDF points, top to bottom,
         "fills": ["black" | "white", ...] and "labels": [["(b)(6)", ...], ...], one per
         box, "full": withheld in full}.
    """
    gray = image.convert("L")
    factor = analysis_dpi(int(dpi))
    small = gray.reduce(factor) if factor > 1 else gray
    scale = 72.0 / (dpi / factor)  # points per analysed pixel
    dark = np.asarray(small) < DARK
    black = [_to_points(b, scale) for b in _boxes(dark, max(1, round(CELL / scale)))]
    white = frames.find(gray, dpi) if read_labels else []
    labels = read_labels(gray, dpi, black + white, [True] * len(black) + [False] * len(white)) \
        if read_labels else [[] for _ in black]
    found = [(box, "black", labels[i]) for i, box in enumerate(black)]
    found += [(box, "white", labels[len(black) + i]) for i, box in enumerate(white)
              if labels[len(black) + i]]  # an outlined box is a redaction if labelled
    found.sort(key=lambda f: (f[0][1], f[0][0]))
    page_area = dark.shape[0] * dark.shape[1] * scale * scale
    covered = sum((x1 - x0) * (y1 - y0) for (x0, y0, x1, y1), _, _ in found)
    area = round(min(1.0, covered / page_area), 3) if page_area else 0.0
    return {"count": len(found), "area": area, "boxes": [f[0] for f in found],
            "fills": [f[1] for f in found], "labels": [f[2] for f in found],
            "full": area >= FULL_PAGE}


def _to_points(box: tuple[int, int, int, int], scale: float) -> list[float]:
    return [round(v * scale, 1) for v in box]


def _boxes(dark: np.ndarray, cell: int) -> list[tuple[int, int, int, int]]:
    """Pixel rectangles (x0, y0, x1, y1) of the solid dark boxes in a boolean ink mask."""
    rows, cols = dark.shape[0] // cell, dark.shape[1] // cell
    if rows == 0 or cols == 0:
        return []
    grid = dark[:rows * cell, :cols * cell].reshape(rows, cell, cols, cell).mean(axis=(1, 3))
    solid, weak = grid >= SOLID, grid >= WEAK
    seen = np.zeros_like(solid)
    found = []
    for r, c in zip(*np.nonzero(solid), strict=True):
        if seen[r, c]:
            continue
        cells = _region(solid, weak, seen, int(r), int(c))
        r0, r1 = min(p[0] for p in cells), max(p[0] for p in cells) + 1
        c0, c1 = min(p[1] for p in cells), max(p[1] for p in cells) + 1
        if len(cells) < FILL * (r1 - r0) * (c1 - c0):
            continue  # not rectangular: a photo, a logo, a dense table
        box = _refine(dark, c0 * cell, r0 * cell, c1 * cell, r1 * cell, cell)
        inside = dark[box[1]:box[3], box[0]:box[2]]
        if inside.size and inside.mean() >= INK and _is_box(box, dark.shape, cell):
            found.append(box)
    found.sort(key=lambda b: (b[1], b[0]))
    return found


def _region(solid: np.ndarray, weak: np.ndarray, seen: np.ndarray, r: int,
            c: int) -> list[tuple[int, int]]:
    """The cells reachable from (r, c): vertically through solid cells, sideways through
    weak ones; marks them seen.
    """
    queue, cells = deque([(r, c)]), []
    seen[r, c] = True
    rows, cols = solid.shape
    while queue:
        y, x = queue.popleft()
        cells.append((y, x))
        steps = [(y, x - 1, weak), (y, x + 1, weak)]
        if solid[y, x]:
            steps += [(y - 1, x, solid), (y + 1, x, solid)]
        for ny, nx, allowed in steps:
            if 0 <= ny < rows and 0 <= nx < cols and allowed[ny, nx] and not seen[ny, nx]:
                seen[ny, nx] = True
                queue.append((ny, nx))
    return cells


def _refine(dark: np.ndarray, x0: int, y0: int, x1: int, y1: int,
            cell: int) -> tuple[int, int, int, int]:
    """Grow or shrink a cell-aligned rectangle to the box's real edges (half-dark lines)."""
    h, w = dark.shape
    x0, y0 = max(0, x0 - cell), max(0, y0 - cell)
    x1, y1 = min(w, x1 + cell), min(h, y1 + cell)
    patch = dark[y0:y1, x0:x1]
    cols = np.nonzero(patch.mean(axis=0) >= 0.5)[0]
    rows = np.nonzero(patch.mean(axis=1) >= 0.5)[0]
    if len(cols) == 0 or len(rows) == 0:
        return x0, y0, x1, y1
    return x0 + int(cols[0]), y0 + int(rows[0]), x0 + int(cols[-1]) + 1, y0 + int(rows[-1]) + 1


def _is_box(box: tuple[int, int, int, int], shape: tuple[int, ...], cell: int) -> bool:
    x0, y0, x1, y1 = box
    h, w = shape[0], shape[1]
    width, height = x1 - x0, y1 - y0
    if width < MIN_WIDTH / 4 * cell or height < MIN_HEIGHT / 4 * cell:
        return False
    at_edge = x0 <= 1 or y0 <= 1 or x1 >= w - 1 or y1 >= h - 1
    thin = width < 0.1 * w or height < 0.1 * h
    return not (at_edge and thin)  # a scanner's dark edge, not a redaction
