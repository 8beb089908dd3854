"""A PNG version of the generated badge image, drawn in pure Python.

Baking a PNG credential needs a PNG, and no SVG renderer is available, so the shapes of
:func:`app.catalog.images.render_badge_svg` (the category-coloured disc and ring, the
category pictogram, one star per level) are rasterised here directly: each shape gives, for
a horizontal line, the intervals it covers; the intervals are filled into a row of samples
with slice assignments, so the work per row does not depend on the image width.

Anti-aliasing is 3x3 supersampling. Each sample holds 0 (transparent), 1 (background) or
10 (accent), so the sum of the nine samples of a pixel, ``n_background + 10 * n_accent``,
identifies its colour mix; the sums are computed for whole rows at once with big-integer
additions (no carries: a byte never exceeds 90) and mapped to an entry of a 55-colour
palette with ``bytes.translate``. The PNG is indexed colour with a ``tRNS`` chunk for the
transparent corners. The output depends only on the badge and the size (no timestamps).
"""

from __future__ import annotations

import math
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from app.catalog.categories import CATEGORY_COLOURS
from app.catalog.schemas import Badge, Category

__all__ = ["MAX_SIZE", "MIN_SIZE", "render_badge_png"]

MIN_SIZE = 16
MAX_SIZE = 2048

_SS = 3  # supersampling factor per axis
_SAMPLES = _SS * _SS
_VIEWBOX = 400.0
_BACKGROUND, _ACCENT = 1, _SAMPLES + 1  # sample values (0 = transparent)

Span = tuple[float, float]


# --------------------------------------------------------------------------- shapes


class _Shape:
    """A filled region; ``spans(y)`` lists the x intervals it covers on the line ``y``."""

    top: float
    bottom: float

    def spans(self, y: float) -> list[Span]:
        raise NotImplementedError


def _circle_span(cx: float, cy: float, r: float, y: float) -> Span | None:
    dy = y - cy
    if abs(dy) > r:
        return None
    half = math.sqrt(r * r - dy * dy)
    return (cx - half, cx + half)


def _minus(outer: Span | None, inner: Span | None) -> list[Span]:
    if outer is None:
        return []
    if inner is None or inner[0] >= outer[1] or inner[1] <= outer[0]:
        return [outer]
    return [s for s in ((outer[0], inner[0]), (inner[1], outer[1])) if s[1] > s[0]]


class _Disc(_Shape):
    def __init__(self, cx: float, cy: float, r: float) -> None:
        self.cx, self.cy, self.r = cx, cy, r
        self.top, self.bottom = cy - r, cy + r

    def spans(self, y: float) -> list[Span]:
        span = _circle_span(self.cx, self.cy, self.r, y)
        return [] if span is None else [span]


class _Annulus(_Shape):
    """A stroked circle: the ring between ``inner`` and ``outer`` radius."""

    def __init__(self, cx: float, cy: float, inner: float, outer: float) -> None:
        self.cx, self.cy, self.inner, self.outer = cx, cy, inner, outer
        self.top, self.bottom = cy - outer, cy + outer

    def spans(self, y: float) -> list[Span]:
        return _minus(
            _circle_span(self.cx, self.cy, self.outer, y),
            _circle_span(self.cx, self.cy, self.inner, y),
        )


def _round_rect_span(x: float, y0: float, w: float, h: float, r: float, y: float) -> Span | None:
    if y < y0 or y > y0 + h:
        return None
    r = max(0.0, min(r, w / 2, h / 2))
    d = max(y0 + r - y, y - (y0 + h - r), 0.0)
    inset = r - math.sqrt(max(r * r - d * d, 0.0)) if d > 0 else 0.0
    return (x + inset, x + w - inset)


class _RoundRect(_Shape):
    def __init__(self, x: float, y: float, w: float, h: float, r: float = 0.0) -> None:
        self.x, self.y, self.w, self.h, self.r = x, y, w, h, r
        self.top, self.bottom = y, y + h

    def spans(self, y: float) -> list[Span]:
        span = _round_rect_span(self.x, self.y, self.w, self.h, self.r, y)
        return [] if span is None else [span]


