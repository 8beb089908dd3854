"""The API's documentation page: Swagger UI served by the service itself.

FastAPI's default page loads Swagger UI from a CDN and starts it with an inline script, which
the service's Content-Security-Policy (scripts and styles from 'self' only) rightly blocks:
the page stayed blank. Here the Swagger UI files come from the `swagger-ui-py` package
(Swagger UI 5, which reads the OpenAPI 3.1 description FastAPI writes; mounted at
/api/docs/assets) and the start-up code from /static/api-docs.js, so the policy
stays as strict as on every other page.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)
ASSETS_PATH = "/api/docs/assets"
ASSETS_DIR = str(files("swagger_ui") / "static")

PAGE = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="robots" content="noindex">
  <title>Osaamispassi API</title>
  <link rel="stylesheet" href="{ASSETS_PATH}/swagger-ui.css">
  <link rel="stylesheet" href="/static/api-docs.css">
</head>
<body>
  <div id="swagger-ui" data-openapi-url="/api/openapi.json">
    <noscript>The API description is at <a href="/api/openapi.json">/api/openapi.json</a>
    (OpenAPI 3.1).</noscript>
  </div>
  <script src="{ASSETS_PATH}/swagger-ui-bundle.js"></script>
  <script src="/static/api-docs.js"></script>
</body>
</html>
"""


@router.get("/api/docs", response_class=HTMLResponse)
def api_docs() -> HTMLResponse:
    """Swagger UI for the OpenAPI description at /api/openapi.json."""
    return HTMLResponse(PAGE)
