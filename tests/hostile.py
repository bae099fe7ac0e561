"""Hostile inputs built by code from the demo study (no committed binaries).

Each helper copies a demo workbook, changes a few cells with openpyxl and saves it unencrypted
under a new name, so a test states exactly what makes its input hostile.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from dmc_report.demo.writer import DEMO_PASSWORD, DemoFiles


def key_workbook(demo: DemoFiles) -> Workbook:
    """The demo's (encrypted) key, opened."""
    import msoffcrypto

    plain = io.BytesIO()
    with demo.key.open("rb") as fh:
        office = msoffcrypto.OfficeFile(fh)
        office.load_key(password=DEMO_PASSWORD)
        office.decrypt(plain)
    return load_workbook(plain)


def edited(
    source: Path | Workbook, target: Path, edit: Callable[[Workbook], Any] | None = None
) -> Path:
    """``source`` (a workbook or its path) with ``edit`` applied, saved to ``target``."""
    wb = source if isinstance(source, Workbook) else load_workbook(source)
    if edit is not None:
        edit(wb)
    wb.save(target)
    return target


def column(ws: Worksheet, name: str) -> int:
    """The 1-based index of the header ``name`` in row 1."""
    for cell in ws[1]:
        if cell.value == name:
            return int(cell.column)
    raise KeyError(name)


def set_cell(wb: Workbook, sheet: str, row: int, name: str, value: Any) -> None:
    ws = wb[sheet]
    ws.cell(row=row, column=column(ws, name), value=value)


def render_study(
    loaded: Any, *, closed_password: str | None = None, pooled_results: bool = False
) -> tuple[Any, Any, Any]:
    """Validate, analyse and render a loaded study in memory (the closed report too when a
    password is given): (validation, results, rendered)."""
    from dmc_report.domain.settings import ReportSettings
    from dmc_report.pipeline import render_report_bytes, run_analysis, run_validation

    validation = run_validation(loaded)
    results = run_analysis(loaded, validation)
    rendered = render_report_bytes(
        loaded, validation, results, ReportSettings(report_date=loaded.cutoff),
        closed=closed_password is not None, closed_password=closed_password,
        pooled_results=pooled_results,
    )  # fmt: skip
    return validation, results, rendered
