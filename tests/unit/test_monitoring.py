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

from dmc_report.analysis import monitoring_result
from dmc_report.analysis.monitoring import (
    FINAL_NO_CP,
    boundaries,
    conditional_power,
    look_rates,
    monitoring,
    suggest_final,
    two_proportion_z,
)
from dmc_report.demo.writer import DemoFiles
from dmc_report.domain.protocol import Interim, PreviousLook, Spending
from dmc_report.domain.settings import ReportSettings
from dmc_report.pipeline import load_study, render_reports, run_analysis, run_validation

EXPECTED = json.loads(
    (Path(__file__).parents[1] / "fixtures" / "monitoring" / "expected.json").read_text()
)
FINAL = json.loads((Path(__file__).parents[1] / "reference" / "monitoring_final.json").read_text())
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


# --- the final analysis -----------------------------------------------------------------------


@pytest.mark.parametrize("design", FINAL["designs"], ids=[d["name"] for d in FINAL["designs"]])
def test_final_boundary_equals_rpact(design: dict[str, Any]) -> None:
    """The earlier looks at their fractions, then the final look at 1 spending all the alpha left
    (tests/reference/monitoring_final.R)."""
    got = boundaries(
        design["rates"], design["alpha"], SPENDING[design["type"]], design.get("gamma"),
        design["sided"],
    )  # fmt: skip
    assert len(got) == len(design["critical"])
    for look, c, a in zip(got, design["critical"], design["alpha_spent"], strict=True):
        if c is not None:  # rpact: Inf at 7.5 or more (1/60)
            assert close(look["z_upper"], c), (look["z_upper"], c)
        assert close(look["alpha_spent_cumulative"], a)
    assert close(got[-1]["z_upper"], design["final_critical"])
    assert close(got[-1]["alpha_spent_cumulative"], design["alpha"])  # all of it
    assert (got[-1]["z_lower"] == float("-inf")) == (design["sided"] == 1)


def _final_design(name: str) -> dict[str, Any]:
    return next(d for d in FINAL["designs"] if d["name"] == name)


THREE_LOOKS = Interim(
    planned_information=60,
    assumed_experimental=0.45,
    assumed_control=0.15,
    futility_z=0.0,
    previous_looks=(
        PreviousLook(date=dt.date(2020, 1, 1), information_fraction=0.33, observed_z=0.9),
        PreviousLook(date=dt.date(2021, 1, 1), information_fraction=0.5, observed_z=1.4),
        PreviousLook(date=dt.date(2023, 1, 1), information_fraction=0.8),  # after the cutoff
    ),
)
CUTOFF = dt.date(2022, 6, 30)


@pytest.mark.parametrize(
    ("n_e", "n_c"), [(27, 28), (30, 30), (33, 33)], ids=["under", "at", "over"]
)
def test_final_analysis_block(n_e: int, n_c: int) -> None:
    m = monitoring(THREE_LOOKS, 9, n_e, 5, n_c, CUTOFF, final=True)
    rpact = _final_design("OF final after 0.33 and 0.5")
    assert m["final"] is True
    assert [lk["kind"] for lk in m["looks"]] == ["previous", "previous", "final"]
    assert [lk["information"] for lk in m["looks"]] == [0.33, 0.5, 1.0]
    assert [lk.get("observed_z") for lk in m["looks"]] == [0.9, 1.4, None]
    assert m["current_look"] == 3  # the last: no later look
    for lk, c in zip(m["looks"], rpact["critical"], strict=True):
        assert close(lk["z_upper"], c) and close(-lk["z_lower"], c)
    assert close(m["looks"][-1]["alpha_spent_cumulative"], 0.05)
    # the actual information is reported as it is
    assert m["information"] == n_e + n_c
    assert m["information_fraction"] == (n_e + n_c) / 60
    assert m["conditional_power"] == {"current_trend": None, "design": None, "null": None}
    assert "design_theta" not in m and "futility_guidance" not in m
    assert m["notes"][-1] == FINAL_NO_CP == "final analysis: no conditional power"
    off = [n for n in m["notes"] if n.startswith("final analysis with")]
    if n_e + n_c == 60:
        assert not off
    else:
        assert off == [
            f"final analysis with {n_e + n_c} of 60 planned evaluable subjects (information "
            f"fraction {(n_e + n_c) / 60:.4f}): the final boundary is at information fraction 1 "
            "and spends all the alpha left"
        ]
    assert m["observed_z"] == two_proportion_z(9, n_e, 5, n_c)
    # the typed results take the block as it is and keep "final"
    typed = monitoring_result(m)
    assert typed.final and typed.to_json()["final"] is True and not typed.computed
    assert typed.to_json()["looks"] == m["looks"]


