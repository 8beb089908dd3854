"""Generated badge images: an SVG from the badge's pathway, category and level, with an
accessible title.

The picture says what the badge is about: a pictogram of its pathway (a pot for kitchen work,
a hammer for woodwork, ...; the category's pictogram for a pathway without one of its own),
on a disc in the category's colours, with one star per level. The pictograms are drawn on one
grid (a 100 x 100 box, shown at 1.3 times that) with one stroke width and round ends, solid
parts filled with the accent colour.

Designers may replace a generated file with their own; the loader only requires an SVG with a
<title>. Whatever the SVG, the PNG for baking is that SVG rendered (app/catalog/png.py).
"""

from __future__ import annotations

import math
from xml.sax.saxutils import escape

from app.catalog.categories import CATEGORY_COLOURS
from app.catalog.schemas import Badge


def _stroke(width: int = 10) -> str:
    return (
        f'fill="none" stroke="{{a}}" stroke-width="{width}" stroke-linecap="round" '
        'stroke-linejoin="round"'
    )


_FILL = 'fill="{a}"'

# Pictograms in a 100 x 100 box centred at (200, 185); "{a}" is the accent colour.
PICTOGRAMS: dict[str, str] = {
    # categories
    "arjenhallinta": (  # a clock
        f'<circle cx="200" cy="185" r="46" {_stroke()}/><path d="M200 158v28l20 13" {_stroke()}/>'
    ),
    "tyoelamataidot": (  # a briefcase
        f'<path d="M182 160v-12a6 6 0 0 1 6-6h24a6 6 0 0 1 6 6v12" {_stroke()}/>'
        f'<rect x="150" y="160" width="100" height="68" rx="10" {_FILL}/>'
    ),
    "vuorovaikutus": (  # two speech bubbles
        f'<rect x="184" y="176" width="66" height="46" rx="10" {_stroke()}/>'
        f'<path d="M234 222v16l-16-16" {_stroke()}/>'
        '<path d="M158 142h54a8 8 0 0 1 8 8v32a8 8 0 0 1-8 8h-36l-18 14v-14a8 8 0 0 1-8-8v-32'
        f'a8 8 0 0 1 8-8z" {_FILL}/>'
    ),
    "digitaidot": (  # a screen
        f'<rect x="150" y="146" width="100" height="66" rx="8" {_stroke()}/>'
        f'<path d="M178 234h44M200 214v20" {_stroke()}/>'
    ),
    "ammatilliset-taidot": (  # a wrench
        f'<path d="M160 230l46-46" {_stroke(14)}/><circle cx="224" cy="166" r="24" {_stroke(12)}/>'
    ),
    # vocational pathways
    "keittio": (  # a pot with steam
        '<path d="M180 152c-6-6 6-12 0-18M200 152c-6-6 6-12 0-18M220 152c-6-6 6-12 0-18" '
        f"{_stroke(7)}/>"
        f'<path d="M150 172h100" {_stroke()}/>'
        f'<path d="M158 182h84v34a14 14 0 0 1-14 14h-56a14 14 0 0 1-14-14z" {_FILL}/>'
        f'<path d="M146 192h8M246 192h8" {_stroke()}/>'
    ),
    "puutyo": (  # a hammer
        '<g transform="rotate(-35 200 185)">'
        f'<path d="M200 178v56" {_stroke(13)}/>'
        f'<path d="M166 146h50l22 8v20l-22 6h-50a6 6 0 0 1-6-6v-22a6 6 0 0 1 6-6z" {_FILL}/>'
        "</g>"
    ),
    "siivous": (  # a broom
        f'<path d="M238 136l-32 54" {_stroke()}/>'
        f'<path d="M186 186l36 20" {_stroke(12)}/>'
        f'<path d="M180 198l40 22-12 20h-58z" {_FILL}/>'
    ),
    "varasto": (  # stacked boxes
        f'<rect x="152" y="190" width="44" height="42" rx="4" {_stroke(9)}/>'
        f'<rect x="204" y="190" width="44" height="42" rx="4" {_stroke(9)}/>'
        f'<rect x="178" y="140" width="44" height="42" rx="4" {_FILL}/>'
        f'<path d="M174 190v10M226 190v10" {_stroke(7)}/>'
    ),
}


def pictogram_of(badge: Badge) -> str:
    """The pictogram's key: the badge's pathway where it has one, else its category."""
    if badge.pathway and badge.pathway in PICTOGRAMS:
        return badge.pathway
    return badge.category.value


def _star(cx: float, cy: float, r: float) -> str:
    points = []
    for i in range(10):
        radius = r if i % 2 == 0 else r * 0.45
        angle = math.pi / 2 + i * math.pi / 5
        points.append(f"{cx + radius * math.cos(angle):.1f},{cy - radius * math.sin(angle):.1f}")
    return " ".join(points)


def render_badge_svg(badge: Badge) -> str:
    """Render the default image of a badge."""
    background, accent = CATEGORY_COLOURS[badge.category]
    title = f"{badge.name.fi} – taso {badge.level}"
    stars = "".join(
        f'<polygon points="{_star(200 + (i - (badge.level - 1) / 2) * 48, 300, 20)}" '
        f'fill="{accent}"/>'
        for i in range(badge.level)
    )
    picture = PICTOGRAMS[pictogram_of(badge)].format(a=accent)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="400" '
        'viewBox="0 0 400 400" role="img" aria-labelledby="badge-title">'
        f'<title id="badge-title">{escape(title)}</title>'
        f'<circle cx="200" cy="200" r="190" fill="{background}"/>'
        f'<circle cx="200" cy="200" r="170" fill="none" stroke="{accent}" stroke-width="6"/>'
        '<g transform="translate(200 185) scale(1.3) translate(-200 -185)">'
        f"{picture}</g>{stars}</svg>\n"
    )
