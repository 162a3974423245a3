"""White redaction boxes: rectangles outlined by a thin dark line, standing alone.

Some agencies redact with a white box and a thin border, usually with the exemption label
printed inside. Forms and tables are full of outlined rectangles too, so a *frame* found
here is only a candidate, and it must stand alone:

1. its four sides are thin straight lines (at most 3 points thick) that meet at the
   corners and end there: a table cell's sides run on into the next cell, a frame's don't;
2. no other line meets its sides from outside, and none divides its inside from side to
   side (a form's rules, a one-row table);
3. inside, it holds at most two short lines of ink (room for a label), not a paragraph.

Whether a frame is a redaction is then decided by its label (`archive.foia.box_labels`): a
frame with no exemption label inside is left out, because an empty form field looks the
same.

Lines are found at about 150 dpi on a min-pooled ink mask (a hairline border must survive
the reduction), as runs of ink along rows (at least 16 points long) and columns (at least
8 points), grouped with the runs of the next rows that start and end at the same places.
"""

from __future__ import annotations

import bisect

import numpy as np
from PIL import Image

LINE_DPI = 150
LINE_DARK = 160  # gray level below which a pixel is ink, for lines (hairlines render grey)
MIN_WIDTH, MIN_HEIGHT = 16.0, 8.0  # points, as for black boxes
MAX_THICK = 3.0  # points: a thicker line is a bar, not a border
TOLERANCE = 2.0  # points: how far the ends of two sides may miss each other at a corner
TOUCH = 0.75  # points: a line ending this near a side meets it (boxes stacked 1 pt apart don't)
INNER_INK = 0.3  # share of the inside's pixels that may be ink (a label in a tight box: ~0.15)
MAX_TEXT_LINES = 2  # lines of ink inside: a label, perhaps wrapped
MAX_FRAMES = 40  # a page with more standalone outlined boxes is a form

Lines = np.ndarray  # one row per line: first, last (across it), start, end (along it)


def find(image: Image.Image, dpi: float) -> list[list[float]]:
    """Standalone outlined rectangles on a page image rendered at `dpi`.

    Returns:
        [[x0, y0, x1, y1], ...] in PDF points (outer edges of the border), top to bottom.
    """
    factor = max(1, round(dpi / LINE_DPI))
    gray = np.asarray(image.convert("L"))
    h, w = gray.shape[0] // factor * factor, gray.shape[1] // factor * factor
    if h == 0 or w == 0:
        return []
    pooled = gray[:h:factor, :w:factor]
    for dy in range(factor):  # min-pooling: strided views are far faster than a reshape
        for dx in range(factor):
            if dy or dx:
                pooled = np.minimum(pooled, gray[dy:h:factor, dx:w:factor])
    ink = pooled < LINE_DARK
    px = dpi / factor / 72.0  # pixels per point
    rows = _lines(ink, max(3, round(MIN_WIDTH * px)), px)
    if len(rows) < 2:
        return []  # no top and bottom sides: most text pages stop here
    cols = _lines(ink.T, max(3, round(MIN_HEIGHT * px)), px)
    frames = [f for f in _rectangles(rows, cols, px) if _holds_a_label_at_most(ink, f, px)]
    if len(frames) > MAX_FRAMES:
        return []
    return [[round(v / px, 1) for v in (x0, y0, x1 + 1, y1 + 1)]
            for x0, y0, x1, y1 in sorted(frames, key=lambda f: (f[1], f[0]))]


