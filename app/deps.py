"""FastAPI dependencies shared by the API and the web pages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from app.config import Settings
from app.db import transaction


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """One request = one transaction: committed when the handler returns, else rolled back."""
    with transaction(request.app.state.engine) as session:
        yield session


# scope="function": commit (or roll back) when the handler returns, before the response is
# sent. With the default request scope the commit ran after the response had gone out, so a
# browser following a redirect could read before the commit landed (and a failed commit
# could follow a success page).
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]


def get_limit_session(request: Request) -> Iterator[Session]:
    """A separate, immediately committed transaction for rate-limit counters: a request
    that fails still counts."""
    with transaction(request.app.state.engine) as session:
        yield session
