"""Every form carries the CSRF token itself (the `csrf()` macro needs the page's context),
and no page uses inline styles, which the Content-Security-Policy blocks."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import World


def test_forms_on_staff_pages_carry_a_token_and_no_inline_style(
    admin_client: TestClient, world: World
) -> None:
    pid = world.participant.id
    for path in (
        f"/coach/credentials/{world.credential.public_id}",
        f"/coach/participants/{pid}/edit",
        "/coach/participants/new",
        "/admin/users",
    ):
        page = admin_client.get(path)
        assert page.status_code == 200, path
        assert 'name="csrf_token" value=""' not in page.text, path
        assert page.text.count('name="csrf_token" value="') >= 2, path
        assert "style=" not in page.text, path
