"""Issuing and revoking credentials: both proof forms, written together or not at all."""

from __future__ import annotations

import calendar
import copy
import secrets
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal, Protocol

from sqlalchemy import Table
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.audit import service as audit
from app.catalog.schemas import Badge
from app.catalog.service import mapping_of, requirement_keys
from app.config import Settings
from app.credentials import status
from app.credentials.documents import document_loader
from app.credentials.hashing import HashMany, hash_here
from app.db import insert_rows
from app.errors import Conflict, ServiceUnavailable
from app.keys.private import KeySigner
from app.models import (
    Award,
    BadgeDefinition,
    BadgeVersion,
    Credential,
    Organization,
    Participant,
    StatusList,
)
from app.models.base import new_public_id
from app.models.organizations import KeyPurpose
from app.organizations.service import issuer_did, signer_for
from app.vc import dataintegrity
from app.vc.jwt import encode_vc_jwt
from app.vc.openbadges import (
    AchievementData,
    Alignment,
    CredentialData,
    EvidenceData,
    IssuerProfile,
    StatusEntry,
    SubjectData,
    build_credential,
)
from app.vc.statuslist import set_bit

UNIT_TARGET_TYPE = "ext:TutkinnonOsa"
REQUIREMENT_TARGET_TYPE = "ext:Ammattitaitovaatimus"


def credential_url(settings: Settings, public_id: str) -> str:
    return f"{settings.public_origin}/credentials/{public_id}"


def achievement_url(settings: Settings, badge: BadgeDefinition, version: BadgeVersion) -> str:
    return f"{settings.public_origin}/badges/{badge.slug}/v{version.revision}"


def subject_id(participant: Participant) -> str:
    return f"urn:uuid:{participant.public_id}"


def issuer_profile(settings: Settings, organization: Organization) -> IssuerProfile:
    return IssuerProfile(
        id=issuer_did(settings, organization),
        name=organization.name,
        url=organization.url,
        email=organization.email,
        image=organization.logo_url,
    )


def qualification_framework(name_fi: str, diaarinumero: str | None) -> str:
    """The alignment's targetFramework: the peruste's name and diaarinumero."""
    return f"{name_fi} ({diaarinumero})" if diaarinumero else name_fi


def alignments_for(session: Session, version: BadgeVersion) -> list[Alignment]:
    """One alignment per qualification unit and per official skill requirement the badge
    version maps to, as the version was made.

    A unit points at its page in ePerusteet (targetUrl), with its Koodisto code
    (targetCode) and the peruste's name and diaarinumero (targetFramework). Requirements are
    aligned only when their text is the official one (an imported unit), with their
    Koodisto code where the peruste format has one. A unit awaiting import is aligned by its
    code alone: its requirement texts are the catalog's own words, not ePerusteet's.
    """
    # A version made before versions kept their mapping reads the current rows.
    mapping = version.mapping
    if mapping is None:
        mapping = mapping_of(session, requirement_keys(version.definition))
    units: list[Alignment] = []
    requirements: list[Alignment] = []
    for entry in mapping:
        qual, unit = entry["qualification"], entry["unit"]
        # A qualification awaiting import names no diaarinumero: which peruste its units
        # belong to is what the import will confirm.
        imported = qual.get("status", "imported") == "imported"
        framework = qualification_framework(
            qual["name"]["fi"], qual.get("diaarinumero") if imported else None
        )
        unit_url = unit.get("url") or qual["url"]
        description = qual["name"]["fi"] + (f", {unit['osp']} osp" if unit.get("osp") else "")
        units.append(
            Alignment(
                target_name=unit["name"]["fi"],
                target_url=unit_url,
                target_code=unit["code"],
                target_framework=framework,
                target_type=UNIT_TARGET_TYPE,
                target_description=description,
            )
        )
        if unit.get("status", "imported") != "imported":
            continue
        for req in entry["requirements"]:
            requirements.append(
                Alignment(
                    target_name=req["text"]["fi"],
                    target_url=unit_url,
                    target_code=req.get("code") or req["key"],
                    target_framework=framework,
                    target_type=REQUIREMENT_TARGET_TYPE,
                    target_description=f"{unit['code']} {unit['name']['fi']}",
                )
            )
    return [*units, *requirements]


