"""Interim monitoring: boundaries and conditional power equal rpact / R, and the closed report
shows them as the JSON has them."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from dmc_report.analysis.monitoring import (
    boundaries,
    conditional_power,
    look_rates,
    monitoring,
    two_proportion_z,
)
from dmc_report.demo.writer import DemoFiles
from dmc_report.domain.protocol import Interim, PreviousLook, Spending
from dmc_report.domain.settings import ReportSettings
from dmc_report.pipeline import load_study, render_reports, run_analysis, run_validation

EXPECTED = json.loads(
    (Path(__file__).parents[1] / "fixtures" / "monitoring" / "expected.json").read_text()
)
SPENDING = {"asOF": Spending.OBF, "asP": Spending.POCOCK, "asHSD": Spending.HSD}


def close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * abs(b) + 1e-9


@pytest.mark.parametrize(
    "design", EXPECTED["designs"], ids=[d["name"] for d in EXPECTED["designs"]]
)
def test_boundaries_equal_rpact(design: dict[str, Any]) -> None:
    rates = design["rates"]
    got = boundaries(rates, 0.05, SPENDING[design["type"]], design.get("gamma"), 2)
    assert len(got) == len(design["critical"])
    for look, c, a, p in zip(
        got, design["critical"], design["alpha_spent"], design["nominal_p"], strict=True
    ):
        assert close(look["z_upper"], c), (look["z_upper"], c)
        assert close(-look["z_lower"], c)
        assert close(look["alpha_spent_cumulative"], a)
        assert close(look["nominal_p"], p)


@pytest.mark.parametrize("case", EXPECTED["conditional_power"])
def test_conditional_power_equals_r(case: dict[str, Any]) -> None:
    assert close(conditional_power(case["z"], case["t"], case["c"], case["theta"]), case["cp"])


def test_shared_reference_design() -> None:
    got = boundaries([0.67, 1], 0.05, Spending.OBF)
    assert close(got[0]["z_upper"], 2.5019483426343) and close(got[1]["z_upper"], 1.99355680495501)


def test_looks_use_the_recorded_fractions_before_the_cutoff() -> None:
    plan = Interim(
        planned_information=60,
        previous_looks=(
            PreviousLook(date=dt.date(2020, 1, 1), information_fraction=0.3),
            PreviousLook(date=dt.date(2021, 1, 1), information_fraction=0.5),
        ),
    )
    assert look_rates(plan, 0.6, dt.date(2020, 6, 1)).rates == [0.3, 0.6, 1.0]
    assert look_rates(plan, 0.6, dt.date(2021, 6, 1)).rates == [0.3, 0.5, 0.6, 1.0]
    late = look_rates(plan, 0.55, dt.date(2021, 6, 1))  # a look taken later than planned
    assert late.rates == [0.3, 0.5, 0.55, 1.0] and late.current == 2


def test_observed_statistic_and_crossing() -> None:
    plan = Interim(planned_information=60, assumed_experimental=0.45, assumed_control=0.15)
    z = two_proportion_z(13, 27, 3, 28)
    assert z is not None and z > 3
    m = monitoring(plan, 13, 27, 3, 28)
    assert m["crossed"] == "efficacy" and m["looks"][0]["kind"] == "current"
    assert close(m["information_fraction"], 55 / 60)
    m = monitoring(plan, 3, 27, 13, 28)
    assert m["crossed"] == "harm"
    m = monitoring(plan, 7, 14, 5, 14)
    assert (
        m["crossed"] is None
        and 0 < m["conditional_power"]["null"] < m["conditional_power"]["design"]
    )


def _closed_text(folder: DemoFiles, password: str, tmp: Path) -> tuple[list[str], dict[str, Any]]:
    from pypdf import PdfReader

    loaded = load_study(folder.protocol, folder.data, key=folder.key, key_password=password)
    validation = run_validation(loaded)
    results = run_analysis(loaded, validation)
    render_reports(
        loaded, validation, results, ReportSettings(report_date=dt.date(2020, 1, 1)),
        open_path=tmp / "o.pdf", closed_path=tmp / "c.pdf", closed_password="pw",
    )  # fmt: skip
    reader = PdfReader(io.BytesIO((tmp / "c.pdf").read_bytes()))
    reader.decrypt("pw")
    pages = [re.sub(r"\s+", " ", p.extract_text() or "") for p in reader.pages]
    return pages, results.as_json()


def test_interim_demo_monitoring_section(
    demo_interim: DemoFiles, demo_password: str, tmp_path: Path
) -> None:
    pages, results = _closed_text(demo_interim, demo_password, tmp_path)
    m = results["unblinded"]["monitoring"]
    page = next(p for p in pages if "Boundaries at the actual information" in p)
    cur = m["looks"][m["current_look"] - 1]
    assert f"{cur['z_upper']:.3f}" in page and f"{m['observed_z']:.2f}" in page
    assert f"{m['information_fraction']:.3f}" in page
    assert f"{100 * m['conditional_power']['current_trend']:.1f}%" in page
    assert m["crossed"] is None and "no boundary is crossed" in page
    assert results["blinded"]["monitoring"]["information_fraction"] > 0
    assert "unblinded" not in json.dumps(results["blinded"])


def test_final_demo_crosses_and_says_so(
    demo: DemoFiles, demo_password: str, tmp_path: Path
) -> None:
    pages, results = _closed_text(demo, demo_password, tmp_path)
    m = results["unblinded"]["monitoring"]
    assert m["crossed"] == "efficacy"
    text = " ".join(pages)
    assert "the efficacy boundary is crossed" in text  # the sentence
    assert "(efficacy boundary crossed)" in text  # the figure's legend
    page = next(p for p in pages if "Boundaries at the actual information" in p)
    assert "current" in page and "previous" in page and "1.84" in page  # the recorded earlier look
    assert re.search(r"current .* efficacy", page)  # the table's "Crossed" column
