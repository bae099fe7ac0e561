"""The urine panel's other analytes ([urine_panel]): read with the urine sheet, described pooled
and by arm, equal to an independent R description (tests/reference/urine_panel.R, on the case
tests/fixtures/r/urine-panel; every other field of that case is double-programmed by
test_double_programming), absent (null) for a protocol without a panel. The reports' table:
tests/unit/test_second_template.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dmc_report.domain.errors import UnusableInputError
from dmc_report.io.protocol_loader import bundled_protocol_text, parse_protocol
from tests.unit.test_analysis_reference import mismatches, results_for

CASE = Path(__file__).parents[1] / "fixtures" / "r" / "urine-panel"


@pytest.fixture(scope="module")
def got() -> dict:
    cutoff = json.loads((CASE / "case.json").read_text())["cutoff"]
    return results_for(CASE, cutoff, CASE / "protocol.toml").as_json()


def test_the_panel_matches_r(got: dict) -> None:
    expected = json.loads((CASE / "urine_panel.json").read_text())
    problems = mismatches(expected["pooled"], got["blinded"]["urine_panel"], "pooled")
    problems += mismatches(expected["by_arm"], got["unblinded"]["urine_panel"], "by_arm")
    assert not problems, "\n".join(problems)
    # the case holds what it is for: results of every analyte, positives, two arms
    assert all(a["positive"] > 0 for a in got["blinded"]["urine_panel"])
    assert set(got["unblinded"]["urine_panel"]) == {"A", "B"}


def test_an_unreported_value_is_a_located_finding(got: dict) -> None:
    qns = [f for f in got["validation"]["findings"] if "'QNS'" in f["message"]]
    assert len(qns) == 1
    assert qns[0]["code"] == "INVALID_CODE" and qns[0]["column"] == "THC" and qns[0]["row"]


def test_a_protocol_without_a_panel_has_null(tmp_path: Path) -> None:
    from tests.unit.test_analysis_reference import FIXTURES

    folder = FIXTURES / "demo-interim"
    cutoff = json.loads((folder / "case.json").read_text())["cutoff"]
    out = results_for(folder, cutoff, folder / "protocol.toml").as_json()
    assert out["blinded"]["urine_panel"] is None and out["unblinded"]["urine_panel"] is None


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('COCAINE = "Cocaine"', "is the urine sheet's COCAINE column"),
        ('VISDT = "Date"', "is the urine sheet's VISDT column"),
        ('THC = ""', "give the analyte a label"),
        ('THC = "Cannabis"\nthc = "Again"', "named twice"),
    ],
)
def test_a_panel_column_must_be_its_own(table: str, message: str) -> None:
    text = bundled_protocol_text("stimulant-12wk.toml")
    start = text.index("[urine_panel]")
    end = text.index("[domains]")
    bad = text[:start] + "[urine_panel]\n" + table + "\n\n" + text[end:]
    with pytest.raises(UnusableInputError) as e:
        parse_protocol(bad, "p.toml")
    assert message in str(e.value) and "urine_panel" in str(e.value)
