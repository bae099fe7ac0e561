"""Writing findings to a workbook (sorted, filterable, readable) or a CSV file.

A finding's text may come from the data (a cell, a header, a subject or visit code), and a
spreadsheet reads a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula (OWASP: CSV
injection). Both exports are inert: in the CSV every text value that starts with such a
character (or a tab, CR, LF or NUL) is prefixed with ``'``, which Excel shows as a text marker; in
the workbook every text value is a string cell, never a formula, shown with Excel's quote prefix
where it would otherwise read as one. Numbers (the Excel row) stay numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from dmc_report.domain.errors import Location, UnusableInputError
from dmc_report.domain.findings import Finding
from dmc_report.io.output import write_bytes_atomic

HEADER = ("Severity", "Code", "File", "Sheet", "Row", "Column", "Subject", "Visit", "Message")
WIDTHS = (9, 28, 16, 8, 7, 11, 11, 8, 90)
# a spreadsheet reads a cell starting with one of these as a formula (or strips it and then does)
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")


def _rows(findings: Sequence[Finding]) -> list[list[object]]:
    return [f.as_row() for f in sorted(findings, key=Finding.sort_key)]


def is_formula_like(value: object) -> bool:
    """Whether ``value`` is text a spreadsheet would read as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def inert_csv_value(value: object) -> object:
    """``value`` as a CSV cell no spreadsheet evaluates: formula-like text gets a leading ``'``."""
    return "'" + value if isinstance(value, str) and is_formula_like(value) else value


def findings_xlsx(findings: Sequence[Finding]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook()
    ws = wb.active
    ws.title = "Findings"
    ws.append(list(HEADER))
    for row in _rows(findings):  # a control character from the data is not allowed in xlsx
        ws.append(
            [ILLEGAL_CHARACTERS_RE.sub("\ufffd", v) if isinstance(v, str) else v for v in row]
        )
    for cells in ws.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, str):  # openpyxl makes any text starting with "=" a formula
                cell.data_type = "s"
                if is_formula_like(cell.value):
                    cell.quotePrefix = True  # and stays text when the cell is edited in Excel
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDE4EE")
    for cell in ws[1]:
        cell.font = bold
        cell.fill = fill
    for i, w in enumerate(WIDTHS, start=1):
        ws.column_dimensions[chr(64 + i)].width = w
    for row in ws.iter_rows(min_row=2, min_col=9, max_col=9):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def findings_csv(findings: Sequence[Finding]) -> bytes:
    buf = io.StringIO()
    # CR LF (RFC 4180): the csv module quotes a field holding any character of the terminator,
    # so a CR or LF from the data stays inside its cell (with "\n" alone a bare CR split the row)
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(HEADER)
    w.writerows([inert_csv_value(v) for v in row] for row in _rows(findings))
    return buf.getvalue().encode("utf-8-sig")  # Excel opens UTF-8 CSV correctly with a BOM


def write_findings(path: str | Path, findings: Sequence[Finding]) -> None:
    """Write all findings to ``path`` (.xlsx or .csv), atomically."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".xlsx":
        write_bytes_atomic(p, findings_xlsx(findings))
    elif suffix == ".csv":
        write_bytes_atomic(p, findings_csv(findings))
    else:
        raise UnusableInputError(
            "the findings file must end in .xlsx or .csv", Location(file=str(p))
        )
