"""QR codes: deterministic, accessible SVG that decodes back to the URL."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
import zxingcpp

from app.sharing.qr import qr_matrix, qr_svg

SVG = "{http://www.w3.org/2000/svg}"


def rasterize(svg: str, scale: int = 4) -> memoryview:
    """Draw the SVG's path (rectangles written as M x y h w v 1 h -w z) into a grey image."""
    root = ET.fromstring(svg)  # noqa: S314 (our own generated SVG, no DTD)
    n = int(root.attrib["viewBox"].split()[2])
    pixels = bytearray([255]) * (n * scale) ** 2
    path = root.find(f"{SVG}path")
    assert path is not None
    for x, y, w in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", path.attrib["d"]):
        for row in range(int(y) * scale, (int(y) + 1) * scale):
            start = row * n * scale + int(x) * scale
            pixels[start : start + int(w) * scale] = bytes(int(w) * scale)
    return memoryview(bytes(pixels)).cast("B", (n * scale, n * scale))


@pytest.mark.parametrize(
    "url",
    [
        "https://passi.test/s/4Jd0TqfG2bU8Zy3Cw1_-kHnVxPaLoQeRsMtYiWgOjN5",
        "https://passi.example.fi/credentials/0b6f1c9e-8d4a-4f0e-9a53-2f7d3c1b6a90",
        "https://passi.test/ä?x=1&y=2",
    ],
)
def test_svg_decodes_back_to_the_url(url: str) -> None:
    svg = qr_svg(url, title="QR code: link to the badge")
    results = zxingcpp.read_barcodes(rasterize(svg))
    assert [r.text for r in results] == [url]
    assert results[0].format == zxingcpp.BarcodeFormat.QRCode


def test_svg_is_accessible_and_deterministic() -> None:
    url = "https://passi.test/s/abc"
    svg = qr_svg(url, title="QR code: <link> & more")
    assert svg == qr_svg(url, title="QR code: <link> & more")
    root = ET.fromstring(svg)  # noqa: S314 (our own generated SVG, no DTD)
    assert root.attrib["role"] == "img"
    title = root.find(f"{SVG}title")
    assert title is not None and title.text == "QR code: <link> & more"
    assert root.attrib["aria-labelledby"] == title.attrib["id"]
    # Two codes on one page are each named by their own title.
    other = ET.fromstring(qr_svg("https://passi.test/s/abd", title="t"))  # noqa: S314
    assert other.attrib["aria-labelledby"] != root.attrib["aria-labelledby"]
    assert qr_svg("https://passi.test/s/abd", title="t") != qr_svg(url, title="t")


def test_matrix_has_quiet_zone() -> None:
    matrix = qr_matrix("https://passi.test/s/abc")
    assert not any(matrix[0]) and not any(matrix[-1])
    assert not any(row[0] or row[-1] for row in matrix)
    assert any(matrix[4])


def test_corrupted_svg_does_not_decode_to_the_url() -> None:
    url = "https://passi.test/s/abc"
    svg = qr_svg(url, title="t")
    # Erase the top-left finder pattern: the code is no longer readable.
    broken = re.sub(r"M4 [4-9]h7v1h-7z", "", svg)
    broken = re.sub(r"M4 10h7v1h-7z", "", broken)
    assert broken != svg
    assert [r.text for r in zxingcpp.read_barcodes(rasterize(broken))] != [url]
