"""openapi.yaml is generated from the app and must not drift from it."""

from __future__ import annotations

from pathlib import Path

import yaml

from app.openapi_export import openapi_document

ROOT = Path(__file__).resolve().parent.parent


def test_openapi_yaml_matches_the_app() -> None:
    committed = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    assert committed == openapi_document(), "openapi.yaml is stale: run `make openapi`"


def test_html_pages_are_not_in_the_api_document() -> None:
    paths = openapi_document()["paths"]
    assert all(
        p.startswith(
            (
                "/api/",
                "/healthz",
                "/readyz",
                "/orgs/",
                "/credentials/",
                "/status/",
                "/badges/",
                "/.well-known/",  # JSON metadata for wallets (OpenID4VCI, OAuth)
            )
        )
        for p in paths
    ), sorted(paths)


def test_every_request_and_response_has_an_example() -> None:
    missing = []
    for path, item in openapi_document()["paths"].items():
        for method, operation in item.items():
            bodies = {"request": operation.get("requestBody", {"content": {}})}
            bodies.update(operation["responses"])
            for status, described in bodies.items():
                for media, content in described.get("content", {}).items():
                    if "example" not in content and not content.get("examples"):
                        missing.append(f"{method.upper()} {path} {status} {media}")
    assert missing == [], missing


# Endpoints of a protocol whose specification fixes the error's form: OAuth 2.0 (RFC 6749
# 5.2) and OpenID4VCI answer `{"error": ..., "error_description": ...}` (issue #15).
OAUTH_ERROR_PATHS = {"/api/v1/openid4vci/token", "/api/v1/openid4vci/credential"}


def test_every_error_response_is_a_problem() -> None:
    for path, item in openapi_document()["paths"].items():
        for method, operation in item.items():
            for status, described in operation["responses"].items():
                # (A form FastAPI cannot read, 422, and the shared look-up limit, 429, are
                # problems as everywhere.)
                if (
                    int(status) >= 400
                    and path in OAUTH_ERROR_PATHS
                    and status not in ("422", "429")
                ):
                    example = described["content"]["application/json"]["example"]
                    assert set(example) == {"error", "error_description"}, (path, status)
                elif int(status) >= 400:
                    content = described["content"]["application/problem+json"]
                    assert content["schema"] == {"$ref": "#/components/schemas/Problem"}, (
                        method,
                        path,
                        status,
                    )
