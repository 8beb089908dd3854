"""A bounded client for the ePerusteet external API.

The client builds URLs, decodes JSON and hands it to the parser; it never opens a connection
itself. Callers pass the fetch function, normally the project's bounded fetcher
(`app.net.fetch.SafeFetcher().get`), whose errors (`FetchError`, `UrlNotAllowed`) pass through
unchanged. A full qualification can be several megabytes (peruste 3932281 is 3.4 MB), so the
fetcher's policy needs a `max_bytes` above its 2 MB default for `peruste()`.

Paths and query parameters follow the OpenAPI description of the external API
(`/api/external/perusteet`, `/api/external/peruste/{perusteId}`,
`/api/external/peruste/{perusteId}/{custompath}`,
`/api/external/peruste/tutkinnonosa/{tutkinnonOsaKoodiUri}`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from app.eperusteet.parser import (
    UNIT_CODE,
    EperusteetFormatError,
    Peruste,
    SearchHit,
    SearchPage,
    Unit,
    parse_peruste,
    parse_search_page,
    parse_unit,
)

DEFAULT_BASE_URL = "https://eperusteet.opintopolku.fi/eperusteet-service/api/external"
MAX_PAGE_SIZE = 50
DEFAULT_MAX_PAGES = 20

_PART_PATH = re.compile(r"[A-Za-z0-9_-]+(?:/[A-Za-z0-9_-]+)*")

Fetch = Callable[[str], bytes]


class EperusteetPagingLimitError(RuntimeError):
    """A search had more pages than the client may fetch."""


def decode_json(raw: bytes, *, source: str) -> Any:
    """Decode a JSON document.

    Args:
        raw: The bytes as fetched or read.
        source: URL or file name, named in the error message.

    Returns:
        The decoded value.

    Raises:
        EperusteetFormatError: The bytes are not UTF-8 JSON.
    """
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise EperusteetFormatError(f"{source}: not a JSON document ({exc})") from exc


def load_file(path: Path) -> Peruste:
    """Read a saved `GET /peruste/{id}` answer.

    Args:
        path: The JSON file.

    Returns:
        The qualification.

    Raises:
        EperusteetFormatError: The file is not JSON or not a qualification; the message
            names the file.
        OSError: The file cannot be read.
    """
    source = str(path)
    return parse_peruste(decode_json(path.read_bytes(), source=source), source=source)


def _positive_id(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


class EperusteetClient:
    """Reads qualifications and units from the ePerusteet external API.

    Args:
        fetch: Returns the body of a GET of a URL (e.g. `SafeFetcher(policy).get`).
        base_url: The external API root, without a trailing slash.
        max_pages: How many pages `iter_search` fetches at most.
    """

    def __init__(
        self,
        *,
        fetch: Fetch,
        base_url: str = DEFAULT_BASE_URL,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError(f"base_url must be an http(s) URL, got {base_url!r}")
        if parts.query or parts.fragment:
            raise ValueError(f"base_url must not have a query or fragment: {base_url!r}")
        if max_pages < 1:
            raise ValueError("max_pages must be at least 1")
        self.base_url = base_url.rstrip("/")
        self.max_pages = max_pages
        self._fetch = fetch

    def fetch_raw(self, url: str) -> bytes:
        """Fetch the bytes of an API URL, e.g. to keep or hash an answer before parsing it.

        Args:
            url: A URL under `base_url` (such as `peruste_url(3932281)`).

        Returns:
            The body as fetched.

        Raises:
            ValueError: The URL is not under `base_url`.
        """
        if not url.startswith(self.base_url + "/"):
            raise ValueError(f"only URLs under {self.base_url}/ are fetched, got {url!r}")
        return self._fetch(url)

    def _get_json(self, url: str) -> Any:
        return decode_json(self._fetch(url), source=url)

    def search_url(
        self,
        *,
        nimi: str | None = None,
        diaarinumero: str | None = None,
        sivu: int = 0,
        sivukoko: int = MAX_PAGE_SIZE,
    ) -> str:
        """Return the URL `search` fetches (arguments as for `search`)."""
        if isinstance(sivu, bool) or not isinstance(sivu, int) or sivu < 0:
            raise ValueError(f"sivu must be a non-negative integer, got {sivu!r}")
        if isinstance(sivukoko, bool) or not isinstance(sivukoko, int) or sivukoko < 1:
            raise ValueError(f"sivukoko must be a positive integer, got {sivukoko!r}")
        if sivukoko > MAX_PAGE_SIZE:
            raise ValueError(f"sivukoko must be at most {MAX_PAGE_SIZE}, got {sivukoko}")
        query: list[tuple[str, str]] = []
        if nimi:
            query.append(("nimi", nimi))
        if diaarinumero:
            query.append(("diaarinumero", diaarinumero))
        query += [("sivu", str(sivu)), ("sivukoko", str(sivukoko))]
        return f"{self.base_url}/perusteet?{urlencode(query, quote_via=quote)}"

    def search(
        self,
        *,
        nimi: str | None = None,
        diaarinumero: str | None = None,
        sivu: int = 0,
        sivukoko: int = MAX_PAGE_SIZE,
    ) -> SearchPage:
        """Fetch one page of qualifications (`GET /perusteet`).

        Args:
            nimi: Part of the name to search for.
            diaarinumero: A register number to search for.
            sivu: Zero-based page number.
            sivukoko: Page size, at most 50.

        Returns:
            The page.

        Raises:
            ValueError: `sivu` is negative or `sivukoko` is not within 1..50.
            EperusteetFormatError: The answer is not JSON or not a result page.
        """
        url = self.search_url(nimi=nimi, diaarinumero=diaarinumero, sivu=sivu, sivukoko=sivukoko)
        return parse_search_page(self._get_json(url), source=url)

    def iter_search(
        self,
        *,
        nimi: str | None = None,
        diaarinumero: str | None = None,
        sivukoko: int = MAX_PAGE_SIZE,
    ) -> Iterator[SearchHit]:
        """Yield the qualifications of every result page, fetching page after page.

        Paging stops after the last page the answers announce. It never fetches more than
        `max_pages` pages: when more remain, `EperusteetPagingLimitError` is raised after the
        hits of the pages fetched, so a truncated listing is never taken for a full one.
        The arguments are checked at the call, before anything is fetched.

        Args:
            nimi: Part of the name to search for.
            diaarinumero: A register number to search for.
            sivukoko: Page size, at most 50.

        Returns:
            An iterator over the hits, in the order of the pages.

        Raises:
            ValueError: `sivukoko` is not within 1..50 (at the call).
            EperusteetFormatError: An answer is not a result page, or not the page asked for
                (while iterating).
            EperusteetPagingLimitError: More than `max_pages` pages would be needed (while
                iterating).
        """
        self.search_url(nimi=nimi, diaarinumero=diaarinumero, sivukoko=sivukoko)
        return self._iter_pages(nimi=nimi, diaarinumero=diaarinumero, sivukoko=sivukoko)

    def _iter_pages(
        self, *, nimi: str | None, diaarinumero: str | None, sivukoko: int
    ) -> Iterator[SearchHit]:
        sivu = 0
        while True:
            url = self.search_url(
                nimi=nimi, diaarinumero=diaarinumero, sivu=sivu, sivukoko=sivukoko
            )
            page = parse_search_page(self._get_json(url), source=url)
            if page.page != sivu:
                raise EperusteetFormatError(f"{url}: page {sivu} asked for, {page.page} given")
            yield from page.hits
            sivu += 1
            if sivu >= page.pages:
                return
            if sivu >= self.max_pages:
                raise EperusteetPagingLimitError(
                    f"{url}: {page.pages} pages of results, at most {self.max_pages} are read"
                )

    def peruste_url(self, peruste_id: int) -> str:
        """Return the URL `peruste` fetches."""
        return f"{self.base_url}/peruste/{_positive_id(peruste_id, 'peruste_id')}"

    def peruste(self, peruste_id: int) -> Peruste:
        """Fetch a qualification with its units (`GET /peruste/{perusteId}`).

        Args:
            peruste_id: The ePerusteet id of the qualification.

        Returns:
            The qualification.

        Raises:
            ValueError: `peruste_id` is not a positive integer.
            EperusteetFormatError: The answer is not JSON or not a qualification.
        """
        url = self.peruste_url(peruste_id)
        return parse_peruste(self._get_json(url), source=url)

    def peruste_part_url(self, peruste_id: int, path: str) -> str:
        """Return the URL `peruste_part` fetches."""
        if not isinstance(path, str) or not _PART_PATH.fullmatch(path):
            raise ValueError(
                "path must be segments of letters, digits, '_' and '-' separated by '/', "
                f"got {path!r}"
            )
        return f"{self.peruste_url(peruste_id)}/{path}"

    def peruste_part(self, peruste_id: int, path: str) -> Any:
        """Fetch a part of a qualification (`GET /peruste/{perusteId}/{custompath}`), e.g.
        `tutkinnonOsat/7283253/koodi`.

        Args:
            peruste_id: The ePerusteet id of the qualification.
            path: Field names and ids separated by '/': letters, digits, '_' and '-' only.

        Returns:
            The decoded JSON, unparsed.

        Raises:
            ValueError: `peruste_id` or `path` is not allowed.
            EperusteetFormatError: The answer is not JSON.
        """
        return self._get_json(self.peruste_part_url(peruste_id, path))

    def unit_url(self, koodi_uri: str) -> str:
        """Return the URL `unit` fetches."""
        if not isinstance(koodi_uri, str) or not UNIT_CODE.fullmatch(koodi_uri):
            raise ValueError(f"koodi_uri must look like tutkinnonosat_123456, got {koodi_uri!r}")
        return f"{self.base_url}/peruste/tutkinnonosa/{koodi_uri}"

    def unit(self, koodi_uri: str) -> Unit:
        """Fetch a unit by its code (`GET /peruste/tutkinnonosa/{tutkinnonOsaKoodiUri}`).

        The unit's osp is its own `laajuus` (the answer carries no viite).

        Args:
            koodi_uri: A `tutkinnonosat_NNNNNN` URI.

        Returns:
            The unit.

        Raises:
            ValueError: `koodi_uri` is not a tutkinnonosat code.
            EperusteetFormatError: The answer is not JSON or not a unit.
        """
        url = self.unit_url(koodi_uri)
        return parse_unit(self._get_json(url), source=url)
