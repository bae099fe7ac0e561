"""One normalisation for both engines: header matching, typing, codes, and cell problems.

Vectorised with pyarrow.compute so that reading a 20,000-subject export costs little more than
fastexcel's own read.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from types import MappingProxyType

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dmc_report.domain.blinding import TreatmentVocabulary
from dmc_report.domain.contract import Column, Kind, Sheet
from dmc_report.domain.errors import Location, UnusableInputError
from dmc_report.domain.protocol import Mapping
from dmc_report.domain.study import ROW, CellIssue, SheetTable
from dmc_report.io.engines import RawSheet
from dmc_report.io.xlsx import BadCell, column_letter

_NUMBER_RE = r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$"
# A date: ISO text YYYY-MM-DD, or an Excel date cell as both engines render it (the date, a space
# or T, the time of day, perhaps a fraction of a second; an ISO date cell may carry a T).
_DATE_RE = r"^\d{4}-\d{2}-\d{2}(?:[ T](?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,9})?)?$"
# Plausible years for a date in a trial's export. Outside them a date is a typing slip (3013,
# 0213) or a number formatted as a date; it is a finding and the cell blank. The bounds also keep
# every date inside pandas' nanosecond range (1677-2262).
FIRST_YEAR, LAST_YEAR = 1900, 2100
_HEADER_SEARCH_ROWS = 10


def _norm(name: str | None) -> str:
    return (name or "").strip().upper()


def _trimmed(arr: pa.ChunkedArray) -> pa.ChunkedArray:
    # Both engines already turn blank and whitespace-only cells into nulls.
    return pc.utf8_trim_whitespace(arr)


def _issues(
    raw: pa.ChunkedArray,
    bad: np.ndarray,
    rows: np.ndarray,
    sheet: str,
    column: str,
    problem: str,
) -> list[CellIssue]:
    idx = np.flatnonzero(bad)
    if not len(idx):
        return []
    values = raw.take(pa.array(idx)).to_pylist()
    return [
        CellIssue(sheet, int(rows[i]), column, str(v), problem)
        for i, v in zip(idx, values, strict=True)
    ]


def _bools(arr: pa.ChunkedArray | pa.Array) -> np.ndarray:
    return np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=bool)


def _date(arr: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Dates (datetime64[ns], NaT when blank or invalid), a mask of non-blank cells that are no
    date, and a mask of dates outside the plausible years (:data:`FIRST_YEAR`-:data:`LAST_YEAR`).

    A date in this product is a day: a date-time's date part is its date, whatever the time of
    day or fraction of a second (23:59:59.6 is still that day; both engines round a serial number
    to the millisecond the same way, so they agree on the day). Accepted: an Excel date cell in
    either date system (both engines render it ``YYYY-MM-DD HH:MM:SS[.fff]``), and ``YYYY-MM-DD``
    text. A day that does not exist (``2015-04-31``, also written ``2015-04-31 00:00:00``) is no
    date: Arrow's strptime would roll it over to the next month, so the parsed day is checked.
    """
    n = len(arr)
    present = ~_null_mask(arr)
    values = np.full(n, np.datetime64("NaT", "ns"))
    # Fast path, the usual Excel date cell: exactly YYYY-MM-DD HH:MM:SS, a plausible year, and not
    # rolled over (a roll-over lands on day 1-3 from a written day 29-31). The rest takes the
    # strict path below.
    parsed = pc.strptime(arr, format="%Y-%m-%d %H:%M:%S", unit="s", error_is_null=True)
    year = pc.year(parsed)
    fast = _bools(
        pc.and_(
            pc.equal(pc.utf8_length(arr), 19),
            pc.and_(pc.greater_equal(year, FIRST_YEAR), pc.less_equal(year, LAST_YEAR)),
        )
    )
    early = np.flatnonzero(fast & _bools(pc.less_equal(pc.day(parsed), 3)))
    if len(early):
        written = pc.cast(pc.utf8_slice_codeunits(arr.take(pa.array(early)), 8, 10), pa.int64())
        fast[early[_bools(pc.greater(written, 28))]] = False
    if fast.any():
        stamps = pc.cast(parsed.filter(pa.array(fast)), pa.timestamp("ns"))
        days = np.asarray(stamps.to_numpy(zero_copy_only=False), dtype="datetime64[ns]")
        values[fast] = days.astype("datetime64[D]").astype("datetime64[ns]")
    far = np.zeros(n, dtype=bool)
    rest = np.flatnonzero(present & ~fast)
    if len(rest):  # ISO text, fractions of a second, far years, impossible days, not a date
        text = arr.take(pa.array(rest))
        shaped = _bools(pc.match_substring_regex(text, _DATE_RE))
        idx, day = rest[shaped], pc.utf8_slice_codeunits(text.filter(pa.array(shaped)), 0, 10)
        year_np = np.asarray(
            pc.cast(pc.utf8_slice_codeunits(day, 0, 4), pa.int32()).to_numpy(zero_copy_only=False)
        )
        plausible = (year_np >= FIRST_YEAR) & (year_np <= LAST_YEAR)
        far[idx[~plausible]] = True
        idx, day = idx[plausible], day.filter(pa.array(plausible))
        on_day = pc.strptime(day, format="%Y-%m-%d", unit="s", error_is_null=True)
        written = pc.cast(pc.utf8_slice_codeunits(day, 8, 10), pa.int64())
        real = _bools(pc.equal(pc.day(on_day), written))
        stamps = pc.cast(on_day.filter(pa.array(real)), pa.timestamp("ns"))
        values[idx[real]] = np.asarray(
            stamps.to_numpy(zero_copy_only=False), dtype="datetime64[ns]"
        )
    good = ~np.isnat(values)
    return values, present & ~good & ~far, far


