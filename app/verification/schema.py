"""The official OB 3.0 AchievementCredential JSON Schema, pinned by digest like the contexts.

The schema is reference data and is not copied into the project: it is read from
SCHEMAS_DIR (any file with the pinned SHA-256) or, failing that, fetched once from its
canonical URL, digest-checked and cached.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs

from app.net.fetch import FetchPolicy, SafeFetcher
from app.vc.contexts import DocumentLoader
from app.vc.errors import ContextError
from app.vc.verify import SchemaOutcome, SchemaValidator

ACHIEVEMENT_CREDENTIAL_SCHEMA_URL = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)
ENDORSEMENT_CREDENTIAL_SCHEMA_URL = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_endorsementcredential_schema.json"
)
SCHEMA_PINS = {
    ACHIEVEMENT_CREDENTIAL_SCHEMA_URL: (
        "5753fb3ecf7d024ed273dd364bd683f483eb47257e718e6618832cf89eb2083a"
    ),
    ENDORSEMENT_CREDENTIAL_SCHEMA_URL: (
        "4627e1878848d0192c3f9e26f09ef88a96ad48a46f5fca11b80b679ece0de345"
    ),
}


class SchemaUnavailable(Exception):
    pass


@lru_cache(maxsize=8)
def _validator(
    schemas_dir: Path | None, cache_dir: Path, url: str
) -> jsonschema.Draft201909Validator:
    loader = DocumentLoader(
        schemas_dir,
        pins=SCHEMA_PINS,
        cache_dir=cache_dir,
        fetch=SafeFetcher(FetchPolicy(timeout_seconds=10)).get,
    )
    try:
        schema = loader.load(url)
    except ContextError as exc:
        raise SchemaUnavailable(str(exc)) from exc
    return jsonschema.Draft201909Validator(schema)


@lru_cache(maxsize=8)
def _fast_validator(
    schemas_dir: Path | None, cache_dir: Path, url: str
) -> jsonschema_rs.Draft201909Validator:
    """The same schema compiled by jsonschema-rs: ~200 times faster at saying valid or not.

    Formats are annotations only, as in the Python validator; a test checks that both give
    the same verdict on many mutated credentials.
    """
    schema = _validator(schemas_dir, cache_dir, url).schema
    assert isinstance(schema, Mapping)
    return jsonschema_rs.Draft201909Validator(dict(schema), validate_formats=False)


def _wrap_at(document: Any, path: list[Any]) -> bool:
    """Wrap the value at `path` in a list; False when the path does not lead anywhere."""
    parent = document
    for part in path[:-1]:
        try:
            parent = parent[part]
        except (KeyError, IndexError, TypeError):
            return False
    try:
        parent[path[-1]] = [parent[path[-1]]]
    except (KeyError, IndexError, TypeError):
        return False
    return True


def _problems(validator: jsonschema.Draft201909Validator, doc: Mapping[str, Any]) -> list[str]:
    out = []
    for error in validator.iter_errors(doc):
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        out.append(f"{where}: {error.message}"[:300])
    return out


def schema_validator(schemas_dir: Path | None, cache_dir: Path) -> SchemaValidator | None:
    """A function credential -> SchemaOutcome; None when the schema is not available."""
    urls = (ACHIEVEMENT_CREDENTIAL_SCHEMA_URL, ENDORSEMENT_CREDENTIAL_SCHEMA_URL)
    try:
        validators = {url: _validator(schemas_dir, cache_dir, url) for url in urls}
    except SchemaUnavailable:
        return None
    fast = {url: _fast_validator(schemas_dir, cache_dir, url) for url in urls}

    def validate(credential: Mapping[str, Any]) -> SchemaOutcome:
        types = credential.get("type")
        is_endorsement = isinstance(types, list) and "EndorsementCredential" in types
        url = (
            ENDORSEMENT_CREDENTIAL_SCHEMA_URL
            if is_endorsement
            else ACHIEVEMENT_CREDENTIAL_SCHEMA_URL
        )
        if fast[url].is_valid(credential):
            return SchemaOutcome([])
        # Invalid: the Python validator words the problems and handles compacted values.
        validator = validators[url]
        problems = _problems(validator, credential)
        if not problems:
            return SchemaOutcome([])
        # JSON-LD treats a single value and a one-item list alike; the 1EdTech validator
        # accepts that compacted form. Retry with lists where the schema wants them.
        doc = copy.deepcopy(dict(credential))
        for _ in range(50):
            wrapped = False
            for error in validator.iter_errors(doc):
                wants_array = error.validator == "type" and error.validator_value == "array"
                if wants_array and not isinstance(error.instance, list):
                    wrapped = _wrap_at(doc, list(error.absolute_path)) or wrapped
                    break
            if not wrapped:
                break
        if not _problems(validator, doc):
            return SchemaOutcome([], compacted=True)
        return SchemaOutcome(problems)

    return validate
