"""`osaamispassi eperusteet ...`: import perusteet into the catalog, check the catalog against
the live API. Run by an operator or a scheduled job; never at start-up."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

eperusteet_app = typer.Typer(
    help="Qualification data from ePerusteet: import into criteria/, check for changes.",
    no_args_is_help=True,
)


# A whole peruste is large (the wood industry one is 3.4 MB): a larger bound than for keys.
MAX_PERUSTE_BYTES = 32 * 1024 * 1024


def _client() -> Any:
    from dataclasses import replace

    from app.cli import load_settings
    from app.eperusteet.client import EperusteetClient
    from app.net.fetch import SafeFetcher
    from app.verification.service import fetch_policy

    settings = load_settings()
    policy = replace(fetch_policy(settings), max_bytes=MAX_PERUSTE_BYTES, timeout_seconds=30.0)
    return EperusteetClient(
        fetch=SafeFetcher(policy).get,
        base_url=str(settings.eperusteet_url).rstrip("/"),
    )


def _existing_by_id(criteria: Path) -> dict[int, tuple[str, dict[str, Any]]]:
    found: dict[int, tuple[str, dict[str, Any]]] = {}
    for path in sorted(criteria.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if isinstance(data, dict) and isinstance(data.get("eperusteet_id"), int):
            found.setdefault(data["eperusteet_id"], (path.stem, data))
    return found


def _check_catalog_with(root: Path, slug: str, text: str) -> list[str]:
    """The problems of the catalog if criteria/<slug>.yaml were `text` (nothing is written)."""
    from app.catalog.loader import CatalogInvalid, load_catalog

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp)
        shutil.copytree(root / "criteria", copy / "criteria")
        shutil.copytree(root / "badges", copy / "badges")
        (copy / "criteria" / f"{slug}.yaml").write_text(text, encoding="utf-8")
        try:
            load_catalog(copy)
        except CatalogInvalid as exc:
            return [str(p) for p in exc.problems]
    return []


def _summary(old: dict[str, Any] | None, new: dict[str, Any]) -> list[str]:
    lines = []
    before = {u["code"]: u for u in (old or {}).get("units") or []}
    for unit in new["units"]:
        prev = before.get(unit["code"], {})
        old_ids = {r["id"] for r in prev.get("requirements") or []}
        new_ids = {r["id"] for r in unit["requirements"]}
        change = []
        if prev.get("osp") != unit["osp"]:
            change.append(f"osp {prev.get('osp')} -> {unit['osp']}")
        if added := sorted(new_ids - old_ids):
            change.append(f"requirements added: {', '.join(added)}")
        if removed := sorted(old_ids - new_ids):
            change.append(f"requirements removed: {', '.join(removed)}")
        lines.append(f"  {unit['code']} {unit['name']['fi']}: " + ("; ".join(change) or "same"))
    return lines


@eperusteet_app.command("import")
def import_command(
    sources: Annotated[
        list[str], typer.Argument(help="Saved GET /peruste/{id} answers (FILE) or peruste ids")
    ],
    qualification: Annotated[
        str | None,
        typer.Option(help="The qualification's slug (default: the file with the same peruste id)"),
    ] = None,
    unit: Annotated[
        list[str] | None, typer.Option(help="A unit to take (default: the units already there)")
    ] = None,
    osa_alue: Annotated[
        list[str] | None, typer.Option(help="Common units: an osa-alue code to take (e.g. YTTT)")
    ] = None,
    prefix: Annotated[str | None, typer.Option(help="Prefix of new requirement ids")] = None,
    include_optional: Annotated[
        bool, typer.Option(help="Common units: also the optional competence objectives")
    ] = False,
    out: Annotated[Path | None, typer.Option(help="Write here instead of criteria/")] = None,
    directory: Annotated[
        Path | None, typer.Option("--dir", help="Folder holding badges/ and criteria/")
    ] = None,
) -> None:
    """Write or update criteria/<slug>.yaml from ePerusteet, with provenance.

    Nothing is written when the peruste cannot be read, lacks a unit, or the catalog would
    not be valid with the new file (a badge using a requirement the peruste no longer has).
    """
    from app.cli import fail, load_settings
    from app.eperusteet.catalog_import import (
        ImportProblem,
        qualification_data,
        read_source,
        to_yaml,
    )
    from app.eperusteet.parser import EperusteetFormatError
    from app.models.base import utcnow
    from app.net.fetch import FetchError, UrlNotAllowed

    settings = load_settings()
    root = directory or settings.catalog_dir
    if qualification and len(sources) > 1:
        fail("--qualification goes with one source at a time", 2)
    existing = _existing_by_id(root / "criteria")
    client = _client() if any(s.isdigit() for s in sources) else None
    for item in sources:
        try:
            source = read_source(item, client)
        except (EperusteetFormatError, ImportProblem) as exc:
            fail(str(exc))
        except (FetchError, UrlNotAllowed) as exc:
            fail(f"peruste {item}: {exc.detail}")
        slug = qualification or existing.get(source.peruste.id, (None, None))[0]
        if slug is None:
            fail(f"no criteria file has peruste {source.peruste.id}: give --qualification SLUG")
        assert slug is not None
        path = root / "criteria" / f"{slug}.yaml"
        old = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
        try:
            data = qualification_data(
                source,
                slug=slug,
                existing=old,
                unit_codes=unit or (),
                osa_alueet=osa_alue or (),
                prefix=prefix,
                include_optional=include_optional,
                today=utcnow().date(),
            )
        except (ImportProblem, EperusteetFormatError) as exc:
            fail(str(exc))
        text = to_yaml(data)
        target = out or path
        if out is None:
            problems = _check_catalog_with(root, slug, text)
            if problems:
                typer.echo(f"{path} was not written: the catalog would not be valid:", err=True)
                for problem in problems:
                    typer.echo(f"  {problem}", err=True)
                fail("fix the badges (or write elsewhere with --out) and import again")
        target.write_text(text, encoding="utf-8")
        typer.echo(f"{target}: peruste {source.peruste.id} ({source.location})")
        for line in _summary(old, data):
            typer.echo(line)


FINDING_LABELS = {
    "unit-removed": "unit removed",
    "unit-moved": "unit moved to a new code",
    "unit-renamed": "unit renamed",
    "osp-changed": "osp changed",
    "requirement-changed": "requirement text changed",
    "requirement-removed": "requirement removed",
    "requirement-added": "requirement added",
    "peruste-ending": "the peruste ends",
    "transition-ending": "the transition period ends",
    "peruste-modified": "the peruste was modified (no change to the catalog's units)",
    "awaiting-import-available": "the peruste can now be imported",
    "update-available": "an update can be confirmed",
}


def _describe(finding: Any) -> str:
    where = " ".join(x for x in (finding.unit_code, finding.requirement) if x)
    change = ""
    if finding.before or finding.after:
        change = f": {finding.before or '-'} -> {finding.after or '-'}"
        if finding.kind == "update-available":
            change = ""
    return f"{finding.qualification} {where} {FINDING_LABELS[finding.kind]}{change}".replace(
        "  ", " "
    )


@eperusteet_app.command("sync")
def sync_command(
    file: Annotated[
        list[str] | None,
        typer.Option(help="ID=FILE: a saved GET /peruste/{id} answer instead of the live API"),
    ] = None,
    directory: Annotated[
        Path | None, typer.Option("--dir", help="Folder holding badges/ and criteria/")
    ] = None,
) -> None:
    """Check every qualification of the catalog against ePerusteet and report, per badge, what
    changed. The findings are stored for an admin to review and confirm (/admin/catalog);
    nothing in the catalog is rewritten. Exit code 1 when a peruste could not be read."""
    from app.catalog.loader import CatalogInvalid, load_catalog
    from app.catalog.updates import store_findings
    from app.cli import fail, load_settings
    from app.db import get_engine, transaction
    from app.eperusteet.catalog_import import FINNISH_TIME, ImportProblem, read_source
    from app.eperusteet.parser import EperusteetFormatError
    from app.eperusteet.sync import compare, to_store
    from app.models.base import utcnow
    from app.net.fetch import FetchError, UrlNotAllowed

    settings = load_settings()
    try:
        catalog = load_catalog(directory or settings.catalog_dir)
    except CatalogInvalid as exc:
        for problem in exc.problems:
            typer.echo(str(problem), err=True)
        raise typer.Exit(1) from None
    files: dict[int, str] = {}
    for item in file or []:
        key, sep, name = item.partition("=")
        if not sep or not key.isdigit():
            fail(f"--file must be ID=FILE, not {item!r}", 2)
        files[int(key)] = name
    now = utcnow()
    today = now.astimezone(FINNISH_TIME).date()
    client = None
    failed = False
    findings = []
    modified = {}
    for slug, qual in sorted(catalog.qualifications.items()):
        if qual.eperusteet_id is None:
            typer.echo(f"{slug}: awaiting import, no peruste id known: not checked")
            continue
        try:
            if qual.eperusteet_id not in files and client is None:
                client = _client()
            source = read_source(files.get(qual.eperusteet_id, str(qual.eperusteet_id)), client)
        except (EperusteetFormatError, ImportProblem) as exc:
            typer.echo(f"{slug}: {exc}", err=True)
            failed = True
            continue
        except (FetchError, UrlNotAllowed) as exc:
            typer.echo(f"{slug}: peruste {qual.eperusteet_id}: {exc.detail}", err=True)
            failed = True
            continue
        try:
            found = compare(catalog, slug, source, today=today)
        except ImportProblem as exc:
            typer.echo(f"{slug}: {exc}", err=True)
            failed = True
            continue
        modified[slug] = source.peruste.modified
        typer.echo(f"{slug}: {len(found)} finding(s) (peruste {source.peruste.id})")
        findings += found
    by_badge: dict[str, list[str]] = {}
    for finding in findings:
        for badge in finding.badges or ("(no badge)",):
            if finding.kind != "update-available":
                by_badge.setdefault(badge, []).append(_describe(finding))
    for badge, lines in sorted(by_badge.items()):
        typer.echo(f"badge {badge}:")
        for line in lines:
            typer.echo(f"  {line}")
    with transaction(get_engine(settings)) as session:
        added = store_findings(session, to_store(findings), peruste_modified=modified, now=now)
    typer.echo(f"{added} new finding(s) stored; an admin reviews them at /admin/catalog")
    if failed:
        raise typer.Exit(1)