def _number(arr: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """float64 values (NaN when blank or invalid) and a mask of invalid non-blank cells."""
    present = ~_null_mask(arr)
    try:  # the usual case: every cell is a number, and one cast does it
        values = np.asarray(pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False), dtype=float)
        ok = present & np.isfinite(values)
    except pa.ArrowInvalid:
        ok = (
            np.asarray(
                pc.match_substring_regex(arr, _NUMBER_RE).to_numpy(zero_copy_only=False),
                dtype=bool,
            )
            & present
        )
        values = np.full(len(arr), np.nan)
        if ok.any():
            values[ok] = pc.cast(arr.filter(pa.array(ok)), pa.float64()).to_numpy(
                zero_copy_only=False
            )
    values = np.where(ok, values, np.nan)
    return values, present & ~ok


def _null_mask(arr: pa.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.is_null(arr).to_numpy(zero_copy_only=False), dtype=bool)


def _blank_bad_cells(raw: RawSheet, bad_cells: Iterable[BadCell]) -> pa.Table:
    """The sheet's table with its error cells and unsaved formulas blank, whatever the engine."""
    table = raw.rows
    by_column: dict[int, list[int]] = {}
    for b in bad_cells:
        i, j = b.row - raw.first_row, b.col - raw.first_col
        if 0 <= i < table.num_rows and 0 <= j < table.num_columns:
            by_column.setdefault(j, []).append(i)
    for j, rows in by_column.items():
        mask = np.zeros(table.num_rows, dtype=bool)
        mask[rows] = True
        col = table.column(j)
        blanked = pc.if_else(pa.array(mask), pa.scalar(None, col.type), col)
        table = table.set_column(j, table.field(j), blanked)
    return table


def _naming_treatment(
    arr: pa.ChunkedArray, rows: np.ndarray, sheet: str, column: str, vocabulary: TreatmentVocabulary
) -> list[CellIssue]:
    """Cells of ``arr`` whose text names a treatment (Arrow finds the candidates)."""
    if arr.null_count == len(arr):
        return []
    text = arr if pa.types.is_string(arr.type) else pc.cast(arr, pa.string())
    hit = pc.fill_null(pc.match_substring_regex(text, vocabulary.candidates or ""), False)
    where = np.flatnonzero(hit.to_numpy(zero_copy_only=False))
    values = text.take(pa.array(where)).to_pylist() if len(where) else []
    return [
        CellIssue(sheet, int(rows[i]), column, "", "treatment_name")
        for i, v in zip(where, values, strict=True)
        if vocabulary.names_treatment(v)
    ]


