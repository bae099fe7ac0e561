"""Data currency (issue 19): the optional ENTRYDT (when a record was entered in the EDC) gives the
data entry lag, over all, by form and by site, in the open report and the results JSON (null
without entry dates); an entry before the record's own date is a located finding and left out;
entry dates never set the default cutoff. R double-programs the lag (tests/reference/currency.R,
case urine-panel)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pypdf

from dmc_report import cli
from dmc_report.demo.writer import DemoFiles
from dmc_report.io.protocol_loader import bundled_protocol_text, parse_protocol
from dmc_report.io.reader import read_data
from dmc_report.pipeline import latest_date, load_study, run_analysis, run_validation
from dmc_report.validation import validate
from tests.conftest import MINIMAL_SHEETS


def test_the_demo_has_entry_dates_and_the_open_report_a_table(
    demo: DemoFiles, tmp_path: Path
) -> None:
    loaded = load_study(demo.protocol, demo.data)
    dc = run_analysis(loaded, run_validation(loaded)).as_json()["blinded"]["data_currency"]
    assert dc["records"] > 1000 and dc["median_days"] <= dc["p90_days"] <= dc["max_days"]
    assert [f["name"] for f in dc["by_form"]] == ["UDS", "VAS", "QS", "AE"]
    assert sum(s["records"] for s in dc["by_site"]) == dc["records"]
    # the entry dates run past the last visit, yet the default cutoff is the data's own
    assert loaded.cutoff == latest_date(loaded.study.data)
    out = tmp_path / "open.pdf"
    args = [
        "report",
        "--protocol",
        str(demo.protocol),
        "--data",
        str(demo.data),
        "--open",
        str(out),
    ]
    assert cli.main(args) in (0, 1)
    text = " ".join(p.extract_text() or "" for p in pypdf.PdfReader(out).pages)
    assert "Data currency: days from a record's date to its data entry" in " ".join(text.split())


def test_no_entry_dates_is_null(tmp_path: Path) -> None:
    from tests.unit.test_analysis_reference import FIXTURES, results_for

    folder = FIXTURES / "ties"  # a workbook made before entry dates
    import json

    cutoff = json.loads((folder / "case.json").read_text())["cutoff"]
    assert (
        results_for(folder, cutoff, folder / "protocol.toml").as_json()["blinded"]["data_currency"]
        is None
    )


def test_an_entry_before_the_record_is_a_located_finding(
    make_workbook: Callable[..., Path],
) -> None:
    protocol = parse_protocol(bundled_protocol_text("ketamine-mbrp.toml"), "p.toml")
    sheets = {k: [list(r) for r in v] for k, v in MINIMAL_SHEETS.items()}
    sheets["VAS"][0].append("ENTRYDT")
    for r in sheets["VAS"][1:]:
        r.append(None)
    sheets["VAS"][1][-1] = dt.date(2019, 12, 1)  # before the rating's own date
    data = read_data(make_workbook(sheets=sheets), protocol)
    found = [f for f in validate(data, protocol, dt.date(2020, 1, 12)).findings
             if f.code == "ENTRY_BEFORE_RECORD"]  # fmt: skip
    assert len(found) == 1
    f = found[0]
    assert (f.severity, f.sheet, f.excel_row, f.column) == ("warning", "VAS", 2, "ENTRYDT")
    assert "before its VISDT" in f.message
