"""Where an export holds the contract's sheets and columns (``dmc-report check-protocol``).

For a protocol and a data workbook, before any analysis: each contract sheet and column as the
export has it (through the protocol's ``[mapping]``, or under the contract's own name), or the
nearest names the workbook offers (difflib), and for each coded column the export's values that
no code map covers. So that a mapping for an unfamiliar export can be written in minutes.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from dmc_report.domain.contract import Column, Sheet
from dmc_report.domain.protocol import Protocol
from dmc_report.io.engines import Engine, RawSheet, open_source
from dmc_report.io.files import read_input
from dmc_report.io.normalize import find_sheets
from dmc_report.io.protocol_loader import load_protocol
from dmc_report.io.xlsx import open_workbook

SHOWN_VALUES = 12  # uncovered codes listed per column


@dataclass(frozen=True)
class ColumnCheck:
    """One contract column: where the export has it, or the nearest names it has."""

    contract: str
    required: bool
    export: str | None  # the export's column (None: not found)
    mapped: bool  # named by the protocol's [mapping.columns]
    nearest: tuple[str, ...] = ()
    uncovered: tuple[str, ...] = ()  # the export's codes no code map covers (first few)
    uncovered_count: int = 0

    @property
    def found(self) -> bool:
        return self.export is not None


@dataclass(frozen=True)
class SheetCheck:
    """One contract sheet: where the export has it, its columns, or the nearest sheet names."""

    contract: str
    required: bool
    export: str | None
    mapped: bool
    nearest: tuple[str, ...] = ()
    columns: tuple[ColumnCheck, ...] = ()
    collected: bool = True  # False: the protocol's [domains] says the trial has no such data

    @property
    def missing_required(self) -> tuple[str, ...]:
        """What is required and absent: the sheet itself, or its required columns."""
        if self.export is None:
            return (self.contract,) if self.required else ()
        return tuple(
            f"{self.contract}.{c.contract}" for c in self.columns if c.required and not c.found
        )


@dataclass(frozen=True)
class MappingReport:
    """``check-protocol``'s answer: every contract sheet of the data workbook."""

    protocol_file: str
    data_file: str
    sheets: tuple[SheetCheck, ...]
    workbook_sheets: tuple[str, ...]

    @property
    def missing_required(self) -> tuple[str, ...]:
        return tuple(m for s in self.sheets for m in s.missing_required)

    @property
    def ok(self) -> bool:
        """Everything required is found (uncovered codes are findings later, not a stop)."""
        return not self.missing_required

    def lines(self) -> list[str]:
        """The report as text, one line per sheet and column."""
        out = [f"protocol {self.protocol_file}, data {self.data_file}"]
        out.append(f"workbook sheets: {', '.join(self.workbook_sheets) or 'none'}")
        for s in self.sheets:
            need = "required" if s.required else "optional"
            if s.export is None and not s.collected:
                out.append(f"{s.contract} ({need} sheet): not collected by this trial ([domains])")
                continue
            if s.export is None:
                near = f"; nearest: {', '.join(s.nearest)}" if s.nearest else ""
                out.append(f"{s.contract} ({need} sheet): NOT FOUND{near}")
                continue
            how = "mapped" if s.mapped else "by its contract name"
            out.append(f'{s.contract} ({need} sheet): sheet "{s.export}" ({how})')
            for c in s.columns:
                out.append("  " + _column_line(c))
        if self.ok:
            out.append("everything required is found")
        else:
            out.append(f"missing (required): {', '.join(self.missing_required)}")
        return out


def _column_line(c: ColumnCheck) -> str:
    need = "required" if c.required else "optional"
    if c.export is None:
        near = f"; nearest: {', '.join(c.nearest)}" if c.nearest else "; no similar column"
        return f"{c.contract} ({need}): NOT FOUND{near}"
    how = "mapped" if c.mapped else "by its contract name"
    line = f'{c.contract} ({need}): column "{c.export}" ({how})'
    if c.uncovered_count:
        more = c.uncovered_count - len(c.uncovered)
        listed = ", ".join(repr(v) for v in c.uncovered) + (f" and {more} more" if more else "")
        line += f"; values no code map covers: {listed}"
    return line


def _collected(protocol: Protocol, sheet: str) -> bool:
    """Whether the trial collects a sheet's data, by the protocol's [domains]."""
    domains = protocol.domains
    return {
        "VS": domains.vital_signs,
        "FU": domains.follow_up,
        "QS": domains.questionnaires,
        "EX": domains.exposure,
    }.get(sheet, True)


