"""Sending a participant's badge to another Open Badges 3.0 Host (the Issuer's optional write
role, issue #16): `osaamispassi ob3 push`.

As the specification's client: read the host's service description, register (RFC 7591),
have the participant authorise the upsert scope (authorization code with PKCE S256), exchange
the code, and `POST /credentials` the badge. The participant's part, opening the host's
consent page and allowing, is `authorize`: a function given the authorization address that
returns the address the host sent the browser back to (the command line's waits for it on a
loopback address, RFC 8252).

Every request is bounded: a time-out, no redirects followed, answers read up to a limit.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from app.config import Settings
from app.host import API_PATH
from app.host.scopes import CREDENTIAL_UPSERT

DISCOVERY_PATH = API_PATH + "/discovery"
TIMEOUT = httpx.Timeout(15.0)
MAX_ANSWER_BYTES = 1024 * 1024
# What the participant's browser shows when it comes back to the command line.
DONE_PAGE = (
    "Valmis. Voit sulkea ikkunan.\nKlart. Du kan stänga fönstret.\nDone. You can close this window."
)


class PushFailed(Exception):
    """The push stopped: a message that says at which step and why."""


@dataclass
class PushResult:
    status: int  # 201: added to the other passport; 200: it was there already
    host: str
    client_name: str


def _json(answer: httpx.Response, step: str) -> dict[str, Any]:
    if len(answer.content) > MAX_ANSWER_BYTES:
        raise PushFailed(f"{step}: the answer is too large.")
    try:
        data = answer.json()
    except ValueError:
        raise PushFailed(f"{step}: the answer is not JSON (HTTP {answer.status_code}).") from None
    if not isinstance(data, dict):
        raise PushFailed(f"{step}: the answer is not a JSON object.")
    return data


def _https_or_loopback(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme == "https":
        return True
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")


def discover(http: httpx.Client, host: str) -> dict[str, Any]:
    """The host's service description: where to register, authorise and get tokens, and the
    API's address."""
    url = host if host.rstrip("/").endswith("/discovery") else host.rstrip("/") + DISCOVERY_PATH
    if not _https_or_loopback(url):
        raise PushFailed("The host's address must be https.")
    answer = http.get(url)
    if answer.status_code != 200:
        raise PushFailed(f"Service description: HTTP {answer.status_code} from {url}.")
    document = _json(answer, "Service description")
    try:
        scheme = document["components"]["securitySchemes"]["OAuth2ACG"]
        flow = scheme["flows"]["authorizationCode"]
        found = {
            "registration": scheme["x-imssf-registrationUrl"],
            "authorization": flow["authorizationUrl"],
            "token": flow["tokenUrl"],
            "api": document["servers"][0]["url"].rstrip("/"),
        }
    except (KeyError, IndexError, TypeError):
        raise PushFailed("Service description: it names no OAuth 2.0 endpoints.") from None
    for name, address in found.items():
        if not isinstance(address, str) or not _https_or_loopback(address):
            raise PushFailed(f"Service description: the {name} address must be https.")
    return found


