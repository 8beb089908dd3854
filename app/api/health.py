"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.api.examples import json_example
from app.api.problems import problem, problem_response
from app.catalog.repository import count_badges
from app.deps import SessionDep
from app.errors import ServiceUnavailable

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    database: str
    badges: int


@router.get(
    "/healthz",
    response_model=Health,
    summary="The process is up",
    responses={200: json_example("application/json", {"status": "ok"})},
)
def healthz() -> Health:
    """Answers as long as the process runs; checks nothing else."""
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="Ready to serve: database reachable, catalog loaded",
    responses={
        200: json_example("application/json", {"status": "ok", "database": "ok", "badges": 24}),
        503: problem_response(
            "Database unreachable or catalog not loaded",
            {
                "service-unavailable": problem(
                    503,
                    "service-unavailable",
                    "Service unavailable",
                    "The badge catalog has not been loaded (run catalog sync).",
                )
            },
        ),
    },
)
def readyz(session: SessionDep) -> Readiness:
    """Checks that the database answers and the badge catalog has been loaded."""
    try:
        session.exec(text("SELECT 1"))  # type: ignore[call-overload]
        badges = count_badges(session)
    except SQLAlchemyError as exc:
        raise ServiceUnavailable("The database cannot be reached.") from exc
    if badges == 0:
        raise ServiceUnavailable("The badge catalog has not been loaded (run catalog sync).")
    return Readiness(status="ok", database="ok", badges=badges)
