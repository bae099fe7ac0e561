"""Analysis: blinding by construction, the results JSON's shape and stability, the demo's figures."""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dmc_report import cli
from dmc_report.analysis import blinded_results
from dmc_report.analysis.stats import cox_hr, logistic_irls, odds_ratio
from dmc_report.demo.writer import DemoFiles
from dmc_report.pipeline import load_study, run_analysis, run_validation

CONTRACT_BLINDED = {
    "enrollment",
    "disposition",
    "abstinence",
    "dropout",
    "relapse",
    "craving",
    "safety",
}
CONTRACT_UNBLINDED = {"arms", "abstinence", "dropout", "relapse", "craving", "safety", "monitoring"}


@pytest.fixture(scope="module")
def demo_json(demo: DemoFiles, demo_password: str) -> dict[str, Any]:
    loaded = load_study(demo.protocol, demo.data, key=demo.key, key_password=demo_password)
    return run_analysis(loaded, run_validation(loaded)).as_json()


def _strings(o: Any) -> list[str]:
    if isinstance(o, dict):
        return [str(k) for k in o] + [s for v in o.values() for s in _strings(v)]
    if isinstance(o, list):
        return [s for v in o for s in _strings(v)]
    return [o] if isinstance(o, str) else []


def test_blinded_results_carry_no_arm(demo_json: dict[str, Any]) -> None:
    arms = demo_json["unblinded"]["arms"]
    labels = {a["label"] for a in arms}
    codes = {a["code"] for a in arms}
    text = json.dumps(demo_json["blinded"])
    for label in labels:
        assert label not in text
        assert label.split()[0] not in text  # not even the drug's name
    assert not codes & set(_strings(demo_json["blinded"]))  # no key or value is an arm code
    assert "ARMCD" not in text and "by_arm" not in text


def test_the_blinded_builder_cannot_take_a_key() -> None:
    params = inspect.signature(blinded_results).parameters
    assert "key" not in params and all("Key" not in str(p.annotation) for p in params.values())


def test_contract_keys(demo_json: dict[str, Any]) -> None:
    assert demo_json["schema"] == "dmc-report/results/1"
    assert {
        "study_id",
        "data_cutoff",
        "software",
        "inputs",
        "validation",
        "blinded",
        "unblinded",
    } <= set(demo_json)
    assert set(demo_json["blinded"]) >= CONTRACT_BLINDED
    assert set(demo_json["unblinded"]) >= CONTRACT_UNBLINDED
    ab = demo_json["unblinded"]["abstinence"]
    assert set(ab) >= {"by_arm", "odds_ratio", "fisher_p"}
    assert set(ab["odds_ratio"]) == {"estimate", "ci_lower", "ci_upper"}
    rel = demo_json["unblinded"]["relapse"]
    assert set(rel["hazard_ratio"]) >= {"estimate", "ci_lower", "ci_upper", "p"}
    row = rel["by_arm"]["A"]["km"][0]
    assert set(row) == {"day", "at_risk", "events", "survival", "ci_lower", "ci_upper"}
    roles = {a["code"]: a["role"] for a in demo_json["unblinded"]["arms"]}
    assert roles == {"A": "experimental", "B": "control"}
    assert (
        len(demo_json["inputs"]["data"]["sha256"]) == 64 and demo_json["inputs"]["key"] is not None
    )


def test_demo_final_reproduces_the_published_trial(demo_json: dict[str, Any]) -> None:
    ab = demo_json["unblinded"]["abstinence"]["by_arm"]
    assert (ab["A"]["abstinent"], ab["A"]["evaluable"]) == (13, 27)  # 48.1%
    assert (ab["B"]["abstinent"], ab["B"]["evaluable"]) == (3, 28)  # 10.7%
    assert (
        round(100 * ab["A"]["proportion"], 1) == 48.1
        and round(100 * ab["B"]["proportion"], 1) == 10.7
    )
    hr = demo_json["unblinded"]["relapse"]["hazard_ratio"]
    assert hr["estimate"] < 1 and hr["ci_lower"] < hr["estimate"] < hr["ci_upper"]
    assert 0.35 < hr["estimate"] < 0.6
    crav = demo_json["unblinded"]["craving"]["difference"]
    assert -62 < crav["percent"] < -54


def test_without_a_key_unblinded_is_null(
    demo: DemoFiles, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r.json"
    code = cli.main(
        ["analyze", "--protocol", str(demo.protocol), "--data", str(demo.data), "--json", str(out)]
    )
    assert code == 1  # the demo's deliberate errors
    r = json.loads(out.read_text())
    assert r["unblinded"] is None and r["inputs"]["key"] is None
    assert r["validation"]["errors"] == 6


def test_results_json_is_byte_identical_across_runs(
    demo: DemoFiles, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outs = []
    for i in range(2):
        out = tmp_path / f"r{i}.json"
        cli.main([
            "analyze", "--protocol", str(demo.protocol), "--data", str(demo.data), "--key", str(demo.key),
            "--key-password-file", str(demo.key_password_file), "--json", str(out),
        ])  # fmt: skip
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    assert b"NaN" not in outs[0] and b"Infinity" not in outs[0]


def test_r_faithful_fits_agree_with_lifelines_and_statsmodels() -> None:
    import pandas as pd
    import statsmodels.api as sm
    from lifelines import CoxPHFitter

    rng = np.random.default_rng(1)
    t = rng.integers(1, 30, 80).astype(float)
    e = rng.random(80) < 0.7
    x = np.r_[np.ones(40), np.zeros(40)]
    ours = cox_hr(t[:40], e[:40], t[40:], e[40:])
    cph = CoxPHFitter().fit(pd.DataFrame({"T": t, "E": e, "x": x}), "T", "E")
    assert abs(ours["estimate"] - float(np.exp(cph.params_["x"]))) < 1e-6 * ours["estimate"]
    y = (rng.random(80) < 0.4).astype(float)
    beta, cov = logistic_irls(y, np.c_[np.ones(80), x])
    fit = sm.Logit(y, sm.add_constant(x)).fit(disp=0)
    assert np.allclose(beta, fit.params, rtol=1e-7)
    assert np.allclose(np.sqrt(np.diag(cov)), fit.bse, rtol=1e-4)  # R's last-iteration weights


def test_zero_cell_gives_null_with_a_note() -> None:
    r = odds_ratio([True, True, False], [False, False, False])
    assert (
        r["odds_ratio"] is None and r["odds_ratio_note"] == "zero cell" and 0 < r["fisher_p"] <= 1
    )


def test_an_arm_without_subjects_gives_nulls_with_a_note() -> None:
    # an experimental arm in the key that nobody has been randomized into yet
    from dmc_report.analysis.stats import cox_hr, logrank

    r = odds_ratio([], [True, False, False])
    assert r == {"odds_ratio": None, "odds_ratio_note": "no subjects in an arm", "fisher_p": None}
    t, e = np.array([3.0, 5.0, 9.0]), np.array([1, 0, 1])
    none = np.array([], float)
    assert logrank(none, none, t, e) == {"chi2": None, "p": None, "note": "no subjects in an arm"}
    assert cox_hr(none, none, t, e)["estimate"] is None
