"""Declared sheet checks: types, required values, codes, ranges, uniqueness, extra columns.

Driven entirely by the declarations in :mod:`dmc_report.domain.contract`; no sheet is special-cased.
Every check is vectorised; only flagged rows become Python objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from dmc_report.domain.contract import Column, Kind, Sheet
from dmc_report.domain.findings import Finding, finding
from dmc_report.domain.study import ROW, CellIssue, SheetTable
from dmc_report.io.normalize import FIRST_YEAR, LAST_YEAR

TEXT_CHUNK = 50_000  # rows converted to Arrow text at a time


def arrow_text(s: pd.Series) -> Any:
    """``s`` as an Arrow string array (as ``astype(pd.StringDtype("pyarrow"))`` makes it).

    A column of Python objects is converted a chunk at a time: in one piece, 300,000 values held
    the interpreter lock for ~0.1 s, and the desktop app's window froze while they did."""
    import pyarrow as pa

    if isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow":
        return pa.array(s.array)
    if len(s) <= TEXT_CHUNK:
        return pa.array(s.astype(pd.StringDtype("pyarrow")).array)
    return pa.chunked_array(
        [
            pa.array(s.iloc[i : i + TEXT_CHUNK].astype(pd.StringDtype("pyarrow")).array)
            for i in range(0, len(s), TEXT_CHUNK)
        ]
    )


def isin(s: pd.Series, values: object) -> pd.Series:
    """``Series.isin`` computed by Arrow (pandas iterates Arrow-backed strings one by one)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(values, pd.Series):
        value_set = pa.array(values.dropna().astype(str).to_numpy(dtype=object), pa.string())
    else:
        value_set = pa.array([v for v in values if v is not None], pa.string())  # type: ignore[attr-defined]
    hit = _by_chunk(
        arrow_text(s), lambda a: pc.fill_null(pc.is_in(a, value_set=value_set), False), bool
    )
    return pd.Series(hit, index=s.index, dtype=bool)


def codes_in(s: pd.Series, values: Sequence[object] | Any) -> np.ndarray:
    """Position of each value of ``s`` in ``values`` (-1 where absent), computed by Arrow.

    ``values`` may be a ready ``pyarrow`` string array (reused across calls)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = arrow_text(s)
    value_set = (
        values if isinstance(values, pa.Array) else pa.array([str(v) for v in values], pa.string())
    )
    return _by_chunk(arr, lambda a: pc.fill_null(pc.index_in(a, value_set=value_set), -1), np.int64)


def _by_chunk(arr: Any, kernel: Any, dtype: Any) -> np.ndarray:
    """``kernel`` applied to each chunk of ``arr`` (TEXT_CHUNK rows), as one numpy array: over
    300,000 values at once a lookup held the interpreter lock for 70-85 ms (a freeze of the app)."""
    chunks = arr.chunks if hasattr(arr, "chunks") else [arr]
    parts = [
        np.asarray(kernel(c.slice(i, TEXT_CHUNK)).to_numpy(zero_copy_only=False), dtype=dtype)
        for c in chunks
        for i in range(0, len(c), TEXT_CHUNK)
    ]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


def _cell(v: object) -> str:
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def flagged(
    table: SheetTable,
    mask: pd.Series,
    code: str,
    column: str | None,
    message: str,
    *,
    file: str,
    value_column: str | None = None,
    visit_column: str | None = "VISIT",
) -> list[Finding]:
    """One finding per flagged row; ``{value}`` in ``message`` is the row's ``value_column``."""
    frame = table.frame
    rows = frame.loc[mask.fillna(False).astype(bool)]
    if rows.empty:
        return []
    subjects = rows["SUBJID"] if "SUBJID" in rows else pd.Series(None, index=rows.index)
    visits = (
        rows[visit_column]
        if visit_column and visit_column in rows
        else pd.Series(None, index=rows.index)
    )
    values = rows[value_column] if value_column else pd.Series("", index=rows.index)
    out: list[Finding] = []
    for r, s, v, val in zip(rows[ROW], subjects, visits, values, strict=True):
        out.append(
            finding(
                code,
                message.format(value=_cell(val)),
                file=file,
                sheet=table.source_name,
                row=int(r),
                column=column,
                subject=None if pd.isna(s) else str(s),
                visit=None if pd.isna(v) else str(v),
            )
        )
    return out


_FORMULA_SHOWN = 60  # characters of a formula quoted in a finding


def _issue_finding(issue: CellIssue) -> tuple[str, str]:
    """The code and message for a cell that could not be read as its column's kind."""
    col, value = issue.column, issue.value
    if issue.problem == "error":
        return "ERROR_CELL", f"{col} is the Excel error {value}; treated as blank"
    if issue.problem == "formula":
        shown = value if len(value) <= _FORMULA_SHOWN else value[: _FORMULA_SHOWN - 1] + "\u2026"
        return (
            "ERROR_CELL",
            f"{col} holds a formula with no saved result ({shown}); treated as blank "
            "(open the workbook in Excel and save it so that it calculates)",
        )
    if issue.problem == "treatment_name":
        return (
            "TREATMENT_NAME_IN_TEXT",
            f"column {col}, outside the data contract, holds text that names a treatment; it is "
            "not read, but a blinded export should not hold it (ask the data manager)",
        )
    if issue.problem == "date_range":
        return (
            "INVALID_DATE",
            f"{col} is {value!r}, a date outside the plausible years {FIRST_YEAR}-{LAST_YEAR}; "
            "treated as blank",
        )
    what = "an Excel date or YYYY-MM-DD" if issue.problem == "date" else "a number"
    code = "INVALID_DATE" if issue.problem == "date" else "INVALID_NUMBER"
    return code, f"{col} is {value!r}, not {what}; treated as blank"


