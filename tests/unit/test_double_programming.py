"""Double programming: every field of the results JSON against the R reference scripts
(tests/reference/coverage.py: the registry of R outputs, the union walk, the fields not compared
with their reasons, and the known disagreements)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.reference import coverage as cv

CASES = cv.case_folders()


def _id(folder: Path) -> str:
    return f"{folder.parent.name}/{folder.name}"


def _inputs_or_skip(folder: Path) -> None:
    if (cv.inputs_of(folder) / "data.xlsx").is_file():
        return
    message = f"{_id(folder)}: its workbooks ({cv.inputs_of(folder)}) are not beside the checkout"
    if cv.shared_required():
        pytest.fail(message + " (CI=true: the shared reference studies are required)")
    pytest.skip(message)


@pytest.mark.parametrize("folder", CASES, ids=[_id(f) for f in CASES])
def test_every_field_agrees_with_r(folder: Path) -> None:
    _inputs_or_skip(folder)
    w = cv.compare(folder)
    assert not w.problems, f"{len(w.problems)} problems:\n" + "\n".join(w.problems[:40])
    # every number of the analysis (blinded and unblinded) is compared: none is left out
    left_out = [p for p in w.numeric_not_compared if p.startswith(("blinded", "unblinded"))]
    assert not left_out, left_out[:20]
    for path, (tool, r) in w.disagreements.items():  # the known ones, for the log
        print(f"EXPECTED FAILURE {_id(folder)} {path}: tool {tool!r}, R {r!r}")


@pytest.mark.parametrize("folder", CASES, ids=[_id(f) for f in CASES])
def test_every_r_output_is_registered(folder: Path) -> None:
    """Each R script's file is in the registry, and each registered file is written per case."""
    registered = {p.file for p in cv.REGISTRY}
    written = {p.name for p in folder.glob("*.json") if p.name != "case.json"}
    assert written == registered, (sorted(written - registered), sorted(registered - written))


def test_the_shared_studies_have_r_outputs() -> None:
    names = {f.name for f in CASES if f.parent == cv.SHARED_FIXTURES}
    assert names == {"seedlike-202", "interim-303"}


def test_the_walk_catches_a_field_r_lacks_and_a_wrong_number() -> None:
    folder = cv.FIXTURES / "zero-cell"
    got = cv.results_json(folder)
    assert not cv.compare(folder, got).problems
    got["blinded"]["enrollment"]["extra_count"] = 3
    got["blinded"]["safety"]["ae_events"] += 1
    del got["blinded"]["enrollment"]["screened"]
    problems = "\n".join(cv.compare(folder, got).problems)
    assert "blinded.enrollment.extra_count: the tool writes 3, R nothing" in problems
    assert "blinded.safety.ae_events: R" in problems
    assert "blinded.enrollment.screened: R writes" in problems


def test_not_compared_has_a_reason_for_every_entry() -> None:
    assert all(reason.strip() for reason in (cv.NOT_COMPARED | cv.PENDING).values())
    assert all(len(v) == 3 and v[2] for v in cv.EXPECTED_FAILURES.values())


def test_under_ci_a_missing_shared_study_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A case whose workbooks are elsewhere (the shared studies) and absent: skipped on a
    developer's machine, a failure under CI=true."""
    case = tmp_path / "r-shared" / "gone"
    case.mkdir(parents=True)
    (case / "case.json").write_text('{"cutoff": "2020-01-01", "inputs": "../../nowhere"}')
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        _inputs_or_skip(case)
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception):
        _inputs_or_skip(case)


def test_the_edge_cases_exercise_what_they_are_for() -> None:
    def r(case: str) -> dict[str, Any]:
        return dict(json.loads((cv.FIXTURES / case / "expected.json").read_text()))

    ties = r("edge-ties-at-cutoff")["blinded"]
    cut_day = 14  # W3V1 (day 15) is on the cutoff for every subject
    assert [(k["day"], k["events"]) for k in ties["relapse"]["km"]] == [(cut_day, 6)]
    assert ties["relapse"]["censored"] == [{"day": cut_day, "n": 6}]
    assert ties["safety"]["ae_events"] == 2  # the AE starting the day after the cutoff is out
    missing = r("edge-all-missing")["blinded"]
    assert missing["relapse"]["km"][0] == {**missing["relapse"]["km"][0], "day": 7, "events": 4}
    none = r("edge-no-events-arm")["unblinded"]["relapse"]
    assert none["by_arm"]["B"]["events"] == 0 and none["hazard_ratio"]["estimate"] is None
    pending = r("edge-all-pending")["blinded"]["abstinence"]
    assert pending["evaluable"] == 0 and pending["pending"] == 12
