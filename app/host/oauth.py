"""The OAuth 2.0 authorization server of the Open Badges 3.0 Host API, built on Authlib.

Authlib does the protocol: dynamic client registration (RFC 7591), the authorization code
grant with PKCE (RFC 7636), refresh tokens, revocation (RFC 7009) and the bearer token
checks (RFC 6750). This module gives it our tables and our rules:

- registration needs what the OB 3.0 specification lists (`client_name`, `client_uri`,
  `logo_uri`, `tos_uri`, `policy_uri`, `software_id`, `software_version`, `redirect_uris`,
  `scope`) and allows only `client_secret_basic`, the code grant and refresh tokens;
- every authorization request carries a PKCE challenge by S256 (plain is refused), asks
  only for scopes the client registered, and names a registered redirect URI exactly;
- client secrets, codes and tokens are kept only as SHA-256 hashes; a code is usable once
  within CODE_LIFETIME, and a second use revokes what the first gave (RFC 6749 4.1.2);
  a refresh token is usable once (rotation), and a used one presented again revokes the
  whole chain (OAuth 2.0 Security BCP 4.14);
- everything is in the database, so any instance answers any step.

A server object is made per request around that request's database session.
"""

from __future__ import annotations

import hmac
import secrets
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from authlib.common.security import is_secure_transport
from authlib.oauth2 import AuthorizationServer, OAuth2Request, ResourceProtector
from authlib.oauth2.rfc6749 import (
    AuthorizationCodeMixin,
    ClientMixin,
    InvalidRequestError,
    InvalidScopeError,
    TokenMixin,
    grants,
)
from authlib.oauth2.rfc6749.requests import JsonPayload, JsonRequest, OAuth2Payload
from authlib.oauth2.rfc6750 import BearerTokenGenerator, BearerTokenValidator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7591 import ClientMetadataClaims, ClientRegistrationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from joserfc.errors import JoseError
from sqlalchemy import update
from sqlmodel import Session, col, select

from app.host.scopes import SCOPES, scope_list
from app.models import HostAuthorizationCode, HostClient, HostToken, Participant
from app.tokens import hash_token, new_token

CODE_LIFETIME = timedelta(minutes=5)
ACCESS_TOKEN_SECONDS = 3600
REFRESH_TOKEN_LIFETIME = timedelta(days=180)
# What a registration must name (OB 3.0, "Dynamic Client Registration"; RFC 7591 lets them
# be optional).
REQUIRED_METADATA = (
    "client_name",
    "client_uri",
    "logo_uri",
    "tos_uri",
    "policy_uri",
    "software_id",
    "software_version",
    "redirect_uris",
    "scope",
)
GRANT_TYPES = ("authorization_code", "refresh_token")
MAX_REDIRECT_URIS = 10
MAX_METADATA_CHARS = 2000
MAX_NAME_CHARS = 100  # the consent page and the settings show the name
# Characters that would make a name shown on the consent page read otherwise than it is.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


# --- what Authlib reads of our rows -------------------------------------------------------


