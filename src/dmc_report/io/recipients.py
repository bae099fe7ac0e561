"""Numbered copies of the closed report, one per DMC member (issue 19; docs/reports.md).

The recipients file is a CSV with a ``name`` column and an optional ``password`` column, saved
as UTF-8 (a BOM, as Excel and Notepad write, is fine). A blank password is generated: a
passphrase of 24 characters from an alphabet without look-alikes, to be sent by another channel
(it goes to the passwords file, owner-only). Every problem is located: file, row, column.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dmc_report.domain.errors import Location, UnusableInputError
from dmc_report.io.filenames import safe_name
from dmc_report.io.files import read_input
from dmc_report.io.passwords import closed_password_problem

# no 0/O, 1/l/I: a passphrase read over the phone or typed from paper
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
GENERATED_GROUPS, GROUP_CHARS = 4, 5  # "xxxxx-xxxxx-xxxxx-xxxxx": 23 characters and 92 bits
MAX_RECIPIENTS = 99  # copy numbers have two digits


@dataclass(frozen=True)
class Recipient:
    number: int  # 1-based copy number
    name: str
    password: str
    generated: bool  # the password was made here (it goes to the passwords file)

    def file_name(self, closed: Path) -> str:
        """``<closed name>-NN-<name>.pdf`` beside the closed report's path."""
        return f"{closed.stem}-{self.number:02d}-{safe_name(self.name, fallback='member')}.pdf"


def generated_password() -> str:
    return "-".join(
        "".join(secrets.choice(_ALPHABET) for _ in range(GROUP_CHARS))
        for _ in range(GENERATED_GROUPS)
    )


def read_recipients(path: str | Path) -> tuple[Recipient, ...]:
    """The recipients, checked: a ``name`` column, names present and distinct (also as file
    names), passwords long enough, at most :data:`MAX_RECIPIENTS`."""
    data = read_input(path, "recipients file")
    file = str(path)
    try:
        text = data.content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnusableInputError(
            "the recipients file is not UTF-8 text; save it as CSV UTF-8", Location(file=file)
        ) from exc
    return _checked(list(csv.reader(io.StringIO(text))), file)


def recipients_from_rows(rows: Sequence[tuple[str, str]], file: str) -> tuple[Recipient, ...]:
    """The recipients from (name, password) rows (a list typed in the app), checked as a file's
    rows are; ``file`` names the list in messages (its rows counted as a file's: header row 1)."""
    return _checked([["name", "password"], *([n, p] for n, p in rows)], file, first_row=1)


def _checked(rows: list[list[str]], file: str, first_row: int = 2) -> tuple[Recipient, ...]:
    """``rows`` (a header row, then one per recipient, the first numbered ``first_row`` in
    messages) checked."""
    if not rows or not any(c.strip() for c in rows[0]):
        raise UnusableInputError(
            "the recipients file is empty; expected a header row with 'name' (and 'password')",
            Location(file=file, row=1),
        )
    header = [c.strip().lower() for c in rows[0]]
    if "name" not in header:
        raise UnusableInputError(
            f"the recipients file has no 'name' column (found: {', '.join(rows[0])})",
            Location(file=file, row=1),
        )
    col_name = header.index("name")
    col_pw = header.index("password") if "password" in header else None
    out: list[Recipient] = []
    seen: dict[str, int] = {}
    for excel_row, row in enumerate(rows[1:], start=first_row):
        if not any(c.strip() for c in row):
            continue
        name = row[col_name].strip() if col_name < len(row) else ""
        where = Location(file=file, row=excel_row, column="name")
        if not name:
            raise UnusableInputError("a recipient without a name", where)
        key = safe_name(name, fallback="member").casefold()
        if key in seen:
            raise UnusableInputError(
                f"{name!r} is listed twice (first in row {seen[key]}); each copy needs its own name",
                where,
            )
        seen[key] = excel_row
        given = row[col_pw] if col_pw is not None and col_pw < len(row) else ""
        if given and given != given.strip():
            raise UnusableInputError(
                "the password has a space at either end; remove it (it could not be typed)",
                Location(file=file, row=excel_row, column="password"),
            )
        if given:
            problem = closed_password_problem(given)
            if problem is not None:
                raise UnusableInputError(
                    problem, Location(file=file, row=excel_row, column="password")
                )
        out.append(
            Recipient(len(out) + 1, name, given or generated_password(), generated=not given)
        )
    if not out:
        raise UnusableInputError(
            "the recipients file lists nobody", Location(file=file, row=first_row)
        )
    if len(out) > MAX_RECIPIENTS:
        raise UnusableInputError(
            f"{len(out)} recipients; at most {MAX_RECIPIENTS} numbered copies",
            Location(file=file),
        )
    return tuple(out)


def passwords_csv(recipients: tuple[Recipient, ...], closed: Path) -> bytes:
    """The generated passwords, to send by another channel (written owner-only)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["copy", "name", "file", "password"])
    for r in recipients:
        if r.generated:
            w.writerow([f"{r.number:02d}", r.name, r.file_name(closed), r.password])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # a BOM: Excel opens it as UTF-8
