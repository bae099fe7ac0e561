"""Exports are inert (OWASP CSV injection): text from the data that a spreadsheet would read as
a formula is written as text, in the findings CSV and workbook alike."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest

from dmc_report import cli
from dmc_report.demo.writer import DemoFiles
from dmc_report.domain.findings import Finding, Severity
from dmc_report.io.findings_writer import findings_csv, findings_xlsx

FORMULA = '=HYPERLINK("http://x","y")'
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture(scope="module")
def hostile(demo: DemoFiles, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's data with formula-like text where findings echo the data: a subject, an AE
    term, a header, visit codes, a value."""
    wb = openpyxl.load_workbook(demo.data)

    def put(sheet: str, ref: str, value: str) -> None:
        cell = wb[sheet][ref]
        cell.value = value
        cell.data_type = "s"  # text in the input too (openpyxl would store "=..." as a formula)

    put("AE", "C2", FORMULA)  # an AE term
    put("AE", "B3", FORMULA)  # a subject: SUBJECT_NOT_IN_DM names it
    put("AE", "L1", "@cmd")  # a header: EXTRA_COLUMN names it
    put("AE", "L2", "x")
    put("UDS", "C3", "+1+1")  # visit codes: UNKNOWN_VISIT names them
    put("VAS", "C3", "-2")
    put("VAS", "E4", "+1+1")  # a value: INVALID_NUMBER quotes it
    path = tmp_path_factory.mktemp("hostile") / "data.xlsx"
    wb.save(path)
    return path


def validate_to(demo: DemoFiles, data: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main([
        "validate", "--protocol", str(demo.protocol), "--data", str(data), "--findings", str(out),
    ])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err, err  # findings (errors) written, no failure
    assert out.is_file()


def test_findings_csv_prefixes_formula_like_text(
    demo: DemoFiles, hostile: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "findings.csv"
    validate_to(demo, hostile, out, capsys)
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"), newline="")))
    cells = [c for r in rows[1:] for c in r]
    # every text cell that starts like a formula carries the text marker
    assert not [c for c in cells if c.startswith(TRIGGERS)]
    for expected in ("'" + FORMULA, "'+1+1", "'-2"):
        assert expected in cells, expected
    assert "'@CMD" in [c.upper() for c in cells]  # the header as the reader names it
    # the Excel row stays a number, unquoted in the file
    assert all(r[4] == "" or r[4].isdigit() for r in rows[1:])
    assert ",3,SUBJID," in out.read_text(encoding="utf-8-sig")


def test_findings_xlsx_holds_no_formula(
    demo: DemoFiles, hostile: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "findings.xlsx"
    validate_to(demo, hostile, out, capsys)
    ws = openpyxl.load_workbook(out)["Findings"]
    cells = [c for row in ws.iter_rows(min_row=2) for c in row if c.value is not None]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    texts = {str(c.value).upper(): c for c in cells if isinstance(c.value, str)}
    for value in (FORMULA, "+1+1", "-2", "@CMD"):
        cell = texts[value.upper()]
        assert cell.data_type == "s" and cell.quotePrefix, value
    assert all(c.data_type == "s" for c in cells if isinstance(c.value, str))
    rows = [c for c in cells if c.column == 5]
    assert rows and all(isinstance(c.value, int) and c.data_type == "n" for c in rows)
    # in the file itself: no formula element at all
    import zipfile

    with zipfile.ZipFile(out) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet


def test_every_trigger_character_and_a_control_character() -> None:
    findings = [
        Finding("X", Severity.ERROR, "d.xlsx", "AE", 7, "COL", f"{t}1", None, "m")
        for t in (*TRIGGERS, "\n", "\0")
    ]
    findings.append(Finding("X", Severity.ERROR, "d.xlsx", "AE", 8, "COL", "S", "V", "bad\x01char"))
    rows = list(csv.reader(io.StringIO(findings_csv(findings).decode("utf-8-sig"), newline="")))
    assert len(rows) == 1 + len(findings)  # a CR or LF stays inside its (quoted) cell
    subjects = [r[6] for r in rows[1:]]
    assert subjects == [f"'{t}1" for t in (*TRIGGERS, "\n", "\0")] + ["S"]
    ws = openpyxl.load_workbook(io.BytesIO(findings_xlsx(findings)))["Findings"]
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    assert "bad\ufffdchar" in [c.value for row in ws.iter_rows() for c in row]
