"""Badges into the participant's own wallet app: one-time offers and the VC-API exchange.

A wallet (the Learner Credential Wallet, or any wallet that speaks the VC-API exchange)
reaches an offer by a link holding a random token: the interaction URL (a QR code), the
exchange URL, or the wallet's own request link (`lcw_link`). It proves that it controls its
DID by signing a presentation over the offer's challenge and our domain, and receives a copy
of the credential bound to that DID (app.credentials.service.holder_copy). An offer works
once, for a quarter of an hour, on whichever app instance the wallet reaches: the claim is a
conditional update in the database. See docs/decisions/0019-wallets.md.
"""

from __future__ import annotations

import base64
import hmac
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.config import Settings
from app.credentials.documents import document_loader
from app.credentials.service import HolderCopyFormat, holder_copy, new_copy_id
from app.errors import AppError, BadRequest, Conflict, Gone, NotFound
from app.keys import resolve_did_key
from app.models import Credential, Participant, WalletOffer
from app.organizations import repository as org_repo
from app.organizations.service import issuer_did
from app.tokens import hash_token, new_token, plausible
from app.vc.dataintegrity import verify_proof

OFFER_TTL = timedelta(minutes=15)
# An unused offer is kept a day after it expired, so that a late wallet is told "expired"
# rather than "no such offer"; a used one stays as the record of which wallet has a copy.
UNUSED_OFFER_GRACE = timedelta(days=1)
LCW_REQUEST_URL = "https://lcw.app/request.html"
VC_API = "vc-api"  # the wallet asked for a presentation request first (VC-API exchange)
OPENID4VCI = "openid4vci"  # OpenID for Verifiable Credential Issuance
LCW_LINK = "lcw-link"  # the wallet came by its request link and presented at once
MAX_DID_LENGTH = 255


class InvalidPresentation(BadRequest):
    problem = "invalid-presentation"
    title = "The presentation is not acceptable"


class AuthenticationFailed(AppError):
    status_code = 401
    problem = "did-authentication-failed"
    title = "The wallet did not prove control of its DID"


class OfferUsed(Gone):
    problem = "offer-used"
    title = "The offer has been used"


class NonceUsed(BadRequest):
    problem = "nonce-used"
    title = "The nonce has been used"


class OfferExpired(Gone):
    problem = "offer-expired"
    title = "The offer has expired"


@dataclass(frozen=True)
class OfferLinks:
    """Where a wallet reaches an offer."""

    interaction_url: str  # for a QR code: wallets ask it which protocols it offers
    exchange_url: str  # the VC-API exchange
    lcw_link: str  # opens the Learner Credential Wallet on a phone
    openid4vci_link: str  # opens a wallet that speaks OpenID4VCI (a credential offer)
    expires_at: datetime


def keyed_digest(settings: Settings, purpose: str, value: str) -> str:
    """HMAC-SHA256 of `value` under the service's secret, for one `purpose` (base64url):
    what every instance can derive again and no one else can."""
    mac = hmac.new(settings.secret_key.encode("utf-8"), f"{purpose}:{value}".encode(), "sha256")
    return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode("ascii")


def pre_authorized_code(settings: Settings, token: str) -> str:
    """The OpenID4VCI pre-authorized code of an offer: derived from its token, so that the
    credential offer can give it while only its hash is kept."""
    return keyed_digest(settings, "openid4vci-pre-auth", token)


def credential_offer_uri(settings: Settings, token: str) -> str:
    return f"{settings.public_origin}/api/v1/openid4vci/offers/{token}"


def exchange_url(settings: Settings, token: str) -> str:
    return f"{settings.public_origin}/api/v1/wallet/exchanges/{token}"


def interaction_url(settings: Settings, token: str) -> str:
    # `iuv=1`: the interaction URL version, by which wallets recognise such a link.
    return f"{settings.public_origin}/wallet/{token}?iuv=1"


def links(settings: Settings, token: str, offer: WalletOffer, issuer: str) -> OfferLinks:
    query = urlencode(
        {
            "issuer": issuer,
            "auth_type": "bearer",
            "challenge": offer.challenge,
            "vc_request_url": exchange_url(settings, token),
        }
    )
    return OfferLinks(
        interaction_url=interaction_url(settings, token),
        exchange_url=exchange_url(settings, token),
        lcw_link=f"{LCW_REQUEST_URL}?{query}",
        openid4vci_link="openid-credential-offer://?"
        + urlencode({"credential_offer_uri": credential_offer_uri(settings, token)}),
        expires_at=offer.expires_at,
    )


