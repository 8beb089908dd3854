"""Pages with people's data are never kept by a browser's or a proxy's cache."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import World


def test_private_pages_are_not_cached(client: TestClient, coach_client: TestClient) -> None:
    assert client.get("/login").headers["cache-control"] == "private, no-store"
    for path in ("/coach", "/coach/participants"):
        response = coach_client.get(path)
        assert response.status_code == 200
        assert "no-store" in response.headers["cache-control"], path
    assert "no-store" not in client.get("/static/app.css").headers.get("cache-control", "")


def test_admin_pages_are_not_cached(admin_client: TestClient, world: World) -> None:
    response = admin_client.get("/admin/users")
    assert response.status_code == 200
    assert "no-store" in response.headers["cache-control"]