def normalize_sheet(
    raw: RawSheet,
    spec: Sheet,
    mapping: Mapping,
    *,
    file: str,
    bad_cells: Sequence[BadCell] = (),
    hidden: str | None = None,
    vocabulary: TreatmentVocabulary | None = None,
) -> SheetTable:
    """Turn a sheet's text cells into a typed table with contract column names.

    ``bad_cells`` (from :func:`dmc_report.io.xlsx.scan_bad_cells`) are blank in the table and
    each one in a contract column below the header is a cell issue; ``hidden`` is the sheet's
    state when the workbook hides it. A cell of a column outside the contract that names a
    treatment (``vocabulary``, the protocol's) is a cell issue too: the column is ignored, but a
    blinded export that holds it may reveal arms.

    Raises
    ------
    UnusableInputError
        The header is not in row 1, a required column is absent or appears twice, or the sheet
        has no data rows where the contract requires some.
    """
    sheet_label = raw.name
    table = _blank_bad_cells(raw, bad_cells) if bad_cells else raw.rows
    if table.num_rows == 0 or table.num_columns == 0:
        raise UnusableInputError(
            f"the sheet is empty; expected a header in row 1 with {', '.join(spec.required_columns)}",
            Location(file=file, sheet=sheet_label),
        )
    header = [_norm(v) for v in table.slice(0, 1).to_pylist()[0].values()]
    positions = _column_positions(header, raw, spec, mapping, file)
    _check_header_in_row_1(table, header, positions, raw, spec, mapping, file)
    data, rows = _data_rows(table.slice(1), raw.first_row + 1)
    if spec.rows_required and data.num_rows == 0:
        raise UnusableInputError(
            "the sheet has a header but no data rows", Location(file=file, sheet=sheet_label, row=2)
        )
    columns: dict[str, object] = {}
    issues: list[CellIssue] = []
    for col in spec.columns:  # absent optional columns exist, all blank, so code can rely on them
        if col.name in positions:
            arr = _trimmed(data.column(positions[col.name]))
            codes = mapping.code_map(spec.name, col.codes_as or col.name)
            columns[col.name], found_issues = _typed_column(arr, col, codes, rows, sheet_label)
            issues += found_issues
        else:
            columns[col.name] = _blank(col.kind, len(rows))
    columns[ROW] = rows
    issues += _bad_cell_issues(bad_cells, positions, raw)
    extra = [j for j, h in enumerate(header) if h and j not in positions.values()]
    if vocabulary and vocabulary.candidates:
        for j in extra:
            issues += _naming_treatment(data.column(j), rows, sheet_label, header[j], vocabulary)
    return SheetTable(
        name=spec.name,
        frame=pd.DataFrame(columns, copy=False),
        source_name=sheet_label,
        columns_found=tuple(h for h in header if h),
        extra_columns=tuple(header[j] for j in extra),
        column_letters=MappingProxyType(
            {c: column_letter(raw.first_col + j) for c, j in positions.items()}
        ),
        issues=tuple(issues),
        hidden=hidden,
    )


def _column_positions(
    header: list[str], raw: RawSheet, spec: Sheet, mapping: Mapping, file: str
) -> dict[str, int]:
    """Contract column name -> its index in the sheet, for the contract's columns the header has.

    Raises
    ------
    UnusableInputError
        A contract column appears twice.
    """
    wanted = {_norm(mapping.column_name(spec.name, c.name)): c for c in spec.columns}
    positions: dict[str, int] = {}
    for j, h in enumerate(header):
        if h in wanted:
            cname = wanted[h].name
            if cname in positions:
                a = column_letter(raw.first_col + positions[cname])
                b = column_letter(raw.first_col + j)
                raise UnusableInputError(
                    f"column {h} appears twice (columns {a} and {b}); keep one",
                    Location(file=file, sheet=raw.name, row=raw.first_row, column=h),
                )
            positions[cname] = j
    return positions


