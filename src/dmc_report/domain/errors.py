"""Exceptions for unusable input.

Data problems are findings, never exceptions. An exception here means an input cannot be used at
all (missing, unreadable, wrong password, required sheet or column absent, bad protocol); it
carries the same location a finding does, so every front end can say exactly where.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    """Where in an input a problem sits; every part is optional."""

    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    key: str | None = None  # protocol key path, e.g. ``visits[3].window_after``

    def describe(self) -> str:
        parts: list[str] = []
        if self.file:
            parts.append(self.file)
        if self.sheet:
            parts.append(f"sheet {self.sheet}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        if self.key:
            parts.append(f"key {self.key}")
        return ", ".join(parts)


class UnusableInputError(Exception):
    """An input that cannot be used at all (exit status 2).

    Parameters
    ----------
    message
        What is wrong and, where it helps, what to do about it.
    location
        The file, sheet, Excel row, column or protocol key concerned.
    """

    def __init__(self, message: str, location: Location | None = None) -> None:
        self.message = message
        self.location = location or Location()
        super().__init__(str(self))

    def __reduce__(self) -> tuple[type[UnusableInputError], tuple[str, Location]]:
        # keeps the location when the error crosses a process boundary (reports render in a child)
        return (type(self), (self.message, self.location))

    def __str__(self) -> str:
        where = self.location.describe()
        return f"{where}: {self.message}" if where else self.message


class OutputInUseError(UnusableInputError):
    """An output that cannot be replaced: another program holds it open (a PDF viewer, Excel,
    an antivirus scan) or it is read-only. Exit 2; the app offers to try again."""


class CancelledError(Exception):
    """The user cancelled a long-running stage."""