def _lines(ink: np.ndarray, min_run: int, px: float) -> Lines:
    """Thin lines along the rows of `ink`: runs at least `min_run` long, grouped with the
    runs in the next rows that start and end within the tolerance.
    """
    padded = np.zeros((ink.shape[0], ink.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = ink
    change = np.diff(padded, axis=1)
    ys, xs = np.nonzero(change)
    starts = change[ys, xs] == 1  # per row, starts and ends alternate
    row, start, end = ys[starts], xs[starts], xs[~starts] - 1
    keep = end - start + 1 >= min_run
    tolerance = max(1, round(TOLERANCE * px))
    growing: list[list[int]] = []
    done: list[list[int]] = []
    for y, x0, x1 in zip(row[keep].tolist(), start[keep].tolist(), end[keep].tolist(),
                         strict=True):
        still, joined = [], False
        for line in growing:
            if line[1] < y - 1:
                done.append(line)
                continue
            still.append(line)
            if not joined and line[1] == y - 1 and abs(line[2] - x0) <= tolerance \
                    and abs(line[3] - x1) <= tolerance:
                line[1], line[2], line[3] = y, min(line[2], x0), max(line[3], x1)
                joined = True
        if not joined:
            still.append([y, y, x0, x1])
        growing = still
    done.extend(growing)
    lines = np.array(done, dtype=np.int64).reshape(-1, 4)
    thin = lines[:, 1] - lines[:, 0] < max(1, round(MAX_THICK * px))
    return lines[thin]


def _rectangles(rows: Lines, cols: Lines, px: float) -> list[tuple[int, int, int, int]]:
    """Rectangles whose four sides are lines that end at the corners, met by no other line."""
    tol = max(2, round(TOLERANCE * px))
    touch = max(1, round(TOUCH * px))
    min_w, min_h = MIN_WIDTH * px, MIN_HEIGHT * px
    sides = cols[np.argsort(cols[:, 0], kind="stable")].tolist()
    side_x = [side[0] for side in sides]
    found = []
    lines = rows.tolist()
    for i, top in enumerate(lines):
        for bottom in lines[i + 1:]:
            if abs(top[2] - bottom[2]) > tol or abs(top[3] - bottom[3]) > tol:
                continue
            if bottom[0] - top[1] < min_h - 2 * tol:
                continue
            # the nearest line below with the same ends is the only possible bottom side
            x0, x1 = min(top[2], bottom[2]), max(top[3], bottom[3])
            y0, y1 = top[0], bottom[1]
            left = _side(sides, side_x, x0, y0, y1, tol)
            right = _side(sides, side_x, x1, y0, y1, tol)
            if left is not None and right is not None and x1 - x0 + 1 >= min_w \
                    and y1 - y0 + 1 >= min_h:
                frame = (min(x0, left[0]), y0, max(x1, right[1]), y1)
                if not _met(rows, cols, frame, touch):
                    found.append(frame)
            break
    return found


def _side(sides: list[list[int]], side_x: list[int], x: int, y0: int, y1: int,
          tol: int) -> list[int] | None:
    """The vertical line near `x` that runs from `y0` to `y1`, and not beyond."""
    lo = bisect.bisect_left(side_x, x - tol - round(MAX_THICK * 3))
    hi = bisect.bisect_right(side_x, x + tol)
    for col in sides[lo:hi]:
        if col[1] >= x - tol and abs(col[2] - y0) <= tol and abs(col[3] - y1) <= tol:
            return col
    return None


def _met(rows: Lines, cols: Lines, frame: tuple[int, int, int, int], touch: int) -> bool:
    """Whether a line other than the frame's sides meets a side from outside (a table, a
    form's rules) or divides the inside from one side to the other.
    """
    x0, y0, x1, y1 = frame
    return _meets(rows, x0, y0, x1, y1, touch) or _meets(cols, y0, x0, y1, x1, touch)


def _meets(lines: Lines, a0: int, b0: int, a1: int, b1: int, tol: int) -> bool:
    """For lines along axis a (across b): one within the band b0..b1 that reaches out past
    the a0 or a1 side, or that runs inside from side to side without being a side itself.
    A line just beyond the band (the side of a box stacked against this one) is not in it.
    """
    first, last, start, end = lines[:, 0], lines[:, 1], lines[:, 2], lines[:, 3]
    band = (last >= b0 - 1) & (first <= b1 + 1)
    outside_before = (start < a0 - tol) & (end >= a0 - tol)
    outside_after = (end > a1 + tol) & (start <= a1 + tol)
    inside = (first > b0 + tol) & (last < b1 - tol) & (start <= a0 + 1) & (end >= a1 - 1)
    return bool(np.any(band & (outside_before | outside_after | inside)))


def _holds_a_label_at_most(ink: np.ndarray, frame: tuple[int, int, int, int],
                           px: float) -> bool:
    """Some ink inside the frame, in at most a couple of lines: room for a label, not a
    paragraph, and not nothing (an empty frame carries no label to confirm it).
    """
    x0, y0, x1, y1 = frame
    inset = max(2, round(MAX_THICK * px / 2) + 1)
    inside = ink[y0 + inset:y1 - inset + 1, x0 + inset:x1 - inset + 1]
    if inside.size == 0 or not inside.any() or inside.mean() > INNER_INK:
        return False
    inked = np.zeros(inside.shape[0] + 1, dtype=np.int8)
    inked[1:] = inside.any(axis=1)
    text_lines = int(np.count_nonzero(np.diff(inked) == 1))  # rows of ink that begin
    return text_lines <= MAX_TEXT_LINES
