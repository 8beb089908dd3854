"""Errors of the Open Badges 3.0 API in the specification's Imsx_StatusInfo form (its REST
binding answers every failure so), instead of the problem details of the service's own API.
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from app.host import API_PATH, AUTHORIZE_PATH

OB3_PREFIX = API_PATH + "/"
# The consent page is a page for a person, not an API answer.
OB3_PAGES = frozenset({AUTHORIZE_PATH})

_CODE_MINOR = {
    400: "invalid_data",
    401: "unauthorizedrequest",
    403: "forbidden",
    404: "not_found",
    405: "not_allowed",
    406: "not_acceptable",
    413: "invalid_data",
    415: "invalid_data",
    422: "invalid_data",
    429: "server_busy",
    503: "server_busy",
}


def is_ob3_api(path: str) -> bool:
    return path.startswith(OB3_PREFIX) and path not in OB3_PAGES


def status_info(status: int, description: str, code_minor: str | None = None) -> dict[str, Any]:
    return {
        "imsx_codeMajor": "failure",
        "imsx_severity": "error",
        "imsx_description": description,
        "imsx_codeMinor": {
            "imsx_codeMinorField": [
                {
                    "imsx_codeMinorFieldName": "TargetEndSystem",
                    "imsx_codeMinorFieldValue": code_minor
                    or _CODE_MINOR.get(status, "internal_server_error"),
                }
            ]
        },
    }


def status_response(
    status: int,
    description: str,
    headers: dict[str, str] | None = None,
    *,
    code_minor: str | None = None,
) -> JSONResponse:
    return JSONResponse(
        status_info(status, description, code_minor), status_code=status, headers=headers
    )
