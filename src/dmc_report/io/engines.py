"""Two ways to get a sheet's cells as text: fastexcel (default, fast) and openpyxl (reference).

Both return every cell as the same text (calamine's rendering: a date cell is
``YYYY-MM-DD HH:MM:SS`` with ``.fff`` when it holds a fraction of a second, the number 35.0 is
``35``, 1/3 is ``0.333333333``; an error cell and a formula without a saved result are blank), so
that the one normalisation step in :mod:`dmc_report.io.normalize` gives identical frames
whichever engine read the workbook.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

import pyarrow as pa


class Engine(StrEnum):
    FASTEXCEL = "fastexcel"
    OPENPYXL = "openpyxl"


@dataclass(frozen=True)
class RawSheet:
    """A sheet's cells as text, from its first filled row (the header) down."""

    name: str
    rows: pa.Table  # column i = i-th column of the sheet's used range; row 0 = the header row
    first_row: int  # Excel row number of rows[0]
    first_col: int  # 0-based Excel column index of the table's first column


class SheetSource(Protocol):
    def sheet_names(self) -> Sequence[str]: ...

    def read(self, name: str, first_cell: tuple[int, int] | None) -> RawSheet: ...


class FastexcelSource:
    """fastexcel (Rust calamine to Arrow), every cell coerced to text."""

    def __init__(self, content: bytes) -> None:
        import fastexcel

        self._reader = fastexcel.read_excel(content)

    def sheet_names(self) -> Sequence[str]:
        return list(self._reader.sheet_names)

    def read(self, name: str, first_cell: tuple[int, int] | None) -> RawSheet:
        batch = self._reader.load_sheet(
            name, header_row=None, dtypes="string", eager=True, whitespace_as_null=True
        )
        table = pa.Table.from_batches([batch]) if isinstance(batch, pa.RecordBatch) else batch
        row, col = first_cell if first_cell else (1, 0)
        if table.num_columns and table.num_rows and table.column(0)[0].as_py() is None:
            # calamine's range is the box around every cell holding something (an error or a
            # text of spaces too), so a stray cell left of the first filled row's first cell
            # widens it; its first column is then the one fastexcel reports. (When the range's
            # corner holds a value it is that first cell's column, and this second load is
            # spared.)
            columns = self._reader.load_sheet(name, header_row=None, n_rows=1).available_columns()
            col = columns[0].absolute_index if columns else col
        return RawSheet(name, table, row, col)


# Text as calamine gives it: an escaped character _xHHHH_ (Excel writes a carriage return as
# _x000D_) is the character, except a UTF-16 surrogate half, which stays as written.
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")
# Unicode White_Space, what Rust's str::trim removes (fastexcel's whitespace_as_null)
_BLANK = re.compile(r"[\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*")
_MS_PER_DAY = 86_400_000
_EXCEL_EPOCH = dt.date(1899, 12, 30).toordinal()
_CHRONO_YEARS = (-262_143, 262_142)  # beyond these calamine gives no date (a blank cell)


def _unescaped(m: re.Match[str]) -> str:
    code = int(m.group(1), 16)
    return m.group(0) if 0xD800 <= code <= 0xDFFF else chr(code)


def _string(v: str) -> str | None:
    if "_x" in v:
        v = _ESCAPED.sub(_unescaped, v)
    return None if _BLANK.fullmatch(v) else v


def _float_text(x: float) -> str:
    """A number as fastexcel writes it: at most nine decimals, trailing zeros dropped."""
    if math.isnan(x):
        return "NaN"
    return f"{x:.9f}".rstrip("0").rstrip(".") if math.isfinite(x) else f"{x:.9f}"


def _round_half_away(x: float) -> int:
    whole = math.floor(abs(x))
    return int(math.copysign(whole + (abs(x) - whole >= 0.5), x))


def _civil(days: int) -> tuple[int, int, int]:
    """Proleptic Gregorian (year, month, day) of a day count from 1970-01-01, any year."""
    z = days + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (m <= 2), m, d