def _norm(name: object) -> str:
    return str(name or "").strip().upper()


def _nearest(wanted: str, names: Sequence[str]) -> tuple[str, ...]:
    """Up to three names like ``wanted`` (case and spaces ignored), as the workbook writes them."""
    by_norm = {_norm(n): n for n in names if _norm(n)}
    close = difflib.get_close_matches(_norm(wanted), list(by_norm), n=3, cutoff=0.5)
    return tuple(by_norm[c] for c in close)


def _allowed(col: Column, protocol: Protocol) -> tuple[str, ...] | None:
    if col.name == "VISIT":
        return protocol.visit_codes
    return col.codes


def _uncovered(
    raw: RawSheet, j: int, col: Column, sheet: Sheet, protocol: Protocol
) -> tuple[tuple[str, ...], int]:
    allowed = _allowed(col, protocol)
    if allowed is None:
        return (), 0
    values = raw.rows.column(j).slice(1)
    text = values if pa.types.is_string(values.type) else pc.cast(values, pa.string())
    distinct = {_norm(v) for v in pc.unique(text).to_pylist() if v is not None and _norm(v)}
    codes = protocol.mapping.code_map(sheet.name, col.codes_as or col.name)
    left = sorted(v for v in distinct if codes.get(v, v) not in allowed)
    return tuple(left[:SHOWN_VALUES]), len(left)


def _check_sheet(raw: RawSheet, sheet: Sheet, protocol: Protocol, mapped: bool) -> SheetCheck:
    header = [str(v) if v is not None else "" for v in raw.rows.slice(0, 1).to_pylist()[0].values()]
    where = {_norm(h): j for j, h in enumerate(header) if _norm(h)}
    columns = []
    for col in sheet.columns:
        export = protocol.mapping.column_name(sheet.name, col.name)
        is_mapped = _norm(export) != col.name
        j = where.get(_norm(export))
        if j is None and is_mapped:  # the mapping's name is absent: the contract's, perhaps
            j, is_mapped = where.get(col.name), False
        if j is None:
            columns.append(
                ColumnCheck(col.name, col.required, None, False, _nearest(export, header))
            )
            continue
        uncovered, count = _uncovered(raw, j, col, sheet, protocol)
        columns.append(
            ColumnCheck(col.name, col.required, header[j], is_mapped, (), uncovered, count)
        )
    return SheetCheck(sheet.name, sheet.required, raw.name, mapped, (), tuple(columns))


def check_mapping(
    protocol: Protocol,
    data_path: str | Path,
    *,
    password: str | None = None,
    protocol_file: str = "",
    engine: Engine = Engine.FASTEXCEL,
) -> MappingReport:
    """Where the data workbook holds each contract sheet and column for ``protocol``.

    Raises
    ------
    UnusableInputError
        The workbook cannot be opened (missing, not a workbook, wrong password).
    """
    data = read_input(data_path, "data workbook")
    wb = open_workbook(data.content, str(data_path), password=password, what="data workbook")
    source = open_source(wb.content, engine)
    names = list(wb.sheet_names)
    sheets = []
    for spec in protocol.data_sheets:
        wanted = protocol.mapping.sheet_name(spec.name)
        mapped = _norm(wanted) != spec.name
        matches = find_sheets(names, wanted)
        if not matches and mapped:
            matches, mapped = find_sheets(names, spec.name), False
        if not matches:
            collected = _collected(protocol, spec.name)
            near = _nearest(wanted, names) if collected else ()
            sheets.append(
                SheetCheck(spec.name, spec.required, None, False, near, collected=collected)
            )
            continue
        raw = source.read(matches[0], wb.first_cells.get(matches[0]))
        if raw.rows.num_rows == 0 or raw.rows.num_columns == 0:
            absent = tuple(ColumnCheck(c.name, c.required, None, False) for c in spec.columns)
            sheets.append(SheetCheck(spec.name, spec.required, matches[0], mapped, (), absent))
            continue
        sheets.append(_check_sheet(raw, spec, protocol, mapped))
    close = getattr(source, "close", None)
    if close:
        close()
    return MappingReport(protocol_file, data.name, tuple(sheets), tuple(names))


def check_protocol(
    protocol_path: str | Path, data_path: str | Path, password: str | None = None
) -> MappingReport:
    """Load the protocol (refused with its key path when bad) and check the workbook against
    it: the use case behind ``dmc-report check-protocol``."""
    loaded = load_protocol(protocol_path)
    return check_mapping(
        loaded.protocol, data_path, password=password, protocol_file=loaded.provenance.file
    )
