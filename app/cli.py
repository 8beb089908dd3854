"""The `osaamispassi` command line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError, ProgrammingError

from app.config import Settings, get_settings
from app.eperusteet.commands import eperusteet_app
from app.vc.errors import ContextError

app = typer.Typer(
    help="Osaamispassi: Open Badges 3.0 competence passport for work-workshops.",
    no_args_is_help=True,
    add_completion=False,
    # Never print local variables with a traceback: they can hold keys and secrets, and
    # rendering large ones (loaded JSON-LD contexts) took minutes and gigabytes.
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
catalog_app = typer.Typer(help="The badge catalog (badges/ and criteria/).", no_args_is_help=True)
org_app = typer.Typer(help="Issuing organizations.", no_args_is_help=True)
user_app = typer.Typer(help="Admins and coaches.", no_args_is_help=True)
participant_app = typer.Typer(help="Participants.", no_args_is_help=True)
keys_app = typer.Typer(help="Signing keys of an organization.", no_args_is_help=True)
credential_app = typer.Typer(help="Issued credentials.", no_args_is_help=True)
apikey_app = typer.Typer(help="API keys of schools' systems.", no_args_is_help=True)
trust_app = typer.Typer(
    help="The trust registry: other issuers this service knows, with their key documents.",
    no_args_is_help=True,
)
app.add_typer(db_app, name="db")
app.add_typer(catalog_app, name="catalog")
app.add_typer(org_app, name="org")
app.add_typer(user_app, name="user")
app.add_typer(participant_app, name="participant")
app.add_typer(keys_app, name="keys")
app.add_typer(credential_app, name="credential")
app.add_typer(apikey_app, name="apikey")
outbox_app = typer.Typer(
    help="Outgoing e-mail (sign-in links): delivery by SMTP.", no_args_is_help=True
)
app.add_typer(trust_app, name="trust")
app.add_typer(eperusteet_app, name="eperusteet")
app.add_typer(outbox_app, name="outbox")
ob3_app = typer.Typer(
    help="The Open Badges 3.0 API of other services (Hosts).", no_args_is_help=True
)
app.add_typer(ob3_app, name="ob3")
jobs_app = typer.Typer(help="Group awards that run as jobs.", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")


def load_settings() -> Settings:
    """Settings, or a clear message naming the variable and exit code 2."""
    try:
        return get_settings()
    except ValidationError as exc:
        for err in exc.errors():
            name = "_".join(str(p) for p in err["loc"]).upper() or "settings"
            typer.echo(f"Configuration error: {name}: {err['msg']}", err=True)
        raise typer.Exit(2) from None


def fail(message: str, code: int = 1) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(code)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Migrate the database (DATABASE_URL) to the newest schema."""
    from app.migrate import upgrade

    settings = load_settings()
    upgrade(settings.database_url, revision)
    typer.echo(f"database at {revision}")


CatalogDir = Annotated[
    Path | None,
    typer.Option("--dir", help="Folder holding badges/ and criteria/ (default: CATALOG_DIR)."),
]


@catalog_app.command("validate")
def catalog_validate(directory: CatalogDir = None) -> None:
    """Check every catalog file and the references between them."""
    from app.catalog.loader import CatalogInvalid, load_catalog

    root = directory or load_settings().catalog_dir
    try:
        catalog = load_catalog(root)
    except CatalogInvalid as exc:
        for problem in exc.problems:
            typer.echo(str(problem), err=True)
        raise typer.Exit(1) from None
    typer.echo(
        f"catalog valid: {len(catalog.qualifications)} qualifications, "
        f"{len(catalog.requirements)} skill requirements, {len(catalog.badges)} badges"
    )
    for slug, qual in sorted(catalog.qualifications.items()):
        if qual.provenance is not None:
            p = qual.provenance
            typer.echo(
                f"  imported         {slug}: ePerusteet {qual.eperusteet_id} "
                f"({qual.diaarinumero}), modified {p.modified.date()}, imported {p.imported}"
            )
        else:
            typer.echo(
                f"  AWAITING IMPORT  {slug}: {len(qual.units)} units (codes and names as in "
                "Koodisto); requirement texts are the catalog's own, osp unknown"
            )


