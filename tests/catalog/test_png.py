"""The pure-Python PNG rendering of the generated badge images."""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any

import pytest

from app.catalog.categories import CATEGORY_COLOURS
from app.catalog.images import render_badge_svg
from app.catalog.png import render_badge_png
from app.catalog.schemas import Badge, Category
from app.vc.baking import bake_png, bake_svg, detect_and_unbake, unbake_png, unbake_svg
from tests.catalog.minimal import badge

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def make_badge(level: int = 1, category: Category = Category.ammatilliset_taidot) -> Badge:
    data = badge(f"puutyo-{level}", level, None if level == 1 else f"puutyo-{level - 1}")
    data["category"] = category.value
    return Badge.model_validate(data)


def chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    """Parse the chunks, checking every CRC."""
    assert png[:8] == SIGNATURE
    pos, found = 8, []
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        ctype, data = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", png[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(ctype + data), f"bad CRC in {ctype!r}"
        found.append((ctype, data))
        pos += 12 + length
    assert pos == len(png)
    return found


class Decoded:
    """An indexed PNG decoded to RGBA pixels (filter type 0 only, as written)."""

    def __init__(self, png: bytes) -> None:
        parts = dict(chunks(png))
        self.width, self.height, depth, colour, _, _, interlace = struct.unpack(
            ">IIBBBBB", parts[b"IHDR"]
        )
        assert (depth, colour, interlace) == (8, 3, 0)
        plte, trns = parts[b"PLTE"], parts[b"tRNS"]
        self.palette = [
            (*plte[i : i + 3], trns[i // 3] if i // 3 < len(trns) else 255)
            for i in range(0, len(plte), 3)
        ]
        raw = zlib.decompress(b"".join(d for t, d in chunks(png) if t == b"IDAT"))
        stride = self.width + 1
        assert len(raw) == stride * self.height
        self.rows = []
        for y in range(self.height):
            assert raw[y * stride] == 0, "filter type"
            row = raw[y * stride + 1 : (y + 1) * stride]
            assert max(row) < len(self.palette)
            self.rows.append(row)

    def pixel(self, x: int, y: int) -> tuple[int, ...]:
        return self.palette[self.rows[y][x]]


def rgba(colour: str) -> tuple[int, int, int, int]:
    return (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16), 255)


def test_png_structure() -> None:
    png = render_badge_png(make_badge())
    assert png.startswith(SIGNATURE)
    types = [t for t, _ in chunks(png)]
    assert types[0] == b"IHDR"
    assert types[-1] == b"IEND"
    assert b"IDAT" in types
    width, height = struct.unpack(">II", dict(chunks(png))[b"IHDR"][:8])
    assert (width, height) == (400, 400)
    decoded = Decoded(png)
    assert (decoded.width, decoded.height) == (400, 400)


@pytest.mark.parametrize("size", [16, 64, 257, 512])
def test_other_sizes(size: int) -> None:
    decoded = Decoded(render_badge_png(make_badge(), size=size))
    assert (decoded.width, decoded.height) == (size, size)


@pytest.mark.parametrize("size", [0, 15, 2049, -1])
def test_size_out_of_range(size: int) -> None:
    with pytest.raises(ValueError, match="size"):
        render_badge_png(make_badge(), size=size)


def test_deterministic() -> None:
    assert render_badge_png(make_badge(2)) == render_badge_png(make_badge(2))


@pytest.mark.parametrize("category", list(Category))
def test_colours_and_shapes(category: Category) -> None:
    background, accent = CATEGORY_COLOURS[category]
    image = Decoded(render_badge_png(make_badge(category=category)))
    assert image.pixel(0, 0)[3] == 0, "corners are transparent"
    assert image.pixel(399, 399)[3] == 0
    assert image.pixel(200, 60) == rgba(background)  # inside the disc, above the ring gap
    assert image.pixel(200, 30) == rgba(accent)  # on the ring (r = 170, stroke 6)
    assert image.pixel(200, 292) == rgba(accent)  # the centre of the (middle) star
    assert image.pixel(5, 200)[3] == 0  # left of the disc (r = 190)
    assert image.pixel(15, 200) == rgba(background)
    # Edges are anti-aliased: some pixels are partly covered.
    alphas = {image.pixel(x, 100)[3] for x in range(0, 60)}
    assert any(0 < a < 255 for a in alphas)


def accent_pixels_on_star_line(png: bytes, accent: str) -> list[int]:
    image = Decoded(png)
    # between x = 100 and 300 only: the ring crosses this line further out
    return [x for x in range(100, 300) if image.pixel(x, 292) == rgba(accent)]


def test_levels_give_different_images_with_one_star_per_level() -> None:
    images = {level: render_badge_png(make_badge(level)) for level in (1, 2, 3)}
    assert len(set(images.values())) == 3
    accent = CATEGORY_COLOURS[Category.ammatilliset_taidot][1]
    runs = []
    for level in (1, 2, 3):
        xs = accent_pixels_on_star_line(images[level], accent)
        # count contiguous runs of accent pixels through the star centres (y = 292)
        count = sum(1 for i, x in enumerate(xs) if i == 0 or xs[i - 1] != x - 1)
        runs.append(count)
    assert runs == [1, 2, 3]


def test_categories_give_different_images() -> None:
    images = {render_badge_png(make_badge(category=category)) for category in Category}
    assert len(images) == len(Category)


def test_rendered_png_can_be_baked() -> None:
    png = render_badge_png(make_badge(3))
    credential: dict[str, Any] = {"id": "urn:uuid:1", "name": "Puutyö ]]> 3"}
    baked = bake_png(png, credential)
    assert json.loads(unbake_png(baked) or "") == credential
    found = detect_and_unbake(baked)
    assert found is not None
    assert found[0] == "png"
    # The pixels are unchanged by baking.
    assert Decoded(baked).rows == Decoded(png).rows


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
