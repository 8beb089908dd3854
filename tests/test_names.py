"""Names people type must be visible and must not change how text is displayed (issue #11)."""

from __future__ import annotations

import pytest

from app.errors import ValidationFailed
from app.names import checked_name


@pytest.mark.parametrize(
    "name",
    [
        "Aino Virtanen",
        "  Aino   Virtanen ",
        "Zoë O'Brien-Mäkelä",
        "علی\u200cرضا",  # a Persian name with its zero-width non-joiner
        "Ahmed \u200fعلي\u200f",  # right-to-left marks (not overrides)
        "Li 李",
        "R2",
    ],
)
def test_real_names_are_kept(name: str) -> None:
    assert checked_name(name) == " ".join(name.split())


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("\u202eoniA", "direction"),  # right-to-left override
        ("Aino\u2066x\u2069", "direction"),  # an isolate
        ("Ai\x07no", "control"),
        ("Ai\u200bno", "control"),  # zero-width space inside a name
        ("\u200b\u200b", "control"),
        ("\u3164\u3164", "visible"),  # Hangul fillers render as nothing
        ("...", "visible"),
        ("\u2800", "visible"),  # braille blank
    ],
)
def test_invisible_and_direction_changing_names_are_refused(name: str, reason: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        checked_name(name)
    assert {"direction": "direction", "control": "control", "visible": "visible"}[reason] in (
        caught.value.detail
    )
