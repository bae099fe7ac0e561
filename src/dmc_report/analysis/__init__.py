"""Interim analysis: every number ``dmc-sap.md`` defines, pooled (blinded) and by arm."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from dmc_report import __version__
from dmc_report.analysis import summaries as sm
from dmc_report.analysis.derive import Derived, derive
from dmc_report.analysis.results import BlindedResults, Results, UnblindedResults
from dmc_report.analysis.stats import cox_hr, describe, logrank, odds_ratio, welch
from dmc_report.domain.progress import NO_PROGRESS, Progress, checkpoint
from dmc_report.domain.protocol import Protocol
from dmc_report.domain.study import DataSet, Provenance, RandomizationKey
from dmc_report.validation import ValidationResult
from dmc_report.validation.schedule import Schedule

Json = dict[str, Any]


def blinded_results(
    data: DataSet, protocol: Protocol, schedule: Schedule, derived: Derived
) -> BlindedResults:
    """Pooled summaries. Takes no key: nothing here can be split by arm."""
    s = derived.subjects
    subjects = s["SUBJID"]
    return BlindedResults(
        {
            "enrollment": sm.enrollment(schedule, protocol),
            "disposition": sm.disposition(s),
            "abstinence": sm.abstinence(s),
            "abstinence_missing_ignored": sm.abstinence_ignoring_missing(s),
            "dropout": sm.dropout(s),
            "relapse": sm.relapse(s),
            "use_or_dropout": sm.use_or_dropout(s),
            "craving": {"by_visit": sm.craving_by_visit(derived, subjects, protocol)},
            "safety": sm.safety(data, schedule, s, listings=True),
            "baseline": sm.baseline(data, subjects),
            "exposure": sm.exposure(data, schedule, subjects),
            "vital_signs": sm.vital_signs(data, protocol, subjects),
            "follow_up": sm.follow_up(data, schedule, subjects),
        }
    )


def unblinded_results(
    data: DataSet, protocol: Protocol, schedule: Schedule, derived: Derived, key: RandomizationKey
) -> UnblindedResults:
    """The same summaries by arm, and the between-arm comparisons (experimental vs control)."""
    arm_of = key.assignments.drop_duplicates("SUBJID", keep="first").set_index("SUBJID")["ARMCD"]
    s = derived.subjects.assign(ARMCD=derived.subjects["SUBJID"].map(arm_of.astype(object)))
    by = {a.code: s[s["ARMCD"] == a.code] for a in key.arms}
    ctl = key.control
    exps = key.experimental
    exp = exps[0] if len(exps) == 1 else None
    arms = [
        {"code": a.code, "label": a.label, "role": a.role, "n": len(by[a.code])} for a in key.arms
    ]

    def per_arm(fn: Any) -> Json:
        return {a.code: fn(by[a.code]) for a in key.arms}

    out: Json = {"arms": arms}
    if s["ARMCD"].isna().any():
        out["not_in_key"] = int(s["ARMCD"].isna().sum())
    e, c = (by[exp.code], by[ctl.code]) if exp else (None, None)

    ev_e = e[e["evaluable"]] if e is not None else None
    ev_c = c[c["evaluable"]] if c is not None else None
    abst = {"by_arm": per_arm(sm.abstinence)}
    abst |= _compare(ev_e, ev_c, "abstinent")
    sens = {"by_arm": per_arm(sm.abstinence_ignoring_missing)}
    sens |= _compare(ev_e, ev_c, "abstinent_ignore")
    out["abstinence"] = abst
    out["abstinence_missing_ignored"] = sens
    drop: Json = {"by_arm": per_arm(sm.dropout)} | _compare(e, c, "dropout")
    drop["km_note"] = (
        "KM of time to dropout, censored at the end of treatment, the cutoff or completion"
    )
    out["dropout"] = drop
    rel: Json = {"by_arm": per_arm(sm.relapse)}
    if e is not None and c is not None:
        args = (e["relapse_time"], e["relapse_event"], c["relapse_time"], c["relapse_event"])
        rel["logrank"] = logrank(*args)
        rel["hazard_ratio"] = cox_hr(*args)
    out["relapse"] = rel
    crav_by = {
        a.code: sm.craving_by_visit(derived, by[a.code]["SUBJID"], protocol) for a in key.arms
    }
    visits = [r["visit"] for r in next(iter(crav_by.values()))] if crav_by else []
    out["craving"] = {
        "by_visit": [
            {
                "visit": v,
                "by_arm": {
                    code: {k: x for k, x in rows[i].items() if k != "visit"}
                    for code, rows in crav_by.items()
                },
            }
            for i, v in enumerate(visits)
        ]
    }
    if e is not None and c is not None:
        diff = welch(e["craving_mean"], c["craving_mean"])
        diff["baseline"] = {a.code: describe(by[a.code]["craving_baseline"]) for a in key.arms}
        out["craving"]["difference"] = diff
    out["safety"] = {"by_arm": per_arm(lambda x: sm.safety(data, schedule, x, listings=True))}
    out["use_or_dropout"] = per_arm(sm.use_or_dropout)
    out["vital_signs"] = {
        a.code: sm.vital_signs(data, protocol, by[a.code]["SUBJID"]) for a in key.arms
    }
    out["follow_up"] = {
        a.code: sm.follow_up(data, schedule, by[a.code]["SUBJID"]) for a in key.arms
    }
    out["exposure"] = {a.code: sm.exposure(data, schedule, by[a.code]["SUBJID"]) for a in key.arms}
    out["disposition"] = per_arm(sm.disposition)
    out["baseline"] = {a.code: sm.baseline(data, by[a.code]["SUBJID"]) for a in key.arms}
    out["monitoring"] = None
    out["monitoring_note"] = "interim monitoring boundaries are not yet computed in this version"
    return UnblindedResults(out)


def _compare(e: pd.DataFrame | None, c: pd.DataFrame | None, col: str) -> Json:
    """Odds ratio and Fisher p of ``col`` experimental vs control (two-arm studies)."""
    if e is None or c is None:
        return {
            "odds_ratio": None,
            "odds_ratio_note": "more than one experimental arm",
            "fisher_p": None,
        }
    return odds_ratio(e[col].to_numpy(bool), c[col].to_numpy(bool))


def _input(p: Provenance | None) -> Json | None:
    if p is None:
        return None
    return {"file": p.file, "size": p.size, "sha256": p.sha256}


def analyze(
    data: DataSet,
    protocol: Protocol,
    cutoff: dt.date,
    *,
    validation: ValidationResult,
    protocol_provenance: Provenance,
    key: RandomizationKey | None = None,
    progress: Progress = NO_PROGRESS,
) -> Results:
    """Every number of the SAP at ``cutoff``; unblinded only when ``key`` is given."""
    checkpoint(progress, 0.05, "Deriving endpoints")
    schedule = validation.schedule
    derived = derive(data, protocol, schedule)
    checkpoint(progress, 0.4, "Pooled summaries")
    blinded = blinded_results(data, protocol, schedule, derived)
    unblinded = None
    if key is not None:
        checkpoint(progress, 0.7, "Summaries by arm")
        unblinded = unblinded_results(data, protocol, schedule, derived, key)
    progress.update(1.0, "Analysis done")
    return Results(
        study_id=protocol.study.id,
        data_cutoff=cutoff.isoformat(),
        software={"name": "dmc-report", "version": __version__},
        inputs={
            "protocol": _input(protocol_provenance),
            "data": _input(data.provenance),
            "key": _input(key.provenance) if key else None,
        },
        validation=validation.as_json(),
        blinded=blinded,
        unblinded=unblinded,
    )