def _issuer_of(session: Session, settings: Settings, organization_id: int) -> str:
    organization = org_repo.by_id(session, organization_id)
    assert organization is not None
    return issuer_did(settings, organization)


def offer_badge(
    session: Session,
    settings: Settings,
    *,
    credential: Credential,
    participant: Participant,
    made_by: str,
    actor_user_id: int | None,
    now: datetime,
) -> OfferLinks:
    """A new one-time offer of the participant's badge to a wallet app.

    The caller has checked that the badge is the participant's (the passport) or of the
    coach's organization (the coach's pages).

    Raises:
        Conflict: The badge is revoked or suspended, or the participant's data was erased.
    """
    if credential.revoked_at is not None or not credential.json_ld:
        raise Conflict("A revoked badge cannot be added to a wallet.")
    if credential.suspended_at is not None:
        raise Conflict("A suspended badge cannot be added to a wallet.")
    if participant.erased_at is not None:
        raise NotFound("No such badge.")
    assert credential.id is not None and participant.id is not None
    token = new_token()
    offer = WalletOffer(
        token_hash=hash_token(token),
        pre_auth_code_hash=hash_token(pre_authorized_code(settings, token)),
        credential_id=credential.id,
        participant_id=participant.id,
        organization_id=credential.organization_id,
        challenge=secrets.token_urlsafe(24),
        made_by=made_by,
        created_at=now,
        expires_at=now + OFFER_TTL,
    )
    session.add(offer)
    session.flush()
    audit.record(
        session,
        action="wallet.offer",
        organization_id=credential.organization_id,
        actor_user_id=actor_user_id,
        object_type="credential",
        object_id=credential.public_id,
        details={"made_by": made_by},
        now=now,
    )
    return links(settings, token, offer, _issuer_of(session, settings, credential.organization_id))


def find_offer(session: Session, token: str, *, now: datetime) -> WalletOffer:
    """The offer a token names, if it can still be used.

    Raises:
        NotFound: No such offer. OfferUsed, OfferExpired: as they say.
    """
    offer = None
    if plausible(token):
        offer = session.exec(
            select(WalletOffer).where(WalletOffer.token_hash == hash_token(token))
        ).first()
    if offer is None:
        raise NotFound("No such wallet offer. Ask for a new code.")
    if offer.used_at is not None:
        raise OfferUsed("This code has been used already. Ask for a new one.")
    if offer.expires_at <= now:
        raise OfferExpired("This code has expired. Ask for a new one.")
    return offer


def offer_links(session: Session, settings: Settings, token: str, *, now: datetime) -> OfferLinks:
    """The links of a usable offer (for the interaction URL)."""
    offer = find_offer(session, token, now=now)
    return links(settings, token, offer, _issuer_of(session, settings, offer.organization_id))


def presentation_request(settings: Settings, token: str, offer: WalletOffer) -> dict[str, Any]:
    """The VC-API answer asking the wallet for a DID authentication over our challenge."""
    return {
        "verifiablePresentationRequest": {
            "query": [{"type": "DIDAuthentication", "acceptedMethods": [{"method": "key"}]}],
            "challenge": offer.challenge,
            "domain": settings.public_origin,
            "interact": {
                "service": [
                    {
                        "type": "VerifiableCredentialApiExchangeService",
                        "serviceEndpoint": exchange_url(settings, token),
                    }
                ]
            },
        }
    }


def _holder(presentation: Mapping[str, Any]) -> str:
    holder = presentation.get("holder")
    if isinstance(holder, Mapping):
        holder = holder.get("id")
    if not isinstance(holder, str) or not holder.startswith("did:key:"):
        raise InvalidPresentation(
            "The presentation must name its holder by a did:key (the wallet's own key)."
        )
    if len(holder) > MAX_DID_LENGTH or "#" in holder:
        raise InvalidPresentation("The presentation's holder is not a did:key.")
    return holder