@catalog_app.command("sync")
def catalog_sync(directory: CatalogDir = None) -> None:
    """Load the catalog into the database (idempotent; changed badges get a new version)."""
    from app.catalog.loader import CatalogInvalid, load_catalog
    from app.catalog.service import sync_catalog
    from app.db import get_engine, transaction
    from app.models.base import utcnow

    settings = load_settings()
    try:
        catalog = load_catalog(directory or settings.catalog_dir)
    except CatalogInvalid as exc:
        for problem in exc.problems:
            typer.echo(str(problem), err=True)
        raise typer.Exit(1) from None
    with transaction(get_engine(settings)) as session:
        report = sync_catalog(session, catalog=catalog, now=utcnow())
    for line in report.lines():
        typer.echo(line)


@catalog_app.command("images")
def catalog_images(
    directory: CatalogDir = None,
    overwrite: Annotated[bool, typer.Option(help="Replace existing images too.")] = False,
) -> None:
    """Write the generated SVG image of every badge that has none."""
    import yaml

    from app.catalog.images import render_badge_svg
    from app.catalog.schemas import Badge

    root = directory or load_settings().catalog_dir
    written = 0
    for path in sorted((root / "badges").glob("*.yaml")):
        badge = Badge.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        target = path.parent / badge.image_file
        if target.exists() and not overwrite:
            continue
        target.write_text(render_badge_svg(badge), encoding="utf-8")
        written += 1
    typer.echo(f"{written} image(s) written")


@org_app.command("create")
def org_create(
    slug: Annotated[str, typer.Argument(help="Short name used in URLs, e.g. eduro")],
    name: Annotated[str, typer.Option(help="The organization's name")],
    url: Annotated[str, typer.Option(help="The organization's web site (https://...)")],
    email: Annotated[str, typer.Option(help="Contact e-mail address")],
) -> None:
    """Create an issuing organization and generate its signing keys."""
    from app.db import get_engine, transaction
    from app.errors import AppError
    from app.organizations.service import create_organization

    settings = load_settings()
    try:
        with transaction(get_engine(settings)) as session:
            org = create_organization(
                session, settings=settings, slug=slug, name=name, url=url, email=email
            )
            typer.echo(f"organization {org.slug} created with its signing keys")
    except AppError as exc:
        fail(exc.detail)


@user_app.command("create")
def user_create(
    org: Annotated[str, typer.Option(help="Organization slug")],
    email: Annotated[str, typer.Option()],
    name: Annotated[str, typer.Option(help="Display name")],
    role: Annotated[str, typer.Option(help="admin or coach")] = "coach",
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)
    ] = "",
) -> None:
    """Create an admin or a coach of an organization."""
    from app.db import get_engine, transaction
    from app.errors import AppError
    from app.models.users import Role
    from app.organizations.service import get_organization
    from app.users.service import create_user

    settings = load_settings()
    if role not in {r.value for r in Role}:
        fail("--role must be admin or coach", 2)
    try:
        with transaction(get_engine(settings)) as session:
            organization = get_organization(session, org)
            user = create_user(
                session,
                organization=organization,
                email=email,
                display_name=name,
                password=password,
                role=Role(role),
            )
            typer.echo(f"{user.role} {user.email} created")
    except AppError as exc:
        fail(exc.detail)


@participant_app.command("create")
def participant_create(
    org: Annotated[str, typer.Option(help="Organization slug")],
    name: Annotated[str, typer.Option(help="Name as the person wants it on the badge")],
    email: Annotated[str | None, typer.Option(help="Optional e-mail address")] = None,
) -> None:
    """Create a participant."""
    from app.db import get_engine, transaction
    from app.errors import AppError
    from app.organizations.service import get_organization
    from app.participants.service import create_participant

    settings = load_settings()
    try:
        with transaction(get_engine(settings)) as session:
            organization = get_organization(session, org)
            participant = create_participant(
                session, organization=organization, display_name=name, email=email
            )
            typer.echo(f"participant {participant.public_id} created")
    except AppError as exc:
        fail(exc.detail)