def test_final_crossing_compares_with_the_final_boundary() -> None:
    """Z between the final boundary (1.969) and the interim boundary at the same information
    (2.0+ at 55/60 with a final look still to come): crossed at the final analysis only."""
    c_final = _final_design("OF final after 0.33 and 0.5")["final_critical"]
    interim = monitoring(THREE_LOOKS, 16, 27, 9, 28, CUTOFF)
    final = monitoring(THREE_LOOKS, 16, 27, 9, 28, CUTOFF, final=True)
    z = final["observed_z"]
    cur = interim["looks"][interim["current_look"] - 1]
    assert c_final < z < cur["z_upper"], (c_final, z, cur["z_upper"])
    assert interim["crossed"] is None and final["crossed"] == "efficacy"
    harm = monitoring(THREE_LOOKS, 9, 28, 16, 27, CUTOFF, final=True)
    assert harm["crossed"] == "harm"
    assert monitoring(THREE_LOOKS, 12, 27, 10, 28, CUTOFF, final=True)["crossed"] is None


def test_final_one_sided_and_final_only() -> None:
    one = Interim(
        planned_information=60, alpha=0.025, sided=1,
        previous_looks=(
            PreviousLook(date=dt.date(2020, 1, 1), information_fraction=0.33),
            PreviousLook(date=dt.date(2021, 1, 1), information_fraction=0.5),
        ),
    )  # fmt: skip
    m = monitoring(one, 9, 27, 5, 28, CUTOFF, final=True)
    rpact = _final_design("OF one-sided final after 0.33 and 0.5")
    assert close(m["looks"][-1]["z_upper"], rpact["final_critical"])
    assert m["looks"][-1]["z_lower"] is None
    # no earlier look: the final analysis is the fixed design, Z 1.96
    only = monitoring(Interim(planned_information=60), 9, 27, 5, 28, final=True)
    assert [lk["kind"] for lk in only["looks"]] == ["final"] and only["current_look"] == 1
    assert close(only["looks"][0]["z_upper"], _final_design("final only (no earlier look)")["final_critical"])  # fmt: skip


def test_final_drops_an_earlier_look_at_one() -> None:
    plan = Interim(
        planned_information=60,
        previous_looks=(
            PreviousLook(date=dt.date(2020, 1, 1), information_fraction=0.5),
            PreviousLook(date=dt.date(2021, 1, 1), information_fraction=1.0),
        ),
    )
    lp = look_rates(plan, 0.7, CUTOFF, final=True)
    assert lp.rates == [0.5, 1.0] and lp.current == 1 and len(lp.dropped) == 1
    m = monitoring(plan, 9, 20, 5, 22, CUTOFF, final=True)
    assert [lk["information"] for lk in m["looks"]] == [0.5, 1.0]
    assert m["notes"][0] == (
        "the earlier look of 2021-01-01 at information fraction 1.0000 is left out: the final "
        "analysis is at information fraction 1"
    )
    # an earlier look above the actual fraction still precedes the final look at 1
    assert look_rates(THREE_LOOKS, 0.4, CUTOFF, final=True).rates == [0.33, 0.5, 1.0]


def test_final_without_evaluable_subjects() -> None:
    m = monitoring(THREE_LOOKS, 0, 0, 0, 0, CUTOFF, final=True)
    assert m["final"] is True and m["looks"] == [] and m["crossed"] is None
    assert m["note"] == "no evaluable subjects yet" and m["notes"] == [FINAL_NO_CP]
    assert monitoring_result(m).final


def test_not_final_is_unchanged() -> None:
    """Without ``final`` the block has no "final" key, the current look is followed by the
    final look at 1, and conditional power is computed."""
    m = monitoring(THREE_LOOKS, 9, 27, 5, 28, CUTOFF)
    assert m == monitoring(THREE_LOOKS, 9, 27, 5, 28, CUTOFF, final=False)
    assert "final" not in m
    assert [lk["kind"] for lk in m["looks"]] == ["previous", "previous", "current", "final"]
    assert [lk["information"] for lk in m["looks"]] == [0.33, 0.5, 55 / 60, 1.0]
    assert m["conditional_power"]["null"] is not None and "design_theta" in m
    assert look_rates(THREE_LOOKS, 55 / 60, CUTOFF).rates == [0.33, 0.5, 55 / 60, 1.0]


def test_suggest_final() -> None:
    end = dt.date(2024, 6, 30)
    assert suggest_final(end, dt.date(2024, 7, 1), 0, 0)
    assert not suggest_final(end, end, 0, 0)  # the planned end has not passed
    assert not suggest_final(end, dt.date(2024, 6, 1), 0, 0)
    assert not suggest_final(end, dt.date(2025, 1, 1), 1, 0)  # a subject ongoing
    assert not suggest_final(end, dt.date(2025, 1, 1), 0, 2)  # subjects pending


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
