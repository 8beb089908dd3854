"""A group award's people from a list: a CSV file or rows pasted from a spreadsheet.

Each row names an existing participant of the organization, by e-mail address or, without
one, by name as it is in the service; an optional third column is a sentence about that
person. The first row may be a header (`name,email,sentence`, or the Finnish or Swedish
words). Commas, semicolons (Excel in Finnish) and tabs (pasted from a spreadsheet) all work.
Every row that cannot be used is reported with its number and why; nothing is queued until
the list is right.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.awards.service import MAX_GROUP, GroupMember
from app.errors import AppError, ValidationFailed, page_text
from app.models import Participant

# 2,500 rows with a short sentence each; also the most a form field may carry (Starlette).
MAX_LIST_BYTES = 1024 * 1024
HEADER_WORDS = {
    "name": "name",
    "nimi": "name",
    "namn": "name",
    "email": "email",
    "e-mail": "email",
    "sähköposti": "email",
    "e-post": "email",
    "sentence": "sentence",
    "lause": "sentence",
    "mening": "sentence",
}
# Rows reported at most (the first ones), so the page stays readable.
MAX_REPORTED = 50


@dataclass(frozen=True)
class RowProblem:
    row: int
    error: AppError


class MemberListInvalid(ValidationFailed):
    """Rows of the list that name nobody, or more than one person, or someone twice."""

    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__(
            page_text(
                "{n} rows of the list could not be used. Correct them and send the list again."
            ),
            params={"n": len(problems)},
            rows=[{"row": p.row, "detail": p.error.detail} for p in problems[:MAX_REPORTED]],
        )
        self.problems = problems


def decode_list(data: bytes) -> str:
    """The text of an uploaded list: UTF-8 (with or without a byte order mark), or the
    Windows code page Excel uses in Finland and Sweden."""
    if len(data) > MAX_LIST_BYTES:
        raise ValidationFailed(
            "The list is too large: at most {n} MB.", params={"n": MAX_LIST_BYTES // 2**20}
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _rows(text: str) -> list[tuple[int, list[str]]]:
    lines = text.splitlines()
    sample = next((line for line in lines if line.strip()), "")
    delimiter = max("\t;,", key=sample.count) if sample else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    return [
        (number, [cell.strip() for cell in row])
        for number, row in enumerate(reader, start=1)
        if any(cell.strip() for cell in row)
    ]


def _columns(first: list[str]) -> dict[str, int] | None:
    """The columns a header row names, or None when the first row is not a header."""
    named = {HEADER_WORDS.get(cell.lower()): i for i, cell in enumerate(first)}
    named.pop(None, None)
    return {str(k): v for k, v in named.items()} if "name" in named or "email" in named else None


def parse_members(session: Session, organization_id: int, text: str) -> list[GroupMember]:
    """The people a list names, in its order; `MemberListInvalid` names every bad row."""
    rows = _rows(text)
    columns = {"name": 0, "email": 1, "sentence": 2}
    if rows and (header := _columns(rows[0][1])) is not None:
        columns = header
        rows = rows[1:]
    if not rows:
        raise ValidationFailed("The list has no people in it.")
    if len(rows) > MAX_GROUP:
        raise ValidationFailed("At most {n} participants at a time.", params={"n": MAX_GROUP})
    by_email: dict[str, list[int]] = {}
    by_name: dict[str, list[int]] = {}
    for pid, name, email in session.exec(
        select(Participant.id, Participant.display_name, Participant.email)
        .where(Participant.organization_id == organization_id)
        .where(col(Participant.erased_at).is_(None))
    ).all():
        assert pid is not None
        by_name.setdefault(name.strip().casefold(), []).append(pid)
        if email:
            by_email.setdefault(email.strip().casefold(), []).append(pid)

    def cell(row: list[str], column: str) -> str:
        index = columns.get(column)
        return row[index] if index is not None and index < len(row) else ""

    members: list[GroupMember] = []
    seen: dict[int, int] = {}
    problems: list[RowProblem] = []
    for number, row in rows:
        name, email, sentence = cell(row, "name"), cell(row, "email"), cell(row, "sentence")
        if email:
            found = by_email.get(email.casefold(), [])
            missing = ValidationFailed(
                "Nobody with the e-mail address {email} is a participant here.",
                params={"email": email},
            )
        elif name:
            found = by_name.get(name.casefold(), [])
            missing = ValidationFailed(
                "Nobody called {name} is a participant here.", params={"name": name}
            )
        else:
            problems.append(RowProblem(number, ValidationFailed("Give a name or an e-mail.")))
            continue
        if not found:
            problems.append(RowProblem(number, missing))
        elif len(found) > 1:
            problems.append(
                RowProblem(
                    number,
                    ValidationFailed(
                        "Several participants match {who}; give their e-mail address.",
                        params={"who": email or name},
                    ),
                )
            )
        elif found[0] in seen:
            problems.append(
                RowProblem(
                    number,
                    ValidationFailed(
                        "The same person is already on row {row}.", params={"row": seen[found[0]]}
                    ),
                )
            )
        else:
            seen[found[0]] = number
            members.append(GroupMember(found[0], sentence))
    if problems:
        raise MemberListInvalid(problems)
    return members