@dataclass
class Client(ClientMixin):  # type: ignore[misc]
    row: HostClient

    @property
    def metadata(self) -> dict[str, Any]:
        return self.row.client_metadata

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> str:
        uris: list[str] = self.metadata["redirect_uris"]
        return uris[0]

    def get_allowed_scope(self, scope: str | None) -> str:
        allowed = set(scope_list(self.metadata.get("scope")))
        return " ".join(s for s in scope_list(scope) if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.metadata["redirect_uris"]

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(hash_token(client_secret), self.row.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == "client_secret_basic"

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.metadata.get("grant_types", GRANT_TYPES)


@dataclass
class Code(AuthorizationCodeMixin):  # type: ignore[misc]
    row: HostAuthorizationCode

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope

    @property
    def code_challenge(self) -> str:
        return self.row.code_challenge

    @property
    def code_challenge_method(self) -> str:
        return self.row.code_challenge_method


@dataclass
class Token(TokenMixin):  # type: ignore[misc]
    row: HostToken
    now: datetime

    def check_client(self, client: Client) -> bool:
        return client.row.id == self.row.client_id

    def get_scope(self) -> str:
        return self.row.scope

    def get_expires_in(self) -> int:
        return max(0, int((self.row.expires_at - self.now).total_seconds()))

    def is_expired(self) -> bool:
        return self.now >= self.row.expires_at

    def is_revoked(self) -> bool:
        return self.row.revoked_at is not None


# --- requests ------------------------------------------------------------------------------


class _Params(OAuth2Payload):  # type: ignore[misc]
    """The request's parameters: the first value of each, and all of them (Authlib refuses
    a parameter given twice)."""

    def __init__(self, lists: dict[str, list[str]]) -> None:
        self._lists = lists
        self._first = {key: values[0] for key, values in lists.items()}

    @property
    def data(self) -> dict[str, str]:
        return self._first

    @property
    def datalist(self) -> dict[str, list[str]]:
        return self._lists


class HostRequest(OAuth2Request):  # type: ignore[misc]
    """A request as Authlib reads it: the method, the address (on BASE_URL), the headers and
    the parameters (the query of a GET, the form of a POST), each with all its values."""

    def __init__(
        self,
        method: str,
        uri: str,
        headers: Mapping[str, str],
        params: Iterable[tuple[str, str]],
    ) -> None:
        super().__init__(method, uri, headers=headers)
        lists: dict[str, list[str]] = {}
        for key, value in params:
            lists.setdefault(key, []).append(value)
        self.payload = _Params(lists)

    @property
    def args(self) -> dict[str, str]:
        first: dict[str, str] = self.payload.data
        return first

    @property
    def form(self) -> dict[str, str]:
        first: dict[str, str] = self.payload.data
        return first


class _Json(JsonPayload):  # type: ignore[misc]
    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    @property
    def data(self) -> dict[str, Any]:
        return self._data


class HostJsonRequest(JsonRequest):  # type: ignore[misc]
    """A registration request: its JSON body."""

    def __init__(self, uri: str, headers: Mapping[str, str], data: dict[str, Any]) -> None:
        super().__init__("POST", uri, headers)
        self.payload = _Json(data)


# --- registration --------------------------------------------------------------------------


class _Ob3ClientClaims(ClientMetadataClaims):  # type: ignore[misc]
    def validate(self, now: Any = None, leeway: int = 0) -> None:
        missing = [key for key in REQUIRED_METADATA if not self.get(key)]
        if missing:
            raise _claims_error("Missing " + ", ".join(missing) + ".")
        for key, value in self.items():
            for text in value if isinstance(value, list) else [value]:
                if not isinstance(text, str):
                    continue
                if len(text) > MAX_METADATA_CHARS:
                    raise _claims_error(f"{key} is longer than {MAX_METADATA_CHARS} characters.")
                if any(unicodedata.category(c) == "Cc" or c in _BIDI_CONTROLS for c in text):
                    raise _claims_error(f"{key} contains a control character.")
        if len(str(self.get("client_name"))) > MAX_NAME_CHARS:
            raise _claims_error(f"client_name is longer than {MAX_NAME_CHARS} characters.")
        uris = self.get("redirect_uris")
        if not isinstance(uris, list) or not all(isinstance(u, str) for u in uris):
            raise _claims_error("redirect_uris must be a list of addresses.")
        if len(uris) > MAX_REDIRECT_URIS:
            raise _claims_error(f"At most {MAX_REDIRECT_URIS} redirect_uris.")
        for uri in uris:
            if "#" in uri or not _secure_redirect(uri):
                raise _claims_error(
                    f"The redirect URI {uri} must use https (http only on this computer) "
                    "and have no fragment."
                )
        for key in ("client_uri", "logo_uri", "tos_uri", "policy_uri"):
            value = self.get(key)
            if not isinstance(value, str) or not _secure_redirect(value):
                raise _claims_error(f"{key} must be an https address.")
        scopes = str(self.get("scope")).split()
        unknown = [s for s in scopes if s not in SCOPES]
        if unknown or not scopes:
            raise _claims_error("Unknown scope: " + " ".join(unknown) + ".")
        method = self.get("token_endpoint_auth_method", "client_secret_basic")
        if method != "client_secret_basic":
            raise _claims_error("token_endpoint_auth_method must be client_secret_basic.")
        if not set(self.get("grant_types", GRANT_TYPES)) <= set(GRANT_TYPES):
            raise _claims_error("grant_types may be authorization_code and refresh_token.")
        if set(self.get("response_types", ["code"])) != {"code"}:
            raise _claims_error("response_types may only be code.")
        super().validate(now, leeway)


def _claims_error(message: str) -> Exception:
    # The registration endpoint answers a JoseError as invalid_client_metadata, with this
    # description.
    return JoseError(message)


def _secure_redirect(uri: str) -> bool:
    return uri.startswith("https://") or (uri.startswith("http://") and is_secure_transport(uri))


class _Registration(ClientRegistrationEndpoint):  # type: ignore[misc]
    """Open registration: the OB 3.0 specification gives a client no initial access token.
    Registration management (RFC 7592) is not offered: a client is changed by registering
    anew, so no registration access token exists that could manage another's client."""

    def __init__(self, server: HostServer) -> None:
        super().__init__(server, claims_classes=[_Ob3ClientClaims])
        self.host = server

    def authenticate_token(self, request: Any) -> bool:
        return True

    def get_server_metadata(self) -> dict[str, Any]:
        return {
            "scopes_supported": list(SCOPES),
            "response_types_supported": ["code"],
            "grant_types_supported": list(GRANT_TYPES),
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        }

    def generate_client_id(self, request: Any) -> str:
        return secrets.token_urlsafe(24)

    def generate_client_secret(self, request: Any) -> str:
        return new_token()

    def extract_client_metadata(self, request: Any) -> dict[str, Any]:
        metadata: dict[str, Any] = super().extract_client_metadata(request)
        metadata.setdefault("grant_types", list(GRANT_TYPES))
        metadata.setdefault("response_types", ["code"])
        metadata.setdefault("token_endpoint_auth_method", "client_secret_basic")
        metadata["scope"] = " ".join(scope_list(metadata["scope"]))
        return metadata

    def save_client(
        self, client_info: dict[str, Any], client_metadata: dict[str, Any], request: Any
    ) -> Client:
        row = HostClient(
            client_id=client_info["client_id"],
            secret_hash=hash_token(client_info["client_secret"]),
            client_metadata=client_metadata,
            created_at=self.host.now,
        )
        self.host.session.add(row)
        self.host.session.flush()
        return Client(row)


# --- grants --------------------------------------------------------------------------------


class _S256Required(CodeChallenge):  # type: ignore[misc]
    """PKCE on every authorization request, by S256 only."""

    SUPPORTED_CODE_CHALLENGE_METHOD: ClassVar[list[str]] = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send code_challenge.")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256.")
        super().validate_code_challenge(grant, redirect_uri)


class _CodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["client_secret_basic"]

    @property
    def host(self) -> HostServer:
        server: HostServer = self.server
        return server

    def validate_authorization_request(self) -> str:
        redirect_uri: str = super().validate_authorization_request()
        requested = self.request.payload.scope or ""
        granted = self.client.get_allowed_scope(requested)
        if not requested.strip() or set(requested.split()) != set(granted.split()):
            raise InvalidScopeError(
                "Ask for scopes the client registered.",
                redirect_uri=redirect_uri,
                state=self.request.payload.state,
            )
        return redirect_uri

    def save_authorization_code(self, code: str, request: Any) -> None:
        data = request.payload.data
        participant: Participant = request.user
        assert participant.id is not None
        self.host.session.add(
            HostAuthorizationCode(
                code_hash=hash_token(code),
                client_id=request.client.row.id,
                participant_id=participant.id,
                redirect_uri=data.get("redirect_uri") or request.client.get_default_redirect_uri(),
                scope=" ".join(scope_list(request.payload.scope)),
                code_challenge=data["code_challenge"],
                code_challenge_method=data["code_challenge_method"],
                created_at=self.host.now,
                expires_at=self.host.now + CODE_LIFETIME,
            )
        )

    def query_authorization_code(self, code: str, client: Client) -> Code | None:
        row = self.host.locked_first(
            select(HostAuthorizationCode).where(HostAuthorizationCode.code_hash == hash_token(code))
        )
        if row is None or row.client_id != client.row.id:
            return None
        if row.used_at is not None:
            # A replayed code: whatever the first exchange gave is revoked.
            self.host.revoke_chains(
                select(HostToken.grant_id).where(HostToken.authorization_code_id == row.id)
            )
            self.host.replayed = True
            return None
        if self.host.now >= row.expires_at:
            return None
        return Code(row)

    def delete_authorization_code(self, authorization_code: Code) -> None:
        authorization_code.row.used_at = self.host.now
        self.host.session.add(authorization_code.row)

    def authenticate_user(self, authorization_code: Code) -> Participant | None:
        self.request.authorization_code_row = authorization_code.row
        return self.host.live_participant(authorization_code.row.participant_id)


class _RefreshGrant(grants.RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["client_secret_basic"]
    INCLUDE_NEW_REFRESH_TOKEN = True

    @property
    def host(self) -> HostServer:
        server: HostServer = self.server
        return server

    def authenticate_refresh_token(self, refresh_token: str) -> Token | None:
        row = self.host.locked_first(
            select(HostToken).where(HostToken.refresh_token_hash == hash_token(refresh_token))
        )
        if row is None:
            return None
        if row.refresh_used_at is not None:
            # A rotated refresh token presented again: someone else may hold it.
            self.host.revoke_chains([row.grant_id])
            self.host.replayed = True
            return None
        if row.revoked_at is not None:
            return None
        if row.refresh_expires_at is not None and self.host.now >= row.refresh_expires_at:
            return None
        return Token(row, self.host.now)

    def authenticate_user(self, refresh_token: Token) -> Participant | None:
        return self.host.live_participant(refresh_token.row.participant_id)

    def revoke_old_credential(self, refresh_token: Token) -> None:
        row = refresh_token.row
        row.refresh_used_at = self.host.now
        row.revoked_at = row.revoked_at or self.host.now
        self.host.session.add(row)


class _Revocation(RevocationEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS: ClassVar[list[str]] = ["client_secret_basic"]

    def __init__(self, server: HostServer) -> None:
        super().__init__(server)
        self.host = server

    def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:
        digest = hash_token(token_string)
        row = self.host.session.exec(
            select(HostToken).where(
                (col(HostToken.access_token_hash) == digest)
                | (col(HostToken.refresh_token_hash) == digest)
            )
        ).first()
        return None if row is None else Token(row, self.host.now)

    def revoke_token(self, token: Token, request: Any) -> None:
        # Revoking either token ends the chain: the client is done with this grant.
        self.host.revoke_chains([token.row.grant_id])


# --- the server ----------------------------------------------------------------------------


class HostServer(AuthorizationServer):  # type: ignore[misc]
    def __init__(self, session: Session, *, now: datetime) -> None:
        super().__init__(scopes_supported=list(SCOPES))
        self.session = session
        self.now = now
        # Set when a replayed code or refresh token revoked a chain: the caller commits that
        # although the request itself fails.
        self.replayed = False
        self.register_token_generator(
            "default",
            BearerTokenGenerator(
                access_token_generator=lambda **_: new_token(),
                refresh_token_generator=lambda **_: new_token(),
                expires_generator=ACCESS_TOKEN_SECONDS,
            ),
        )
        self.register_grant(_CodeGrant, [_S256Required(required=True)])
        self.register_grant(_RefreshGrant)
        self.register_endpoint(_Revocation(self))
        self.register_endpoint(_Registration(self))

    # Authlib's hooks

    def query_client(self, client_id: str) -> Client | None:
        if not client_id or len(client_id) > 64:
            return None
        row = self.session.exec(select(HostClient).where(HostClient.client_id == client_id)).first()
        return None if row is None else Client(row)

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        participant: Participant = request.user
        assert participant.id is not None
        previous: Token | None = request.refresh_token
        code_row = getattr(request, "authorization_code_row", None)
        row = HostToken(
            client_id=request.client.row.id,
            participant_id=participant.id,
            authorization_code_id=None if code_row is None else code_row.id,
            grant_id=None if previous is None else previous.row.grant_id,
            access_token_hash=hash_token(token["access_token"]),
            refresh_token_hash=(
                hash_token(token["refresh_token"]) if token.get("refresh_token") else None
            ),
            scope=token.get("scope", ""),
            issued_at=self.now,
            expires_at=self.now + timedelta(seconds=int(token["expires_in"])),
            refresh_expires_at=(
                self.now + REFRESH_TOKEN_LIFETIME if token.get("refresh_token") else None
            ),
        )
        self.session.add(row)
        self.session.flush()
        if row.grant_id is None:
            row.grant_id = row.id
            self.session.add(row)

    def create_oauth2_request(self, request: Any) -> Any:
        return request

    def create_json_request(self, request: Any) -> Any:
        return request

    def handle_response(self, status: int, body: Any, headers: Any) -> tuple[int, Any, Any]:
        return status, body, headers

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None

    # our helpers

    def locked_first(self, statement: Any) -> Any:
        """The first row, locked until the transaction ends where the database can (one
        exchange of a code or refresh token wins on every instance; SQLite's write
        transaction already serialises them)."""
        return self.session.exec(statement.with_for_update()).first()

    def live_participant(self, participant_id: int) -> Participant | None:
        participant = self.session.get(Participant, participant_id)
        if participant is None or participant.erased_at is not None:
            return None
        return participant

    def revoke_chains(self, grant_ids: Any) -> None:
        self.session.execute(
            update(HostToken)
            .where(col(HostToken.grant_id).in_(grant_ids), col(HostToken.revoked_at).is_(None))
            .values(revoked_at=self.now)
        )


# --- the resource side ---------------------------------------------------------------------


class _Bearer(BearerTokenValidator):  # type: ignore[misc]
    def __init__(self, session: Session, now: datetime) -> None:
        super().__init__()
        self.session = session
        self.now = now

    def authenticate_token(self, token_string: str) -> Token | None:
        if len(token_string) > 200:
            return None
        row = self.session.exec(
            select(HostToken).where(HostToken.access_token_hash == hash_token(token_string))
        ).first()
        return None if row is None else Token(row, self.now)


def protector(session: Session, now: datetime) -> ResourceProtector:
    resource = ResourceProtector()
    resource.register_token_validator(_Bearer(session, now))
    return resource
