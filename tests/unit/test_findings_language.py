"""Findings speak the export's language, one finding per problem (issue 15; docs/findings.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from dmc_report.io.protocol_loader import bundled_protocol_text, parse_protocol
from dmc_report.io.reader import read_data
from dmc_report.validation import validate
from tests.conftest import MINIMAL_SHEETS

MAPPED = """
[mapping.sheets]
UDS = "Urine Drug Screen"

[mapping.columns.UDS]
COCAINE = "UDS_COC"
VISDT = "Collection Date"

[mapping.codes.UDS.COCAINE]
"Positive" = "POS"
"Negative" = "NEG"
"""


def _findings(make_workbook: Callable[..., Path], uds: list[list[object]]) -> list[object]:
    protocol = parse_protocol(bundled_protocol_text("ketamine-mbrp.toml") + MAPPED, "p.toml")
    sheets = dict(MINIMAL_SHEETS)
    del sheets["UDS"]
    sheets["Urine Drug Screen"] = uds
    data = read_data(make_workbook(sheets=sheets), protocol)
    return list(validate(data, protocol, dt.date(2020, 1, 12)).findings)


def test_findings_name_the_export_sheet_and_column(make_workbook: Callable[..., Path]) -> None:
    found = _findings(
        make_workbook,
        [
            ["SUBJID", "VISIT", "Collection Date", "UDS_COC"],
            ["101-0001", "D1", dt.date(2020, 1, 10), "positive"],
            ["101-0001", "D2", dt.date(2020, 1, 11), "maybe"],
        ],
    )
    urine = [f for f in found if f.sheet and "UDS" in f.sheet]  # type: ignore[attr-defined]
    assert urine, found
    # every finding on the sheet names it as the workbook does, the contract's in parentheses,
    # whichever check made it (the sheet's own, the schedule's)
    assert {f.sheet for f in urine} == {"Urine Drug Screen (UDS)"}  # type: ignore[attr-defined]
    bad = next(f for f in urine if f.code == "INVALID_CODE")  # type: ignore[attr-defined]
    assert bad.column == "UDS_COC (COCAINE)" and bad.contract_column == "COCAINE"
    assert bad.as_json()["column"] == "UDS_COC (COCAINE)"


def test_a_sample_without_a_result_is_one_finding(make_workbook: Callable[..., Path]) -> None:
    # D2 took place (a craving rating) and its urine row is there, dated, without a result:
    # RESULT_MISSING names the row; no ASSESSMENT_MISSING says it has no urine record
    sheets_uds = [
        ["SUBJID", "VISIT", "Collection Date", "UDS_COC"],
        ["101-0001", "D1", dt.date(2020, 1, 10), "positive"],
        ["101-0001", "D2", dt.date(2020, 1, 11), None],
    ]
    MINIMAL_SHEETS_VAS = MINIMAL_SHEETS["VAS"]
    try:
        MINIMAL_SHEETS["VAS"] = [*MINIMAL_SHEETS_VAS, ["101-0001", "D2", dt.date(2020, 1, 11), 40]]
        found = _findings(make_workbook, sheets_uds)
    finally:
        MINIMAL_SHEETS["VAS"] = MINIMAL_SHEETS_VAS
    at_d2 = [(f.code, f.sheet) for f in found if f.visit == "D2"]  # type: ignore[attr-defined]
    assert ("RESULT_MISSING", "Urine Drug Screen (UDS)") in at_d2
    assert not [c for c, _ in at_d2 if c == "ASSESSMENT_MISSING"], at_d2


def test_messages_use_the_workbooks_names_and_codes(make_workbook: Callable[..., Path]) -> None:
    found = _findings(
        make_workbook,
        [
            ["SUBJID", "VISIT", "Collection Date", "UDS_COC"],
            ["101-0001", "D1", dt.date(2020, 1, 10), "positive"],
            ["101-0001", "D2", dt.date(2020, 1, 11), "maybe"],
            ["101-0001", "D3", "2020-02-30", "Negative"],
        ],
    )
    urine = [f for f in found if f.sheet and "UDS" in f.sheet]  # type: ignore[attr-defined]
    messages = {f.code: f.message for f in urine}  # type: ignore[attr-defined]
    # the column and the allowed codes as the workbook has them, not the contract's
    assert messages["INVALID_CODE"] == (
        "UDS_COC is 'MAYBE', not one of Positive/Negative; treated as blank"
    )
    assert messages["INVALID_DATE"].startswith("Collection Date is '2020-02-30'")
    for f in found:  # no message names a renamed contract column or sheet
        assert "COCAINE" not in f.message and "VISDT" not in f.message, f  # type: ignore[attr-defined]
        assert " UDS " not in f" {f.message} ".replace(",", " "), f  # type: ignore[attr-defined]
