"""Craving at a visit after the subject's DSDT counts (dmc-sap.md, Craving; issue 15).

"Not expected" (the visit's target after DSDT) only decides whether a missing urine sample is
missing; a craving value dated by the cutoff is data. The R fixture early-follow-up
(tests/reference/make_fixtures.py) holds subjects who completed on the day their last visit came
early; tests/unit/test_analysis_reference.py compares every number with R.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from dmc_report.analysis.derive import derive
from dmc_report.pipeline import load_study, run_validation

CASE = Path(__file__).parents[1] / "fixtures" / "r" / "early-follow-up"


def test_craving_at_a_visit_after_dsdt_is_kept() -> None:
    cutoff = dt.date.fromisoformat(json.loads((CASE / "case.json").read_text())["cutoff"])
    loaded = load_study(CASE / "protocol.toml", CASE / "data.xlsx", cutoff=cutoff)
    validation = run_validation(loaded)
    grid = validation.schedule.grid
    early = grid.loc[(grid["VISIT"] == "W5V2") & ~grid["expected"] & grid["has_VAS"], "sid"]
    assert len(early) >= 5  # completed the day their W5V2 came early: target after DSDT
    derived = derive(loaded.study.data, loaded.study.protocol, validation.schedule)
    kept = derived.craving[derived.craving["VISIT"] == "W5V2"]
    assert set(early) <= set(kept["sid"])
    # a urine sample absent at such a visit is "not expected", never missing
    absent = grid.loc[(grid["VISIT"] == "W5V2") & ~grid["expected"] & ~grid["has_UDS"], "sid"]
    urine = derived.urine[(derived.urine["VISIT"] == "W5V2") & derived.urine["sid"].isin(absent)]
    assert len(urine) and set(urine["result"]) == {"NOTEXP"}
