"""Verification API for schools: one credential, or a batch, in any accepted form."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache, partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.sql.compiler import SQLCompiler
from sqlmodel import Session

from app.api import examples
from app.api.bodies import read_body
from app.api.limits import CountNeedsWrite, RequestCount, rate_limit
from app.api.problems import COMMON_EXAMPLES, problem, problem_response
from app.api.threads import in_network_thread, in_thread, reads_wait_on_nothing
from app.clients.service import authenticate_key_row, client_part, key_prefix
from app.config import Settings
from app.deps import SessionFactory
from app.errors import BadRequest, NotFound, Unauthorized, UnsupportedMediaType
from app.loop_reads import LoopReads, Read
from app.models.base import utcnow
from app.net.fetch import (
    Fetcher,
    FetchError,
    NetworkNeeded,
    NoNetwork,
    SafeFetcher,
    UrlNotAllowed,
)
from app.trust.service import IssuerTrust, issuer_trust
from app.vc import strictjson
from app.vc.contexts import PINNED_CONTEXTS
from app.vc.strictjson import StrictJsonError
from app.vc.verify import VerificationResult, WorkBudget, verify_credential
from app.verification.answers import (
    INPUTS_WIDTH,
    KEPT_ANSWERS,
    Inputs,
    InputsRecorder,
    fingerprint_of,
    inputs_statement,
    read_values,
)
from app.verification.schemas import BatchIn, BatchOut, CheckOut, VerificationIn, VerificationOut
from app.verification.service import build_verifier, credential_at, fetch_policy
from app.verification.summary import to_api

# Every route here takes the count (`CountDep`), which is what limits it (a router-wide
# dependency as well would be solved a second time on every request;
# tests/api/test_limits.py checks that each route has it).
router = APIRouter(prefix="/api/v1", tags=["verification"])
CountDep = Annotated[RequestCount, Depends(rate_limit)]

# Credentials (each endorsement and wrapped credential counts) one request may verify: a
# batch of 100 with an endorsement each. Every unit spent counts toward the caller's limit.
MAX_WORK_PER_REQUEST = 200
MAX_BODY_BYTES = 2 * 1024 * 1024
MAX_BATCH_BODY_BYTES = 20 * 1024 * 1024
MAX_JSON_DEPTH = 64


class MalformedJson(BadRequest):
    problem = "malformed-json"
    title = "The body is not valid JSON"


class UnknownContext(BadRequest):
    status_code = 422
    problem = "unknown-context"
    title = "The credential uses an unknown JSON-LD context"


def json_depth_exceeds(raw: bytes, value: Any, limit: int) -> bool:
    """True when the arrays/objects of parsed JSON nest deeper than `limit`.

    `raw` is the text `value` was parsed from: a text with no more than `limit` opening
    brackets cannot nest deeper, which settles most bodies without walking the value.
    """
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > limit:
                return True
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _parse_json(raw: bytes) -> Any:
    # The C parser is linear and bounded: nesting past the interpreter's recursion limit
    # raises RecursionError instead of exhausting the stack. The depth limit is checked on
    # the parsed value (a scan of every byte in Python cost more than the rest of a JWT
    # verification's request handling).
    too_deep = f"The JSON nests deeper than {MAX_JSON_DEPTH} levels."
    try:
        value = strictjson.loads(raw)
    except RecursionError as exc:
        raise MalformedJson(too_deep) from exc
    except StrictJsonError as exc:
        raise MalformedJson(f"The body is not acceptable JSON: {exc}.") from exc
    except ValueError as exc:
        raise MalformedJson(f"The body is not valid JSON: {exc}") from exc
    if json_depth_exceeds(raw, value, MAX_JSON_DEPTH):
        raise MalformedJson(too_deep)
    return value


def _check_contexts(credential: dict[str, Any]) -> None:
    contexts = credential.get("@context")
    for context in contexts if isinstance(contexts, list) else [contexts]:
        if isinstance(context, str) and context not in PINNED_CONTEXTS:
            raise UnknownContext(
                f"The JSON-LD context {context} is not one this service knows; "
                "it cannot be checked safely.",
                context=context,
            )


def _verify_item(
    session: Session,
    settings: Settings,
    item: VerificationIn,
    trust: IssuerTrust,
    fetcher: Fetcher,
    budget: WorkBudget,
    *,
    recorder: InputsRecorder | None = None,
    now: datetime | None = None,
) -> VerificationOut:
    given = [v for v in (item.credential, item.jwt, item.url) if v is not None]
    if len(given) != 1 or len(item.model_fields_set - {"recipient"}) != 1:
        raise BadRequest("Send exactly one of credential, jwt or url (not null).")
    data: Any
    if item.credential is not None:
        _check_contexts(item.credential)
        data = item.credential
    elif item.jwt is not None:
        data = item.jwt
    else:
        assert item.url is not None
        data = credential_at(session, settings, item.url, fetcher)
        if isinstance(data, dict):
            _check_contexts(data)
        recorder = None  # the credential's row was read too: such answers are not kept
    return _verify_data(
        session, settings, data, item.recipient, trust, fetcher, budget, now=now, recorder=recorder
    )


def _verify_data(
    session: Session,
    settings: Settings,
    data: Any,
    email: str | None,
    trust: IssuerTrust,
    fetcher: Fetcher,
    budget: WorkBudget,
    *,
    now: datetime | None = None,
    recorder: InputsRecorder | None = None,
) -> VerificationOut:
    verifier = build_verifier(
        session,
        settings,
        now=now or utcnow(),
        trust=trust,
        fetcher=fetcher,
        budget=budget,
        recorder=recorder,
    )
    result: VerificationResult = verify_credential(data, verifier, recipient_email=email)
    if isinstance(fetcher, NoNetwork) and fetcher.asked:
        # A failure to fetch may have been turned into a failed check: not an answer.
        raise NetworkNeeded("a document is needed from another host")
    if recorder is not None:
        recorder.verified(data, result)
    return to_api(session, settings, result, trust)


def _settings(request: Request) -> Settings:
    # Read from the app state rather than through a dependency (see app/api/limits.py).
    settings: Settings = request.app.state.settings
    return settings


def _json(model: VerificationOut | BatchOut) -> Response:
    # Serialized once, here in the worker thread: the models were just built and validated,
    # so FastAPI's second pass over them through the response model would only repeat that
    # (the response model still documents the answer in the OpenAPI description).
    return Response(model.model_dump_json(), media_type="application/json")


class _Parsed(NetworkNeeded):
    """The first pass needed the network; carries what it parsed, for the second."""

    def __init__(self, item: VerificationIn) -> None:
        super().__init__("a document is needed from another host")
        self.item = item


def _verify_json_body(
    count: RequestCount,
    sessions: SessionFactory,
    settings: Settings,
    raw: bytes,
    *,
    on_loop: bool = False,
) -> tuple[Response, int]:
    """The first pass (no fetching; see app/api/threads.py): count, parse and verify.

    Returns the answer and the units of work the caller still has to charge. On the event
    loop (`on_loop`) nothing is written: the request is counted from this instance's lease
    (CountNeedsWrite where a reservation is needed first), and the work is left to charge.

    The same bytes seen before get the answer kept for them while its inputs read the same
    (app/verification/answers.py, decision 0020); the second time they are seen, the
    answer is made in a snapshot and kept.
    """
    key = KEPT_ANSWERS.key(raw)
    now = utcnow()
    kept = KEPT_ANSWERS.candidate(key)
    # One transaction (one connection) for reading the API key and verifying; the count is
    # written in its own (RequestCount.take).
    if kept is not None:
        with sessions(read_only=True) as session:
            count.take(session, may_write=not on_loop)
            fresh = KEPT_ANSWERS.still_true(session, key, kept, now=now)
        if fresh:
            return _charged(
                count, Response(kept.body, media_type="application/json"), kept.units, on_loop
            )
    keep = kept is not None or KEPT_ANSWERS.seen(key)
    with sessions(read_only=not keep, snapshot=keep) as session:
        count.take(session, may_write=not on_loop)
        payload = _parse_json(raw)
        if isinstance(payload, dict) and "@context" in payload:
            payload = {"credential": payload}
        try:
            item = VerificationIn.model_validate(payload)
        except ValidationError as exc:
            raise BadRequest(
                'Send {"credential": {...}}, {"jwt": "..."} or '
                '{"url": "https://..."}: ' + exc.errors()[0]["msg"]
            ) from exc
        trust = issuer_trust(session, settings)
        budget = WorkBudget(MAX_WORK_PER_REQUEST)
        recorder = InputsRecorder(settings) if keep else None
        try:
            answer = _verify_item(
                session, settings, item, trust, NoNetwork(), budget, recorder=recorder, now=now
            )
        except NetworkNeeded as exc:
            raise _Parsed(item) from exc
        response = _json(answer)
        if recorder is None:
            KEPT_ANSWERS.saw(key)
        else:
            KEPT_ANSWERS.keep(
                session, key, recorder, bytes(response.body), units=budget.spent, now=now
            )
    return _charged(count, response, budget.spent, on_loop)


def _charged(
    count: RequestCount, response: Response, units: int, on_loop: bool
) -> tuple[Response, int]:
    """The answer and the units still to charge: all of them on the event loop (which
    writes nothing), none elsewhere (charged here)."""
    if on_loop:
        return response, units
    count.charge(units)
    return response, 0


# The inputs of a kept answer and the API key's client, in one statement
# (`_kept_on_loop`), compiled once per database dialect and made once per answer's inputs.
_INPUTS_AND_CLIENT = inputs_statement(client_part(width=INPUTS_WIDTH))


@lru_cache(maxsize=4)
def _inputs_and_client(dialect: Dialect) -> SQLCompiler:
    compiled: SQLCompiler = _INPUTS_AND_CLIENT.compile(dialect=dialect)
    return compiled


@lru_cache(maxsize=1024)
def _kept_read(dialect: Dialect, inputs: Inputs) -> Read:
    return Read.prepare(_inputs_and_client(dialect), {**read_values(inputs), "prefix": None})


async def _kept_on_loop(count: RequestCount, reads: LoopReads, raw: bytes) -> Response | None:
    """The answer kept for these bytes, checked with one read on the event loop (decision
    0021): the answer's inputs and the API key's client in one round trip. None where
    nothing is kept for them, what is kept is no longer true, or the read could not be done
    now: the caller then makes the answer the usual way (`_verify_json_body`)."""
    key = KEPT_ANSWERS.key(raw)
    kept = KEPT_ANSWERS.candidate(key)
    if kept is None:
        return None
    now = utcnow()
    try:
        prefix = key_prefix(count.api_key) if count.api_key else None
    except Unauthorized:
        return None  # the usual way says why
    rows = await reads.rows(_kept_read(reads.engine.dialect, kept.inputs), prefix=prefix)
    if rows is None:
        return None
    client = next((row[1:] for row in rows if row[0] == "client"), None)
    for _ in range(3):
        try:
            count.take(may_write=False, client=partial(authenticate_key_row, row=client))
            break
        except CountNeedsWrite:
            await count.refill()  # as in `_first_pass`
    else:
        return None
    if not KEPT_ANSWERS.still_true_by(key, kept, fingerprint_of(rows, "client"), now=now):
        return None
    response = Response(kept.body, media_type="application/json")
    if kept.units > 1:  # endorsements or wrapped credentials: may write to the count
        await in_thread(count.charge, kept.units)
    return response


async def _first_pass(
    count: RequestCount,
    sessions: SessionFactory,
    settings: Settings,
    raw: bytes,
    engine: Engine,
    reads: LoopReads | None,
) -> Response:
    """`_verify_json_body` on the event loop where it waits on nothing, else in a thread;
    an answer kept for the bytes checked on the event loop where the database allows it."""
    if reads is not None:
        answer = await _kept_on_loop(count, reads, raw)
        if answer is not None:
            return answer
    if not reads_wait_on_nothing(engine):
        response, _ = await in_thread(_verify_json_body, count, sessions, settings, raw)
        return response
    for _ in range(3):
        try:
            response, spent = _verify_json_body(count, sessions, settings, raw, on_loop=True)
            break
        except CountNeedsWrite:
            # This instance's lease is used up: only its refill goes to a thread, and the
            # pass is done here again (a whole verification in a thread would wait for the
            # GIL, which the loop's own passes hold, once for every query it makes).
            await count.refill()
    else:  # other requests took the new units each time: count in a thread
        await in_thread(count.take)
        response, spent = _verify_json_body(count, sessions, settings, raw, on_loop=True)
    if spent > 1:  # endorsements or wrapped credentials: may write to the count
        await in_thread(count.charge, spent)
    return response


def _verify_one_item(
    count: RequestCount, sessions: SessionFactory, settings: Settings, item: VerificationIn
) -> Response:
    """The second pass, fetching what is needed."""
    budget = WorkBudget(MAX_WORK_PER_REQUEST)
    with sessions(read_only=True) as session:
        trust = issuer_trust(session, settings)
        fetcher = SafeFetcher(fetch_policy(settings))
        answer = _verify_item(session, settings, item, trust, fetcher, budget)
    count.charge(budget.spent)
    return _json(answer)


def _verify_upload(
    count: RequestCount,
    sessions: SessionFactory,
    settings: Settings,
    data: bytes,
    email: str | None,
    fetcher: Fetcher,
) -> Response:
    budget = WorkBudget(MAX_WORK_PER_REQUEST)
    with sessions(read_only=True) as session:
        trust = issuer_trust(session, settings)
        answer = _verify_data(session, settings, data, email, trust, fetcher, budget)
    count.charge(budget.spent)
    return _json(answer)


def _verify_items(
    count: RequestCount, sessions: SessionFactory, settings: Settings, items: list[VerificationIn]
) -> Response:
    budget = WorkBudget(MAX_WORK_PER_REQUEST)
    with sessions(read_only=True) as session:
        trust = issuer_trust(session, settings)
        fetcher = SafeFetcher(fetch_policy(settings))
        results = []
        for item in items:
            try:
                results.append(_verify_item(session, settings, item, trust, fetcher, budget))
            except (BadRequest, NotFound, FetchError, UrlNotAllowed) as exc:
                results.append(_item_error(exc))
    # Every item counts, also one refused before any verification (a URL may have been
    # fetched for it), and every endorsement and wrapped credential verified.
    count.charge(max(len(items), budget.spent))
    return _json(BatchOut(results=results))


def _item_error(exc: Exception) -> VerificationOut:
    code = getattr(exc, "problem", "bad-request").replace("-", "_")
    message = getattr(exc, "detail", str(exc))
    return VerificationOut(
        verified=False,
        outcome="not_verified",
        checks=[CheckOut(id="input", status="failed", code=code, message=message)],
    )


REQUEST_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {"$ref": "#/components/schemas/VerificationIn"},
            "examples": {
                "credential": {
                    "summary": "A JSON-LD credential (Data Integrity proof)",
                    "value": {"credential": examples.CREDENTIAL},
                },
                "jwt": {"summary": "A VC-JWT", "value": {"jwt": examples.JWT}},
                "url": {
                    "summary": "A credential URL, with the recipient's e-mail to match",
                    "value": {
                        "url": examples.CREDENTIAL["id"],
                        "recipient": "aino@example.fi",
                    },
                },
            },
        },
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "additionalProperties": False,
                "properties": {
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "description": "A baked PNG or SVG, a JSON credential or a JWT file",
                    },
                    "recipient": {"type": "string", "maxLength": 320},
                },
            },
            "example": {"file": "(the bytes of badge.png)", "recipient": "aino@example.fi"},
        },
    },
}
ONE_RESULT = {
    "description": "The checks and the recognition summary (also for a credential that "
    "does not verify)",
    "content": {
        "application/json": {
            "examples": {
                "verified": {"value": examples.VERIFIED},
                "revoked": {"value": examples.REVOKED},
                "issuer_unconfirmed": {
                    "summary": "Intact, but signed with a key not bound to the issuer",
                    "value": examples.ISSUER_UNCONFIRMED,
                },
            }
        }
    },
}
BATCH_RESULT = {
    "description": "One result per item, in order",
    "content": {
        "application/json": {
            "example": {
                "results": [
                    examples.VERIFIED,
                    examples.REVOKED,
                    {
                        "verified": False,
                        "outcome": "not_verified",
                        "input_format": None,
                        "proof_format": None,
                        "checks": [
                            {
                                "id": "input",
                                "status": "failed",
                                "code": "url_not_allowed",
                                "message": "The host school.example resolves to a private or "
                                "local address; such addresses are not fetched.",
                            }
                        ],
                        "credential": None,
                        "recognition": {"units": [], "other_alignments": []},
                    },
                ]
            }
        }
    },
}
ERRORS: dict[int | str, dict[str, Any]] = {
    400: problem_response(
        "Malformed JSON, bad input or a URL that is not allowed",
        {
            "malformed-json": problem(
                400,
                "malformed-json",
                "The body is not valid JSON",
                "The body is not valid JSON: Expecting value: line 1 column 1 (char 0)",
            ),
            "bad-request": problem(
                400, "bad-request", "Bad request", "Send exactly one of credential, jwt or url."
            ),
            "url-not-allowed": problem(
                400,
                "url-not-allowed",
                "The URL is not allowed",
                "The host intranet.example resolves to a private or local address; such "
                "addresses are not fetched.",
            ),
        },
    ),
    404: problem_response(
        "No public credential at the URL",
        {"not-found": problem(404, "not-found", "Not found", "No public credential at that URL.")},
    ),
    413: problem_response(
        "Payload too large (2 MiB; 20 MiB for a batch)",
        {
            "payload-too-large": problem(
                413,
                "payload-too-large",
                "Payload too large",
                "The request body may be at most 2048 KiB.",
            )
        },
    ),
    415: problem_response(
        "Unsupported media type",
        {
            "unsupported-media-type": problem(
                415,
                "unsupported-media-type",
                "Unsupported media type",
                "Send application/json or multipart/form-data.",
            )
        },
    ),
    422: problem_response(
        "Unknown JSON-LD context or invalid fields",
        {
            "unknown-context": problem(
                422,
                "unknown-context",
                "The credential uses an unknown JSON-LD context",
                "The JSON-LD context https://example.org/ctx.json is not one this service "
                "knows; it cannot be checked safely.",
                context="https://example.org/ctx.json",
            )
        },
    ),
    429: problem_response(
        "Rate limit exceeded (see Retry-After)", {"rate-limited": COMMON_EXAMPLES[429]}
    ),
    502: problem_response(
        "A document could not be fetched",
        {
            "unreachable-document": problem(
                502,
                "unreachable-document",
                "A document could not be fetched",
                "https://school.example/credentials/1 did not answer in time.",
            )
        },
    ),
}


@router.post(
    "/verifications",
    response_model=VerificationOut,
    summary="Verify one credential",
    openapi_extra={"requestBody": REQUEST_BODY},
    responses={200: ONE_RESULT, **ERRORS},
)
async def verify_one(request: Request, count: CountDep) -> Response:
    """Verify a JSON credential, a compact JWS, a credential URL or an uploaded file."""
    sessions, settings = count.sessions, _settings(request)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in ("application/json", "application/ld+json", "application/vc+ld+json"):
        raw = await read_body(request, MAX_BODY_BYTES)
        # One pass, on the loop or in one worker-thread call: the rate-limit count first
        # (401/429 before anything else is done with the body), then parsing and verifying,
        # without fetching; a credential that needs documents from other hosts is verified
        # again where that may wait.
        try:
            response = await _first_pass(
                count,
                sessions,
                settings,
                raw,
                request.app.state.engine,
                request.app.state.loop_reads,
            )
        except _Parsed as needs:
            response = await in_network_thread(
                _verify_one_item, count, sessions, settings, needs.item
            )
        return count.add_headers(response)
    if content_type == "multipart/form-data":
        await count.take_now()
        await read_body(request, MAX_BODY_BYTES)  # enforce the limit before parsing
        async with request.form(max_files=1, max_fields=5) as form:
            upload = form.get("file")
            if upload is None or isinstance(upload, str):
                raise BadRequest("Attach the credential as the form field 'file'.")
            data = await upload.read(MAX_BODY_BYTES + 1)
            recipient = form.get("recipient")
        email = recipient if isinstance(recipient, str) and recipient else None
        try:
            response = await in_thread(
                _verify_upload, count, sessions, settings, data, email, NoNetwork()
            )
        except NetworkNeeded:
            fetcher = SafeFetcher(fetch_policy(settings))
            response = await in_network_thread(
                _verify_upload, count, sessions, settings, data, email, fetcher
            )
        return count.add_headers(response)
    raise UnsupportedMediaType("Send application/json or multipart/form-data.")


BATCH_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {"$ref": "#/components/schemas/BatchIn"},
            "example": {
                "items": [
                    {"credential": examples.CREDENTIAL},
                    {"jwt": examples.JWT},
                    {"url": "https://school.example/credentials/77"},
                ]
            },
        }
    },
}


@router.post(
    "/verifications/batch",
    response_model=BatchOut,
    summary="Verify up to 100 credentials",
    openapi_extra={"requestBody": BATCH_BODY},
    responses={200: BATCH_RESULT, **ERRORS},
)
async def verify_batch(request: Request, count: CountDep) -> Response:
    """Each item is verified on its own; one bad item does not fail the batch."""
    sessions, settings = count.sessions, _settings(request)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise UnsupportedMediaType("Send the batch as application/json.")
    await count.take_now()
    payload = _parse_json(await read_body(request, MAX_BATCH_BODY_BYTES))
    try:
        batch = BatchIn.model_validate(payload)
    except ValidationError as exc:
        raise BadRequest(
            'Send {"items": [...]} with 1 to 100 items: ' + exc.errors()[0]["msg"]
        ) from exc
    count.require(len(batch.items))
    # A batch may hold other issuers' credentials and URLs: verified where fetching may wait.
    return count.add_headers(
        await in_network_thread(_verify_items, count, sessions, settings, batch.items)
    )
