"""The PNG for baking is the badge's own SVG rendered (resvg), and the generated art."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from PIL import Image

from app.catalog.categories import CATEGORY_COLOURS
from app.catalog.images import PICTOGRAMS, pictogram_of, render_badge_svg
from app.catalog.png import refers_outside, render_svg_png
from app.catalog.schemas import Badge, Category
from app.vc.baking import bake_png, bake_svg, detect_and_unbake, unbake_png, unbake_svg
from tests.catalog.minimal import badge


def make_badge(
    level: int = 1,
    category: Category = Category.ammatilliset_taidot,
    pathway: str = "puutyo",
) -> Badge:
    data = badge(f"{pathway}-{level}", level, None if level == 1 else f"{pathway}-{level - 1}")
    data["category"], data["pathway"] = category.value, pathway
    return Badge.model_validate(data)


def pixels(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return image.convert("RGBA")


def rgba(colour: str) -> tuple[int, int, int, int]:
    return (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16), 255)


@pytest.mark.parametrize("size", [16, 64, 257, 400, 512])
def test_sizes(size: int) -> None:
    assert pixels(render_svg_png(render_badge_svg(make_badge()), size)).size == (size, size)


@pytest.mark.parametrize("size", [0, 15, 2049, -1])
def test_size_out_of_range(size: int) -> None:
    with pytest.raises(ValueError, match="size"):
        render_svg_png(render_badge_svg(make_badge()), size)


@pytest.mark.parametrize("category", list(Category))
def test_the_png_shows_what_the_svg_draws(category: Category) -> None:
    background, accent = CATEGORY_COLOURS[category]
    image = pixels(render_svg_png(render_badge_svg(make_badge(category=category))))
    assert image.getpixel((0, 0))[3] == 0, "corners are transparent"
    assert image.getpixel((399, 399))[3] == 0
    assert image.getpixel((200, 60)) == rgba(background)  # inside the disc, above the ring gap
    assert image.getpixel((200, 30)) == rgba(accent)  # on the ring (r = 170, stroke 6)
    assert image.getpixel((200, 300)) == rgba(accent)  # the centre of the (middle) star
    assert image.getpixel((5, 200))[3] == 0  # left of the disc (r = 190)
    assert image.getpixel((15, 200)) == rgba(background)
    alphas = {image.getpixel((x, 100))[3] for x in range(0, 60)}
    assert any(0 < a < 255 for a in alphas), "edges are anti-aliased"


def test_a_designers_svg_is_rendered_as_it_is() -> None:
    """Not redrawn from the badge's data: a replaced image gives its own PNG."""
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><title>Oma</title>'
        '<rect width="10" height="5" fill="#ff0000"/><rect y="5" width="10" height="5" '
        'fill="#0000ff"/></svg>'
    )
    image = pixels(render_svg_png(svg, 100))
    assert image.getpixel((50, 20)) == (255, 0, 0, 255)
    assert image.getpixel((50, 80)) == (0, 0, 255, 255)


def accent_runs_on_star_line(png: bytes, accent: str) -> int:
    image = pixels(png)
    # between x = 100 and 300 only: the ring crosses this line further out
    xs = [x for x in range(100, 300) if image.getpixel((x, 300)) == rgba(accent)]
    return sum(1 for i, x in enumerate(xs) if i == 0 or xs[i - 1] != x - 1)


def test_one_star_per_level() -> None:
    accent = CATEGORY_COLOURS[Category.ammatilliset_taidot][1]
    images = [render_svg_png(render_badge_svg(make_badge(level))) for level in (1, 2, 3)]
    assert len(set(images)) == 3
    assert [accent_runs_on_star_line(png, accent) for png in images] == [1, 2, 3]


def test_each_pathway_has_its_own_picture() -> None:
    """The vocational pathways share a category (and its colours) but not a picture."""
    pathways = ["keittio", "puutyo", "siivous", "varasto"]
    badges = [make_badge(pathway=pathway) for pathway in pathways]
    assert [pictogram_of(b) for b in badges] == pathways
    assert len({render_svg_png(render_badge_svg(b)) for b in badges}) == len(pathways)
    # A pathway without a picture of its own gets its category's.
    assert pictogram_of(make_badge(pathway="muu-ala")) == "ammatilliset-taidot"
    assert set(PICTOGRAMS) >= {c.value for c in Category}


@pytest.mark.parametrize(
    "reference",
    [
        '<image href="file:///etc/passwd" width="10" height="10"/>',
        '<image xlink:href="/etc/hostname" width="10" height="10"/>',
        "<image href='https://example.org/a.png' width='10' height='10'/>",
        '<rect width="10" height="10" style="fill: url(https://example.org/x.svg#p)"/>',
    ],
)
def test_an_svg_that_refers_outside_itself_is_not_rendered(reference: str) -> None:
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'viewBox="0 0 10 10"><title>x</title>{reference}</svg>'
    )
    assert refers_outside(svg)
    with pytest.raises(ValueError, match="outside"):
        render_svg_png(svg, 64)


def test_references_inside_the_svg_are_fine() -> None:
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><title>x</title>'
        '<defs><linearGradient id="g"><stop offset="0" stop-color="#000"/></linearGradient>'
        '</defs><rect width="10" height="10" fill="url(#g)"/><use href="#g"/></svg>'
    )
    assert not refers_outside(svg)
    assert pixels(render_svg_png(svg, 32)).size == (32, 32)
    assert not refers_outside(render_badge_svg(make_badge(3)))


def test_rendered_png_can_be_baked() -> None:
    png = render_svg_png(render_badge_svg(make_badge(3)))
    credential: dict[str, Any] = {"id": "urn:uuid:1", "name": "Puutyö ]]> 3"}
    baked = bake_png(png, credential)
    assert json.loads(unbake_png(baked) or "") == credential
    found = detect_and_unbake(baked)
    assert found is not None
    assert found[0] == "png"
    # The pixels are unchanged by baking.
    assert pixels(baked).tobytes() == pixels(png).tobytes()


def test_generated_svg_can_be_baked() -> None:
    svg = render_badge_svg(make_badge(2))
    jws = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln"
    baked = bake_svg(svg, jws)
    assert unbake_svg(baked) == jws
    assert (
        baked.replace(f'<openbadges:credential verify="{jws}"/>', "").replace(
            ' xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"', ""
        )
        == svg
    )