class _RoundRectStroke(_Shape):
    """The stroke of ``<rect x y width height rx stroke-width>`` (centred on the outline)."""

    def __init__(self, x: float, y: float, w: float, h: float, r: float, width: float) -> None:
        half = width / 2
        self.outer = (x - half, y - half, w + width, h + width, r + half)
        self.inner = (x + half, y + half, w - width, h - width, max(r - half, 0.0))
        self.top, self.bottom = y - half, y + h + half

    def spans(self, y: float) -> list[Span]:
        return _minus(_round_rect_span(*self.outer, y), _round_rect_span(*self.inner, y))


class _Polygon(_Shape):
    """A simple polygon (even-odd rule, which equals non-zero for simple polygons)."""

    def __init__(self, points: Sequence[tuple[float, float]]) -> None:
        self.edges = [
            (x0, y0, x1, y1)
            for (x0, y0), (x1, y1) in zip(points, [*points[1:], points[0]], strict=True)
            if y0 != y1
        ]
        self.top = min(p[1] for p in points)
        self.bottom = max(p[1] for p in points)

    def spans(self, y: float) -> list[Span]:
        xs = sorted(
            x0 + (y - y0) * (x1 - x0) / (y1 - y0)
            for x0, y0, x1, y1 in self.edges
            if (y0 <= y < y1) or (y1 <= y < y0)
        )
        return [(xs[i], xs[i + 1]) for i in range(0, len(xs) - 1, 2)]


class _Capsule(_Shape):
    """A line segment stroked with round caps (convex: one span per line)."""

    def __init__(self, a: tuple[float, float], b: tuple[float, float], width: float) -> None:
        self.a, self.b, self.r = a, b, width / 2
        dx, dy = b[0] - a[0], b[1] - a[1]
        length = math.hypot(dx, dy) or 1.0
        nx, ny = -dy / length * self.r, dx / length * self.r
        self.body = _Polygon(
            [(a[0] + nx, a[1] + ny), (b[0] + nx, b[1] + ny), (b[0] - nx, b[1] - ny),
             (a[0] - nx, a[1] - ny)]
        )  # fmt: skip
        self.top = min(a[1], b[1]) - self.r
        self.bottom = max(a[1], b[1]) + self.r

    def spans(self, y: float) -> list[Span]:
        pieces = [
            *self.body.spans(y),
            _circle_span(*self.a, self.r, y),
            _circle_span(*self.b, self.r, y),
        ]
        found = [p for p in pieces if p is not None]
        if not found:
            return []
        return [(min(p[0] for p in found), max(p[1] for p in found))]


# --------------------------------------------------------------------------- the badge


def _glyph(category: Category) -> list[_Shape]:
    """The pictogram of ``images._GLYPHS``, as shapes (same coordinates)."""
    if category is Category.arjenhallinta:  # a clock
        return [
            _Annulus(200, 185, 41, 51),
            _Capsule((200, 155), (200, 187), 10),
            _Capsule((200, 187), (222, 201), 10),
        ]
    if category is Category.tyoelamataidot:  # a briefcase
        return [
            _RoundRect(152, 160, 96, 66, 8),
            _RoundRect(177.5, 141.5, 9, 18.5),  # the handle, stroke 9, mitred corners
            _RoundRect(177.5, 141.5, 45, 9),
            _RoundRect(213.5, 141.5, 9, 18.5),
        ]
    if category is Category.vuorovaikutus:  # two speech bubbles
        return [_RoundRect(146, 146, 70, 48, 12), _RoundRectStroke(186, 178, 70, 48, 12, 8)]
    if category is Category.digitaidot:  # a screen
        return [
            _RoundRectStroke(148, 150, 104, 68, 6, 9),
            _RoundRect(180, 231.5, 40, 9),
            _RoundRect(195.5, 218, 9, 18),
        ]
    # ammatilliset taidot: a wrench-like tool
    return [_Capsule((160, 230), (212, 178), 14), _Annulus(222, 166, 20, 32)]


def _star(cx: float, cy: float, r: float) -> _Polygon:
    points = []
    for i in range(10):
        radius = r if i % 2 == 0 else r * 0.45
        angle = math.pi / 2 + i * math.pi / 5
        points.append((cx + radius * math.cos(angle), cy - radius * math.sin(angle)))
    return _Polygon(points)