def push_credential(
    settings: Settings,
    credential: dict[str, Any],
    host: str,
    *,
    redirect_uri: str,
    authorize: Callable[[str], str],
    http: httpx.Client | None = None,
) -> PushResult:
    """Send `credential` (a badge's JSON) to the host at `host`, authorised by its holder.

    Raises:
        PushFailed: A step failed; nothing was sent after it.
    """
    own = http is None
    http = http or httpx.Client(timeout=TIMEOUT, follow_redirects=False)
    try:
        endpoints = discover(http, host)
        origin = settings.public_origin
        registered = http.post(
            endpoints["registration"],
            json={
                "client_name": "Osaamispassi",
                "client_uri": origin,
                "logo_uri": f"{origin}/static/logo.svg",
                "tos_uri": f"{origin}/terms",
                "policy_uri": f"{origin}/privacy",
                "software_id": "osaamispassi",
                "software_version": "0.1.0",
                "redirect_uris": [redirect_uri],
                "token_endpoint_auth_method": "client_secret_basic",
                "grant_types": ["authorization_code"],
                "response_types": ["code"],
                "scope": CREDENTIAL_UPSERT,
            },
        )
        client = _json(registered, "Registration")
        if registered.status_code != 201 or "client_id" not in client:
            raise PushFailed(f"Registration: {client.get('error_description') or client}.")
        verifier = secrets.token_urlsafe(48)
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        state = secrets.token_urlsafe(16)
        query = urlencode(
            {
                "response_type": "code",
                "client_id": client["client_id"],
                "redirect_uri": redirect_uri,
                "scope": CREDENTIAL_UPSERT,
                "state": state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        returned = parse_qs(urlsplit(authorize(f"{endpoints['authorization']}?{query}")).query)
        if returned.get("state") != [state]:
            raise PushFailed("Authorization: the answer is not for this request (state).")
        if "error" in returned:
            raise PushFailed(
                f"Authorization: {returned['error'][0]} (the holder did not allow it)."
            )
        if "code" not in returned:
            raise PushFailed("Authorization: no code came back.")
        answer = http.post(
            endpoints["token"],
            data={
                "grant_type": "authorization_code",
                "code": returned["code"][0],
                "redirect_uri": redirect_uri,
                "code_verifier": verifier,
            },
            auth=(client["client_id"], client["client_secret"]),
        )
        tokens = _json(answer, "Token")
        if answer.status_code != 200 or "access_token" not in tokens:
            raise PushFailed(f"Token: {tokens.get('error_description') or tokens.get('error')}.")
        sent = http.post(
            f"{endpoints['api']}/credentials",
            content=json.dumps(credential, ensure_ascii=False).encode(),
            headers={
                "Authorization": f"Bearer {tokens['access_token']}",
                "Content-Type": "application/json",
            },
        )
        if sent.status_code not in (200, 201):
            status = _json(sent, "Sending the badge")
            raise PushFailed(
                f"Sending the badge: HTTP {sent.status_code}: "
                f"{status.get('imsx_description') or status}"
            )
        return PushResult(sent.status_code, urlsplit(endpoints["api"]).netloc, "Osaamispassi")
    except httpx.HTTPError as exc:
        raise PushFailed(f"The host could not be reached: {type(exc).__name__}.") from exc
    finally:
        if own:
            http.close()


def credential_to_push(session: Any, public_id: str) -> dict[str, Any]:
    """The badge's JSON, when it stands (not revoked, not erased).

    Raises:
        PushFailed: No such badge, or it is revoked.
    """
    from app.credentials.export import credential_by_public_id
    from app.errors import NotFound

    try:
        row = credential_by_public_id(session, public_id)
    except NotFound:
        raise PushFailed(f"No credential {public_id}.") from None
    if row.revoked_at is not None:
        raise PushFailed("The badge is revoked: it is not sent anywhere.")
    return dict(row.json_ld)


class LoopbackCallback:
    """Waits on 127.0.0.1 for the host to send the participant's browser back (RFC 8252,
    loopback redirect): `redirect_uri` to register, `wait()` the address it came back to."""

    def __init__(self, port: int = 0) -> None:
        import http.server
        import threading

        received: list[str] = []
        done = threading.Event()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if not self.path.startswith("/callback"):
                    self.send_error(404)
                    return
                received.append(f"http://127.0.0.1{self.path}")
                body = DONE_PAGE.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                done.set()

            def log_message(self, format: str, *args: Any) -> None:  # the code is secret
                return None

        self._server = http.server.HTTPServer(("127.0.0.1", port), Handler)
        self._received = received
        self._done = done
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.redirect_uri = f"http://127.0.0.1:{self._server.server_address[1]}/callback"

    def wait(self, seconds: float) -> str:
        if not self._done.wait(seconds):
            raise PushFailed(f"Authorization: no answer within {int(seconds)} seconds.")
        return self._received[0]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