def check_sheet(
    table: SheetTable, spec: Sheet, *, file: str, duplicates: bool = True
) -> list[Finding]:
    """Every declared check on one sheet; without ``duplicates``, all but the duplicate check
    (data sheets: :func:`dmc_report.validation.records.duplicate_findings` names the row that
    counts by the rule the numbers use)."""
    out = _hidden_sheet_findings(table, file=file)
    out += _cell_issue_findings(table, file=file)
    unread = {(issue.row, issue.column) for issue in table.issues}
    for col in spec.columns:
        out += _column_findings(table, col, unread, file=file)
    if spec.unique_by and duplicates:
        out += _duplicate_findings(table, list(spec.unique_by), file=file)
    out += [
        finding(
            "EXTRA_COLUMN",
            f"column {extra} is not part of the data contract and is ignored",
            file=file,
            sheet=table.source_name,
            row=1,
            column=extra,
        )
        for extra in table.extra_columns
    ]
    return out


def _hidden_sheet_findings(table: SheetTable, *, file: str) -> list[Finding]:
    """A sheet the workbook hides: read all the same, and said so."""
    if not table.hidden:
        return []
    state = "very hidden" if table.hidden == "veryHidden" else "hidden"
    return [
        finding(
            "HIDDEN_SHEET",
            f"sheet {table.source_name!r} is {state} in the workbook and was read as "
            f"{table.name}; check that the export meant it",
            file=file,
            sheet=table.source_name,
        )
    ]


def _cell_issue_findings(table: SheetTable, *, file: str) -> list[Finding]:
    """One finding per cell that could not be read (:func:`_issue_finding`), naming the row's
    subject and visit."""
    frame = table.frame
    at_issues = (
        frame[frame[ROW].isin([i.row for i in table.issues])] if table.issues else frame.iloc[:0]
    )
    subj = dict(zip(at_issues[ROW], at_issues["SUBJID"], strict=True)) if "SUBJID" in frame else {}
    visit = dict(zip(at_issues[ROW], at_issues["VISIT"], strict=True)) if "VISIT" in frame else {}
    out: list[Finding] = []
    for issue in table.issues:
        code, message = _issue_finding(issue)
        s, v = subj.get(issue.row), visit.get(issue.row)
        out.append(
            finding(
                code,
                message,
                file=file,
                sheet=table.source_name,
                row=issue.row,
                column=issue.column,
                subject=None if s is None or pd.isna(s) else str(s),
                visit=None if v is None or pd.isna(v) else str(v),
            )
        )
    return out


def _column_findings(
    table: SheetTable, col: Column, unread: set[tuple[int, str]], *, file: str
) -> list[Finding]:
    """A column's declared checks: not blank, codes, range, whole numbers. A cell that could not
    be read (``unread``: row, column) has its own finding and is not also called blank."""
    frame = table.frame
    s = frame[col.name]
    out: list[Finding] = []
    if col.not_blank:
        mask = s.isna()
        if unread:
            bad_rows = [r for r, c in unread if c == col.name]
            mask &= ~frame[ROW].isin(bad_rows)
        out += flagged(table, mask, "MISSING_VALUE", col.name, f"{col.name} is blank", file=file)
    if col.codes:
        mask = s.notna() & ~isin(s, col.codes)
        allowed = "/".join(col.codes)
        out += flagged(
            table, mask, "INVALID_CODE", col.name,
            f"{col.name} is {{value!r}}, not one of {allowed}; treated as blank",
            file=file, value_column=col.name,
        )  # fmt: skip
    if col.kind is Kind.NUMBER and (col.minimum is not None or col.maximum is not None):
        lo = col.minimum if col.minimum is not None else float("-inf")
        hi = col.maximum if col.maximum is not None else float("inf")
        mask = s.notna() & ((s < lo) | (s > hi))
        rng = f"{lo:g}-{hi:g}" if col.maximum is not None else f">= {lo:g}"
        out += flagged(
            table, mask, "VALUE_OUT_OF_RANGE", col.name,
            f"{col.name} is {{value}}, outside {rng}; excluded from summaries",
            file=file, value_column=col.name,
        )  # fmt: skip
    if col.integer:
        mask = s.notna() & (s % 1 != 0)
        out += flagged(
            table, mask, "NOT_INTEGER", col.name, f"{col.name} is {{value}}, not a whole number",
            file=file, value_column=col.name,
        )  # fmt: skip
    return out


def _duplicate_findings(table: SheetTable, keys: list[str], *, file: str) -> list[Finding]:
    """Rows whose (complete) key is already in an earlier row; each names that row."""
    frame = table.frame
    complete = frame[keys].notna().all(axis=1)
    dup = frame.duplicated(subset=keys, keep="first") & complete
    first_row = frame.loc[complete].drop_duplicates(keys).set_index(keys)[ROW]
    if not dup.any():
        return []
    code = "DUPLICATE_SUBJECT" if keys == ["SUBJID"] else "DUPLICATE_RECORD"
    out: list[Finding] = []
    for _, r in frame.loc[dup].iterrows():
        key = tuple(r[k] for k in keys)
        first = int(first_row.loc[key if len(key) > 1 else key[0]])
        out.append(
            finding(
                code,
                f"{' + '.join(f'{k} {r[k]}' for k in keys)} is already in row {first}; "
                "this row is ignored",
                file=file,
                sheet=table.source_name,
                row=int(r[ROW]),
                column=keys[-1],
                subject=str(r["SUBJID"]) if "SUBJID" in r else None,
                visit=str(r["VISIT"]) if "VISIT" in r and pd.notna(r["VISIT"]) else None,
            )
        )
    return out
