"""Names people type (a participant's name on the badge, a coach's, an organization's): the
text must be visible, and must not carry characters that change how it is displayed.

A name goes into signed credentials and onto public pages: a right-to-left override could
make "Aino" display as something else, and a name of only invisible characters (zero-width
spaces, Hangul fillers) would put an empty name on a badge.
"""

from __future__ import annotations

import unicodedata

from app.errors import ValidationFailed

# Embeddings, overrides and isolates (the "Trojan Source" characters). The plain marks
# U+200E and U+200F stay allowed: mixed-direction names need them.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Letters that render as nothing.
INVISIBLE_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e")
# Joiners that some scripts need inside names (Persian, Indic); other format characters are
# invisible and have no place in a name.
ALLOWED_FORMAT = frozenset("\u200c\u200d\u200e\u200f")
# The most a person's name (a participant's, a coach's) may have, after its spaces are tidied.
MAX_NAME = 200


def checked_name(value: str, max_length: int | None = None) -> str:
    """The name with its spaces tidied (at most `max_length` characters when given).

    Raises:
        ValidationFailed: No visible letter or digit, a control character, a direction
            override, or another invisible formatting character.
    """
    name = " ".join(value.split())
    for char in name:
        category = unicodedata.category(char)
        if char in BIDI_CONTROLS:
            raise ValidationFailed(
                "The name contains a hidden character that changes the direction of the text. "
                "Type the name again without copying it."
            )
        if category in ("Cc", "Cs", "Co", "Cn") or (
            category == "Cf" and char not in ALLOWED_FORMAT
        ):
            raise ValidationFailed(
                "The name contains an invisible control character. Type the name again "
                "without copying it."
            )
    if not any(
        unicodedata.category(char)[0] in ("L", "N") and char not in INVISIBLE_LETTERS
        for char in name
    ):
        raise ValidationFailed("The name must have at least one visible letter or digit.")
    if max_length is not None and len(name) > max_length:
        raise ValidationFailed(
            "The name can have at most {n} characters.", params={"n": max_length}
        )
    return name
