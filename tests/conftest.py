"""Shared fixtures: the demo study, written once per test session, and crafted workbooks."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


class _NoQt:
    """With DMC_BLOCK_QT=1 (make test runs tests/unit so) Qt cannot be imported: the core must
    stand without it, as the architecture says (a Qt import anywhere below fails the run)."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name.split(".")[0] in ("PySide6", "shiboken6"):
            raise ImportError(f"{name} is blocked: tests/unit run without Qt (DMC_BLOCK_QT=1)")


if os.environ.get("DMC_BLOCK_QT") == "1":
    import sys

    sys.meta_path.insert(0, _NoQt())  # type: ignore[arg-type]

from dmc_report.demo.writer import DEMO_PASSWORD, DemoFiles  # noqa: E402  (after the Qt block)
from dmc_report.pipeline import make_demo  # noqa: E402


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoFiles:
    """The demo study at its final cutoff."""
    return make_demo(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="session")
def demo_interim(tmp_path_factory: pytest.TempPathFactory) -> DemoFiles:
    """The demo study as exported at an interim cutoff."""
    return make_demo(tmp_path_factory.mktemp("demo-interim"), cutoff=dt.date(2014, 9, 30))


@pytest.fixture(scope="session")
def demo_password() -> str:
    return DEMO_PASSWORD


MINIMAL_SHEETS: dict[str, list[list[Any]]] = {
    "DM": [
        ["SUBJID", "SITEID", "CONSDT", "RANDDT", "AGE", "SEX"],
        ["101-0001", "101", dt.date(2020, 1, 2), dt.date(2020, 1, 10), 40, "M"],
        ["101-0002", "101", dt.date(2020, 1, 3), None, 35, "F"],
    ],
    "UDS": [
        ["SUBJID", "VISIT", "VISDT", "COCAINE"],
        ["101-0001", "D1", dt.date(2020, 1, 10), "POS"],
    ],
    "VAS": [
        ["SUBJID", "VISIT", "VISDT", "CRAVING"],
        ["101-0001", "D1", dt.date(2020, 1, 10), 55],
    ],
    "QS": [
        ["SUBJID", "VISIT", "VISDT", "FFMQ", "PSS"],
        ["101-0001", "D1", dt.date(2020, 1, 10), 120, 20],
    ],
    "EX": [["SUBJID", "EXDT"], ["101-0001", dt.date(2020, 1, 11)]],
    "AE": [["SUBJID", "AETERM", "AESTDT"]],
    "DS": [["SUBJID", "DSDECOD", "DSDT"]],
}

KEY_SHEETS: dict[str, list[list[Any]]] = {
    "RAND": [["SUBJID", "ARMCD"], ["101-0001", "A"]],
    "ARMS": [
        ["ARMCD", "ARM", "ROLE"],
        ["A", "Ketamine 0.5 mg/kg", "EXPERIMENTAL"],
        ["B", "Midazolam 0.025 mg/kg", "CONTROL"],
    ],
}


def write_xlsx(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    """A workbook with the given sheets; each a list of rows (row 1 first)."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


@pytest.fixture
def make_workbook(tmp_path: Path) -> Callable[..., Path]:
    """Write a crafted workbook: ``make_workbook(name, sheets=..., **overrides)``."""

    def make(name: str = "data.xlsx", sheets: dict[str, list[list[Any]]] | None = None) -> Path:
        return write_xlsx(tmp_path / name, sheets if sheets is not None else MINIMAL_SHEETS)

    return make


@pytest.fixture(scope="session")
def protocol_path(demo: DemoFiles) -> Path:
    return demo.protocol