def _shapes(badge: Badge) -> list[tuple[_Shape, int]]:
    """The badge as (shape, sample value) pairs in painting order."""
    level = badge.level
    stars = [_star(200 + (i - (level - 1) / 2) * 44, 292, 17) for i in range(level)]
    return [
        (_Disc(200, 200, 190), _BACKGROUND),
        (_Annulus(200, 200, 167, 173), _ACCENT),
        *((shape, _ACCENT) for shape in _glyph(badge.category)),
        *((star, _ACCENT) for star in stars),
    ]


# --------------------------------------------------------------------------- PNG output


def _rgb(colour: str) -> tuple[int, int, int]:
    value = colour.removeprefix("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _round_div(numerator: int, denominator: int) -> int:
    return (2 * numerator + denominator) // (2 * denominator)


@dataclass(frozen=True)
class _Palette:
    plte: bytes
    trns: bytes
    table: bytes  # 256-byte translate table: sample sum -> palette index


def _palette(background: str, accent: str) -> _Palette:
    """One entry per mix of ``n_bg`` background and ``n_ac`` accent samples out of nine."""
    bg, ac = _rgb(background), _rgb(accent)
    plte, trns = bytearray(), bytearray()
    table = bytearray(256)
    index = 0
    for n_ac in range(_SAMPLES + 1):
        for n_bg in range(_SAMPLES + 1 - n_ac):
            covered = n_bg + n_ac
            if covered:
                plte += bytes(
                    _round_div(n_bg * b + n_ac * a, covered) for b, a in zip(bg, ac, strict=True)
                )
            else:
                plte += b"\x00\x00\x00"
            trns.append(_round_div(255 * covered, _SAMPLES))
            table[n_bg * _BACKGROUND + n_ac * _ACCENT] = index
            index += 1
    return _Palette(bytes(plte), bytes(trns), bytes(table))


def _chunk(ctype: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data))


def render_badge_png(badge: Badge, size: int = 400) -> bytes:
    """Render the default image of a badge as a PNG (the SVG design, rasterised).

    Args:
        badge: The badge (its category gives the colours and pictogram, its level the
            number of stars).
        size: Width and height in pixels, ``MIN_SIZE``..``MAX_SIZE``.

    Returns:
        An indexed-colour PNG with transparent corners; identical input gives identical
        bytes.

    Raises:
        ValueError: ``size`` is out of range.
    """
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise ValueError(f"size must be between {MIN_SIZE} and {MAX_SIZE} pixels")
    background, accent = CATEGORY_COLOURS[badge.category]
    palette = _palette(background, accent)
    shapes = _shapes(badge)
    width = size * _SS  # samples per row
    scale = width / _VIEWBOX  # samples per SVG unit
    fills = {value: memoryview(bytes([value]) * width) for value in (_BACKGROUND, _ACCENT)}

    raw = bytearray()
    for row in range(size):
        total = 0
        for sub in range(_SS):
            y = (row * _SS + sub + 0.5) / scale
            samples = bytearray(width)
            for shape, value in shapes:
                if y < shape.top or y > shape.bottom:
                    continue
                fill = fills[value]
                for x0, x1 in shape.spans(y):
                    first = max(math.ceil(x0 * scale - 0.5), 0)
                    last = min(math.floor(x1 * scale - 0.5), width - 1)
                    if last >= first:
                        samples[first : last + 1] = fill[: last + 1 - first]
            total += int.from_bytes(samples, "big")
        sub_sums = total.to_bytes(width, "big")  # per column: sum of _SS samples
        pixel_sums = sum(int.from_bytes(sub_sums[i::_SS], "big") for i in range(_SS))
        raw += b"\x00"  # filter type None
        raw += pixel_sums.to_bytes(size, "big").translate(palette.table)

    header = struct.pack(">IIBBBBB", size, size, 8, 3, 0, 0, 0)  # 8-bit indexed colour
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", header),
            _chunk(b"PLTE", palette.plte),
            _chunk(b"tRNS", palette.trns),
            _chunk(b"IDAT", zlib.compress(bytes(raw), 9)),
            _chunk(b"IEND", b""),
        ]
    )
