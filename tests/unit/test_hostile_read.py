"""Every cell is read as written or is a located finding, identically under both engines.

The hostile workbooks are built here by code from the minimal workbook of ``tests/conftest.py``:
Excel error cells, a formula without a saved result, impossible and far-off dates (as date cells
and as text), numbers as text that are no numbers, date-times with fractions of a second, the
1904 date system, a long text, and hidden sheets.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from dmc_report import cli
from dmc_report.domain.errors import UnusableInputError
from dmc_report.domain.findings import Finding
from dmc_report.io.engines import Engine, excel_datetime_text
from dmc_report.io.protocol_loader import bundled_protocol_text
from dmc_report.io.xlsx import scan_bad_cells
from dmc_report.pipeline import LoadedStudy, load_study, run_validation
from tests.conftest import MINIMAL_SHEETS, write_xlsx

ERRORS = ("#N/A", "#VALUE!", "#DIV/0!", "#REF!", "#NAME?", "#NUM!", "#NULL!")
CUTOFF = dt.date(2020, 3, 1)
D = dt.date
T = dt.datetime

# DM: A SUBJID, B SITEID, C CONSDT, D RANDDT, E AGE, F SEX, G RACE. Row 3 is conftest's 101-0002.
HOSTILE_DM: list[list[Any]] = [
    ["101-0003", "101", "2012-09-31 00:00:00", "2015-04-31", 40, "M", None],  # row 4
    ["101-0004", "101", T(3013, 1, 3), "0213-01-01", 40, "M", None],  # row 5
    ["101-0005", "101", T(213, 1, 1), T(9999, 12, 31), 40, "M", None],  # row 6
    ["101-0006", "101", "9999-12-31", "3013-01-03 00:00:00", 40, "M", None],  # row 7
    ["101-0007", "101", D(2020, 1, 2), None, "x1", "M", None],  # row 8
    ["101-0008", "101", D(2020, 1, 2), None, "1,5", "M", None],  # row 9
    # a fraction of a second: still that day
    ["101-0009", "101", T(2020, 1, 3, 23, 59, 59, 600000), T(2020, 1, 11, 12, 0, 0, 1000), 41, "F"],
    ["101-0010", "101", D(2020, 1, 3), None, " 42 ", "F", "x" * 5000],  # row 11: long text
]
FIRST_ERROR_ROW = 12  # rows 12-18: RANDDT and RACE hold one Excel error each
ONLY_AN_ERROR_ROW = FIRST_ERROR_ROW + len(ERRORS)  # row 19: nothing but an error in RANDDT


@pytest.fixture
def protocol(tmp_path: Path) -> Path:
    p = tmp_path / "protocol.toml"
    p.write_text(bundled_protocol_text("ketamine-mbrp.toml"))
    return p


def _sheets() -> dict[str, list[list[Any]]]:
    return {k: [list(r) for r in v] for k, v in MINIMAL_SHEETS.items()}


def _edit(path: Path, edit: Callable[[openpyxl.Workbook], None]) -> Path:
    wb = openpyxl.load_workbook(path)
    edit(wb)
    wb.save(path)
    return path


def hostile_workbook(path: Path) -> Path:
    sheets = _sheets()
    sheets["DM"][0].append("RACE")
    sheets["DM"] += [list(r) for r in HOSTILE_DM]
    for i in range(len(ERRORS)):
        sheets["DM"].append([f"101-00{20 + i}", "101", D(2020, 1, 2), None, 30, "M", None])
    sheets["DS"].append(["101-0001", "COMPLETED", T(2020, 2, 14, 23, 59, 59, 600000)])
    write_xlsx(path, sheets)

    def edit(wb: openpyxl.Workbook) -> None:
        ws = wb["DM"]
        ws["D3"] = "=1/0"  # openpyxl saves a formula without a result
        for i, error in enumerate(ERRORS):
            for col in ("D", "G"):
                cell = ws[f"{col}{FIRST_ERROR_ROW + i}"]
                cell.value, cell.data_type = error, "e"
        cell = ws[f"D{ONLY_AN_ERROR_ROW}"]
        cell.value, cell.data_type = "#N/A", "e"

    return _edit(path, edit)


def load(protocol: Path, data: Path, engine: Engine) -> LoadedStudy:
    return load_study(protocol, data, cutoff=CUTOFF, engine=engine)


def located(findings: tuple[Finding, ...]) -> list[tuple[object, ...]]:
    return [
        (f.code, f.severity.value, f.sheet, f.excel_row, f.column, f.subject, f.message)
        for f in findings
    ]


def assert_engines_agree(protocol: Path, data: Path) -> tuple[LoadedStudy, list[Finding]]:
    fast, ref = (load(protocol, data, e) for e in (Engine.FASTEXCEL, Engine.OPENPYXL))
    for name, table in fast.study.data.tables.items():
        other = ref.study.data[name]
        pd.testing.assert_frame_equal(table.frame, other.frame, check_exact=True)
        assert table.issues == other.issues, name
        assert table.hidden == other.hidden, name
    found = run_validation(fast).findings
    assert located(found) == located(run_validation(ref).findings)
    return fast, list(found)


def test_every_hostile_cell_is_a_located_finding_under_both_engines(
    protocol: Path, tmp_path: Path
) -> None:
    data = hostile_workbook(tmp_path / "hostile.xlsx")
    loaded, found = assert_engines_agree(protocol, data)
    at = {(f.excel_row, f.column): f for f in found if f.sheet == "DM"}

    def check(row: int, column: str, code: str, *words: str, subject: str | None = None) -> None:
        f = at.get((row, column))
        assert f is not None, (row, column)
        assert f.code == code and f.severity.value == "error", f
        assert f.file == "hostile.xlsx" and f.subject == subject, f
        for w in words:
            assert w in f.message, (w, f.message)

    check(3, "RANDDT", "ERROR_CELL", "formula with no saved result", "=1/0", subject="101-0002")
    for i, error in enumerate(ERRORS):
        row, subject = FIRST_ERROR_ROW + i, f"101-00{20 + i}"
        check(row, "RANDDT", "ERROR_CELL", f"Excel error {error}", subject=subject)
        check(row, "RACE", "ERROR_CELL", f"Excel error {error}", subject=subject)
    check(ONLY_AN_ERROR_ROW, "RANDDT", "ERROR_CELL", "#N/A")  # a row holding nothing else
    check(
        4,
        "CONSDT",
        "INVALID_DATE",
        "'2012-09-31 00:00:00'",
        "not an Excel date",
        subject="101-0003",
    )
    check(4, "RANDDT", "INVALID_DATE", "'2015-04-31'", subject="101-0003")
    plausible = "outside the plausible years 1900-2100"
    check(5, "CONSDT", "INVALID_DATE", "3013-01-03", plausible, subject="101-0004")
    check(5, "RANDDT", "INVALID_DATE", "0213-01-01", plausible, subject="101-0004")
    check(6, "CONSDT", "INVALID_DATE", "0213-01-0", plausible, subject="101-0005")
    check(6, "RANDDT", "INVALID_DATE", "9999-12-31", plausible, subject="101-0005")
    check(7, "CONSDT", "INVALID_DATE", "'9999-12-31'", plausible, subject="101-0006")
    check(7, "RANDDT", "INVALID_DATE", "3013-01-03", plausible, subject="101-0006")
    check(8, "AGE", "INVALID_NUMBER", "'x1'", subject="101-0007")
    check(9, "AGE", "INVALID_NUMBER", "'1,5'", subject="101-0008")
    # an unreadable cell is its own finding, not also a blank one
    assert not [f for f in found if f.code == "MISSING_VALUE"]

    dm = loaded.study.data.frame("DM").set_index("SUBJID")
    for subject in ["101-0002", "101-0003", "101-0004", "101-0005", "101-0006", "101-0020"]:
        assert pd.isna(dm.loc[subject, "RANDDT"]), subject  # blank, and reported above
    assert pd.isna(dm.loc["101-0020", "RACE"])
    assert dm.loc["101-0009", "CONSDT"] == pd.Timestamp(2020, 1, 3)  # 23:59:59.6: that day
    assert dm.loc["101-0009", "RANDDT"] == pd.Timestamp(2020, 1, 11)
    assert dm.loc["101-0010", "RACE"] == "x" * 5000 and dm.loc["101-0010", "AGE"] == 42
    ds = loaded.study.data.frame("DS")
    assert list(ds["DSDT"]) == [pd.Timestamp(2020, 2, 14)]  # completed, not ongoing
    # only the hostile cells are findings about cells
    cell_codes = {"ERROR_CELL", "INVALID_DATE", "INVALID_NUMBER"}
    assert len([f for f in found if f.code in cell_codes]) == 1 + 2 * len(ERRORS) + 1 + 10


def test_the_1904_date_system_reads_like_the_1900_one(protocol: Path, tmp_path: Path) -> None:
    sheets = _sheets()
    sheets["DM"][1][3] = T(2020, 1, 10, 23, 59, 59, 600000)
    sheets["DS"].append(["101-0001", "COMPLETED", T(2020, 2, 14, 23, 59, 59, 999000)])
    plain = write_xlsx(tmp_path / "1900.xlsx", sheets)

    mac = openpyxl.load_workbook(plain)
    mac.epoch = CALENDAR_MAC_1904
    mac.save(tmp_path / "1904.xlsx")
    with zipfile.ZipFile(tmp_path / "1904.xlsx") as z:
        assert b'date1904="1"' in z.read("xl/workbook.xml")

    a, found_a = assert_engines_agree(protocol, plain)
    b, found_b = assert_engines_agree(protocol, tmp_path / "1904.xlsx")
    for name, table in a.study.data.tables.items():
        pd.testing.assert_frame_equal(table.frame, b.study.data.frame(name), check_exact=True)
    assert located(tuple(found_a)) == located(tuple(found_b))
    dm = a.study.data.frame("DM")
    assert dm.loc[0, "RANDDT"] == pd.Timestamp(2020, 1, 10)
    assert a.study.data.frame("DS").loc[0, "DSDT"] == pd.Timestamp(2020, 2, 14)
    assert not [f for f in found_a if f.code == "INVALID_DATE"]


def test_a_hidden_sheet_that_is_read_is_a_finding(protocol: Path, tmp_path: Path) -> None:
    data = write_xlsx(tmp_path / "hidden.xlsx", _sheets())

    def hide(wb: openpyxl.Workbook) -> None:
        wb["DM"].sheet_state = "hidden"
        wb["AE"].sheet_state = "veryHidden"

    _edit(data, hide)
    _, found = assert_engines_agree(protocol, data)
    hidden = [f for f in found if f.code == "HIDDEN_SHEET"]
    assert [(f.severity.value, f.sheet, f.excel_row, f.file) for f in hidden] == [
        ("warning", "AE", None, "hidden.xlsx"),
        ("warning", "DM", None, "hidden.xlsx"),
    ]
    assert (
        "very hidden" in hidden[0].message and "check that the export meant it" in hidden[1].message
    )


def test_cells_left_of_the_data_keep_every_column_in_place(protocol: Path, tmp_path: Path) -> None:
    """Data from column B; column A holds a formula without a saved result in the header row,
    an error and a stray value: calamine's range starts at A, and both engines still put SUBJID
    in B and report the error in E as RANDDT's."""
    sheets = _sheets()
    sheets["DM"] = [[None, *row] for row in sheets["DM"]]
    data = write_xlsx(tmp_path / "shifted.xlsx", sheets)

    def edit(wb: openpyxl.Workbook) -> None:
        ws = wb["DM"]
        ws["A1"] = "=1/0"  # no saved result: calamine does not count it
        for ref in ("A3", "E3"):
            ws[ref].value, ws[ref].data_type = "#REF!", "e"
        ws["A2"] = "note"  # a stray value in a column without a header

    _edit(data, edit)
    loaded, found = assert_engines_agree(protocol, data)
    dm = loaded.study.data["DM"]
    assert dm.letter("SUBJID") == "B" and dm.letter("RANDDT") == "E"
    assert [(f.code, f.excel_row, f.column, f.subject) for f in found if f.sheet == "DM"] == [
        ("ERROR_CELL", 3, "RANDDT", "101-0002")
    ]


