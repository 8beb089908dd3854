"""The Jinja2 environment shared by the HTML pages."""

from __future__ import annotations

from fastapi.templating import Jinja2Templates

from app.config import PROJECT_ROOT

templates = Jinja2Templates(directory=str(PROJECT_ROOT / "templates"))
