"""Narratives of credentials (Open Badges allows Markdown in them) as safe HTML.

Only paragraphs, line breaks, lists and emphasis are rendered. Raw HTML is escaped. Links,
images and headings stay text: a link in a narrative would take an employer away from
the verified page, an image would load from another host, and the page's own headings give
it its structure.
"""

from __future__ import annotations

from markdown_it import MarkdownIt
from markupsafe import Markup

_RENDERER = MarkdownIt("zero", {"html": False, "breaks": True}).enable(
    ["list", "emphasis", "newline"]
)


def narrative_html(text: str | None) -> Markup:
    """The narrative as HTML (block elements: paragraphs and lists)."""
    return Markup(_RENDERER.render(text or ""))  # noqa: S704 (markdown-it escapes the text)
