"""Writing findings to a workbook (sorted, filterable, readable) or a CSV file."""

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


def _rows(findings: Sequence[Finding]) -> list[list[object]]:
    return [f.as_row() for f in sorted(findings, key=Finding.sort_key)]


def findings_xlsx(findings: Sequence[Finding]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook()
    ws = wb.active
    ws.title = "Findings"
    ws.append(list(HEADER))
    for row in _rows(findings):
        ws.append(row)
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
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(HEADER)
    w.writerows(_rows(findings))
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
