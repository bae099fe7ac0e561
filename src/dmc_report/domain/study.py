"""What reading produces: an immutable study (protocol, frames, provenance).

The randomization key is a separate object, loaded only when the closed report or the unblinded
view asks for it; everything blinded is built from :class:`DataSet` alone.
"""

from __future__ import annotations

import copyreg
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

from dmc_report.domain.protocol import Protocol

if TYPE_CHECKING:
    import pandas as pd

ROW = "_ROW"  # column holding each record's Excel row number (header = row 1)


def _mapping_proxy(d: dict[str, object]) -> MappingProxyType[str, object]:
    return MappingProxyType(d)


def _reduce_mapping_proxy(
    m: MappingProxyType[str, object],
) -> tuple[Callable[[dict[str, object]], MappingProxyType[str, object]], tuple[dict[str, object]]]:
    return (_mapping_proxy, (dict(m),))


# The read-only mappings below travel to the report-rendering child process by pickle.
copyreg.pickle(MappingProxyType, _reduce_mapping_proxy)


@dataclass(frozen=True)
class Provenance:
    """Where an input came from, for the appendix and the results JSON."""

    file: str  # file name as given (no directories: reports travel)
    path: str  # full path, for messages on this machine only
    size: int
    sha256: str
    engine: str | None = None
    encrypted: bool = False
    sheet_rows: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class CellIssue:
    """A cell that could not be read as its declared kind (validation turns it into a finding)."""

    sheet: str
    row: int
    column: str
    value: str
    # "date" | "date_range" | "number" | "error" (an Excel error) | "formula" | "treatment_name"
    # (a column outside the contract holding text that names a treatment)
    problem: str


@dataclass(frozen=True)
class SheetTable:
    """One sheet, normalised: contract column names, typed columns, and ``_ROW``.

    Attributes
    ----------
    frame
        One row per non-blank record. Text and code columns are pandas strings (codes upper-case),
        dates are ``datetime64`` (NaT when blank or invalid), numbers ``float64``.
    source_name
        The sheet's name in the workbook (it may differ by case or mapping).
    columns_found
        Header cells as they stand in the workbook, in order.
    extra_columns
        Header cells that are not part of the contract (ignored; reported as info).
    column_letters
        Contract column -> Excel column letter, for messages.
    hidden
        ``"hidden"`` or ``"veryHidden"`` when the workbook hides the sheet (read all the same).
    """

    name: str
    frame: pd.DataFrame
    source_name: str
    columns_found: tuple[str, ...]
    extra_columns: tuple[str, ...]
    column_letters: Mapping[str, str]
    issues: tuple[CellIssue, ...] = ()
    hidden: str | None = None

    def letter(self, column: str) -> str | None:
        return self.column_letters.get(column)


@dataclass(frozen=True)
class DataSet:
    """The blinded EDC export: contract sheet name -> table (absent optional sheets missing)."""

    tables: Mapping[str, SheetTable]
    provenance: Provenance

    def __contains__(self, sheet: str) -> bool:
        return sheet in self.tables

    def __getitem__(self, sheet: str) -> SheetTable:
        return self.tables[sheet]

    def frame(self, sheet: str) -> pd.DataFrame:
        return self.tables[sheet].frame

    @property
    def cell_issues(self) -> tuple[CellIssue, ...]:
        return tuple(i for t in self.tables.values() for i in t.issues)


@dataclass(frozen=True)
class Arm:
    code: str
    label: str
    role: str  # "experimental" | "control"


@dataclass(frozen=True)
class RandomizationKey:
    """Subject -> arm, and the arms. Only the unblinded side of the program sees this."""

    arms: tuple[Arm, ...]
    assignments: pd.DataFrame  # SUBJID, ARMCD, _ROW
    tables: Mapping[str, SheetTable]
    provenance: Provenance
    # a dry run's key: the assignments are scrambled (domain/dry_run.py) with this seed, and the
    # key file's RAND sheet was never read
    dry_run_seed: int | None = None

    @property
    def control(self) -> Arm:
        return next(a for a in self.arms if a.role == "control")

    @property
    def experimental(self) -> tuple[Arm, ...]:
        return tuple(a for a in self.arms if a.role == "experimental")


@dataclass(frozen=True)
class ProtocolFile:
    protocol: Protocol
    provenance: Provenance


@dataclass(frozen=True)
class Study:
    """Protocol and data, as read. Holds no key: see :class:`RandomizationKey`."""

    protocol: Protocol
    protocol_provenance: Provenance
    data: DataSet
