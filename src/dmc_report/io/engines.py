"""Two ways to get a sheet's cells as text: fastexcel (default, fast) and openpyxl (reference).

Both return every cell as the same text (calamine's rendering: a date cell is
``YYYY-MM-DD HH:MM:SS``, the number 35.0 is ``35``), so that the one normalisation step in
:mod:`dmc_report.io.normalize` gives identical frames whichever engine read the workbook.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.compute as pc


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
        return RawSheet(name, table, row, col)


def _text(v: Any) -> str | None:
    """A cell value as calamine renders it in a text column."""
    if v is None:
        return None
    if isinstance(v, str):
        return v if v.strip() else None  # as fastexcel's whitespace_as_null
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isfinite(v) and v == int(v) and abs(v) < 1e15:
            return str(int(v))
        return repr(v)
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(v, dt.date):
        return v.strftime("%Y-%m-%d 00:00:00")
    if isinstance(v, dt.time):
        return v.strftime("%H:%M:%S")
    if isinstance(v, dt.timedelta):
        return str(v)
    return str(v)


class OpenpyxlSource:
    """openpyxl in read-only mode: slower, the reference against which fastexcel is checked."""

    def __init__(self, content: bytes) -> None:
        import openpyxl

        self._wb = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)

    def sheet_names(self) -> Sequence[str]:
        return list(self._wb.sheetnames)

    def read(self, name: str, first_cell: tuple[int, int] | None) -> RawSheet:
        ws = self._wb[name]
        rows: list[list[str | None]] = []
        first_row: int | None = None
        last_filled = 0
        for r_index, values in enumerate(ws.iter_rows(min_row=1, values_only=True), start=1):
            cells = [_text(v) for v in values]
            filled = any(c is not None for c in cells)
            if first_row is None:
                if not filled:
                    continue
                first_row = r_index
            rows.append(cells)
            if filled:
                last_filled = len(rows)
        rows = rows[:last_filled]
        if first_row is None:
            return RawSheet(name, pa.table({}), 1, 0)
        width = max(len(r) for r in rows)
        first_col = min(
            (next(i for i, c in enumerate(r) if c is not None) for r in rows if any(r)), default=0
        )
        columns = {
            f"__UNNAMED__{j - first_col}": pa.array(
                [r[j] if j < len(r) else None for r in rows], type=pa.string()
            )
            for j in range(first_col, width)
        }
        # calamine's range ends at the last column holding a value
        while columns and pc.all(pc.is_null(list(columns.values())[-1])).as_py():
            columns.popitem()
        return RawSheet(name, pa.table(columns), first_row, first_col)

    def close(self) -> None:
        self._wb.close()


def open_source(content: bytes, engine: Engine) -> SheetSource:
    if engine is Engine.OPENPYXL:
        return OpenpyxlSource(content)
    return FastexcelSource(content)
