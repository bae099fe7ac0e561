"""Risk difference: each arm's Wilson score CI and the Newcombe hybrid score CI of the difference
equal base R (tests/reference/risk_difference.R, which writes DescTools' "score" formula out
and checks it against Newcombe's form), and Newcombe's published examples."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dmc_report.analysis.stats import (
    RISK_DIFFERENCE_METHOD,
    proportion_ci,
    risk_difference,
    wilson_ci,
)

FIXTURE = json.loads((Path(__file__).parents[1] / "reference" / "risk_difference.json").read_text())
CASES = FIXTURE["cases"]


def close(a: float | None, b: float | None, tol: float = 1e-9) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= tol


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_equals_r(case: dict[str, Any]) -> None:
    got = risk_difference(case["k_e"], case["n_e"], case["k_c"], case["n_c"])
    want = case["difference"]
    for key in ("estimate", "ci_lower", "ci_upper"):
        assert close(got[key], want[key]), (key, got[key], want[key])
    assert got["method"] == RISK_DIFFERENCE_METHOD == "Newcombe hybrid score (method 10)"
    assert ("note" in got) == (case["n_e"] == 0 or case["n_c"] == 0)
    for arm, k, n in (("experimental", "k_e", "n_e"), ("control", "k_c", "n_c")):
        one = proportion_ci(case[k], case[n])
        for key in ("proportion", "ci_lower", "ci_upper"):
            assert close(one[key], case[arm][key]), (arm, key, one[key], case[arm][key])
        assert (one.get("note") == "no subjects") == (case[n] == 0)


def test_fixture_covers_the_edges() -> None:
    pairs = {(c["k_e"], c["n_e"], c["k_c"], c["n_c"]) for c in CASES}
    assert (13, 27, 3, 28) in pairs  # the first study: 48.1% vs 10.7%
    assert any(c["n_e"] == 0 for c in CASES) and any(c["n_c"] == 0 for c in CASES)
    assert any(c["k_e"] == 0 and c["k_c"] == 0 and c["n_e"] * c["n_c"] for c in CASES)
    assert any(c["k_e"] == c["n_e"] > 0 and c["k_c"] == c["n_c"] > 0 for c in CASES)
    assert any(c["n_e"] == 1 for c in CASES)
    assert FIXTURE["max_abs_descTools_vs_newcombe_form"] < 1e-8


# Newcombe RG. Interval estimation for the difference between independent proportions:
# comparison of eleven methods. Stat Med 1998;17:873-890, Table II, method 10 (4 decimals).
PUBLISHED = [
    ((56, 70, 48, 80), (0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.1705, 0.8090)),
    ((5, 56, 0, 29), (-0.0381, 0.1926)),
    ((0, 10, 0, 20), (-0.1611, 0.2775)),
    ((0, 10, 0, 10), (-0.2775, 0.2775)),
    ((10, 10, 0, 20), (0.6791, 1.0000)),
    ((10, 10, 0, 10), (0.6075, 1.0000)),
]


@pytest.mark.parametrize(("counts", "limits"), PUBLISHED, ids=[str(p[0]) for p in PUBLISHED])
def test_newcombe_table_ii(counts: tuple[int, int, int, int], limits: tuple[float, float]) -> None:
    got = risk_difference(*counts)
    assert round(got["ci_lower"], 4) == limits[0] and round(got["ci_upper"], 4) == limits[1]


def test_first_study() -> None:
    got = risk_difference(13, 27, 3, 28)
    assert f"{100 * 13 / 27:.1f}% vs {100 * 3 / 28:.1f}%" == "48.1% vs 10.7%"
    assert close(got["estimate"], 13 / 27 - 3 / 28)
    assert 0 < got["ci_lower"] < got["estimate"] < got["ci_upper"] < 1


def test_wilson_limits() -> None:
    assert wilson_ci(0, 10)[0] == 0.0 and wilson_ci(10, 10)[1] == 1.0
    lo, hi = wilson_ci(0, 10)
    assert round(hi, 4) == 0.2775
    lo, hi = wilson_ci(1, 1)
    assert 0 < lo < 1 and hi == 1.0
    with pytest.raises(ValueError):
        wilson_ci(0, 0)


def test_no_subjects_in_an_arm() -> None:
    got = risk_difference(0, 0, 3, 10)
    assert got == {
        "estimate": None,
        "ci_lower": None,
        "ci_upper": None,
        "method": "Newcombe hybrid score (method 10)",
        "note": "no subjects in an arm",
    }
    assert proportion_ci(0, 0) == {
        "proportion": None,
        "ci_lower": None,
        "ci_upper": None,
        "note": "no subjects",
    }
    assert set(risk_difference(1, 2, 1, 3)) == {"estimate", "ci_lower", "ci_upper", "method"}


def test_limits_stay_in_range_and_order() -> None:
    for n_e in range(1, 9):
        for n_c in range(1, 9):
            for k_e in range(n_e + 1):
                for k_c in range(n_c + 1):
                    r = risk_difference(k_e, n_e, k_c, n_c)
                    assert -1 <= r["ci_lower"] <= r["estimate"] <= r["ci_upper"] <= 1
                    m = risk_difference(k_c, n_c, k_e, n_e)  # the arms swapped: mirrored
                    assert close(m["ci_lower"], -r["ci_upper"], 1e-15)
                    assert close(m["ci_upper"], -r["ci_lower"], 1e-15)
