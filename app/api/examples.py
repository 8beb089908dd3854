"""Example payloads shown in the OpenAPI document (values are illustrative, not real keys)."""

from __future__ import annotations

from typing import Any

ISSUER = "did:web:passi.example.fi:orgs:eduro"
ORIGIN = "https://passi.example.fi"

CREDENTIAL: dict[str, Any] = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ],
    "id": f"{ORIGIN}/credentials/0b6f4d0e-8c4e-4f57-9d2b-3f1f5d0c9a11",
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "issuer": {
        "id": ISSUER,
        "type": ["Profile"],
        "name": "Eduro-säätiö",
        "url": "https://eduro.example.fi",
    },
    "validFrom": "2026-11-20T10:00:00Z",
    "name": "Puutyön perusteet",
    "credentialSubject": {
        "type": ["AchievementSubject"],
        "identifier": [
            {
                "type": "IdentityObject",
                "identityHash": "sha256$9f0c…",
                "identityType": "emailAddress",
                "hashed": True,
                "salt": "c2FsdA",
            }
        ],
        "achievement": {
            "id": f"{ORIGIN}/badges/puutyo-1/v1",
            "type": ["Achievement"],
            "name": "Puutyön perusteet",
            "description": "Osaa tehdä yksinkertaisen puutuotteen ohjeen mukaan.",
            "criteria": {"narrative": "Teki linnunpöntön ohjeen mukaan."},
            "alignment": [
                {
                    "type": ["Alignment"],
                    "targetName": "Puutuotevalmistuksessa toimiminen",
                    "targetUrl": "https://eperusteet.opintopolku.fi/#/fi/tutkinnonosa/105444",
                    "targetCode": "tutkinnonosat_105444",
                    "targetFramework": "ePerusteet",
                }
            ],
        },
    },
    "credentialStatus": {
        "id": f"{ORIGIN}/status/5d8e…#40321",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "40321",
        "statusListCredential": f"{ORIGIN}/status/5d8e…",
    },
    "proof": [
        {
            "type": "DataIntegrityProof",
            "cryptosuite": "eddsa-rdfc-2022",
            "created": "2026-11-20T10:00:00Z",
            "verificationMethod": f"{ISSUER}#key-1",
            "proofPurpose": "assertionMethod",
            "proofValue": "z58DAdFfa9SkqZMVPxAQp…",
        }
    ],
}

JWT = "eyJhbGciOiJFUzI1NiIsImtpZCI6ImRpZDp3ZWI6cGFzc2kuZXhhbXBsZS5maTpvcmdzOmVkdXJvI2tleS0yIn0.eyJ…"

VERIFIED: dict[str, Any] = {
    "verified": True,
    "outcome": "verified",
    "input_format": "json",
    "proof_format": "data-integrity",
    "checks": [
        {"id": "parse", "status": "passed", "code": "parsed", "message": "Read a credential."},
        {"id": "schema", "status": "passed", "code": "schema_valid", "message": "Valid."},
        {
            "id": "proof",
            "status": "passed",
            "code": "signature_valid",
            "message": "The signature is valid (eddsa-rdfc-2022).",
        },
        {
            "id": "issuer",
            "status": "passed",
            "code": "key_is_issuers",
            "message": "The credential was signed with the issuer's own key.",
        },
        {
            "id": "status",
            "status": "passed",
            "code": "status_ok",
            "message": "The credential has not been revoked.",
        },
    ],
    "credential": {
        "id": CREDENTIAL["id"],
        "name": "Puutyön perusteet",
        "description": "Osaa tehdä yksinkertaisen puutuotteen ohjeen mukaan.",
        "criteria": "Teki linnunpöntön ohjeen mukaan.",
        "achievement_type": "Competency",
        "image": f"{ORIGIN}/badges/puutyo-1/v1/image.svg",
        "issuer": {
            "id": ISSUER,
            "name": "Eduro-säätiö",
            "url": "https://eduro.example.fi",
            "known": True,
            "trust": "own",
        },
        "valid_from": "2026-11-20T10:00:00Z",
        "valid_until": None,
    },
    "recognition": {
        "units": [
            {
                "code": "tutkinnonosat_105444",
                "name": "Puutuotevalmistuksessa toimiminen",
                "url": "https://eperusteet.opintopolku.fi/#/fi/tutkinnonosa/105444",
                "osp": 45,
                "qualification": "Puuteollisuuden perustutkinto (OPH-2455-2017, koulutus_351741)",
                "requirements": [
                    {
                        "id": "puu-105444-1",
                        "text": "suunnittelee työvaiheiden järjestyksen",
                        "url": None,
                    }
                ],
            }
        ],
        "other_alignments": [],
    },
}

REVOKED: dict[str, Any] = {
    "verified": False,
    "outcome": "not_verified",
    "input_format": "jwt",
    "proof_format": "vc-jwt",
    "checks": [
        {
            "id": "proof",
            "status": "passed",
            "code": "signature_valid",
            "message": "The JWT signature is valid (ES256).",
        },
        {
            "id": "status",
            "status": "failed",
            "code": "revoked",
            "message": "The issuer has revoked this credential.",
        },
    ],
    "credential": None,
    "recognition": {"units": [], "other_alignments": []},
}

