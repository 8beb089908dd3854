"""Narratives' Markdown on the public pages: lists and emphasis only, everything else text."""

from __future__ import annotations

from app.web.markdown import narrative_html


def test_lists_paragraphs_and_emphasis() -> None:
    html = str(narrative_html("Osaaja:\n\n- osaa *sahata*\n- osaa **hioa**\nrivi"))
    assert html == (
        "<p>Osaaja:</p>\n<ul>\n<li>osaa <em>sahata</em></li>\n"
        "<li>osaa <strong>hioa</strong><br>\nrivi</li>\n</ul>\n"
    )


def test_html_links_images_and_headings_stay_text() -> None:
    html = str(
        narrative_html(
            '<script>alert(1)</script> <a href="x">a</a>\n\n'
            "[linkki](javascript:alert(1)) ![kuva](https://elsewhere.example/k.png)\n\n# Otsikko"
        )
    )
    assert "<script" not in html and "<a " not in html and "<img" not in html
    assert "<h1" not in html and "&lt;script&gt;" in html and "# Otsikko" in html


def test_nothing_gives_nothing() -> None:
    assert str(narrative_html(None)) == "" and str(narrative_html("")) == ""
