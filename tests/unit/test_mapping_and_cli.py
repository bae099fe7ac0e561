"""Protocol mapping of an export's own names, and the command line's surface."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from dmc_report import __version__, cli
from dmc_report.io.protocol_loader import bundled_protocol_text, parse_protocol
from dmc_report.io.reader import read_data
from tests.conftest import MINIMAL_SHEETS


def test_mapping_reads_an_export_with_its_own_names(make_workbook: Callable[..., Path]) -> None:
    text = (
        bundled_protocol_text("ketamine-mbrp.toml")
        + """
[mapping.sheets]
UDS = "Urine Drug Screen"

[mapping.columns.UDS]
COCAINE = "UDS_COC"
VISDT = "Collection Date"

[mapping.codes.COCAINE]
"Positive" = "POS"
"Negative" = "NEG"
"""
    )
    protocol = parse_protocol(text, "mapped.toml")
    sheets = dict(MINIMAL_SHEETS)
    del sheets["UDS"]
    sheets["urine drug screen "] = [
        ["SUBJID", "VISIT", "Collection Date", "UDS_COC"],
        ["101-0001", "d1", dt.date(2020, 1, 10), "positive"],
        ["101-0001", "D2", "2020-01-11", " Negative"],
    ]
    data = read_data(make_workbook(sheets=sheets), protocol)
    uds = data.frame("UDS")
    assert list(uds["COCAINE"]) == ["POS", "NEG"]
    assert list(uds["VISIT"]) == ["D1", "D2"]
    assert list(uds["VISDT"].dt.date) == [dt.date(2020, 1, 10), dt.date(2020, 1, 11)]
    assert data["UDS"].source_name == "urine drug screen "
    assert data["UDS"].letter("COCAINE") == "D"


def test_numeric_looking_codes_stay_text(make_workbook: Callable[..., Path]) -> None:
    from dmc_report.io.reader import read_key

    protocol = parse_protocol(bundled_protocol_text("ketamine-mbrp.toml"), "p.toml")
    key = make_workbook(
        "key.xlsx",
        sheets={
            "RAND": [["SUBJID", "ARMCD"], ["101-0001", 1], ["101-0002", 2.0]],
            "ARMS": [
                ["ARMCD", "ARM", "ROLE"],
                [1, "Ketamine", "experimental"],
                ["2", "Midazolam", " Control "],
            ],
        },
    )
    k = read_key(key, protocol)
    assert list(k.assignments["ARMCD"]) == ["1", "2"]
    assert k.control.code == "2" and k.control.role == "control"


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        cli.main(["--version"])
    assert e.value.code == 0 and __version__ in capsys.readouterr().out
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    for word in ("demo", "validate", "analyze", "report", "gui", "examples:", "DMC_KEY_PASSWORD"):
        assert word in out


def test_demo_command_writes_the_study(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "d"
    assert cli.main(["demo", "--out", str(out), "--cutoff", "2014-06-30"]) == 0
    text = capsys.readouterr().out
    assert "data cutoff      2014-06-30" in text
    for name in ("protocol.toml", "data.xlsx", "key.xlsx", "key-password.txt"):
        assert (out / name).is_file()
    assert not list(out.glob("*.part"))


def test_bad_cutoff_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        cli.main(["demo", "--cutoff", "2014-31-12"])
    assert e.value.code == 2 and "YYYY-MM-DD" in capsys.readouterr().err


def test_blank_rows_are_skipped_and_rows_keep_their_excel_numbers(
    make_workbook: Callable[..., Path],
) -> None:
    protocol = parse_protocol(bundled_protocol_text("ketamine-mbrp.toml"), "p.toml")
    sheets = dict(MINIMAL_SHEETS)
    sheets["VAS"] = [
        ["SUBJID", "VISIT", "VISDT", "CRAVING"],
        ["101-0001", "D1", dt.date(2020, 1, 10), 55],
        [None, None, None, None],
        ["  ", None, None, None],  # whitespace only is blank too
        ["101-0001", "D2", "2020-01-11", "n/a"],
    ]
    data = read_data(make_workbook(sheets=sheets), protocol)
    vas = data.frame("VAS")
    assert list(vas["_ROW"]) == [2, 5]
    assert vas["CRAVING"].iloc[0] == 55 and vas["CRAVING"].isna().iloc[1]
    (issue,) = data.cell_issues
    assert (issue.sheet, issue.row, issue.column, issue.value) == ("VAS", 5, "CRAVING", "n/a")