ISSUER_UNCONFIRMED: dict[str, Any] = {
    "verified": False,
    "outcome": "issuer_unconfirmed",
    "input_format": "jwt",
    "proof_format": "vc-jwt",
    "checks": [
        {
            "id": "proof",
            "status": "passed",
            "code": "signature_valid",
            "message": "The JWT signature is valid (ES256).",
        },
        {
            "id": "issuer",
            "status": "failed",
            "code": "key_unbound",
            "message": "The signature is intact, but we could not confirm that the key belongs "
            "to the issuer. Neither the issuer's own document nor a trusted source lists the "
            "key in the JWT header.",
        },
    ],
    "credential": {
        "id": f"{ORIGIN}/credentials/0b6f4c1e-7d1a-4a57-9c41-3f0e6f1b2a90",
        "name": "Puutyön perusteet",
        "issuer": {"id": ISSUER, "name": "Eduro-säätiö", "known": False, "trust": None},
    },
    "recognition": {"units": [], "other_alignments": []},
}

BADGE: dict[str, Any] = {
    "slug": "puutyo-1",
    "revision": 1,
    "version": "1.0",
    "name": {"fi": "Puutyön perusteet", "sv": "Grunderna i träarbete", "en": "Woodwork basics"},
    "description": {"fi": "Osaa tehdä yksinkertaisen puutuotteen ohjeen mukaan."},
    "category": "puutyo",
    "pathway": "puutyo",
    "level": 1,
    "builds_on": None,
    "achievement_type": "Competency",
    "achievement_id": f"{ORIGIN}/badges/puutyo-1/v1",
    "image": f"{ORIGIN}/badges/puutyo-1/v1/image.svg",
    "criteria": [
        {
            "id": "k1",
            "text": {"fi": "Tekee työvaiheet oikeassa järjestyksessä."},
            "requirements": ["puu-105444-1"],
        }
    ],
    "units": ["tutkinnonosat_105444"],
    "validity_months": None,
}

QUALIFICATION: dict[str, Any] = {
    "slug": "puuteollisuuden-perustutkinto",
    "kind": "qualification",
    "eperusteet_id": 3932281,
    "diaarinumero": "OPH-2455-2017",
    "koulutus_code": "koulutus_351741",
    "name": {"fi": "Puuteollisuuden perustutkinto"},
    "url": "https://eperusteet.opintopolku.fi/#/fi/ammatillinen/3932281/tiedot",
    "status": "imported",
    "provenance": {
        "source": "https://eperusteet.opintopolku.fi/eperusteet-service/api/external/peruste/"
        "3932281",
        "sha256": "21b06a9f7e3da9b2aaeaa336326338bbc75440d1c06fac8540984cd8706c7ca7",
        "imported": "2026-12-03",
        "modified": "2022-08-15T11:55:02.258000Z",
        "valid_from": "2018-08-01",
    },
    "units": [
        {
            "code": "tutkinnonosat_105444",
            "koodisto_version": None,
            "name": {"fi": "Puutuotevalmistuksessa toimiminen", "sv": "Tillverkning av trävaror"},
            "osp": 45,
            "url": "https://eperusteet.opintopolku.fi/#/fi/ammatillinen/3932281/tutkinnonosat/"
            "3933351",
            "status": "imported",
            "requirements": [
                {
                    "id": "puu-105444-suunnittelu",
                    "code": None,
                    "osa_alue": None,
                    "text": {
                        "fi": "suunnitella puutuotteiden valmistuksen ja työvaiheiden "
                        "keskinäisen järjestyksen"
                    },
                    "assessment": None,
                }
            ],
        }
    ],
}

PROFILE: dict[str, Any] = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ],
    "id": ISSUER,
    "type": ["Profile"],
    "name": "Eduro-säätiö",
    "url": "https://eduro.example.fi",
    "email": "info@eduro.example.fi",
}

DID_DOCUMENT: dict[str, Any] = {
    "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
    "id": ISSUER,
    "verificationMethod": [
        {
            "id": f"{ISSUER}#key-1",
            "type": "Multikey",
            "controller": ISSUER,
            "publicKeyMultibase": "z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        }
    ],
    "assertionMethod": [f"{ISSUER}#key-1"],
}

JWKS: dict[str, Any] = {
    "keys": [
        {
            "kty": "EC",
            "crv": "P-256",
            "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
            "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
            "kid": f"{ISSUER}#key-2",
            "alg": "ES256",
        }
    ]
}

STATUS_LIST: dict[str, Any] = {
    "@context": ["https://www.w3.org/ns/credentials/v2"],
    "id": f"{ORIGIN}/status/5d8e…",
    "type": ["VerifiableCredential", "BitstringStatusListCredential"],
    "issuer": ISSUER,
    "validFrom": "2026-11-20T10:00:00Z",
    "credentialSubject": {
        "id": f"{ORIGIN}/status/5d8e…#list",
        "type": "BitstringStatusList",
        "statusPurpose": "revocation",
        "encodedList": "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA",
    },
    "proof": [
        {
            "type": "DataIntegrityProof",
            "cryptosuite": "eddsa-rdfc-2022",
            "verificationMethod": f"{ISSUER}#key-1",
            "proofPurpose": "assertionMethod",
            "proofValue": "z3FXQ…",
        }
    ],
}

SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 200" role="img">'
    "<title>Puutyön perusteet</title>…</svg>"
)
QR_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 29 29" role="img" '
    'aria-labelledby="qr-5c1f0a9d2e3b"><title id="qr-5c1f0a9d2e3b">QR code</title>…</svg>'
)
HTML = "<!doctype html><html lang=fi><title>Eduro-säätiö</title>…</html>"


def json_example(media_type: str, value: Any, description: str = "OK") -> dict[str, Any]:
    """A 200 response whose `media_type` content carries `value` as its example."""
    return {"description": description, "content": {media_type: {"example": value}}}
