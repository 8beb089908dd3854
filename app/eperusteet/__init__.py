"""ePerusteet: qualification requirements from the Finnish National Agency for Education.

`parser` turns answers of the external API into frozen dataclasses (pure); `client` builds
the URLs and decodes the answers, with the fetch function injected by the caller.
"""

from app.eperusteet.client import (
    DEFAULT_BASE_URL,
    MAX_PAGE_SIZE,
    EperusteetClient,
    EperusteetPagingLimitError,
    load_file,
)
from app.eperusteet.parser import (
    AssessmentArea,
    EperusteetFormatError,
    LevelCriteria,
    Localized,
    Peruste,
    Requirement,
    SearchHit,
    SearchPage,
    Unit,
    parse_peruste,
    parse_search_page,
    parse_unit,
    parse_units,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "MAX_PAGE_SIZE",
    "AssessmentArea",
    "EperusteetClient",
    "EperusteetFormatError",
    "EperusteetPagingLimitError",
    "LevelCriteria",
    "Localized",
    "Peruste",
    "Requirement",
    "SearchHit",
    "SearchPage",
    "Unit",
    "load_file",
    "parse_peruste",
    "parse_search_page",
    "parse_unit",
    "parse_units",
]