def criteria_narrative(badge: Badge, observed: list[str]) -> str:
    texts = [c.text.fi for c in badge.criteria if c.id in observed]
    return "Valmentaja näki työpajalla, että merkin saaja:\n\n" + "\n".join(
        f"- {text}" for text in texts
    )


def add_months(value: datetime, months: int) -> datetime:
    month = value.month - 1 + months
    year, month = value.year + month // 12, month % 12 + 1
    day = min(value.day, calendar.monthrange(year, month)[1])
    return value.replace(year=year, month=month, day=day)


@dataclass(frozen=True)
class Issuance:
    """What every credential of one organization and badge version shares: the signers, the
    context loader, the alignments and the parsed definition. Made once for a group award's
    chunk instead of once per person."""

    di_signer: KeySigner
    jwt_signer: KeySigner
    loader: Any
    alignments: list[Alignment]
    definition: Badge
    # Canonicalizes many credentials at once (a group award's chunk: app/credentials/hashing).
    hash_many: HashMany | None = None


def prepare_issuance(
    session: Session, settings: Settings, organization: Organization, version: BadgeVersion
) -> Issuance:
    return Issuance(
        di_signer=signer_for(session, settings, organization, KeyPurpose.data_integrity),
        jwt_signer=signer_for(session, settings, organization, KeyPurpose.jwt),
        loader=document_loader(settings),
        alignments=alignments_for(session, version),
        definition=Badge.model_validate(version.definition),
    )


class AwardFacts(Protocol):
    """What a credential's document says of its award: an `Award`, or a group award's
    person before the award is saved."""

    @property
    def criteria_observed(self) -> list[str]: ...
    @property
    def narrative(self) -> str: ...
    @property
    def activity_start(self) -> date | None: ...
    @property
    def activity_end(self) -> date | None: ...


def build_unsigned(
    session: Session,
    settings: Settings,
    *,
    award: AwardFacts,
    organization: Organization,
    participant: Participant,
    badge: BadgeDefinition,
    version: BadgeVersion,
    public_id: str,
    status_entry: StatusEntry,
    now: datetime,
    valid_until: datetime | None,
    issuance: Issuance | None = None,
) -> dict[str, Any]:
    definition = issuance.definition if issuance else Badge.model_validate(version.definition)
    image = f"{achievement_url(settings, badge, version)}/image.svg"
    evidence_name = "Työpajalla havainnoitu osaaminen"
    period = ""
    if award.activity_start:
        end = award.activity_end or award.activity_start
        period = f" ({award.activity_start.isoformat()}–{end.isoformat()})"
    data = CredentialData(
        id=credential_url(settings, public_id),
        issuer=issuer_profile(settings, organization),
        achievement=AchievementData(
            id=achievement_url(settings, badge, version),
            name=definition.name.fi,
            description=definition.description.fi,
            criteria_narrative=criteria_narrative(definition, award.criteria_observed),
            achievement_type=definition.achievement_type,
            image=image,
            image_caption=definition.name.fi,
            version=definition.version,
            tags=definition.tags,
            alignments=issuance.alignments if issuance else alignments_for(session, version),
        ),
        subject=SubjectData(
            id=subject_id(participant),
            email=participant.email,
            salt=secrets.token_hex(8) if participant.email else None,
        ),
        valid_from=now,
        valid_until=valid_until,
        evidence=[EvidenceData(narrative=award.narrative, name=evidence_name + period)],
        status=status_entry,
    )
    return build_credential(data)


@dataclass(frozen=True)
class _Unsigned:
    """A credential before its proofs: the document and what its row needs."""

    public_id: str
    document: dict[str, Any]
    status_list: StatusList
    index: int
    valid_until: datetime | None


def _unsigned_credential(
    session: Session,
    settings: Settings,
    *,
    award: AwardFacts,
    organization: Organization,
    participant: Participant,
    badge: BadgeDefinition,
    version: BadgeVersion,
    status_list: StatusList,
    index: int,
    now: datetime,
    issuance: Issuance,
) -> _Unsigned:
    months = version.definition.get("validity_months")
    valid_until = add_months(now, months) if months else None
    public_id = new_public_id()
    document = build_unsigned(
        session,
        settings,
        award=award,
        organization=organization,
        participant=participant,
        badge=badge,
        version=version,
        public_id=public_id,
        status_entry=StatusEntry(
            list_credential=status.list_url(settings, status_list), index=index
        ),
        now=now,
        valid_until=valid_until,
        issuance=issuance,
    )
    return _Unsigned(public_id, document, status_list, index, valid_until)


