"""The API docs page: Swagger UI from the service's own files, no inline script."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient


def test_the_docs_page_uses_only_the_services_own_scripts(client: TestClient) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, flags=re.S)
    assert scripts, "no scripts on the page"
    for attributes, body in scripts:
        assert 'src="/' in attributes and body.strip() == "", "an inline or remote script"
    assert "cdn" not in page.text.lower() and "https://" not in page.text
    for path in re.findall(r'(?:src|href)="(/[^"]+)"', page.text):
        asset = client.get(path)
        assert asset.status_code == 200, path
    assert client.get("/api/openapi.json").json()["paths"]["/api/v1/verifications"]
