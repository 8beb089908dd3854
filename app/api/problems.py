"""Problem details (RFC 9457) in the OpenAPI document: the shared schema, the responses each
route declares, examples, and the component schemas of bodies the routes read themselves."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, ConfigDict, Field

from app.errors import PROBLEM_BASE

PROBLEM_JSON = "application/problem+json"


class FieldError(BaseModel):
    location: str = Field(description="Where the problem is, e.g. body.items.0.url")
    message: str


class Problem(BaseModel):
    """An error: what went wrong and what to do about it (RFC 9457)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="A stable URI naming the kind of problem")
    title: str
    status: int = Field(ge=400, le=599)
    detail: str = Field(description="A message a person can act on")
    instance: str | None = Field(default=None, description="The path of the request")
    errors: list[FieldError] | None = Field(
        default=None, description="Each invalid field (validation-failed only)"
    )


def problem(status: int, name: str, title: str, detail: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": PROBLEM_BASE + name,
        "title": title,
        "status": status,
        "detail": detail,
        **extra,
    }


COMMON_EXAMPLES: dict[int, dict[str, Any]] = {
    404: problem(404, "not-found", "Not found", "No badge 'puutyo-9' in the catalog."),
    422: problem(
        422,
        "validation-failed",
        "The input is not valid",
        "path.revision: Input should be less than or equal to 2147483647",
        errors=[
            {
                "location": "path.revision",
                "message": "Input should be less than or equal to 2147483647",
            }
        ],
    ),
    429: problem(
        429,
        "rate-limited",
        "Too many requests",
        "Too many verification requests: at most 30 a minute. Try again in 12 seconds, or "
        "ask for an API key for a higher limit.",
    ),
}


def problem_response(
    description: str, examples: dict[str, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """One declared error response: problem+json with the shared schema and examples."""
    content: dict[str, Any] = {"schema": {"$ref": "#/components/schemas/Problem"}}
    if examples:
        content["examples"] = {name: {"value": value} for name, value in examples.items()}
    return {"description": description, "content": {PROBLEM_JSON: content}}


def not_found(detail: str) -> dict[int | str, dict[str, Any]]:
    return {
        404: problem_response(
            "Not found", {"not-found": problem(404, "not-found", "Not found", detail)}
        )
    }


VALIDATION_ERROR = problem_response(
    "A path or query parameter is not valid", {"validation-failed": COMMON_EXAMPLES[422]}
)

# Models read by routes from the raw body (to enforce size and depth limits first) are not
# discovered by FastAPI; they are added to the components here.
EXTRA_COMPONENTS: list[type[BaseModel]] = [Problem]


def install_openapi(app: FastAPI, extra_models: list[type[BaseModel]]) -> None:
    """Generate the document once: FastAPI's, plus the extra component schemas, and every
    422 answer described with the Problem schema (the app renders it as problem+json)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            description=app.description,
            routes=app.routes,
        )
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        for model in [*EXTRA_COMPONENTS, *extra_models]:
            generated = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, definition in generated.pop("$defs", {}).items():
                schemas.setdefault(name, definition)
            schemas[model.__name__] = generated
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        for path_item in document.get("paths", {}).values():
            for operation in path_item.values():
                responses = operation.get("responses", {})
                if "422" in responses:
                    responses["422"] = _problem_422(responses["422"])
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def _problem_422(declared: dict[str, Any]) -> dict[str, Any]:
    content = declared.get("content", {})
    if PROBLEM_JSON in content and "schema" in content[PROBLEM_JSON]:
        return declared
    examples = content.get(PROBLEM_JSON, {}).get("examples") or {
        "validation-failed": {"value": COMMON_EXAMPLES[422]}
    }
    description = declared.get("description", "Validation Error")
    if description == "Validation Error":
        description = "A parameter or field is not valid"
    return {
        "description": description,
        "content": {
            PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}, "examples": examples}
        },
    }
