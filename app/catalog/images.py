"""Generated badge images: an SVG from the category and level, with an accessible title.

Designers may replace a generated file with their own; the loader only requires an SVG with a
<title>.
"""

from __future__ import annotations

import math
from xml.sax.saxutils import escape

from app.catalog.categories import CATEGORY_COLOURS
from app.catalog.schemas import Badge

# A simple pictogram per category, drawn in a 100x100 box centred at (200, 185).
_GLYPHS = {
    "arjenhallinta": (  # a clock
        '<circle cx="200" cy="185" r="46" fill="none" stroke="{a}" stroke-width="10"/>'
        '<path d="M200 155v32l22 14" fill="none" stroke="{a}" stroke-width="10" '
        'stroke-linecap="round"/>'
    ),
    "tyoelamataidot": (  # a briefcase
        '<rect x="152" y="160" width="96" height="66" rx="8" fill="{a}"/>'
        '<path d="M182 160v-14h36v14" fill="none" stroke="{a}" stroke-width="9"/>'
    ),
    "vuorovaikutus": (  # two speech bubbles
        '<rect x="146" y="146" width="70" height="48" rx="12" fill="{a}"/>'
        '<rect x="186" y="178" width="70" height="48" rx="12" fill="none" stroke="{a}" '
        'stroke-width="8"/>'
    ),
    "digitaidot": (  # a screen
        '<rect x="148" y="150" width="104" height="68" rx="6" fill="none" stroke="{a}" '
        'stroke-width="9"/><path d="M180 236h40M200 218v18" stroke="{a}" stroke-width="9"/>'
    ),
    "ammatilliset-taidot": (  # a wrench-like tool
        '<path d="M160 230l52-52" stroke="{a}" stroke-width="14" stroke-linecap="round"/>'
        '<circle cx="222" cy="166" r="26" fill="none" stroke="{a}" stroke-width="12"/>'
    ),
}


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
        f'<polygon points="{_star(200 + (i - (badge.level - 1) / 2) * 44, 292, 17)}" '
        f'fill="{accent}"/>'
        for i in range(badge.level)
    )
    glyph = _GLYPHS[badge.category.value].format(a=accent)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="400" '
        'viewBox="0 0 400 400" role="img" aria-labelledby="badge-title">'
        f'<title id="badge-title">{escape(title)}</title>'
        f'<circle cx="200" cy="200" r="190" fill="{background}"/>'
        f'<circle cx="200" cy="200" r="170" fill="none" stroke="{accent}" stroke-width="6"/>'
        f"{glyph}{stars}</svg>\n"
    )
