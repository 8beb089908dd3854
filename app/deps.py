"""FastAPI dependencies shared by the API and the web pages."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from functools import partial
from typing import Annotated, Any, Protocol, TypeVar

from fastapi import Depends, Request
from sqlmodel import Session

from app.config import Settings
from app.db import transaction


async def get_app_settings(request: Request) -> Settings:
    # async: a plain attribute read, which FastAPI would otherwise hand to a worker thread.
    settings: Settings = request.app.state.settings
    return settings


# Requests that may change data; the others only read (bookkeeping aside, which writes in
# transactions of its own: app.db.bookkeeping).
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_WRITES_ON_GET = "__osaamispassi_writes_on_get__"

Endpoint = TypeVar("Endpoint", bound=Any)


def writes_on_get(endpoint: Endpoint) -> Endpoint:
    """Marks a page that writes although it is opened with GET (a fresh one-time link on the
    coach's "issued" page, the session a personal link starts): its transaction takes the
    write lock up front like a POST's. Put it under the route decorator."""
    setattr(endpoint, _WRITES_ON_GET, True)
    return endpoint


def request_writes(request: Request) -> bool:
    """Whether the request's transaction may write: any method but GET, HEAD and OPTIONS,
    and the GET pages marked `writes_on_get`."""
    if request.method not in SAFE_METHODS:
        return True
    return bool(getattr(request.scope.get("endpoint"), _WRITES_ON_GET, False))


def get_session(request: Request) -> Iterator[Session]:
    """One request = one transaction: committed when the handler returns, else rolled back.
    A request that may write takes the write lock up front on SQLite (db.transaction); one
    that reads is declared a reader, and a write in it is caught (db._DECLARED_READER)."""
    writes = request_writes(request)
    with transaction(request.app.state.engine, writes=writes, reader=not writes) as session:
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


class SessionFactory(Protocol):
    """Opens one transaction (`read_only`: the block only reads; `snapshot`: its reads see one
    moment; `writes`: the block writes, and takes the write lock first; see db.transaction)."""

    def __call__(
        self, *, read_only: bool = False, snapshot: bool = False, writes: bool = False
    ) -> AbstractContextManager[Session]: ...


async def get_session_factory(request: Request) -> SessionFactory:
    """Transactions to open where the work runs (the verification API's worker threads).

    Entering or leaving a sync dependency costs a hop to the threadpool each time; the
    verification API instead opens its transaction inside the one worker-thread call that
    does the work. Each call of the factory is one transaction, committed when its block
    ends without error and rolled back otherwise.
    """
    return partial(transaction, request.app.state.engine)


SessionFactoryDep = Annotated[SessionFactory, Depends(get_session_factory)]