def _one_proof(presentation: Mapping[str, Any]) -> Mapping[str, Any]:
    proof = presentation.get("proof")
    proofs = proof if isinstance(proof, list) else [proof]
    if len(proofs) != 1 or not isinstance(proofs[0], Mapping):
        raise InvalidPresentation("The presentation must carry exactly one proof.")
    return proofs[0]


def _same(given: Any, expected: str) -> bool:
    return isinstance(given, str) and hmac.compare_digest(
        given.encode("utf-8"), expected.encode("utf-8")
    )


def verify_did_authentication(
    settings: Settings,
    offer: WalletOffer,
    presentation: Any,
    *,
    domain_required: bool,
    now: datetime,
) -> str:
    """The holder's DID, once the presentation proves control of it for this offer.

    Checked: a VerifiablePresentation with one proof for `authentication` by a key of its
    holder (a did:key), over this offer's challenge and, when the request named it (or the
    wallet signed one), our domain; the signature, by an independent check of the proof.

    Raises:
        InvalidPresentation: It is not such a presentation.
        AuthenticationFailed: The challenge, the domain, the key or the signature is wrong.
    """
    if not isinstance(presentation, Mapping):
        raise InvalidPresentation("Send a verifiable presentation (a JSON object).")
    types = presentation.get("type")
    if "VerifiablePresentation" not in (types if isinstance(types, list) else [types]):
        raise InvalidPresentation("The document is not a VerifiablePresentation.")
    holder = _holder(presentation)
    proof = _one_proof(presentation)
    if proof.get("proofPurpose") != "authentication":
        raise AuthenticationFailed("The presentation is not signed for authentication.")
    if not _same(proof.get("challenge"), offer.challenge):
        raise AuthenticationFailed("The presentation is signed over another challenge.")
    domain = proof.get("domain")
    if domain is not None or domain_required:
        domains = domain if isinstance(domain, list) else [domain]
        if not any(_same(d, settings.public_origin) for d in domains):
            raise AuthenticationFailed("The presentation is signed for another domain.")
    method = proof.get("verificationMethod")
    if not isinstance(method, str) or method.split("#", 1)[0] != holder:
        raise AuthenticationFailed("The presentation is not signed with the holder's key.")
    result = verify_proof(
        presentation,
        public_key_resolver=resolve_did_key,
        document_loader=document_loader(settings),
        expected_proof_purpose="authentication",
        now=now,
    )
    if not result.verified:
        raise AuthenticationFailed(
            "The presentation's signature does not verify: " + "; ".join(result.reasons)
        )
    return holder


@dataclass(frozen=True)
class Prepared:
    """A holder's copy, signed and waiting for its offer to be claimed (`claim`).

    Verifying the wallet's proof and signing the copy take milliseconds of CPU: they are done
    in a read-only transaction, so that the claim's write (an update and an audit row) is all
    that holds SQLite's write lock or the offer's row lock.
    """

    offer_id: int
    organization_id: int
    credential_public_id: str
    holder: str
    protocol: str
    fmt: HolderCopyFormat
    copy_id: str
    copy: dict[str, Any] | str
    answer: dict[str, Any]  # what the wallet receives once the offer is claimed
    proof_nonce: str | None = None


def exchange_step(
    session: Session, settings: Settings, *, token: str, body: Any, now: datetime
) -> dict[str, Any] | Prepared:
    """One step of the exchange, by what the wallet sent (read-only).

    - `{}` (or nothing): the presentation request (DID authentication), the answer itself.
    - `{"verifiablePresentation": ...}`: the VC-API answer; the domain must be ours.
    - a presentation itself: the wallet's request link (`lcw_link`), which names no domain.

    With a presentation that proves the holder's DID: the copy, prepared; `claim` then uses
    the offer (once, whichever instance gets there first), and the wallet gets a
    presentation holding the copy.
    """
    offer = find_offer(session, token, now=now)
    if body is None or body == {}:
        return presentation_request(settings, token, offer)
    if not isinstance(body, Mapping):
        raise InvalidPresentation("Send a JSON object.")
    wrapped = "verifiablePresentation" in body
    presentation = body["verifiablePresentation"] if wrapped else body
    holder = verify_did_authentication(
        settings, offer, presentation, domain_required=wrapped, now=now
    )
    prepared = prepare_copy(
        session, settings, offer, holder=holder, protocol=VC_API if wrapped else LCW_LINK, now=now
    )
    answer = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": [prepared.copy],
    }
    return replace(prepared, answer={"verifiablePresentation": answer} if wrapped else answer)


