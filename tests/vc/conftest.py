"""Fixtures for the VC core tests: the shared standards folder, a loader, key resolvers.

The contexts, schemas and vectors are read from ``<repo>/../shared/standards`` (override
with ``OSAAMISPASSI_STANDARDS_DIR``); they are never copied into the repository. Tests
that need a missing file skip and say which.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.keys import ControllerDocumentResolver, PublicKey, chain_resolvers, resolve_did_key
from app.vc.contexts import DocumentLoader
from app.vc.did import split_did_url
from app.vc.errors import KeyResolutionError
from app.vc.types import PublicKeyResolver
from tests.conftest import STANDARDS


def standards_dir() -> Path:
    """The shared standards folder (may not exist); see tests/conftest.py."""
    return STANDARDS


def require(relative: str) -> Path:
    """Return ``standards/<relative>`` or skip the test, naming what is missing."""
    path = standards_dir() / relative
    if not path.exists():
        pytest.skip(
            f"standards file missing: {path} (set OSAAMISPASSI_STANDARDS_DIR to the shared "
            "standards folder)"
        )
    return path


def load_json(relative: str) -> Any:
    """Parse ``standards/<relative>`` (skip if missing)."""
    return json.loads(require(relative).read_text(encoding="utf-8"))


def vector_files(folder: str, pattern: str) -> list[str]:
    """Relative paths of vector files, for parametrize (empty list if folder is missing)."""
    base = standards_dir() / folder
    if not base.is_dir():
        return []
    return sorted(f"{folder}/{p.name}" for p in base.glob(pattern))


@pytest.fixture(scope="session")
def standards() -> Path:
    """The standards folder; skips the test if it is missing."""
    return require("contexts").parent


@pytest.fixture(scope="session")
def loader(standards: Path) -> DocumentLoader:
    """One document loader for the whole session (as the app would reuse it)."""
    return DocumentLoader(standards / "contexts")


def fragment_controller_document(method_id: str) -> dict[str, Any]:
    """Derive the controller document the 1EdTech / OB-spec vectors imply.

    Those vectors use ``<issuer id>#<publicKeyMultibase>`` verification methods whose
    issuer URLs (example.edu, 1edtech.edu ...) serve no documents; the 1EdTech validator
    reads the key from the fragment. We build the equivalent controller document (one
    Multikey listed under assertionMethod) and resolve through the real resolver.
    """
    controller, fragment = split_did_url(method_id)
    if not fragment or not fragment.startswith("z"):
        raise KeyResolutionError(f"{method_id} has no multibase fragment")
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": controller,
        "verificationMethod": [
            {
                "id": method_id,
                "type": "Multikey",
                "controller": controller,
                "publicKeyMultibase": fragment,
            }
        ],
        "assertionMethod": [method_id],
    }


def fragment_resolver(method_id: str) -> PublicKey:
    """Resolve ``<controller>#<multikey>`` via a derived controller document."""
    resolver = ControllerDocumentResolver([fragment_controller_document(method_id)])
    return resolver(method_id)


@pytest.fixture(scope="session")
def vector_resolver() -> PublicKeyResolver:
    """did:key first, then the fragment-derived controller documents."""
    return chain_resolvers(resolve_did_key, fragment_resolver)


@pytest.fixture
def tamper() -> Callable[[str], str]:
    """Change one character of a string (used to tamper names and ids)."""

    def change(text: str) -> str:
        last = text[-1]
        return text[:-1] + ("X" if last != "X" else "Y")

    return change
