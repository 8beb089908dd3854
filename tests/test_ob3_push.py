"""`osaamispassi ob3 push` (issue #16): a badge sent to an Open Badges 3.0 Host after its holder
allows it there, tried against our own Host running: discovery, registration, the
authorization code with PKCE, `POST /credentials`; through the command line too, with the
holder's browser coming back to its loopback address."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import create_engine
from sqlmodel import Session, col, select

from app.config import Settings
from app.host.push import PushFailed, push_credential
from app.models import Award, Credential, Participant, User
from app.models.base import utcnow
from app.passport.service import issue_passport_token
from tests.conftest import STANDARDS, fresh_postgres_schema
from tests.live import COACH, ROOT, cli, environment, serving

ANSWER = "https://osaamispassi.example/callback"


@contextmanager
def _holder_browser(url: str, database_url: str, name: str) -> Iterator[httpx.Client]:
    """A browser signed in to the passport of the demo's participant `name`."""
    engine = create_engine(database_url)
    with Session(engine) as session:
        person = session.exec(select(Participant).where(Participant.display_name == name)).one()
        coach = session.exec(select(User).where(User.email == COACH)).one()
        assert person.id is not None
        token = issue_passport_token(session, coach=coach, participant_id=person.id, now=utcnow())
        session.commit()
    engine.dispose()
    with httpx.Client(base_url=url) as browser:
        assert browser.get(f"/passport/{token}").status_code == 303
        yield browser


def _allow(browser: httpx.Client, address: str) -> str:
    """The holder opens the consent page and allows: where the host sends her back."""
    page = browser.get(address)
    assert page.status_code == 200, page.text
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text)
    import html

    data = {html.unescape(k): html.unescape(v) for k, v in fields}
    data["decision"] = "allow"
    answer = browser.post("/ims/ob/v3p0/auth/authorize", data=data)
    assert answer.status_code == 303, answer.text
    location: str = answer.headers["location"]
    return location


def _ainos_badge(database_url: str) -> tuple[str, dict[str, object]]:
    engine = create_engine(database_url)
    with Session(engine) as session:
        row = session.exec(
            select(Credential)
            .join(Award, col(Award.id) == col(Credential.award_id))
            .join(Participant, col(Participant.id) == col(Award.participant_id))
            .where(Participant.email == "aino@demo.example.fi")
            .where(col(Credential.revoked_at).is_(None))
        ).first()
        assert row is not None
        found = (row.public_id, dict(row.json_ld))
    engine.dispose()
    return found


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def running(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """The demo served on each database, shared by this module's tests (the push of one
    test changes nothing the other reads)."""
    tmp_path = tmp_path_factory.mktemp("push")
    with ExitStack() as stack:
        if request.param == "sqlite":
            database_url = f"sqlite:///{tmp_path / 'push.db'}"
        else:
            database_url = stack.enter_context(fresh_postgres_schema("push"))
        yield stack.enter_context(serving(tmp_path, database_url)), database_url


def test_a_badge_pushed_to_a_host_where_its_holder_allows_it(running: tuple[str, str]) -> None:
    url, database_url = running
    settings = Settings(base_url=url, contexts_dir=STANDARDS / "contexts")
    _, badge = _ainos_badge(database_url)
    with (
        _holder_browser(url, database_url, "Aino") as aino,
        _holder_browser(url, database_url, "Mikko K.") as mikko,
    ):
        _push_three_ways(settings, badge, url, aino, mikko)


def _push_three_ways(
    settings: Settings, badge: dict[str, object], url: str, aino: httpx.Client, mikko: httpx.Client
) -> None:
    seen: list[str] = []

    def authorize(address: str) -> str:
        seen.append(address)
        return _allow(aino, address)

    result = push_credential(settings, badge, url, redirect_uri=ANSWER, authorize=authorize)
    # Her own badge, to the passport that holds it: answered as it is.
    assert result.status == 200
    assert urlsplit(seen[0]).path == "/ims/ob/v3p0/auth/authorize"
    assert "code_challenge_method=S256" in seen[0]

    # Someone else allowing it at the host: the host refuses Aino's badge for Mikko.
    with pytest.raises(PushFailed, match="HTTP 400"):
        push_credential(
            settings, badge, url, redirect_uri=ANSWER, authorize=lambda a: _allow(mikko, a)
        )

    # The holder refusing: nothing is sent.
    def refuse(address: str) -> str:
        page = aino.get(address)
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
        import html

        data = {html.unescape(k): html.unescape(v) for k, v in fields.items()}
        data["decision"] = "deny"
        return aino.post("/ims/ob/v3p0/auth/authorize", data=data).headers["location"]

    with pytest.raises(PushFailed, match="access_denied"):
        push_credential(settings, badge, url, redirect_uri=ANSWER, authorize=refuse)


def test_the_push_command_waits_for_the_holder_on_a_loopback_address(
    running: tuple[str, str], tmp_path: Path
) -> None:
    url, database_url = running
    public_id, _ = _ainos_badge(database_url)
    env = environment(
        database_url, int(urlsplit(url).port or 0), CONTEXTS_DIR=str(STANDARDS / "contexts")
    )
    env["BASE_URL"] = url
    out = tmp_path / "push.out"
    with out.open("wb") as sink:
        command = subprocess.Popen(
            [*cli(), "ob3", "push", public_id, url, "--wait", "60"],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        address = ""
        while not address and time.monotonic() < deadline:
            found = re.search(r"^(http\S+/auth/authorize\?\S+)$", out.read_text(), re.MULTILINE)
            address = found.group(1) if found else ""
            time.sleep(0.2)
        assert address, out.read_text()
        with _holder_browser(url, database_url, "Aino") as aino:
            back = _allow(aino, address)
        assert back.startswith("http://127.0.0.1:")
        # Her browser follows the host's redirect to the command's loopback address.
        assert "close" in httpx.get(back).text
        assert command.wait(timeout=30) == 0, out.read_text()
    finally:
        command.kill()
    assert "already in the passport at" in out.read_text()