def prepare_copy(
    session: Session,
    settings: Settings,
    offer: WalletOffer,
    *,
    holder: str,
    protocol: str,
    now: datetime,
    fmt: HolderCopyFormat = "ldp_vc",
    proof_nonce: str | None = None,
) -> Prepared:
    """The holder's copy of the offer's badge, signed (the offer is not used yet)."""
    credential = session.get(Credential, offer.credential_id)
    if credential is None or credential.revoked_at is not None or not credential.json_ld:
        raise Conflict("The badge has been revoked; it cannot be added to a wallet.")
    assert offer.id is not None
    copy_id = new_copy_id()
    copy = holder_copy(
        session, settings, credential=credential, holder=holder, copy_id=copy_id, now=now, fmt=fmt
    )
    return Prepared(
        offer_id=offer.id,
        organization_id=offer.organization_id,
        credential_public_id=credential.public_id,
        holder=holder,
        protocol=protocol,
        fmt=fmt,
        copy_id=copy_id,
        copy=copy,
        answer={},
        proof_nonce=proof_nonce,
    )


def claim(session: Session, prepared: Prepared, *, now: datetime) -> None:
    """Use the offer for the prepared copy: once, for the first wallet to get here on any
    instance (a conditional update; on PostgreSQL a second one waits for the row's lock,
    then finds it used).

    Raises:
        OfferUsed: Another wallet got here first, or the offer expired meanwhile.
        NonceUsed: The proof's nonce was used for another offer.
    """
    values: dict[str, Any] = {
        "used_at": now,
        "protocol": prepared.protocol,
        "holder_did": prepared.holder,
        "copy_id": prepared.copy_id,
    }
    if prepared.proof_nonce is not None:
        values["proof_nonce"] = prepared.proof_nonce
    try:
        with session.begin_nested():
            claimed = session.execute(
                update(WalletOffer)
                .where(col(WalletOffer.id) == prepared.offer_id)
                .where(col(WalletOffer.used_at).is_(None))
                .where(col(WalletOffer.expires_at) > now)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
    except IntegrityError as exc:
        raise NonceUsed("The proof's nonce has been used already.") from exc
    if getattr(claimed, "rowcount", 0) != 1:
        raise OfferUsed("This code has been used already. Ask for a new one.")
    audit.record(
        session,
        action="wallet.deliver",
        organization_id=prepared.organization_id,
        object_type="credential",
        object_id=prepared.credential_public_id,
        details={"protocol": prepared.protocol, "copy": prepared.copy_id, "format": prepared.fmt},
        now=now,
    )


@dataclass(frozen=True)
class Delivery:
    """A copy of a badge that a wallet received."""

    delivered_at: datetime
    holder_did: str

    @property
    def key_end(self) -> str:
        """The end of the wallet's key, by which a person can tell two wallets apart."""
        return self.holder_did[-6:]


def deliveries(session: Session, *, credential_id: int) -> list[Delivery]:
    """The wallets that received a copy of the badge, oldest first."""
    rows: Sequence[WalletOffer] = session.exec(
        select(WalletOffer)
        .where(WalletOffer.credential_id == credential_id)
        .where(col(WalletOffer.used_at).is_not(None))
        .order_by(col(WalletOffer.used_at))
    ).all()
    return [Delivery(row.used_at, row.holder_did or "") for row in rows if row.used_at is not None]


def replaced_copies(session: Session, *, credential_id: int) -> list[Delivery]:
    """The wallet copies of the badge this one corrected: revoked with it, so the wallets
    that held them should receive this one instead."""
    replaced = session.exec(
        select(Credential.id).where(Credential.replaced_by_id == credential_id)
    ).all()
    return [
        d for old in replaced if old is not None for d in deliveries(session, credential_id=old)
    ]


def prune_expired(session: Session, *, now: datetime) -> int:
    """Delete the unused offers that expired a day ago or more."""
    result = session.execute(
        delete(WalletOffer)
        .where(col(WalletOffer.used_at).is_(None))
        .where(col(WalletOffer.expires_at) <= now - UNUSED_OFFER_GRACE)
    )
    return int(getattr(result, "rowcount", 0) or 0)