@keys_app.command("rotate")
def keys_rotate(
    org: Annotated[str, typer.Argument(help="Organization slug")],
    compromised: Annotated[
        list[str] | None,
        typer.Option("--compromised", help="Key id (e.g. key-1) to withdraw; repeatable"),
    ] = None,
) -> None:
    """Retire the active keys and create new ones; withdraw compromised keys.

    Credentials signed with a retired key keep verifying; those signed with a compromised
    key stop verifying.
    """
    from app.db import get_engine, transaction
    from app.errors import AppError
    from app.organizations.service import get_organization, rotate_keys

    settings = load_settings()
    try:
        with transaction(get_engine(settings)) as session:
            organization = get_organization(session, org)
            new = rotate_keys(
                session, settings=settings, organization=organization, compromised=compromised or []
            )
            typer.echo("new active keys: " + ", ".join(k.key_id for k in new))
            if compromised:
                typer.echo("withdrawn: " + ", ".join(compromised))
    except AppError as exc:
        fail(exc.detail)


@app.command("verify")
def verify_command(
    paths: Annotated[list[Path], typer.Argument(help="Credential files: JSON, JWT, PNG or SVG")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON")] = False,
    now: Annotated[
        str | None, typer.Option(help="Verify as of this time (ISO 8601 with time zone)")
    ] = None,
    document: Annotated[
        list[str] | None,
        typer.Option(
            help="URL=FILE: use FILE (JSON, or a JWT status list) for URL instead of fetching it; "
            "repeatable"
        ),
    ] = None,
    recipient: Annotated[
        str | None, typer.Option(help="Check the credential was issued to this e-mail")
    ] = None,
) -> None:
    """Verify credentials of any issuer. Exit 0 when all verify, 1 otherwise, 2 on misuse."""
    import json
    from dataclasses import asdict

    from app.db import get_engine, transaction
    from app.models.base import utcnow
    from app.vc.dates import parse_datetime
    from app.verification.resolvers import json_or_jwt
    from app.verification.service import verify

    settings = load_settings()
    try:
        moment = parse_datetime(now) if now else utcnow()
    except ValueError:
        fail("--now must be an ISO 8601 time with a time zone, e.g. 2026-01-01T00:00:00Z", 2)
    offline: dict[str, dict[str, Any] | str] = {}
    for item in document or []:
        url, sep, file_name = item.partition("=")
        if not sep or not url or not file_name:
            fail(f"--document must be URL=FILE, not {item!r}", 2)
        try:
            # A JSON object, or a VC-JWT (a status list secured as application/vc+jwt).
            offline[url] = json_or_jwt(Path(file_name).read_bytes(), file_name)
        except (OSError, ValueError) as exc:
            fail(f"cannot read {file_name}: {exc}", 2)
    all_ok = True
    outputs = []
    with transaction(get_engine(settings)) as session:
        for path in paths:
            try:
                data = path.read_bytes()
            except OSError as exc:
                fail(f"cannot read {path}: {exc}", 2)
            result = verify(
                session, settings, data, now=moment, recipient_email=recipient, offline=offline
            )
            all_ok = all_ok and result.verified
            if as_json:
                outputs.append(
                    {
                        "file": str(path),
                        "verified": result.verified,
                        "outcome": result.outcome,
                        "format": result.input_format,
                        "proof": result.proof_format,
                        "checks": [asdict(c) for c in result.checks],
                    }
                )
            else:
                verdict = {
                    "verified": "VERIFIED",
                    "issuer_unconfirmed": "NOT VERIFIED (intact, but the key could not be "
                    "confirmed as the issuer's)",
                    "not_verified": "NOT VERIFIED",
                }[result.outcome]
                typer.echo(f"{path}: {verdict}")
                for c in result.checks:
                    typer.echo(f"  [{c.status}] {c.id}: {c.message}")
    if as_json:
        typer.echo(json.dumps(outputs, ensure_ascii=False, indent=2, default=str))
    raise typer.Exit(0 if all_ok else 1)


@app.command("award")
def award_command(
    org: Annotated[str, typer.Option(help="Organization slug")],
    coach: Annotated[str, typer.Option(help="E-mail of the coach who observed")],
    participant: Annotated[str, typer.Option(help="Participant id (uuid)")],
    badge: Annotated[str, typer.Option(help="Badge slug")],
    narrative: Annotated[str, typer.Option(help="What the person did, where and when")],
    criterion: Annotated[
        list[str] | None,
        typer.Option(help="Observed criterion id; repeat for each (all are required)"),
    ] = None,
    all_criteria: Annotated[
        bool, typer.Option("--all-criteria", help="Confirm that every criterion was observed")
    ] = False,
) -> None:
    """Issue a credential from the command line (both proof forms)."""
    import secrets as _secrets

    from sqlmodel import select

    from app.awards.service import AwardRequest, award_badge, badge_criteria
    from app.db import get_engine, transaction
    from app.errors import AppError
    from app.models import Participant
    from app.models.base import utcnow
    from app.organizations.service import get_organization
    from app.users.service import user_by_email

    settings = load_settings()
    try:
        with transaction(get_engine(settings)) as session:
            organization = get_organization(session, org)
            user = user_by_email(session, coach)
            if user is None or user.organization_id != organization.id:
                fail(f"{coach} is not a user of {org}", 2)
            assert user is not None
            person = session.exec(
                select(Participant).where(Participant.public_id == participant)
            ).first()
            if person is None or person.id is None:
                fail(f"no participant {participant}", 2)
            assert person is not None and person.id is not None
            observed = list(criterion or [])
            if all_criteria:
                observed = badge_criteria(session, badge)
            _, credential = award_badge(
                session,
                settings,
                coach=user,
                now=utcnow(),
                request=AwardRequest(
                    participant_id=person.id,
                    badge_slug=badge,
                    criteria_observed=observed,
                    narrative=narrative,
                    idempotency_key=_secrets.token_hex(16),
                ),
            )
            typer.echo(credential.public_id)
    except AppError as exc:
        fail(exc.detail)


@credential_app.command("export")
def credential_export(
    credential_id: Annotated[str, typer.Argument(help="Credential id (uuid)")],
    fmt: Annotated[str, typer.Option("--format", help="json, jwt, png or svg")] = "json",
    out: Annotated[
        Path | None, typer.Option(help="File to write (default: standard output)")
    ] = None,
) -> None:
    """Write a credential out as JSON-LD, VC-JWT or a baked PNG or SVG image."""
    from app.credentials.export import export_credential
    from app.db import get_engine, transaction
    from app.errors import AppError

    settings = load_settings()
    if fmt not in {"json", "jwt", "png", "svg"}:
        fail("--format must be json, jwt, png or svg", 2)
    try:
        with transaction(get_engine(settings)) as session:
            data, _media_type = export_credential(session, credential_id, fmt)
    except AppError as exc:
        fail(exc.detail)
    if out is None:
        if fmt == "png":
            fail("a PNG needs --out FILE", 2)
        typer.echo(data.decode("utf-8"), nl=False)
    else:
        out.write_bytes(data)
        typer.echo(f"written {out}", err=True)


@ob3_app.command("push")
def ob3_push(
    credential_id: Annotated[str, typer.Argument(help="Credential id (uuid)")],
    host: Annotated[str, typer.Argument(help="The other service's address (or its discovery URL)")],
    port: Annotated[int, typer.Option(help="Loopback port for the answer (0: any free)")] = 0,
    wait: Annotated[int, typer.Option(help="Seconds to wait for the participant")] = 300,
) -> None:
    """Send a badge to another Open Badges 3.0 Host, once its holder allows it there.

    Prints the address to open in a browser on this computer: the holder signs in to the
    other service and allows Osaamispassi to add a badge; the badge is then sent.
    """
    from app.db import get_engine, transaction
    from app.host.push import LoopbackCallback, PushFailed, credential_to_push, push_credential

    settings = load_settings()
    try:
        with transaction(get_engine(settings), read_only=True) as session:
            credential = credential_to_push(session, credential_id)
        callback = LoopbackCallback(port)
    except (PushFailed, OSError) as exc:
        fail(str(exc))

    def authorize(url: str) -> str:
        typer.echo("Open this address in a browser on this computer; the holder allows it there:")
        typer.echo(url)
        return callback.wait(wait)

    try:
        result = push_credential(
            settings, credential, host, redirect_uri=callback.redirect_uri, authorize=authorize
        )
    except PushFailed as exc:
        fail(str(exc))
    finally:
        callback.close()
    what = "added to" if result.status == 201 else "already in"
    typer.echo(f"The badge is {what} the passport at {result.host}.")


@apikey_app.command("create")
def apikey_create(
    name: Annotated[str, typer.Option(help="Who the key is for, e.g. the school's name")],
    per_minute: Annotated[int, typer.Option(help="Verification requests per minute")] = 600,
) -> None:
    """Create an API key; it is printed once and stored only as a hash."""
    from app.clients.service import create_client
    from app.db import get_engine, transaction
    from app.errors import AppError

    settings = load_settings()
    try:
        with transaction(get_engine(settings)) as session:
            client, key = create_client(session, name=name, requests_per_minute=per_minute)
            typer.echo(f"API key for {client.name} (shown only now): {key}")
    except AppError as exc:
        fail(exc.detail)


@apikey_app.command("revoke")
def apikey_revoke(prefix: Annotated[str, typer.Argument(help="The key's prefix")]) -> None:
    """Revoke an API key by its prefix (the part after 'op_')."""
    from app.clients.service import revoke_client
    from app.db import get_engine, transaction
    from app.errors import AppError

    settings = load_settings()
    try:
        with transaction(get_engine(settings)) as session:
            client = revoke_client(session, prefix)
            typer.echo(f"revoked the key of {client.name}")
    except AppError as exc:
        fail(exc.detail)


DocumentOption = Annotated[
    list[str] | None,
    typer.Option(
        "--document",
        help="A DID document, JWKS or key document (JSON) to use instead of fetching it: "
        "FILE (its URL follows from the issuer and the document) or URL=FILE; repeatable",
    ),
]


def read_documents(items: list[str] | None) -> dict[str, dict[str, object]]:
    """`--document` values as URL ("" when implied) -> JSON object; exit 2 on bad files."""
    import json

    documents: dict[str, dict[str, object]] = {}
    for item in items or []:
        url, sep, file_name = item.partition("=")
        if not sep or not url.startswith(("https://", "http://")):
            url, file_name = "", item
        try:
            loaded = json.loads(Path(file_name).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            fail(f"cannot read {file_name}: {exc}", 2)
        if not isinstance(loaded, dict):
            fail(f"{file_name} must hold a JSON object", 2)
        if url in documents:
            fail("give the URL (URL=FILE) of each document whose URL is not implied", 2)
        documents[url] = loaded
    return documents


@trust_app.command("add")
def trust_add(
    issuer: Annotated[str, typer.Argument(help="The issuer id: a did:web, did:key or https URL")],
    name: Annotated[str, typer.Option(help="The issuer's name")],
    url: Annotated[str | None, typer.Option(help="The issuer's web site")] = None,
    note: Annotated[str | None, typer.Option(help="Why the issuer is trusted")] = None,
    document: DocumentOption = None,
) -> None:
    """Add an issuer to the trust registry, with its key documents.

    Without --document, the issuer's own document (a did:web's DID document, an https
    issuer's URL) is fetched, checked and pinned: the registry trusts keys, not names.
    """
    from app.db import get_engine, transaction
    from app.errors import AppError
    from app.net.fetch import SafeFetcher
    from app.trust.service import add_trusted_issuer, fetch_issuer_documents, needs_documents
    from app.verification.service import fetch_policy

    settings = load_settings()
    documents: dict[str, Any] = dict(read_documents(document))
    try:
        if not documents and needs_documents(issuer.strip()):
            fetcher = SafeFetcher(fetch_policy(settings))
            documents = dict(fetch_issuer_documents(issuer.strip(), fetcher.get))
            for doc_url in documents:
                typer.echo(f"fetched {doc_url}; its keys are pinned in the registry")
        with transaction(get_engine(settings)) as session:
            entry = add_trusted_issuer(
                session,
                settings=settings,
                issuer_id=issuer,
                name=name,
                url=url,
                note=note,
                documents=documents,
            )
            typer.echo(f"{entry.issuer_id} added to the trust registry")
            for doc_url in sorted(entry.documents):
                typer.echo(f"  document for {doc_url}")
    except AppError as exc:
        fail(exc.detail)


@trust_app.command("update")
def trust_update(
    issuer: Annotated[str, typer.Argument(help="The issuer id")],
    name: Annotated[str | None, typer.Option(help="A new name")] = None,
    url: Annotated[str | None, typer.Option(help="A new web site ('' to clear)")] = None,
    note: Annotated[str | None, typer.Option(help="A new note ('' to clear)")] = None,
    document: DocumentOption = None,
    remove_document: Annotated[
        list[str] | None, typer.Option(help="URL of a document to forget; repeatable")
    ] = None,
) -> None:
    """Change an entry of the trust registry: name, site, note, documents."""
    from app.db import get_engine, transaction
    from app.errors import AppError
    from app.trust.service import update_trusted_issuer

    settings = load_settings()
    documents = read_documents(document)
    try:
        with transaction(get_engine(settings)) as session:
            entry = update_trusted_issuer(
                session,
                issuer_id=issuer,
                name=name,
                url=url,
                note=note,
                documents=documents,
                remove_documents=remove_document or [],
            )
            typer.echo(f"{entry.issuer_id} updated ({len(entry.documents)} document(s))")
    except AppError as exc:
        fail(exc.detail)


@trust_app.command("list")
def trust_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print the entries as JSON")] = False,
) -> None:
    """List the trust registry."""
    import json

    from app.db import get_engine, transaction
    from app.trust.service import list_trusted_issuers

    settings = load_settings()
    with transaction(get_engine(settings)) as session:
        entries = [
            {
                "id": e.issuer_id,
                "name": e.name,
                "url": e.url,
                "note": e.note,
                "documents": sorted(e.documents),
            }
            for e in list_trusted_issuers(session)
        ]
    if as_json:
        typer.echo(json.dumps(entries, ensure_ascii=False, indent=2))
        return
    if not entries:
        typer.echo("the trust registry is empty")
    for entry in entries:
        typer.echo(f"{entry['id']}  {entry['name']}")
        for doc_url in entry["documents"] or []:
            typer.echo(f"  document for {doc_url}")


@trust_app.command("remove")
def trust_remove(issuer: Annotated[str, typer.Argument(help="The issuer id")]) -> None:
    """Remove an issuer from the trust registry."""
    from app.db import get_engine, transaction
    from app.errors import AppError
    from app.trust.service import remove_trusted_issuer

    settings = load_settings()
    try:
        with transaction(get_engine(settings)) as session:
            remove_trusted_issuer(session, issuer_id=issuer)
            typer.echo(f"{issuer} removed from the trust registry")
    except AppError as exc:
        fail(exc.detail)


def pause(seconds: float) -> None:
    """Wait between delivery runs (replaced in tests)."""
    import time

    time.sleep(seconds)


def keep_running(one_run: Callable[[], object], every: float) -> None:
    """A periodic job: `one_run` every `every` seconds until Ctrl+C; a database error (the
    database may be restarting) is reported and the next round tries again."""
    try:
        while True:
            try:
                one_run()
            except (OperationalError, ProgrammingError) as exc:
                typer.echo(f"Database error: {exc.orig}; trying again in {every:g} s", err=True)
            pause(every)
    except KeyboardInterrupt:
        typer.echo("stopped")


@app.command("maintenance")
def maintenance(
    watch: Annotated[
        float | None,
        typer.Option(
            "--watch",
            min=1,
            max=86400,
            metavar="SECONDS",
            help="Keep running: a clean-up every SECONDS (the periodic job).",
        ),
    ] = None,
) -> None:
    """Remove what has expired: sessions, one-time sign-in links, e-mailed links."""
    from functools import partial

    from app.db import get_engine, transaction
    from app.maintenance import run_clean_up

    settings = load_settings()
    transactions = partial(transaction, get_engine(settings))

    def one_run() -> None:
        typer.echo(run_clean_up(transactions, settings).summary())

    if watch is None:
        one_run()
        return
    typer.echo(f"cleaning up every {watch:g} s; stop with Ctrl+C")
    try:
        while True:
            one_run()
            pause(watch)
    except KeyboardInterrupt:
        typer.echo("stopped")


@outbox_app.command("deliver")
def outbox_deliver(
    watch: Annotated[
        float | None,
        typer.Option(
            "--watch",
            min=1,
            max=86400,
            metavar="SECONDS",
            help="Keep running: a delivery run every SECONDS (the periodic job).",
        ),
    ] = None,
) -> None:
    """Send pending messages by SMTP (SMTP_HOST) and clear expired sign-in links.

    Safe to run on several instances at once: each message is sent by one run only. Exit
    code 1 when a send failed (the message is retried by a later run), 2 without SMTP_HOST.
    """
    from functools import partial

    from app.db import get_engine, transaction
    from app.mail.outbox import claim_period, delivery_run
    from app.mail.smtp import SmtpMailer

    settings = load_settings()
    if settings.smtp_host is None:
        fail(
            "SMTP_HOST is not set, so no e-mail can be delivered. Set SMTP_HOST (and "
            "MAIL_FROM, SMTP_USERNAME, SMTP_PASSWORD as needed; see the README). In "
            "development the admins' outbox page /admin/outbox shows the messages instead.",
            2,
        )
    mailer = SmtpMailer.from_settings(settings)
    transactions = partial(transaction, get_engine(settings))
    claim_for = claim_period(settings.smtp_timeout_seconds)

    def one_run() -> int:
        report = delivery_run(transactions, mailer=mailer, claim_for=claim_for)
        line = (
            f"delivered {report.delivered}, failed {report.failed}, "
            f"given up {report.given_up}, expired links cleared {report.purged}"
        )
        if report.stopped_early:
            line += " (stopped after a failure; see the log)"
        typer.echo(line)
        return report.failed

    if watch is None:
        # A failed send (retried by a later run) makes the exit code 1, for a cron job's mail.
        if one_run():
            raise typer.Exit(1)
        return
    typer.echo(f"delivering every {watch:g} s; stop with Ctrl+C")
    keep_running(one_run, watch)


@jobs_app.command("run")
def jobs_run(
    watch: Annotated[
        float | None,
        typer.Option(
            "--watch",
            min=0.1,
            max=86400,
            metavar="SECONDS",
            help="Keep running: look for queued group awards every SECONDS.",
        ),
    ] = None,
) -> None:
    """Work through queued group awards (each `serve` process does this too, unless
    RUN_JOBS=false). Safe on several instances at once: each job has one holder at a time."""
    from functools import partial

    from app.awards.jobs import run_once
    from app.credentials.hashing import HashingPool
    from app.db import get_engine, transaction

    settings = load_settings()
    transactions = partial(transaction, get_engine(settings))
    hashing = HashingPool(settings)
    try:
        if watch is None:
            worked = run_once(transactions, settings, hash_many=hashing)
            typer.echo(f"worked on {worked} group award(s)")
            return
        typer.echo(f"looking for group awards every {watch:g} s; stop with Ctrl+C")
        keep_running(lambda: run_once(transactions, settings, hash_many=hashing), watch)
    finally:
        hashing.close()


@app.command("demo")
def demo() -> None:
    """Create the demo organization, users, participants and awards (idempotent)."""
    from app.demo import create_demo

    settings = load_settings()
    for line in create_demo(settings):
        typer.echo(line)


@app.command("serve")
def serve(
    host: Annotated[str | None, typer.Option(help="Default: HOST")] = None,
    port: Annotated[int | None, typer.Option(help="Default: PORT")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
) -> None:
    """Serve the web pages and the API with uvicorn."""
    import uvicorn

    settings = load_settings()
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        # Forwarding headers are believed only from TRUSTED_PROXIES, in the app itself
        # (app/main.py); uvicorn's own handling would trust any local process by default.
        proxy_headers=False,
        log_level=settings.log_level.lower(),
        # The app logs each request itself (app/middleware.py), without the secret tokens of
        # passport and share links; uvicorn's own access log would print them.
        access_log=False,
    )


def main() -> None:
    try:
        app(prog_name="osaamispassi")
    except ContextError as exc:
        # Without CONTEXTS_DIR and without network access nothing can be signed or verified.
        typer.echo(
            f"{exc}\nSet CONTEXTS_DIR to a folder of the pinned JSON-LD contexts, or allow the "
            "one-time download from their canonical URLs.",
            err=True,
        )
        raise SystemExit(2) from None
    except (OperationalError, ProgrammingError) as exc:
        typer.echo(
            f"Database error: {exc.orig}\nIs DATABASE_URL right, and is the database migrated "
            "(`osaamispassi db upgrade`)?",
            err=True,
        )
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
