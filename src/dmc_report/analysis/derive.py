"""Subject-level derivations of ``dmc-sap.md``, vectorised over subjects.

Every function takes the validated study's schedule (the subject-by-visit grid shared with
validation) and returns one row per randomized subject or per subject and visit. Nothing here
knows about arms: the by-arm split happens in :mod:`dmc_report.analysis.unblinded`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dmc_report.domain.protocol import MissingRule, Protocol
from dmc_report.domain.study import DataSet
from dmc_report.validation.schedule import Schedule, day_offset
from dmc_report.validation.schema import isin

POS, NEG, MISSING, NOTDUE, NOTEXP = "POS", "NEG", "MISSING", "NOTDUE", "NOTEXP"


@dataclass(frozen=True)
class Derived:
    """Per-subject derivations at the cutoff (randomized subjects only, one row each).

    Columns of ``subjects``: SUBJID, SITEID, RANDDT, status, DSDECOD, DSDT, dropout,
    dropout_time, dropout_event, evaluable, pending, abstinent, abstinent_ignore (missing
    samples ignored), evaluable_ignore, relapse_event, relapse_time, craving_mean,
    craving_baseline, use_or_dropout.
    ``urine``: SUBJID, VISIT, order, result (POS/NEG/MISSING/NOTDUE/NOTEXP), date.
    """

    subjects: pd.DataFrame
    urine: pd.DataFrame
    craving: pd.DataFrame  # SUBJID, VISIT, CRAVING (valid values dated <= C)


def _first_valid(frame: pd.DataFrame, ok: pd.Series) -> pd.DataFrame:
    return frame.loc[ok].drop_duplicates(["SUBJID", "VISIT"], keep="first")


def urine_results(data: DataSet, protocol: Protocol, schedule: Schedule) -> pd.DataFrame:
    """The urine result of every randomized subject at every UDS visit."""
    c = schedule.cutoff
    uds_visits = [v.code for v in protocol.visits if "UDS" in v.assessments]
    g = schedule.grid
    g = g[isin(g["VISIT"].astype(str), uds_visits)][
        ["SUBJID", "VISIT", "order", "target", "hi", "due", "expected"]
    ]
    f = data.frame("UDS")
    ok = isin(f["COCAINE"], [POS, NEG]) & (f["VISDT"].isna() | (f["VISDT"] <= c))
    res = _first_valid(f, ok)[["SUBJID", "VISIT", "COCAINE", "VISDT"]]
    res = res.astype({"SUBJID": object, "VISIT": object, "COCAINE": object})
    g = g.merge(res, on=["SUBJID", "VISIT"], how="left")
    has = g["COCAINE"].notna()
    g["result"] = np.select(
        [has, ~g["expected"], g["due"]], [g["COCAINE"].astype(object), NOTEXP, MISSING], NOTDUE
    )
    # the date of a result: its sample date, or the visit's target date if undated / missing
    g["date"] = g["VISDT"].where(has & g["VISDT"].notna(), g["target"])
    return g[["SUBJID", "VISIT", "order", "target", "hi", "due", "result", "date"]]


def derive(data: DataSet, protocol: Protocol, schedule: Schedule) -> Derived:
    ep = protocol.endpoints
    c = schedule.cutoff
    subj = schedule.subjects
    subj = subj.loc[subj["randomized"]].copy()
    subj = subj.astype({"SUBJID": object, "SITEID": object})
    eot = subj["RANDDT"] + pd.Timedelta(days=ep.end_of_treatment_day - 1)
    subj["dropout"] = subj["discontinued"] & (subj["DSDT"] <= eot)

    urine = urine_results(data, protocol, schedule)
    ignore = ep.missing is MissingRule.IGNORE

    # Abstinence over the window visits
    win = urine[urine["VISIT"].isin(ep.abstinence_visits)]
    last = protocol.visit(ep.abstinence_visits[-1])
    window_end = subj["RANDDT"] + pd.Timedelta(days=int(day_offset(last.day)) + last.window_after)
    agg = (
        win.assign(
            neg=win["result"] == NEG,
            pos=win["result"] == POS,
            sample=win["result"].isin([POS, NEG]),
        )
        .groupby("SUBJID")
        .agg(
            all_due=("due", "all"),
            all_neg=("neg", "all"),
            any_pos=("pos", "any"),
            any_sample=("sample", "any"),
        )
    )
    s = subj.set_index("SUBJID")
    agg = agg.reindex(s.index)
    left_early = s["discontinued"] & (s["DSDT"] < window_end.set_axis(s.index))
    evaluable = agg["all_due"].fillna(False).astype(bool) | s["discontinued"]
    s["evaluable"] = evaluable
    s["pending"] = ~evaluable
    s["abstinent"] = evaluable & ~left_early & agg["all_neg"].fillna(False).astype(bool)
    s["abstinent_ignore"] = (
        evaluable
        & ~left_early
        & agg["any_sample"].fillna(False).astype(bool)
        & ~agg["any_pos"].fillna(False).astype(bool)
    )
    if ignore:
        s["abstinent"] = s["abstinent_ignore"]

    # Relapse: earliest POS (or missing-as-positive) relapse visit, or a dropout
    rel = urine[urine["VISIT"].isin(ep.relapse_visits)]
    bad = rel["result"] == POS
    if not ignore:
        bad |= rel["result"] == MISSING
    ev = rel.loc[bad].groupby("SUBJID")["date"].min()
    drop_date = s["DSDT"].where(s["dropout"])
    event_date = pd.concat([ev.reindex(s.index), drop_date], axis=1).min(axis=1)
    negs = rel.loc[(rel["result"] == NEG) & (rel["date"] <= c)].groupby("SUBJID")["date"].max()
    censor_date = negs.reindex(s.index).fillna(s["RANDDT"])
    s["relapse_event"] = event_date.notna()
    end = event_date.fillna(censor_date)
    s["relapse_time"] = (end - s["RANDDT"]).dt.days.astype(float)
    s["use_or_dropout"] = s["relapse_event"]

    # Time to dropout (retention), censored at the EOT date, the cutoff, or completion
    eot_s = eot.set_axis(s.index)
    stop = pd.concat(
        [eot_s, pd.Series(c, index=s.index), s["DSDT"].where(s["completed"])], axis=1
    ).min(axis=1)
    s["dropout_event"] = s["dropout"]
    s["dropout_time"] = (s["DSDT"].where(s["dropout"], stop) - s["RANDDT"]).dt.days.astype(float)

    # Craving: valid values dated <= C (or undated), at visits due or not yet due
    vas_visits = [v.code for v in protocol.visits if "VAS" in v.assessments]
    f = data.frame("VAS")
    ok = f["CRAVING"].between(0, 100) & (f["VISDT"].isna() | (f["VISDT"] <= c))
    ok &= isin(f["VISIT"], vas_visits) & isin(f["SUBJID"], list(s.index))
    crav = _first_valid(f, ok)[["SUBJID", "VISIT", "CRAVING"]].astype(
        {"SUBJID": object, "VISIT": object}
    )
    g = schedule.grid[["SUBJID", "VISIT", "expected"]]
    crav = crav.merge(g, on=["SUBJID", "VISIT"], how="left")
    crav = crav[crav["expected"].fillna(True).astype(bool)].drop(columns="expected")
    post = crav[crav["VISIT"].isin(ep.craving_visits)]
    s["craving_mean"] = post.groupby("SUBJID")["CRAVING"].mean().reindex(s.index)
    if ep.craving_baseline_visit:
        base = crav[crav["VISIT"] == ep.craving_baseline_visit].set_index("SUBJID")["CRAVING"]
        s["craving_baseline"] = base.reindex(s.index)
    else:
        s["craving_baseline"] = np.nan
    return Derived(s.reset_index(), urine, crav)