def _check_header_in_row_1(
    table: pa.Table,
    header: list[str],
    positions: dict[str, int],
    raw: RawSheet,
    spec: Sheet,
    mapping: Mapping,
    file: str,
) -> None:
    """Refuse a header that is not in row 1, or lacks a required column.

    Raises
    ------
    UnusableInputError
        Row 1 is empty, a required column is missing, or the column names stand lower down
        (said so rather than "column missing").
    """
    found = [h for h in header if h]
    if raw.first_row != 1:
        raise UnusableInputError(
            f"the header must be in row 1, but row 1 is empty and the first filled row is "
            f"{raw.first_row} (found there: {', '.join(found[:12])})",
            Location(file=file, sheet=raw.name, row=raw.first_row),
        )
    missing = [c for c in spec.required_columns if c not in positions]
    if not missing:
        return
    for k in range(1, min(_HEADER_SEARCH_ROWS, table.num_rows)):
        later = {_norm(v) for v in table.slice(k, 1).to_pylist()[0].values()}
        if all(_norm(mapping.column_name(spec.name, m)) in later for m in missing):
            raise UnusableInputError(
                f"the header must be in row 1, but the column names stand in row "
                f"{raw.first_row + k}; delete the rows above them",
                Location(file=file, sheet=raw.name, row=raw.first_row + k),
            )
    export_name = mapping.column_name(spec.name, missing[0])
    raise UnusableInputError(
        f"required column {export_name} is missing"
        + (f" (and {', '.join(missing[1:])})" if len(missing) > 1 else "")
        + f"; found: {', '.join(found) if found else 'no column names in row 1'}",
        Location(file=file, sheet=raw.name, row=1, column=export_name),
    )


def _data_rows(data: pa.Table, first_row: int) -> tuple[pa.Table, np.ndarray]:
    """The rows below the header without those blank in every column (Excel users leave them
    between blocks), and each kept row's number in the sheet."""
    rows = np.arange(first_row, first_row + data.num_rows, dtype=np.int64)
    # Only a row whose first column is blank can be blank; most sheets have none, and skip the
    # full check.
    if data.num_rows and data.num_columns and data.column(0).null_count:
        blank = pc.is_null(data.column(0))
        for col in data.columns[1:]:
            if col.null_count:
                blank = pc.and_(blank, pc.is_null(col))
            else:
                blank = None
                break
        if blank is not None and pc.any(blank).as_py():
            keep = pc.invert(blank)
            data = data.filter(keep)
            rows = rows[keep.to_numpy(zero_copy_only=False)]
    return data, rows


def _typed_column(
    arr: pa.ChunkedArray, col: Column, codes: dict[str, str], rows: np.ndarray, sheet: str
) -> tuple[object, list[CellIssue]]:
    """A contract column's trimmed cells as the frame holds them (text and codes in Arrow, dates
    and numbers in numpy; ``codes`` the protocol's map of this column's export codes), and the
    cells that are no date or number."""
    if col.kind is Kind.CODE:
        arr = pc.utf8_upper(arr)
        if codes:
            arr = pa.chunked_array(
                [
                    pa.array(
                        [codes.get(v, v) if v is not None else None for v in arr.to_pylist()],
                        pa.string(),
                    )
                ]
            )
        return pd.arrays.ArrowStringArray(arr), []
    if col.kind is Kind.TEXT:
        return pd.arrays.ArrowStringArray(arr), []
    if col.kind is Kind.DATE:
        dates, bad, far = _date(arr)
        issues = _issues(arr, bad, rows, sheet, col.name, "date")
        return dates, issues + _issues(arr, far, rows, sheet, col.name, "date_range")
    numbers, bad = _number(arr)
    return numbers, _issues(arr, bad, rows, sheet, col.name, "number")


def _bad_cell_issues(
    bad_cells: Sequence[BadCell], positions: dict[str, int], raw: RawSheet
) -> list[CellIssue]:
    """Error cells and unsaved formulas, where a contract column has them below the header (an
    extra column is ignored whole). Located from the sheet itself, so a row holding nothing else
    is reported too."""
    at = {raw.first_col + j: c for c, j in positions.items()}
    return [
        CellIssue(raw.name, b.row, at[b.col], b.value, b.kind)
        for b in bad_cells
        if b.col in at and b.row > raw.first_row
    ]


def _blank(kind: Kind, n: int) -> object:
    if kind is Kind.DATE:
        return np.full(n, np.datetime64("NaT", "ns"))
    if kind is Kind.NUMBER:
        return np.full(n, np.nan)
    return pd.arrays.ArrowStringArray(pa.nulls(n, pa.string()))


def find_sheets(names: Iterable[str], wanted: str) -> list[str]:
    """The workbook's sheets whose trimmed, case-folded name equals ``wanted`` (one, we hope)."""
    target = _norm(wanted)
    return [n for n in names if _norm(n) == target]
