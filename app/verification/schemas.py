"""API shapes of verification results and of the recognition summary for schools."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue
from pydantic.json_schema import SkipJsonSchema

from app.vc.contexts import PINNED_CONTEXTS

KNOWN_CONTEXTS: list[JsonValue] = [*sorted(PINNED_CONTEXTS)]


class CheckOut(BaseModel):
    id: str = Field(description="schema, proof, issuer, status, validity, ...")
    status: Literal["passed", "failed", "skipped", "warning"]
    code: str = Field(description="Stable code of the outcome, e.g. revoked, expired")
    message: str


class IssuerOut(BaseModel):
    id: str | None = None
    name: str | None = None
    url: str | None = None
    known: bool = Field(
        description="The issuer is one of this service's own organizations or is in its "
        "trust registry, and the credential was signed with one of that issuer's keys "
        "(false whenever the key could not be bound to the issuer)"
    )
    trust: Literal["own", "registry"] | None = Field(
        default=None, description="Why the issuer is known; null when it is not"
    )


class CredentialSummary(BaseModel):
    id: str | None = None
    name: str | None = None
    description: str | None = None
    criteria: str | None = None
    achievement_type: str | None = None
    image: str | None = None
    issuer: IssuerOut
    valid_from: str | None = None
    valid_until: str | None = None


class RequirementOut(BaseModel):
    id: str = Field(description="The requirement's id in the badge (its Koodisto code or ours)")
    code: str | None = Field(
        default=None,
        description="Koodisto code of the vocational skill requirement or competence "
        "objective (ammattitaitovaatimukset_NNNN, osaamistavoitteet_NNNN); null for perusteet "
        "of 2018, whose requirements have no codes",
    )
    text: str = Field(description="The requirement as the credential states it (Finnish)")
    texts: dict[str, str] | None = Field(
        default=None,
        description="The requirement in Finnish, Swedish and English as ePerusteet gives it "
        "(the catalog's text of the same requirement; null when the catalog does not know it)",
    )
    url: str | None = None


class CorrectionOut(BaseModel):
    """The credential carries a unit code the catalog has since corrected."""

    reason: Literal["wrong-code", "renewed"] = Field(
        description="wrong-code: the badge was mapped to the wrong unit when this credential "
        "was issued; renewed: the unit was replaced by a renewed peruste"
    )
    current_code: str = Field(description="The unit the badge maps to now")
    current_name: str
    current_qualification: str
    note: str | None = None


class UnitOut(BaseModel):
    code: str = Field(description="Koodisto code (koodiUri), e.g. tutkinnonosat_105444")
    koodisto_version: int | None = Field(default=None, description="Version of the code")
    name: str
    names: dict[str, str] | None = Field(
        default=None,
        description="The unit's name in Finnish, Swedish and English as ePerusteet gives it "
        "(the catalog's; the credential states the Finnish one)",
    )
    url: str | None = Field(default=None, description="The unit's page in ePerusteet")
    osp: int | None = Field(default=None, description="Size in competence points (osp)")
    qualification: str | None = Field(
        default=None, description="The qualification: name, diaarinumero and koulutus code"
    )
    qualification_names: dict[str, str] | None = Field(
        default=None, description="`qualification` in Finnish, Swedish and English"
    )
    peruste_id: int | None = Field(default=None, description="ePerusteet id of the peruste")
    diaarinumero: str | None = Field(default=None, description="The peruste's diaarinumero")
    status: Literal["imported", "awaiting-import", "unknown"] = Field(
        default="unknown",
        description="imported: name, osp and requirements are ePerusteet's; awaiting-import: "
        "the unit code and name are confirmed in Koodisto, its requirements not yet imported; "
        "unknown: not a unit of this service's catalog",
    )
    correction: CorrectionOut | None = None
    requirements: list[RequirementOut] = Field(default_factory=list)


class AlignmentOut(BaseModel):
    target_name: str
    target_url: str
    target_code: str | None = None
    target_framework: str | None = None
    target_type: str | None = None


class RecognitionSummary(BaseModel):
    """What the badge documents in the school's language: qualification units and skill
    requirements (ePerusteet) it aligns to."""

    units: list[UnitOut] = Field(default_factory=list)
    other_alignments: list[AlignmentOut] = Field(default_factory=list)


class VerificationOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "verified": True,
                    "outcome": "verified",
                    "input_format": "json",
                    "proof_format": "data-integrity",
                    "checks": [
                        {
                            "id": "proof",
                            "status": "passed",
                            "code": "signature_valid",
                            "message": "The signature is valid (eddsa-rdfc-2022).",
                        }
                    ],
                    "credential": {
                        "name": "Puutyön perusteet",
                        "issuer": {"id": "did:web:…", "known": True},
                    },
                    "recognition": {
                        "units": [
                            {
                                "code": "tutkinnonosat_105444",
                                "koodisto_version": 2,
                                "name": "Puutuotevalmistuksessa toimiminen",
                                "url": "https://eperusteet.opintopolku.fi/#/fi/ammatillinen/"
                                "3932281/tutkinnonosat/3944378",
                                "osp": 45,
                                "qualification": "Puuteollisuuden perustutkinto "
                                "(OPH-2455-2017, koulutus_351741)",
                                "peruste_id": 3932281,
                                "diaarinumero": "OPH-2455-2017",
                                "status": "imported",
                                "correction": None,
                                "requirements": [
                                    {
                                        "id": "puu-105444-suunnittelu",
                                        "code": None,
                                        "text": "suunnitella puutuotteiden valmistuksen ja "
                                        "työvaiheiden keskinäisen järjestyksen",
                                    }
                                ],
                            }
                        ],
                        "other_alignments": [],
                    },
                }
            ]
        }
    )

    verified: bool = Field(
        description="True only when the signature is valid, the signing key is bound to the "
        "issuer (the issuer's DID, its DID document or own key document, this service's "
        "database for its own organizations, or the trust registry; never by a key the "
        "credential carries itself), and no other check failed"
    )
    outcome: Literal["verified", "issuer_unconfirmed", "not_verified"] = Field(
        description="verified; issuer_unconfirmed: the signature is intact but the key could "
        "not be bound to the issuer (check key_unbound), so who issued it is not confirmed; "
        "not_verified: any other failure"
    )
    input_format: str | None = None
    proof_format: str | None = None
    checks: list[CheckOut]
    credential: CredentialSummary | None = None
    recognition: RecognitionSummary = Field(
        default_factory=RecognitionSummary,
        description="What the badge relates to; empty unless the signature is valid and "
        "bound to the issuer (a revoked or expired badge still shows what it was)",
    )


class VerificationIn(BaseModel):
    """Exactly one of `credential`, `jwt` or `url`."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "oneOf": [
                {"required": ["credential"]},
                {"required": ["jwt"]},
                {"required": ["url"]},
            ],
            "examples": [
                {"jwt": "eyJhbGciOiJFUzI1NiIsImtpZCI6ImRpZDp3ZWI6…"},
                {"url": "https://passi.example.fi/credentials/0b6f…"},
            ],
        },
    )

    credential: dict[str, Any] | SkipJsonSchema[None] = Field(
        default=None,
        description="The credential as JSON-LD; string contexts must be ones this service "
        "has pinned",
        json_schema_extra={
            "properties": {
                "@context": {
                    "anyOf": [
                        {"type": "string", "enum": KNOWN_CONTEXTS},
                        {"type": "object"},
                        {
                            "type": "array",
                            "items": {
                                "anyOf": [
                                    {"type": "string", "enum": KNOWN_CONTEXTS},
                                    {"type": "object"},
                                ]
                            },
                        },
                    ]
                }
            }
        },
    )
    jwt: Annotated[str, Field(max_length=1_000_000)] | SkipJsonSchema[None] = Field(
        default=None, description="A VC-JWT (compact JWS)"
    )
    url: Annotated[str, Field(max_length=2000)] | SkipJsonSchema[None] = Field(
        default=None,
        description="An https URL of a credential: ours are read from the database (public "
        "ones only), others fetched (never from private or local addresses)",
        json_schema_extra={
            "format": "uri",
            "pattern": r"^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/\S*)?$",
        },
    )
    recipient: str | None = Field(
        default=None, max_length=320, description="E-mail to match against the recipient"
    )


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[VerificationIn] = Field(min_length=1, max_length=100)


class BatchOut(BaseModel):
    results: list[VerificationOut]
