"""Summaries shared by the blinded and unblinded results: each takes a set of subjects.

The blinded results call these once with every randomized subject; the unblinded results call
them once per arm. A function here never sees an arm.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from dmc_report.analysis.derive import Derived
from dmc_report.analysis.stats import describe, kaplan_meier, proportion
from dmc_report.domain.protocol import Protocol
from dmc_report.validation.schedule import Schedule

Json = dict[str, Any]
SEVERITIES = ("MILD", "MODERATE", "SEVERE")


def _iso(ts: Any) -> str | None:
    return None if pd.isna(ts) else pd.Timestamp(ts).date().isoformat()


def abstinence(s: pd.DataFrame) -> Json:
    ev = s[s["evaluable"]]
    k = int(ev["abstinent"].sum())
    return {
        "evaluable": len(ev),
        "pending": int(s["pending"].sum()),
        "abstinent": k,
        **proportion(k, len(ev)),
    }


def abstinence_ignoring_missing(s: pd.DataFrame) -> Json:
    ev = s[s["evaluable"]]
    k = int(ev["abstinent_ignore"].sum())
    return {
        "evaluable": len(ev),
        "pending": int(s["pending"].sum()),
        "abstinent": k,
        **proportion(k, len(ev)),
    }


def dropout(s: pd.DataFrame) -> Json:
    k = int(s["dropout"].sum())
    km = kaplan_meier(s["dropout_time"], s["dropout_event"])
    return {
        "n": len(s),
        "dropouts": k,
        **proportion(k, len(s)),
        "km_median_days": km["median_days"],
        "km": km["km"],
    }


def relapse(s: pd.DataFrame) -> Json:
    return kaplan_meier(s["relapse_time"], s["relapse_event"])


def use_or_dropout(s: pd.DataFrame) -> Json:
    k = int(s["use_or_dropout"].sum())
    return {"n": len(s), "subjects": k, **proportion(k, len(s))}


def craving_by_visit(d: Derived, protocol: Protocol) -> list[Json]:
    groups = dict(tuple(d.craving.groupby("VISIT")["CRAVING"]))
    return [
        {"visit": v.code, **describe(groups.get(v.code, pd.Series(dtype=float)))}
        for v in protocol.visits
        if "VAS" in v.assessments
    ]


def _by_subjects(name: str) -> Any:
    """Sort key: most subjects first, then by name."""

    def key(row: Json) -> tuple[int, str]:
        return (-int(row["subjects"]), str(row[name]))

    return key


def safety(d: Derived) -> Json:
    s = d.subjects
    ae = d.ae
    ser = ae[ae["AESER"] == "Y"]
    wd = ae[ae["AEACN"] == "WITHDRAWN"]
    fatal = set(ae.loc[ae["AEOUT"] == "FATAL", "SUBJID"].astype(str))
    died = set(s.loc[s["DSDECOD"] == "DEATH", "SUBJID"].astype(str))
    out: Json = {
        "subjects_with_ae": int(ae["sid"].nunique()),
        "ae_events": len(ae),
        "subjects_with_sae": int(ser["sid"].nunique()),
        "sae_events": len(ser),
        "deaths": len(fatal | died),
        "ae_withdrawn_events": len(wd),
        "subjects_ae_withdrawn": int(wd["sid"].nunique()),
    }
    soc = ae.assign(
        AESOC=ae["AESOC"].astype(object).fillna("(SOC not coded)"),
        AETERM=ae["AETERM"].astype(object),
    )
    terms = soc.groupby(["AESOC", "AETERM"])["sid"].agg(["nunique", "size"])
    socs = soc.groupby("AESOC")["sid"].agg(["nunique", "size"])
    by_soc = []
    for name, row in socs.iterrows():
        t = terms.xs(name, level="AESOC")
        rows = [
            {"term": str(term), "subjects": int(r["nunique"]), "events": int(r["size"])}
            for term, r in t.iterrows()
        ]
        rows.sort(key=_by_subjects("term"))
        by_soc.append(
            {
                "soc": str(name),
                "subjects": int(row["nunique"]),
                "events": int(row["size"]),
                "terms": rows,
            }
        )
    by_soc.sort(key=_by_subjects("soc"))
    out["by_soc"] = by_soc
    rank = ae["AESEV"].map({k: i for i, k in enumerate(SEVERITIES)})
    worst = rank.groupby(ae["sid"]).max()
    out["by_worst_severity"] = {
        **{sev: int((worst == i).sum()) for i, sev in enumerate(SEVERITIES)},
        "NOT RECORDED": int(worst.isna().sum()),
    }
    out["sae_listing"] = _listing(ser, s)
    out["death_listing"] = sorted(fatal | died)
    return out


def _listing(ae: pd.DataFrame, s: pd.DataFrame) -> list[Json]:
    """One row per event, in order of onset, with the study day of onset."""
    if ae.empty:
        return []
    rand = s.set_index("sid")["RANDDT"]
    ae = ae.sort_values(["AESTDT", "SUBJID"])
    delta = (ae["AESTDT"] - ae["sid"].map(rand)).dt.days
    day = delta.where(delta < 0, delta + 1)

    def text(col: str) -> list[str | None]:
        return [None if pd.isna(v) else str(v) for v in ae[col].astype(object)]

    def iso(col: str) -> list[str | None]:
        return [None if pd.isna(v) else v.date().isoformat() for v in ae[col]]

    columns = {
        "subject": text("SUBJID"),
        "term": text("AETERM"),
        "soc": text("AESOC"),
        "start": iso("AESTDT"),
        "end": iso("AEENDT"),
        "study_day": [None if pd.isna(v) else int(v) for v in day],
        "severity": text("AESEV"),
        "related": text("AEREL"),
        "action": text("AEACN"),
        "outcome": text("AEOUT"),
    }
    return [
        dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)
    ]


def vital_signs(d: Derived, protocol: Protocol) -> Json:
    if not protocol.endpoints.infusion_visit or len(d.vs.columns) == 1:
        return {"note": "no vital signs"}
    out: Json = {"visit": protocol.endpoints.infusion_visit}
    for key, col in (("sysbp_max_rise", "sysbp_rise"), ("diabp_max_rise", "diabp_rise")):
        out[key] = describe(d.vs.get(col, pd.Series(dtype=float)))
    return out


def follow_up(d: Derived) -> Json:
    return {
        "n": len(d.subjects),
        "contacted": len(d.fu),
        "abstinent": int((d.fu["FUABST"] == "Y").sum()) if "FUABST" in d.fu else 0,
    }


def exposure(d: Derived) -> Json:
    ex = d.ex
    return {
        "n": len(d.subjects),
        "infused": int(ex["sid"].nunique()),
        "completed": int(ex.loc[ex["EXCOMPL"] == "Y", "sid"].nunique()) if "EXCOMPL" in ex else 0,
    }


def baseline(d: Derived) -> Json:
    dm = d.dm
    out: Json = {"n": len(dm), "numeric": {}, "categorical": {}}
    for col, lo, hi in (("AGE", 18, 100), ("BLDAYS", 0, 30)):
        v = dm[col].where(dm[col].between(lo, hi))
        stats_ = describe(v)
        vv = v.dropna()
        stats_.update(
            q1=float(vv.quantile(0.25)) if len(vv) else None,
            q3=float(vv.quantile(0.75)) if len(vv) else None,
            min=float(vv.min()) if len(vv) else None,
            max=float(vv.max()) if len(vv) else None,
            missing=int(v.isna().sum()),
        )
        out["numeric"][col] = stats_
    for col in ("SEX", "RACE", "ETHNIC", "ROUTE"):
        counts = dm[col].astype(object).fillna("(missing)").value_counts()
        out["categorical"][col] = [
            {"value": str(k), "n": int(v), "proportion": v / len(dm) if len(dm) else None}
            for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
        ]
    return out


def disposition(s: pd.DataFrame) -> Json:
    disc = s[s["status"] == "discontinued"]
    return {
        "completed": int((s["status"] == "completed").sum()),
        "discontinued": len(disc),
        "ongoing": int((s["status"] == "ongoing").sum()),
        "reasons": {str(k): int(v) for k, v in sorted(disc["DSDECOD"].value_counts().items())},
    }


def enrollment(schedule: Schedule, protocol: Protocol) -> Json:
    subj = schedule.subjects
    c = schedule.cutoff
    screened = subj[subj["CONSDT"].isna() | (subj["CONSDT"] <= c)]
    rand = subj[subj["randomized"]]
    month = rand["RANDDT"].dt.to_period("M").astype(str)
    by_month = month.value_counts().sort_index()
    return {
        "screened": len(screened),
        "randomized": len(rand),
        "not_randomized": len(screened) - int(screened["randomized"].sum()),
        "target": protocol.study.target_enrollment,
        "by_site": {str(k): int(v) for k, v in sorted(rand["SITEID"].value_counts().items())},
        "by_site_basis": "randomized",
        "by_month": [
            {"month": str(m), "randomized": int(n), "cumulative": int(cum)}
            for (m, n), cum in zip(by_month.items(), np.cumsum(by_month.to_numpy()), strict=True)
        ],
        "first_randomization": _iso(rand["RANDDT"].min()) if len(rand) else None,
        "last_randomization": _iso(rand["RANDDT"].max()) if len(rand) else None,
    }
