"""Answers people never see the inside of: a 500 carries the request id and the security
headers, its log holds no statement parameters, and private pages are never cached."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.middleware import SECURITY_HEADERS

SECRET_NARRATIVE = "Aino kertoi valmentajalle asioita, joita ei kuulu lokiin 7f3a"


def _failing_route(app: FastAPI) -> None:
    def boom() -> None:
        with app.state.engine.connect() as conn:
            # A bug, not an outage: a row that breaks a constraint (a 500, not a 503).
            conn.execute(
                text("INSERT INTO organization (slug) VALUES (:narrative)"),
                {"narrative": SECRET_NARRATIVE},
            )

    app.add_api_route("/coach/boom", boom)


def test_a_database_error_is_a_500_with_headers_and_without_parameters(
    app: FastAPI, caplog: Any
) -> None:
    caplog.set_level(logging.INFO)
    _failing_route(app)
    client = TestClient(app, base_url="https://passi.test", raise_server_exceptions=False)
    response = client.get("/coach/boom", headers={"X-Request-ID": "boom-1"})
    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == "boom-1"
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert "Nothing was saved" in response.text or "Mitään ei tallennettu" in response.text
    formatter = logging.Formatter("%(message)s")
    logged = "\n".join(formatter.format(r) for r in caplog.records)
    # The error is logged (its kind, primary message and the code's frames), never the row
    # values PostgreSQL repeats in its DETAIL, nor the statement's parameters.
    assert "unhandled database error on GET /coach/boom" in logged
    assert "organization" in logged and "Traceback" in logged
    assert SECRET_NARRATIVE not in logged


def test_the_engine_hides_parameters_in_errors(app: FastAPI) -> None:
    try:
        with app.state.engine.connect() as conn:
            conn.execute(text("SELECT * FROM no_such_table WHERE x = :x"), {"x": SECRET_NARRATIVE})
    except SQLAlchemyError as exc:
        assert SECRET_NARRATIVE not in str(exc)
    else:
        raise AssertionError("the statement should fail")
