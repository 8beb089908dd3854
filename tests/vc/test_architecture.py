"""Architecture rules, enforced by parsing the source with ``ast``.

* ``app/vc`` is a pure core: no web framework, ORM, ``cryptography`` (or PyJWT, which
  drags it in), network client, settings, other ``app`` packages, clock or environment.
* Only ``app/keys`` imports ``cryptography`` anywhere under ``app/``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "app"

FORBIDDEN_IN_VC = {
    "fastapi": "web framework",
    "starlette": "web framework",
    "sqlmodel": "database",
    "sqlalchemy": "database",
    "alembic": "database",
    "cryptography": "private keys belong in app/keys",
    "jwt": "PyJWT imports cryptography; JWS is done with injected keys",
    "httpx": "network",
    "requests": "network",
    "urllib.request": "network",
    "socket": "network",
    "pydantic_settings": "settings",
}
ALLOWED_APP_IMPORTS_IN_VC = ("app.vc",)
CLOCK_CALLS = {"now", "utcnow", "today", "time", "time_ns", "monotonic"}


def imported_modules(source: str) -> Iterator[tuple[int, str]]:
    """Yield (line, module) for every import in ``source`` (absolute names)."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import: stays inside the package
                continue
            module = node.module or ""
            yield node.lineno, module
            for alias in node.names:
                yield node.lineno, f"{module}.{alias.name}"


def matches(module: str, banned: str) -> bool:
    return module == banned or module.startswith(banned + ".")


def vc_violations(source: str) -> list[str]:
    """All architecture violations in one app/vc source text."""
    problems: list[str] = []
    for line, module in imported_modules(source):
        for banned, why in FORBIDDEN_IN_VC.items():
            if matches(module, banned):
                problems.append(f"line {line}: imports {module} ({why})")
        if (module == "app" or module.startswith("app.")) and not any(
            matches(module, ok) for ok in ALLOWED_APP_IMPORTS_IN_VC
        ):
            problems.append(f"line {line}: imports {module} (app/vc may import only app.vc)")
    for node in ast.walk(ast.parse(source)):
        # The core must not read the clock or the environment: both are injected.
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            owner_name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
            if node.func.attr in CLOCK_CALLS and owner_name in {"datetime", "date", "time"}:
                problems.append(
                    f"line {node.lineno}: reads the clock ({owner_name}.{node.func.attr})"
                )
            if node.func.attr == "getenv" and owner_name == "os":
                problems.append(f"line {node.lineno}: reads the environment (os.getenv)")
        if isinstance(node, ast.Attribute) and node.attr == "environ":
            problems.append(f"line {node.lineno}: reads the environment (os.environ)")
    return sorted(set(problems))


def python_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


def test_vc_and_keys_packages_exist() -> None:
    assert (APP / "vc" / "__init__.py").is_file()
    assert (APP / "keys" / "__init__.py").is_file()
    assert python_files(APP / "vc"), "app/vc has no python files"


def test_vc_core_is_pure() -> None:
    problems = {
        str(path.relative_to(APP.parent)): vc_violations(path.read_text(encoding="utf-8"))
        for path in python_files(APP / "vc")
    }
    problems = {path: found for path, found in problems.items() if found}
    assert not problems, problems


def test_only_app_keys_imports_cryptography() -> None:
    offenders = []
    for path in python_files(APP):
        if (APP / "keys") in path.parents:
            continue
        for line, module in imported_modules(path.read_text(encoding="utf-8")):
            if matches(module, "cryptography"):
                offenders.append(f"{path.relative_to(APP.parent)}:{line} imports {module}")
    assert not offenders, offenders


def test_app_keys_does_use_cryptography() -> None:
    modules = {
        module
        for path in python_files(APP / "keys")
        for _, module in imported_modules(path.read_text(encoding="utf-8"))
    }
    assert any(matches(m, "cryptography") for m in modules)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import cryptography", "cryptography"),
        ("from cryptography.hazmat.primitives import hashes", "cryptography"),
        ("import fastapi.responses", "fastapi"),
        ("from sqlmodel import Session", "sqlmodel"),
        ("from sqlalchemy.orm import Session", "sqlalchemy"),
        ("import jwt", "jwt"),
        ("from app.keys import PublicKey", "app.keys"),
        ("from app import config", "app.config"),
        ("from datetime import datetime\nx = datetime.now()", "clock"),
        ("import os\nx = os.environ['X']", "environment"),
    ],
)
def test_checker_catches_violations(source: str, expected: str) -> None:
    problems = vc_violations(source)
    assert any(expected in p for p in problems), problems


def test_checker_accepts_clean_source() -> None:
    source = "from app.vc.errors import VCError\nfrom pyld import jsonld\nimport hashlib\n"
    assert vc_violations(source) == []
