"""dmc-report check-protocol: where the export holds each contract sheet and column (issue 15)."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from dmc_report import cli
from dmc_report.demo.writer import DemoFiles
from dmc_report.pipeline import check_protocol


def test_the_demo_export_has_everything(demo: DemoFiles) -> None:
    report = check_protocol(demo.protocol, demo.data)
    assert report.ok and not report.missing_required
    uds = next(s for s in report.sheets if s.contract == "UDS")
    cocaine = next(c for c in uds.columns if c.contract == "COCAINE")
    assert cocaine.export == "COCAINE" and not cocaine.mapped
    assert "INCONCL" in cocaine.uncovered  # the demo's deliberate bad code


def _renamed(demo: DemoFiles, tmp_path: Path) -> Path:
    wb = load_workbook(demo.data)
    wb["UDS"].title = "Urine Drug Screen"
    wb["VAS"].title = "Craving scal"
    ws = wb["Urine Drug Screen"]
    for cell in ws[1]:
        if cell.value == "COCAINE":
            cell.value = "UDS_COC"
        elif cell.value == "VISDT":
            cell.value = "Collection Date"
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if cell.value in ("POS", "NEG"):
                cell.value = {"POS": "Positive", "NEG": "Negative"}[cell.value]
    out = tmp_path / "renamed.xlsx"
    wb.save(out)
    return out


def test_a_renamed_export_without_a_mapping(
    demo: DemoFiles, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _renamed(demo, tmp_path)
    report = check_protocol(demo.protocol, data)
    assert not report.ok and "UDS" in report.missing_required
    uds = next(s for s in report.sheets if s.contract == "UDS")
    assert uds.export is None
    vas = next(s for s in report.sheets if s.contract == "VAS")
    assert vas.export is None and "Craving scal" not in vas.nearest  # nothing like "VAS"
    code = cli.main(["check-protocol", "--protocol", str(demo.protocol), "--data", str(data)])
    out = capsys.readouterr().out
    assert code == 1 and "UDS (required sheet): NOT FOUND" in out and "missing (required)" in out


def test_a_renamed_export_with_its_mapping(
    demo: DemoFiles, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _renamed(demo, tmp_path)
    protocol = tmp_path / "mapped.toml"
    protocol.write_text(
        demo.protocol.read_text()
        + '\n[mapping.sheets]\nUDS = "Urine Drug Screen"\nVAS = "Craving scal"\n'
        + '\n[mapping.columns.UDS]\nCOCAINE = "UDS_COC"\nVISDT = "Collection Dat"\n'
        + '\n[mapping.codes.UDS.COCAINE]\n"Positive" = "POS"\n'
    )
    report = check_protocol(protocol, data)
    uds = next(s for s in report.sheets if s.contract == "UDS")
    assert uds.export == "Urine Drug Screen" and uds.mapped
    cols = {c.contract: c for c in uds.columns}
    assert cols["COCAINE"].export == "UDS_COC" and cols["COCAINE"].mapped
    assert set(cols["COCAINE"].uncovered) == {"NEGATIVE", "INCONCL"}  # "Negative" not mapped
    assert cols["VISDT"].export is None and cols["VISDT"].nearest[0] == "Collection Date"
    assert report.missing_required == ("UDS.VISDT",)
    code = cli.main(["check-protocol", "--protocol", str(protocol), "--data", str(data)])
    out = capsys.readouterr().out
    assert code == 1 and "nearest: Collection Date" in out
    assert "values no code map covers: 'INCONCL', 'NEGATIVE'" in out