def duplicate_dm(path: Path) -> Path:
    sheets = _sheets()
    sheets = {"DM ": sheets["DM"], **sheets}  # the visible export's "DM " and a stale "DM"
    sheets["DM"] = [row[:3] for row in sheets["DM"]]
    write_xlsx(path, sheets)

    def hide(wb: openpyxl.Workbook) -> None:
        wb["DM"].sheet_state = "hidden"

    return _edit(path, hide)


@pytest.mark.parametrize("engine", list(Engine))
def test_two_sheets_matching_one_name_are_unusable(
    protocol: Path, tmp_path: Path, engine: Engine
) -> None:
    data = duplicate_dm(tmp_path / "twice.xlsx")
    with pytest.raises(UnusableInputError) as exc:
        load(protocol, data, engine)
    message = str(exc.value)
    assert '"DM "' in message and '"DM" (hidden)' in message and "twice.xlsx" in message


def test_cli_exit_status(
    protocol: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = hostile_workbook(tmp_path / "hostile.xlsx")
    for engine in Engine:
        args = ["validate", "--protocol", str(protocol), "--data", str(data), "--engine", engine]
        assert cli.main(args) == 1  # findings, not an internal error (3)
    out = capsys.readouterr()
    assert "Traceback" not in out.err and "ERROR_CELL" in out.out

    twice = duplicate_dm(tmp_path / "twice.xlsx")
    assert cli.main(["validate", "--protocol", str(protocol), "--data", str(twice)]) == 2
    err = capsys.readouterr().err
    assert "twice.xlsx" in err and '"DM "' in err and '"DM"' in err and "Traceback" not in err


def test_calamine_date_rule() -> None:
    assert excel_datetime_text(43831.0, False) == "2020-01-01 00:00:00"
    assert excel_datetime_text(43831.999993055556, False) == "2020-01-01 23:59:59.400"
    assert excel_datetime_text(42369.0, True) == "2020-01-01 00:00:00"  # 1904 system
    assert excel_datetime_text(0.5, False) == "1899-12-31 12:00:00"
    assert excel_datetime_text(60, False) == "1900-02-28 00:00:00"  # Excel's phantom 29th
    assert excel_datetime_text(2958466, False) == "+10000-01-01 00:00:00"
    assert excel_datetime_text(1e12, False) is None


def test_bad_cells_scan_handles_odd_xml() -> None:
    row1 = (
        '<row r="1"><c r="A1" t="e"><v>#REF!</v></c><c r="B1" t="str"><f>""</f><v></v></c>'
        '<c r="C1"><f t="shared" si="0"/><v>4</v></c><c r="D1"><f>A1&amp;"x"</f></c>'
        '<c r="E1" t="inlineStr"><is><t>t="e" &lt;f&gt;</t></is></c></row>'
    )
    row2 = '<row r="2"><c t="e"><v>#N/A</v></c><c><f>1+1</f><v/></c></row>'  # no references

    def sheet(rows: str) -> str:
        return f'<worksheet xmlns="x"><sheetData>{rows}</sheetData></worksheet>'

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("referenced.xml", sheet(row1))
        z.writestr("unreferenced.xml", sheet(row1 + row2))
    with zipfile.ZipFile(buf) as z:
        fast = scan_bad_cells(z, "referenced.xml")
        slow = scan_bad_cells(z, "unreferenced.xml")  # parsed cell by cell
    assert [(b.row, b.col, b.kind, b.value) for b in fast] == [
        (1, 0, "error", "#REF!"),
        (1, 3, "formula", '=A1&"x"'),
    ]
    assert [(b.row, b.col, b.kind, b.value) for b in slow] == [
        (1, 0, "error", "#REF!"),
        (1, 3, "formula", '=A1&"x"'),
        (2, 0, "error", "#N/A"),
        (2, 1, "formula", "=1+1"),
    ]


def test_bad_cells_scan_reads_sheets_written_unusually() -> None:
    """A namespace prefix and single quotes: the wider search finds the same cells."""
    rows = (
        "<x:row r='4'><x:c r='B4' t='e'><x:v>#NUM!</x:v></x:c>"
        "<x:c r='C4'><x:f>SUM(A1:A3)</x:f></x:c><x:c r='D4'><x:f>1</x:f><x:v>1</x:v></x:c></x:row>"
    )
    sheet = f"<x:worksheet xmlns:x='x'><x:sheetData>{rows}</x:sheetData></x:worksheet>"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("s.xml", sheet)
    with zipfile.ZipFile(buf) as z:
        found = scan_bad_cells(z, "s.xml")
    assert [(b.row, b.col, b.kind, b.value) for b in found] == [
        (4, 1, "error", "#NUM!"),
        (4, 2, "formula", "=SUM(A1:A3)"),
    ]
