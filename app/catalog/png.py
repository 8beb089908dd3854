"""The PNG of a badge image, for baking: the badge's own SVG rendered by resvg.

Baking a PNG credential needs a PNG of the badge's picture. It is the SVG of the badge
version itself (generated or a designer's), rendered by resvg (the `resvg-py` wheel: the
Rust renderer, no system libraries), so the PNG always matches what the pages show
(decision 0017). An SVG that refers to anything outside itself is not rendered: the catalog
refuses it already (app/catalog/loader.py), and a renderer must not read files or addresses
named by a document. System fonts are loaded only for an SVG with text.
"""

from __future__ import annotations

import re
from functools import lru_cache

import resvg_py

__all__ = ["MAX_SIZE", "MIN_SIZE", "refers_outside", "render_svg_png"]

MIN_SIZE = 16
MAX_SIZE = 2048

# href/src/url() to anything but a fragment of the same document or inline data, and any
# DOCTYPE (entities could name files).
_OUTSIDE = re.compile(
    r"""(?:\b(?:href|src)\s*=\s*["']\s*(?!#|data:))|(?:url\(\s*["']?\s*(?!#|data:))|<!DOCTYPE""",
    re.IGNORECASE,
)


def refers_outside(svg: str) -> bool:
    """True when the SVG names a file or an address outside itself."""
    return _OUTSIDE.search(svg) is not None


@lru_cache(maxsize=128)
def render_svg_png(svg: str, size: int = 400) -> bytes:
    """The SVG drawn as a `size` x `size` PNG (the badge images are square)."""
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise ValueError(f"size must be between {MIN_SIZE} and {MAX_SIZE}")
    if refers_outside(svg):
        raise ValueError("the image refers to something outside itself")
    png: bytes = resvg_py.svg_to_bytes(
        svg_string=svg, width=size, height=size, skip_system_fonts="<text" not in svg
    )
    return png
