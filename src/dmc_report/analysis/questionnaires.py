"""Questionnaires (QS: FFMQ and PSS) by visit, pooled and by arm (report-contents.md).

Which record counts is the rule of every dated sheet (docs/analysis.md, "Which record counts";
:mod:`dmc_report.validation.records`): a row dated on or before the cutoff (or undated), for a
randomized subject, at a visit whose schedule has QS; of the rows for one subject and visit the
first such row is used. A score outside its contract range (a validation finding) is left out
of the summaries. Checked against R: tests/reference/questionnaires.R.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from dmc_report.analysis.stats import describe
from dmc_report.domain.contract import QS
from dmc_report.domain.protocol import Protocol
from dmc_report.domain.results import Summary, VisitSummary
from dmc_report.domain.study import DataSet
from dmc_report.validation.records import counting
from dmc_report.validation.schema import codes_in

# the scores the contract knows, with their ranges
SCORES: dict[str, tuple[float, float]] = {
    c.name: (float(c.minimum), float(c.maximum))
    for c in QS.columns
    if c.minimum is not None and c.maximum is not None
}


def qs_visits(protocol: Protocol) -> list[str]:
    return [v.code for v in protocol.visits if "QS" in v.assessments]


def questionnaire_values(
    data: DataSet, protocol: Protocol, subjects: pd.DataFrame, cutoff: pd.Timestamp
) -> pd.DataFrame:
    """One row per randomized subject (``sid`` of ``subjects``) and QS visit with a record that
    counts: sid, VISIT and each score (NaN where blank or out of range)."""
    columns = ["sid", "VISIT", *SCORES]
    visits = qs_visits(protocol)
    if "QS" not in data or not protocol.domains.questionnaires or not visits:
        return pd.DataFrame(columns=columns)
    qs = data.frame("QS")
    ids = pa.array(subjects["SUBJID"].astype(str).tolist(), pa.string())
    sid = codes_in(qs["SUBJID"], ids)
    at = qs["VISIT"].isin(visits).fillna(False).to_numpy(bool)
    ok = counting("QS", qs, cutoff) & (sid >= 0) & at
    out = pd.DataFrame({"sid": sid[ok], "VISIT": qs["VISIT"].to_numpy(object)[ok]})
    for score, (lo, hi) in SCORES.items():
        if score in qs:
            v = pd.to_numeric(qs[score], errors="coerce").to_numpy(float)[ok]
            out[score] = np.where((v >= lo) & (v <= hi), v, np.nan)
        else:
            out[score] = np.nan
    return out


def questionnaires(
    values: pd.DataFrame, protocol: Protocol
) -> dict[str, tuple[VisitSummary, ...]] | None:
    """Per score, each QS visit's summary (n, mean, SD, median, t-based 95% CI); None when the
    trial has no questionnaires."""
    visits = qs_visits(protocol)
    if not protocol.domains.questionnaires or not visits:
        return None
    out: dict[str, tuple[VisitSummary, ...]] = {}
    for score in SCORES:
        groups = dict(tuple(values.groupby("VISIT")[score])) if len(values) else {}
        out[score] = tuple(
            VisitSummary(v, Summary(**describe(groups.get(v, pd.Series(dtype=float)))))
            for v in visits
        )
    return out
