"""QR codes as accessible, deterministic SVG.

The ``qrcode`` library computes the module matrix; the SVG is written here so that it is the
same bytes for the same input (its one id is derived from the data; no timestamps, no
floating-point sizes), scales crisply (``viewBox`` in modules, ``shape-rendering="crispEdges"``)
and is accessible: a ``<title>`` named by ``aria-labelledby`` on an element with
``role="img"``.
"""

from __future__ import annotations

import hashlib
from xml.sax.saxutils import escape, quoteattr

import qrcode
from qrcode.constants import ERROR_CORRECT_M

QUIET_ZONE = 4  # modules of white around the code, as the standard requires


def qr_matrix(data: str) -> list[list[bool]]:
    """The QR module matrix (True = dark) including the quiet zone."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=QUIET_ZONE, box_size=1)
    qr.add_data(data.encode("utf-8"))
    qr.make(fit=True)
    return [[bool(cell) for cell in row] for row in qr.get_matrix()]


def qr_svg(data: str, *, title: str, size: str = "100%") -> str:
    """An SVG QR code for ``data`` (a URL) with an accessible title.

    Args:
        data: What the code encodes.
        title: The text a screen reader reads, e.g. "QR code: link to the badge".
        size: CSS width and height of the element.

    Returns:
        The SVG document as text.
    """
    matrix = qr_matrix(data)
    n = len(matrix)
    runs = []
    for y, row in enumerate(matrix):
        x = 0
        while x < n:
            if row[x]:
                start = x
                while x < n and row[x]:
                    x += 1
                runs.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    # An id of its own: a page may show two codes (the coach's passport and wallet codes),
    # and each must be named by its own title.
    title_id = "qr-" + hashlib.sha256(data.encode("utf-8")).hexdigest()[:12]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {n} {n}" '
        f"width={quoteattr(size)} height={quoteattr(size)} "
        f'role="img" aria-labelledby="{title_id}" shape-rendering="crispEdges">'
        f'<title id="{title_id}">{escape(title)}</title>'
        f'<rect width="{n}" height="{n}" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(runs)}"/>'
        "</svg>"
    )