def excel_datetime_text(serial: float, is_1904: bool) -> str | None:
    """A date cell's serial number as calamine renders it (``YYYY-MM-DD HH:MM:SS[.fff]``).

    calamine's rule, whatever the number: add 1462 days in the 1904 date system; add one day
    below 60 (Excel's phantom 1900-02-29); count from 1899-12-30 in milliseconds, rounded half
    away from zero. A year outside 0000-9999 is written with its sign (``+10000-01-01``); beyond
    chrono's range there is no date and the cell is blank.
    """
    f = serial + 1462 if is_1904 else serial
    if f < 60:
        f += 1
    if not math.isfinite(f):
        return None
    days, ms = divmod(_round_half_away(f * _MS_PER_DAY), _MS_PER_DAY)
    year, month, day = _civil(days + _EXCEL_EPOCH - dt.date(1970, 1, 1).toordinal())
    if not _CHRONO_YEARS[0] <= year <= _CHRONO_YEARS[1]:
        return None
    y = f"{year:04d}" if 0 <= year <= 9999 else f"{year:+05d}"
    secs, frac = divmod(ms, 1000)
    text = f"{y}-{month:02d}-{day:02d} {secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}"
    return text + f".{frac:03d}" if frac else text


class OpenpyxlSource:
    """openpyxl in read-only mode: slower, the reference against which fastexcel is checked.

    Cells come from openpyxl's own sheet parser with its date conversion turned off, so that a
    date cell's serial number is rendered by calamine's rule (:func:`excel_datetime_text`): the
    two engines then agree on every date, including the 1904 date system, fractions of a second
    and dates Excel itself cannot show. An error cell is blank here as in fastexcel; the shared
    scan in :func:`dmc_report.io.xlsx.scan_bad_cells` reports it.
    """

    def __init__(self, content: bytes) -> None:
        import openpyxl
        from openpyxl.utils.datetime import CALENDAR_MAC_1904

        self._wb = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        self._is_1904 = self._wb.epoch == CALENDAR_MAC_1904
        self._date_styles = frozenset(self._wb._date_formats)

    def sheet_names(self) -> Sequence[str]:
        return list(self._wb.sheetnames)

    def _text(self, cell: dict[str, Any]) -> str | None:
        v, kind = cell["value"], cell["data_type"]
        if v is None or kind == "e":
            return None
        if kind == "n":
            if cell["style_id"] in self._date_styles:
                return excel_datetime_text(float(v), self._is_1904)
            if isinstance(v, int) and abs(v) < 2**63:
                return str(v)
            return _float_text(float(v))
        if kind == "b":
            return "true" if v else "false"
        return _string(str(v))  # text, and an ISO date cell (t="d") as written

    def read(self, name: str, first_cell: tuple[int, int] | None) -> RawSheet:
        from openpyxl.worksheet._reader import VALUE_TAG, WorkSheetParser

        class Parser(WorkSheetParser):  # type: ignore[misc]
            def parse_cell(self, element: Any) -> dict[str, Any]:
                cell: dict[str, Any] = super().parse_cell(element)
                if element.get("t") == "d":  # an ISO 8601 date cell: its text, as calamine
                    cell["value"] = element.findtext(VALUE_TAG) or None
                return cell

        ws = self._wb[name]
        filled: list[tuple[int, list[tuple[int, str]]]] = []
        with ws._get_source() as src:
            parser = Parser(
                src,
                ws._shared_strings,
                data_only=True,
                epoch=self._wb.epoch,
                date_formats=set(),  # serial numbers stay numbers: rendered by calamine's rule
                timedelta_formats=set(),
            )
            for r_index, cells in parser.parse():
                texts = [(c["column"] - 1, t) for c in cells if (t := self._text(c)) is not None]
                if texts:
                    filled.append((r_index, texts))
        if not filled:
            return RawSheet(name, pa.table({}), 1, 0)
        first_row, last_row = filled[0][0], filled[-1][0]
        first_col = min(j for _, texts in filled for j, _ in texts)
        width = max(j for _, texts in filled for j, _ in texts) - first_col + 1
        grid: list[list[str | None]] = [[None] * (last_row - first_row + 1) for _ in range(width)]
        for r_index, texts in filled:
            for j, t in texts:
                grid[j - first_col][r_index - first_row] = t
        columns = {f"__UNNAMED__{j}": pa.array(col, type=pa.string()) for j, col in enumerate(grid)}
        return RawSheet(name, pa.table(columns), first_row, first_col)

    def close(self) -> None:
        self._wb.close()


def open_source(content: bytes, engine: Engine) -> SheetSource:
    if engine is Engine.OPENPYXL:
        return OpenpyxlSource(content)
    return FastexcelSource(content)
