"""Names of the badge categories, in the three languages of the service."""

from __future__ import annotations

from app.catalog.schemas import Category

CATEGORY_NAMES: dict[Category, dict[str, str]] = {
    Category.arjenhallinta: {
        "fi": "Arjenhallinta",
        "sv": "Vardagskunskaper",
        "en": "Everyday life skills",
    },
    Category.tyoelamataidot: {
        "fi": "Työelämätaidot",
        "sv": "Arbetslivsfärdigheter",
        "en": "Working life skills",
    },
    Category.vuorovaikutus: {
        "fi": "Vuorovaikutus",
        "sv": "Kommunikation och samarbete",
        "en": "Interaction",
    },
    Category.digitaidot: {"fi": "Digitaidot", "sv": "Digitala färdigheter", "en": "Digital skills"},
    Category.ammatilliset_taidot: {
        "fi": "Ammatilliset taidot",
        "sv": "Yrkesfärdigheter",
        "en": "Vocational skills",
    },
}

# Colours for generated badge images: (background, accent). All pass WCAG AA with white text.
CATEGORY_COLOURS: dict[Category, tuple[str, str]] = {
    Category.arjenhallinta: ("#1f5f8b", "#a9d6f5"),
    Category.tyoelamataidot: ("#6a3d9a", "#d9c6ef"),
    Category.vuorovaikutus: ("#9a3412", "#fed7aa"),
    Category.digitaidot: ("#0f5e55", "#a7f3d0"),
    Category.ammatilliset_taidot: ("#7a4a00", "#fde68a"),
}