@dataclass
class _Hashing:
    """The Data Integrity proof options of a batch of credentials and the bytes each one's
    proof signs, coming in as the canonicalization (`hash_many`, often in worker processes)
    finishes them."""

    proof: dict[str, Any]
    hashes: Iterator[bytes]


def _start_hashing(unsigned: list[_Unsigned], *, now: datetime, issuance: Issuance) -> _Hashing:
    """Hand the batch's canonicalization over: with worker processes it has started when
    this returns, and the caller can do other work meanwhile."""
    proof = dataintegrity.proof_options(verification_method=issuance.di_signer.key_id, created=now)
    items = [(u.document, proof) for u in unsigned]
    hashes = issuance.hash_many(items) if issuance.hash_many else hash_here(issuance.loader, items)
    return _Hashing(proof, iter(hashes))


def _signed_all(
    unsigned: list[_Unsigned], hashing: _Hashing, *, issuance: Issuance
) -> Iterator[tuple[dict[str, Any], str]]:
    """Each credential in both proof forms: the document with its Data Integrity proof over
    the hashes of `hashing`, and the VC-JWT."""
    for u, data_to_sign in zip(unsigned, hashing.hashes, strict=True):
        # The unsigned document is this credential's own and is not changed again.
        signed = dataintegrity.sign_hashed(
            u.document, hashing.proof, data_to_sign, issuance.di_signer, copy_document=False
        )
        yield signed, encode_vc_jwt(u.document, signer=issuance.jwt_signer)


def _credential_row(
    u: _Unsigned,
    *,
    award_id: int,
    organization_id: int,
    json_ld: dict[str, Any],
    jwt: str,
    now: datetime,
) -> dict[str, Any]:
    """A credential row's values (those not left to their defaults)."""
    assert u.status_list.id is not None
    return {
        "public_id": u.public_id,
        "award_id": award_id,
        "organization_id": organization_id,
        "json_ld": json_ld,
        "jwt": jwt,
        "status_list_id": u.status_list.id,
        "status_index": u.index,
        "issued_at": now,
        "valid_from": now,
        "valid_until": u.valid_until,
        "is_public": False,
    }


def issue_credential(
    session: Session,
    settings: Settings,
    *,
    award: Award,
    organization: Organization,
    participant: Participant,
    badge: BadgeDefinition,
    version: BadgeVersion,
    now: datetime,
    issuance: Issuance | None = None,
) -> Credential:
    """Sign the award's credential in both proof forms and store it with its status entry."""
    issuance = issuance or prepare_issuance(session, settings, organization, version)
    for _ in range(status.MAX_ATTEMPTS):
        status_list, index = status.allocate_index(session, organization, now)
        unsigned = _unsigned_credential(
            session,
            settings,
            award=award,
            organization=organization,
            participant=participant,
            badge=badge,
            version=version,
            status_list=status_list,
            index=index,
            now=now,
            issuance=issuance,
        )
        [(json_ld, jwt)] = _signed_all(
            [unsigned], _start_hashing([unsigned], now=now, issuance=issuance), issuance=issuance
        )
        assert award.id is not None and organization.id is not None
        credential = Credential(
            **_credential_row(
                unsigned,
                award_id=award.id,
                organization_id=organization.id,
                json_ld=json_ld,
                jwt=jwt,
                now=now,
            )
        )
        try:
            with session.begin_nested():
                session.add(credential)
        except IntegrityError:
            continue  # another award took the same index at the same moment: draw again
        return credential
    raise ServiceUnavailable("Could not reserve a status list entry; please try again.")


