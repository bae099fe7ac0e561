"""A trial with two experimental arms and a control (the key allows any number of experimental
arms): each is compared with the control, in the results, the closed report and the app's view."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from dmc_report.domain.settings import ReportSettings
from dmc_report.pipeline import load_study, render_report_bytes, run_analysis, run_validation
from tests.unit.test_reports import pdf_pages

CASE = Path(__file__).parents[1] / "fixtures" / "r" / "three-arm"
PASSWORD = "three arms"


@pytest.fixture(scope="module")
def rendered() -> dict[str, Any]:
    expected = json.loads((CASE / "expected.json").read_text())
    cutoff = dt.date.fromisoformat(expected["data_cutoff"])
    loaded = load_study(
        CASE / "protocol.toml", CASE / "data.xlsx", key=CASE / "key.xlsx", cutoff=cutoff
    )
    validation = run_validation(loaded)
    results = run_analysis(loaded, validation)
    reports = render_report_bytes(
        loaded, validation, results, ReportSettings(report_date=cutoff),
        closed=True, closed_password=PASSWORD,
    )  # fmt: skip
    assert reports.closed is not None
    return {
        "expected": expected["unblinded"],
        "results": results.as_json()["unblinded"],
        "closed": " ".join(pdf_pages(reports.closed, PASSWORD)),
        "open": " ".join(pdf_pages(reports.open)),
    }


def test_each_experimental_arm_is_compared_with_the_control(rendered: dict[str, Any]) -> None:
    got = rendered["results"]
    assert [(c["experimental"], c["control"]) for c in got["comparisons"]] == [
        ("A", "B"),
        ("C", "B"),
    ]
    # no single comparison at the top level: it would hide which pair it is
    assert got["abstinence"]["odds_ratio"] is None
    assert "see comparisons" in got["abstinence"]["odds_ratio_note"]
    assert got["monitoring"] is None and "exactly one experimental arm" in got["monitoring_note"]


def test_the_closed_report_shows_every_comparison(rendered: dict[str, Any]) -> None:
    text = rendered["closed"]
    labels = {a["code"]: a["label"] for a in rendered["expected"]["arms"]}
    for c in rendered["expected"]["comparisons"]:
        hr = c["relapse"]["hazard_ratio"]
        odds = c["abstinence"]["odds_ratio"]
        assert f"{odds['estimate']:.2f} ({odds['ci_lower']:.2f}, {odds['ci_upper']:.2f})" in text
        assert f"{hr['estimate']:.2f} ({hr['ci_lower']:.2f}, {hr['ci_upper']:.2f})" in text
        assert f"{labels[c['experimental']]} vs {labels[c['control']]}: log-rank" in text
    assert "reference" in text
    assert "monitoring needs exactly one experimental arm" in text
    assert "no monitoring plan or no data" not in text


def test_the_open_report_of_a_three_arm_trial_names_no_arm(rendered: dict[str, Any]) -> None:
    text = rendered["open"]
    assert "Ketamine 0.25 mg/kg" not in text and "vs Midazolam" not in text
