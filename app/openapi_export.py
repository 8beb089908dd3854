"""Print the OpenAPI document of the app as YAML (`make openapi` writes openapi.yaml)."""

from __future__ import annotations

import sys
from typing import Any

import yaml

from app.config import Settings


def openapi_document() -> dict[str, Any]:
    from app.main import create_app

    settings = Settings(_env_file=None, database_url="sqlite://")
    return create_app(settings).openapi()


def render() -> str:
    return yaml.safe_dump(openapi_document(), sort_keys=False, allow_unicode=True, width=100)


if __name__ == "__main__":
    sys.stdout.write(render())