def issue_credentials(
    session: Session,
    settings: Settings,
    *,
    people: list[tuple[AwardFacts, Participant]],
    organization: Organization,
    badge: BadgeDefinition,
    version: BadgeVersion,
    now: datetime,
    issuance: Issuance,
    save_awards: Callable[[list[str]], list[int]],
) -> list[int]:
    """Sign and store the credentials of a group award's chunk, in a few statements; their
    ids, in the order of `people`.

    The awards are not saved yet: the documents need none of their ids, so their
    canonicalization starts first, and `save_awards` (given the credentials' public ids)
    runs while it goes on, saving the awards and returning their ids in the same order.
    Without the per-credential savepoint of `issue_credential`: an index taken at the same
    moment by another award fails the caller's transaction, which the group job tries again.
    """
    assert organization.id is not None
    with session.no_autoflush:
        entries = status.allocate_indexes(session, organization, now, len(people))
        unsigned = [
            _unsigned_credential(
                session,
                settings,
                award=facts,
                organization=organization,
                participant=participant,
                badge=badge,
                version=version,
                status_list=status_list,
                index=index,
                now=now,
                issuance=issuance,
            )
            for (facts, participant), (status_list, index) in zip(people, entries, strict=True)
        ]
    hashing = _start_hashing(unsigned, now=now, issuance=issuance)
    award_ids = save_awards([u.public_id for u in unsigned])
    rows = [
        _credential_row(
            u, award_id=award_id, organization_id=organization.id, json_ld=json_ld, jwt=jwt, now=now
        )
        for u, award_id, (json_ld, jwt) in zip(
            unsigned, award_ids, _signed_all(unsigned, hashing, issuance=issuance), strict=True
        )
    ]
    table: Table = Credential.__table__  # type: ignore[attr-defined]
    return insert_rows(session, table, rows)


HolderCopyFormat = Literal["ldp_vc", "jwt_vc_json"]


def holder_copy(
    session: Session,
    settings: Settings,
    *,
    credential: Credential,
    holder: str,
    copy_id: str,
    now: datetime,
    fmt: HolderCopyFormat = "ldp_vc",
) -> dict[str, Any] | str:
    """A copy of the credential bound to the holder's DID, for the holder's wallet.

    The same achievement, evidence, dates and status entry (revoking the award revokes every
    copy), with `credentialSubject.id` set to the DID and the id `copy_id` (a `urn:uuid:`);
    signed now with the organization's active key of the form: a Data Integrity proof
    (`ldp_vc`, the document) or a VC-JWT (`jwt_vc_json`, the compact JWS). Not stored.
    """
    if not credential.json_ld:
        raise Conflict("This badge can no longer be copied.")
    document = copy.deepcopy({k: v for k, v in credential.json_ld.items() if k != "proof"})
    document["id"] = copy_id
    subject = document.get("credentialSubject")
    if not isinstance(subject, dict):
        raise Conflict("This badge can no longer be copied.")
    subject["id"] = holder
    organization = session.get(Organization, credential.organization_id)
    assert organization is not None
    if fmt == "jwt_vc_json":
        jwt_signer = signer_for(session, settings, organization, KeyPurpose.jwt)
        return encode_vc_jwt(document, signer=jwt_signer)
    signer = signer_for(session, settings, organization, KeyPurpose.data_integrity)
    return dataintegrity.add_proof(
        document,
        signer=signer,
        verification_method=signer.key_id,
        created=now,
        document_loader=document_loader(settings),
    )


def new_copy_id() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def revoke_credential(
    session: Session,
    settings: Settings,
    *,
    credential: Credential,
    reason: str,
    actor_user_id: int | None,
    now: datetime,
) -> Credential:
    """Revoke: flip the status bit at once; the reason stays internal."""
    if credential.revoked_at is not None:
        raise Conflict("The badge has already been revoked.")
    status_list = session.get(StatusList, credential.status_list_id, with_for_update=True)
    assert status_list is not None
    status_list.bits = set_bit(status_list.bits, credential.status_index, True)
    status_list.version += 1
    status_list.updated_at = now
    credential.revoked_at = now
    credential.revocation_reason = reason.strip() or None
    award = session.get(Award, credential.award_id)
    if award is not None:
        award.state = "revoked"
        session.add(award)
    session.add(status_list)
    session.add(credential)
    session.flush()
    audit.record(
        session,
        action="credential.revoke",
        organization_id=credential.organization_id,
        actor_user_id=actor_user_id,
        object_type="credential",
        object_id=credential.public_id,
        now=now,
    )
    return credential
