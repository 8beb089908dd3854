"""Building unsigned CLR 2.0 ``ClrCredential`` documents (pure).

A ClrCredential wraps several independently signed OpenBadgeCredentials as
``credentialSubject.verifiableCredential``; it is signed as a whole by its own issuer, and
each wrapped credential keeps its own proof, so each can still be verified on its own.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from app.vc.dates import format_datetime
from app.vc.openbadges import OB_V3_CONTEXT, VC_V2_CONTEXT, IssuerProfile

CLR_V2_CONTEXT = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
CLR_CONTEXT_PREFIX = "https://purl.imsglobal.org/spec/clr/v2p0/context"
MAX_WRAPPED = 500


def build_clr_credential(
    *,
    id: str,
    issuer: IssuerProfile,
    subject_id: str,
    credentials: Sequence[Mapping[str, Any]],
    valid_from: datetime,
    name: str,
    description: str | None = None,
) -> dict[str, Any]:
    """Build an unsigned ClrCredential (VC 2.0, CLR 2.0.1 and OB 3.0.3 contexts, in order).

    Args:
        id: The CLR's id (an IRI).
        issuer: Who signs the CLR.
        subject_id: The learner's id; every wrapped credential must be about it.
        credentials: Signed OpenBadgeCredentials (JSON-LD with their proofs).
        valid_from: Issuing time (timezone-aware).
        name: A name for the record.
        description: An optional description.

    Returns:
        The credential as a JSON-compatible dict, ready to be signed.

    Raises:
        ValueError: If no credential is given, too many are, one is not signed, or one is
            about another subject.
    """
    if not credentials:
        raise ValueError("a ClrCredential wraps at least one credential")
    if len(credentials) > MAX_WRAPPED:
        raise ValueError(f"a ClrCredential wraps at most {MAX_WRAPPED} credentials")
    wrapped = []
    for credential in credentials:
        if not credential.get("proof"):
            raise ValueError(f"credential {credential.get('id')} is not signed")
        subject = credential.get("credentialSubject")
        if not isinstance(subject, Mapping) or subject.get("id") != subject_id:
            raise ValueError(f"credential {credential.get('id')} is about another subject")
        wrapped.append(copy.deepcopy(dict(credential)))
    document: dict[str, Any] = {
        "@context": [VC_V2_CONTEXT, CLR_V2_CONTEXT, OB_V3_CONTEXT],
        "id": id,
        "type": ["VerifiableCredential", "ClrCredential"],
        "issuer": issuer.to_json(),
        "validFrom": format_datetime(valid_from),
        "name": name,
        "credentialSubject": {
            "id": subject_id,
            "type": ["ClrSubject"],
            "verifiableCredential": wrapped,
        },
    }
    if description:
        document["description"] = description
    return document
