"""Public-key resolvers (``verification method id -> PublicKey``) for the VC core.

All are pure lookups over data already in memory; fetching DID documents or issuer
profiles over the network belongs to the caller, which then hands the documents to
:class:`ControllerDocumentResolver`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from app.keys.public import KeyFormatError, PublicKey
from app.vc.did import find_verification_method, split_did_url
from app.vc.errors import KeyResolutionError
from app.vc.types import PublicKey as PublicKeyProtocol
from app.vc.types import PublicKeyResolver


def resolve_did_key(method_id: str) -> PublicKey:
    """Resolve a did:key verification method (Ed25519 or P-256).

    Args:
        method_id: ``did:key:z...`` or ``did:key:z...#z...``.

    Returns:
        The public key.

    Raises:
        KeyResolutionError: If it is not a valid did:key.
    """
    if not method_id.startswith("did:key:"):
        raise KeyResolutionError(f"not a did:key verification method: {method_id}")
    try:
        return PublicKey.from_did_key(method_id)
    except KeyFormatError as exc:
        raise KeyResolutionError(f"invalid did:key {method_id}: {exc}") from exc


class StaticKeyResolver:
    """Resolve from a fixed ``id -> PublicKey`` table.

    Args:
        keys: The table.
    """

    def __init__(self, keys: Mapping[str, PublicKeyProtocol]) -> None:
        self._keys = dict(keys)

    def __call__(self, method_id: str) -> PublicKeyProtocol:
        """Return the key for ``method_id``.

        Raises:
            KeyResolutionError: If the id is not in the table.
        """
        try:
            return self._keys[method_id]
        except KeyError:
            raise KeyResolutionError(f"unknown verification method {method_id}") from None


class ControllerDocumentResolver:
    """Resolve verification methods from controller documents (DID documents, profiles).

    The method id's part before ``#`` selects the document by its ``id``; the method must
    be listed under ``relationship`` and controlled by that document.

    Args:
        documents: Controller documents, each with an ``id``.
        relationship: Verification relationship required (default ``assertionMethod``).
    """

    def __init__(
        self,
        documents: Iterable[Mapping[str, Any]],
        *,
        relationship: str | None = "assertionMethod",
    ) -> None:
        self._documents = {doc["id"]: doc for doc in documents if isinstance(doc.get("id"), str)}
        self._relationship = relationship

    def __call__(self, method_id: str) -> PublicKey:
        """Return the key of ``method_id``.

        Raises:
            KeyResolutionError: If no document or method matches, or the key is invalid.
        """
        controller, _ = split_did_url(method_id)
        document = self._documents.get(controller)
        if document is None:
            raise KeyResolutionError(f"no controller document for {method_id}")
        try:
            method = find_verification_method(document, method_id, relationship=self._relationship)
            return PublicKey.from_verification_method(method)
        except (KeyError, KeyFormatError) as exc:
            message = exc.args[0] if exc.args else str(exc)
            raise KeyResolutionError(str(message)) from exc


def chain_resolvers(*resolvers: PublicKeyResolver) -> PublicKeyResolver:
    """Try resolvers in order; the first that does not raise :class:`KeyResolutionError` wins.

    Args:
        *resolvers: The resolvers.

    Returns:
        A resolver whose error lists every failure.
    """

    def resolve(method_id: str) -> PublicKeyProtocol:
        errors: list[str] = []
        for resolver in resolvers:
            try:
                return resolver(method_id)
            except KeyResolutionError as exc:
                errors.append(str(exc))
        raise KeyResolutionError("; ".join(errors) or f"cannot resolve {method_id}")

    return resolve
