"""Validation: every check on crafted workbooks, located exactly; never raises on bad data."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dmc_report import cli
from dmc_report.demo.writer import DemoFiles
from dmc_report.domain.findings import CODES, Finding, Severity
from dmc_report.io.protocol_loader import bundled_protocol_text, parse_protocol
from dmc_report.io.reader import read_data, read_key
from dmc_report.pipeline import load_study, run_validation
from dmc_report.validation import ValidationResult, validate
from tests.conftest import write_xlsx

PROTOCOL = parse_protocol(bundled_protocol_text("ketamine-mbrp.toml"), "p.toml")
D = dt.date
RAND = D(2020, 1, 10)  # study day 1 of 101-0001; W2V1 (day 8) target 2020-01-17, window ±1


def base() -> dict[str, list[list[Any]]]:
    return {
        "DM": [
            ["SUBJID", "SITEID", "CONSDT", "RANDDT", "AGE", "SEX", "BLDAYS"],
            ["101-0001", "101", D(2020, 1, 2), RAND, 40, "M", 20],
            ["101-0002", "101", D(2020, 1, 3), D(2020, 1, 12), 35, "F", 12],
        ],
        "UDS": [
            ["SUBJID", "VISIT", "VISDT", "COCAINE", "COLLECTED"],
            ["101-0001", "D1", RAND, "POS", "Y"],
            ["101-0001", "W2V1", D(2020, 1, 17), "NEG", "Y"],
        ],
        "VAS": [
            ["SUBJID", "VISIT", "VISDT", "CRAVING"],
            ["101-0001", "D1", RAND, 60],
            ["101-0001", "W2V1", D(2020, 1, 17), 30],
        ],
        "QS": [
            ["SUBJID", "VISIT", "VISDT", "FFMQ", "PSS"],
            ["101-0001", "D1", RAND, 120, 20],
            ["101-0001", "SCR", D(2020, 1, 3), 118, 22],
        ],
        "EX": [["SUBJID", "EXDT"], ["101-0001", D(2020, 1, 11)]],
        "AE": [
            ["SUBJID", "AETERM", "AESTDT", "AEENDT", "AESEV"],
            ["101-0001", "Headache", D(2020, 1, 12), D(2020, 1, 13), "MILD"],
        ],
        "DS": [["SUBJID", "DSDECOD", "DSDT"]],
    }


CUTOFF = D(2020, 1, 13)  # W2V1 of 101-0001 not yet due


def run(
    tmp_path: Path,
    sheets: dict[str, list[list[Any]]],
    cutoff: dt.date = CUTOFF,
    key: dict[str, list[list[Any]]] | None = None,
) -> ValidationResult:
    data = read_data(write_xlsx(tmp_path / "data.xlsx", sheets), PROTOCOL)
    k = read_key(write_xlsx(tmp_path / "key.xlsx", key), PROTOCOL) if key else None
    return validate(data, PROTOCOL, cutoff, key=k)


def only(result: ValidationResult, code: str) -> Finding:
    hits = [f for f in result.all_findings if f.code == code]
    assert len(hits) == 1, (code, hits, result.findings)
    return hits[0]


def where(f: Finding) -> tuple[str, str | None, int | None, str | None]:
    return (f.severity.value, f.sheet, f.excel_row, f.column)


def test_clean_study_has_no_errors_or_warnings(tmp_path: Path) -> None:
    r = run(tmp_path, base(), cutoff=RAND)  # on day 1 only SCR and D1 are due, and both done
    assert [f for f in r.findings if f.severity is not Severity.INFO] == []
    assert r.compliance.set_index("VISIT").loc[["SCR", "D1"], "in_window"].tolist() == [1, 1]


@pytest.mark.parametrize(
    ("sheet", "row", "col", "value", "code"),
    [
        ("VAS", 2, 2, "2020-02-30", "INVALID_DATE"),
        ("VAS", 2, 3, "high", "INVALID_NUMBER"),
        ("AE", 1, 1, None, "MISSING_VALUE"),
        ("DM", 1, 5, "X", "INVALID_CODE"),
        ("UDS", 1, 3, "POSITIVE", "INVALID_CODE"),
        ("VAS", 1, 3, 101, "VALUE_OUT_OF_RANGE"),
        ("QS", 1, 3, 30, "VALUE_OUT_OF_RANGE"),
        ("QS", 1, 4, 41, "VALUE_OUT_OF_RANGE"),
        ("DM", 1, 4, 17, "VALUE_OUT_OF_RANGE"),
        ("DM", 1, 6, 31, "VALUE_OUT_OF_RANGE"),
        ("DM", 2, 4, 35.5, "NOT_INTEGER"),
        ("AE", 1, 4, "SEVERE!", "INVALID_CODE"),
    ],
)
def test_declared_sheet_checks(
    tmp_path: Path, sheet: str, row: int, col: int, value: object, code: str
) -> None:
    sheets = base()
    sheets[sheet][row][col] = value
    header = sheets[sheet][0][col]
    f = only(run(tmp_path, sheets), code)
    assert where(f) == (CODES[code][0].value, sheet, row + 1, header)
    assert f.subject == sheets[sheet][row][0]


def test_duplicates(tmp_path: Path) -> None:
    sheets = base()
    sheets["DM"].append(["101-0001", "102", D(2020, 1, 2), RAND, 41, "M", 20])
    sheets["UDS"].append(["101-0001", "d1", RAND, "NEG", "Y"])
    r = run(tmp_path, sheets)
    f = only(r, "DUPLICATE_SUBJECT")
    assert where(f) == ("error", "DM", 4, "SUBJID") and "row 2" in f.message
    f = only(r, "DUPLICATE_RECORD")
    assert where(f) == ("error", "UDS", 4, "VISIT") and f.visit == "D1"


def test_extra_column_is_info(tmp_path: Path) -> None:
    sheets = base()
    for i, r in enumerate(sheets["VAS"]):
        r.append("STUDY-1" if i else "STUDYID")
    f = only(run(tmp_path, sheets), "EXTRA_COLUMN")
    assert where(f) == ("info", "VAS", 1, "STUDYID")


def test_subject_not_in_dm_and_unknown_visit(tmp_path: Path) -> None:
    sheets = base()
    sheets["UDS"].append(["999-0001", "D1", RAND, "NEG", "Y"])
    sheets["VAS"].append(["101-0001", "W9V9", RAND, 40])
    r = run(tmp_path, sheets)
    assert where(only(r, "SUBJECT_NOT_IN_DM")) == ("error", "UDS", 4, "SUBJID")
    f = only(r, "UNKNOWN_VISIT")
    assert where(f) == ("error", "VAS", 4, "VISIT") and f.visit == "W9V9"


def test_key_cross_checks(tmp_path: Path) -> None:
    key = {
        "RAND": [["SUBJID", "ARMCD"], ["101-0001", "A"], ["555-0001", "B"]],
        "ARMS": [
            ["ARMCD", "ARM", "ROLE"],
            ["A", "Ketamine", "EXPERIMENTAL"],
            ["B", "Midazolam", "CONTROL"],
        ],
    }
    r = run(tmp_path, base(), key=key)
    f = only(r, "NOT_IN_KEY")
    assert where(f) == ("error", "DM", 3, "SUBJID") and f.subject == "101-0002"
    f = only(r, "KEY_SUBJECT_NOT_IN_DM")
    assert where(f) == ("warning", "RAND", 3, "SUBJID") and f.file == "key.xlsx"
    assert f.message.startswith("1 key row names a subject not in DM (")


def test_a_full_randomization_list_is_one_warning(tmp_path: Path) -> None:
    """A key holds the whole randomization list: its spare slots are one finding, not one
    error per slot."""
    slots = [[f"9{i:02d}-0001", "AB"[i % 2]] for i in range(7)]
    key = {
        "RAND": [["SUBJID", "ARMCD"], ["101-0001", "A"], ["101-0002", "B"], *slots],
        "ARMS": [
            ["ARMCD", "ARM", "ROLE"],
            ["A", "Ketamine", "EXPERIMENTAL"],
            ["B", "Midazolam", "CONTROL"],
        ],
    }
    r = run(tmp_path, base(), key=key)
    f = only(r, "KEY_SUBJECT_NOT_IN_DM")
    assert where(f) == ("warning", "RAND", 4, "SUBJID")
    assert f.message.startswith("7 key rows name subjects not in DM (900-0001, 901-0001")
    assert "and 2 more; first in row 4" in f.message


def test_dates_against_consent_randomization_discontinuation_and_cutoff(tmp_path: Path) -> None:
    sheets = base()
    sheets["VAS"].append(["101-0002", "D1", D(2020, 1, 1), 50])  # before consent (2020-01-03)
    sheets["UDS"].append(["101-0002", "D2", D(2020, 1, 11), "NEG", "Y"])  # before randomization
    sheets["DS"].append(["101-0001", "WITHDRAWAL BY SUBJECT", D(2020, 1, 11)])
    sheets["QS"].append(["101-0001", "D5", D(2020, 1, 12), 100, 10])  # after discontinuation
    sheets["AE"].append(["101-0001", "Nausea", D(2020, 2, 1), None, "MILD"])  # after the cutoff
    r = run(tmp_path, sheets)
    assert where(only(r, "VISIT_BEFORE_CONSENT")) == ("error", "VAS", 4, "VISDT")
    before = [where(f) for f in r.findings if f.code == "VISIT_BEFORE_RANDOMIZATION"]
    assert ("error", "UDS", 4, "VISDT") in before  # (the VAS row is before both)
    assert where(only(r, "VISIT_AFTER_DISCONTINUATION")) == ("warning", "QS", 4, "VISDT")
    (f,) = [f for f in r.findings if f.code == "RECORDS_AFTER_CUTOFF" and f.sheet == "AE"]
    assert where(f) == ("info", "AE", 3, "AESTDT") and "1 records" in f.message


def test_out_of_window_visit(tmp_path: Path) -> None:
    sheets = base()
    sheets["UDS"][2][2] = D(2020, 1, 19)  # W2V1 target 01-17, window ±1: 2 days late
    sheets["VAS"][2][2] = D(2020, 1, 19)
    r = run(tmp_path, sheets, cutoff=D(2020, 1, 20))
    hits = [f for f in r.findings if f.code == "VISIT_OUT_OF_WINDOW"]
    assert [where(f) for f in hits] == [
        ("warning", "UDS", 3, "VISDT"),
        ("warning", "VAS", 3, "VISDT"),
    ]
    assert "2 days late" in hits[0].message and "target 2020-01-17" in hits[0].message
    row = r.compliance.set_index("VISIT").loc["W2V1"]
    assert row["out_of_window"] == 1


def test_due_visit_missing_only_once_its_window_closed(tmp_path: Path) -> None:
    sheets = base()
    del sheets["UDS"][2]
    del sheets["VAS"][2]
    open_window = run(tmp_path, sheets, cutoff=D(2020, 1, 18))  # window closes 01-18: due
    f = [f for f in open_window.findings if f.code == "VISIT_MISSED" and f.subject == "101-0001"]
    assert [(x.visit, x.severity.value, x.sheet) for x in f if x.visit == "W2V1"] == [
        ("W2V1", "warning", "UDS")
    ]
    earlier = run(tmp_path, sheets, cutoff=D(2020, 1, 17))  # window still open: not yet due
    assert not [x for x in earlier.findings if x.code == "VISIT_MISSED" and x.visit == "W2V1"]


def test_assessment_missing_at_a_visit_that_took_place(tmp_path: Path) -> None:
    sheets = base()
    del sheets["VAS"][2]  # W2V1 urine sample but no craving rating
    r = run(tmp_path, sheets, cutoff=D(2020, 1, 18))
    f = [x for x in r.findings if x.code == "ASSESSMENT_MISSING" and x.visit == "W2V1"]
    assert [(x.sheet, x.subject, x.severity.value) for x in f] == [("VAS", "101-0001", "warning")]


def test_ae_end_before_start_and_disposition_without_date(tmp_path: Path) -> None:
    sheets = base()
    sheets["AE"][1][3] = D(2020, 1, 11)
    sheets["DS"].append(["101-0002", "LOST TO FOLLOW-UP", None])
    r = run(tmp_path, sheets)
    assert where(only(r, "AE_END_BEFORE_START")) == ("error", "AE", 2, "AEENDT")
    assert where(only(r, "DISCONTINUED_WITHOUT_DATE")) == ("error", "DS", 2, "DSDT")


def test_infusion_off_schedule_and_randomized_before_consent(tmp_path: Path) -> None:
    sheets = base()
    sheets["EX"][1][1] = D(2020, 1, 12)  # day 3, protocol says day 2
    sheets["DM"][2][2] = D(2020, 1, 13)  # consent after randomization (2020-01-12)
    r = run(tmp_path, sheets)
    assert where(only(r, "INFUSION_OFF_SCHEDULE")) == ("warning", "EX", 2, "EXDT")
    assert where(only(r, "RANDOMIZED_BEFORE_CONSENT")) == ("error", "DM", 3, "RANDDT")


def test_sample_without_result(tmp_path: Path) -> None:
    sheets = base()
    sheets["UDS"].append(["101-0001", "D2", D(2020, 1, 11), None, "Y"])
    assert where(only(run(tmp_path, sheets), "RESULT_MISSING")) == ("warning", "UDS", 4, "COCAINE")


def test_every_code_is_documented() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "findings.md").read_text()
    for code in CODES:
        assert f"`{code}`" in doc, code


# --- the demo study -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_result(demo: DemoFiles, demo_password: str) -> ValidationResult:
    loaded = load_study(demo.protocol, demo.data, key=demo.key, key_password=demo_password)
    return run_validation(loaded)


def test_demo_deliberate_problems_are_each_found(demo_result: ValidationResult) -> None:
    codes = {(f.code, f.sheet, f.column) for f in demo_result.findings}
    for expected in [
        ("VALUE_OUT_OF_RANGE", "VAS", "CRAVING"),
        ("INVALID_DATE", "VAS", "VISDT"),
        ("UNKNOWN_VISIT", "UDS", "VISIT"),
        ("INVALID_CODE", "UDS", "COCAINE"),
        ("AE_END_BEFORE_START", "AE", "AEENDT"),
        ("VALUE_OUT_OF_RANGE", "DM", "AGE"),
        ("VISIT_OUT_OF_WINDOW", "UDS", "VISDT"),
    ]:
        assert expected in codes, expected
    assert demo_result.errors == 6


def test_demo_compliance_adds_up(demo_result: ValidationResult) -> None:
    for table in (demo_result.compliance, demo_result.compliance_by_site):
        assert (table["due"] == table["in_window"] + table["out_of_window"] + table["missed"]).all()
        assert (
            table["randomized"] == table["due"] + table["not_yet_due"] + table["not_expected"]
        ).all()
    assert (demo_result.compliance["randomized"] == 55).all()
    by_site = demo_result.compliance_by_site.groupby("VISIT", sort=False)["due"].sum()
    assert by_site.to_dict() == demo_result.compliance.set_index("VISIT")["due"].to_dict()


def test_interim_demo_has_visits_not_yet_due(demo_interim: DemoFiles) -> None:
    r = run_validation(load_study(demo_interim.protocol, demo_interim.data))
    assert r.compliance["not_yet_due"].sum() > 0


# --- the shared reference studies ----------------------------------------------------------

REFERENCE = Path(__file__).parents[3] / "shared" / "reference"


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="shared/reference not beside the checkout")
@pytest.mark.parametrize("case", ["seedlike-202", "interim-303"])
def test_reference_out_of_window_findings(case: str) -> None:
    meta = json.loads((REFERENCE / case / "meta.json").read_text())
    loaded = load_study(
        Path(__file__).parents[2] / "templates" / "protocols" / "ketamine-mbrp.toml",
        REFERENCE / case / "data.xlsx",
        key=REFERENCE / case / "key.xlsx",
        cutoff=D.fromisoformat(meta["cutoff"]),
    )
    r = run_validation(loaded)
    got = {
        (f.sheet, f.excel_row, f.column, f.subject, f.visit)
        for f in r.findings
        if f.code == "VISIT_OUT_OF_WINDOW"
    }
    expected = {
        (e["sheet"], e["row"], e["column"], e["subject"], e["visit"])
        for e in meta["expected_findings"]
        if e["kind"] == "visit_out_of_window"
    }
    assert got == expected
    late = {
        f.sheet: f.message
        for f in r.findings
        if f.code == "RECORDS_AFTER_CUTOFF" and f.column != "CONSDT" and f.column != "RANDDT"
    }
    for sheet, n in meta["records_after_cutoff"].items():
        if sheet in ("UDS", "VAS", "QS", "EX", "AE", "DS", "FU") and n:
            assert late[sheet].startswith(f"{n} records"), sheet


# --- the command line ---------------------------------------------------------------------


def test_validate_cli_outputs(
    capsys: pytest.CaptureFixture[str], demo: DemoFiles, tmp_path: Path
) -> None:
    out_xlsx, out_csv = tmp_path / "f.xlsx", tmp_path / "f.csv"
    args = ["validate", "--protocol", str(demo.protocol), "--data", str(demo.data)]
    assert cli.main([*args, "--findings", str(out_xlsx)]) == 1  # the demo holds errors
    text = capsys.readouterr().out
    assert "6 errors" in text and "VISIT_OUT_OF_WINDOW" in text
    assert cli.main([*args, "--json", "--findings", str(out_csv)]) == 1
    block = json.loads(capsys.readouterr().out)
    assert set(block) == {"errors", "warnings", "info", "findings"} and block["errors"] == 6
    first = block["findings"][0]
    assert set(first) == {
        "severity",
        "code",
        "sheet",
        "row",
        "column",
        "subject",
        "visit",
        "message",
    }
    from openpyxl import load_workbook

    ws = load_workbook(out_xlsx).active
    assert ws.auto_filter.ref and ws.freeze_panes == "A2"
    assert [c.value for c in ws[1]][:2] == ["Severity", "Code"]
    assert ws.max_row == len(block["findings"]) + 1 and ws["A2"].value == "error"
    assert out_csv.read_text(encoding="utf-8-sig").count("\n") == len(block["findings"]) + 1


# --- never raises -------------------------------------------------------------------------

CELL = st.one_of(
    st.none(),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=12),
    st.integers(-1000, 100000),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.dates(min_value=D(1990, 1, 1), max_value=D(2035, 12, 31)),
    st.sampled_from(
        [
            "POS",
            "NEG",
            "Y",
            "N",
            "D1",
            "W2V1",
            "W9",
            "101-0001",
            "101-0002",
            "COMPLETED",
            "2020-02-30",
            " ",
        ]
    ),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_corrupted_but_readable_workbooks_give_findings_not_exceptions(
    tmp_path: Path, data: st.DataObject
) -> None:
    sheets = base()
    for _ in range(data.draw(st.integers(1, 12))):
        name = data.draw(st.sampled_from(sorted(sheets)))
        rows = sheets[name]
        if len(rows) < 2 or data.draw(st.booleans()):
            rows.append([data.draw(CELL) for _ in rows[0]])
        else:
            r = data.draw(st.integers(1, len(rows) - 1))
            c = data.draw(st.integers(0, len(rows[0]) - 1))
            rows[r][c] = data.draw(CELL)
    for name in (
        "DM",
        "UDS",
        "VAS",
        "QS",
    ):  # a sheet left with only blank rows is unusable, not this test's point
        sheets[name].append(base()[name][1])
    cutoff = data.draw(st.dates(min_value=D(2019, 1, 1), max_value=D(2021, 1, 1)))
    result = run(tmp_path, sheets, cutoff=cutoff)
    assert all(f.code in CODES for f in result.findings)
    assert (
        result.compliance["due"]
        == result.compliance[["in_window", "out_of_window", "missed"]].sum(axis=1)
    ).all()


def test_blood_pressure_plausibility_and_unrandomized_data(tmp_path: Path) -> None:
    sheets = base()
    sheets["VS"] = [
        ["SUBJID", "VISIT", "TPT", "SYSBP", "DIABP", "PULSE"],
        ["101-0001", "D2", "PRE", 124, 78, 70],
        ["101-0001", "D2", "POST40", 300, 20, 70],
    ]
    sheets["UDS"].append(["101-0003", "W2V1", D(2020, 1, 12), "NEG", "Y"])
    sheets["DM"].append(["101-0003", "101", D(2020, 1, 5), None, 30, "M", 10])
    r = run(tmp_path, sheets)
    ranges = sorted(where(f) for f in r.findings if f.code == "VALUE_OUT_OF_RANGE")
    assert ranges == [("error", "VS", 3, "DIABP"), ("error", "VS", 3, "SYSBP")]
    f = only(r, "DATA_FOR_UNRANDOMIZED_SUBJECT")
    assert where(f) == ("warning", "UDS", 4, "VISIT") and f.subject == "101-0003"
