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
from dmc_report.domain.study import DataSet
from dmc_report.validation.schedule import Schedule
from dmc_report.validation.schema import isin

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


def craving_by_visit(d: Derived, subjects: pd.Series, protocol: Protocol) -> list[Json]:
    crav = d.craving[isin(d.craving["SUBJID"].astype(str), subjects)]
    groups = dict(tuple(crav.groupby("VISIT")["CRAVING"]))
    return [
        {"visit": v.code, **describe(groups.get(v.code, pd.Series(dtype=float)))}
        for v in protocol.visits
        if "VAS" in v.assessments
    ]


def _ae(data: DataSet, schedule: Schedule, subjects: pd.Series) -> pd.DataFrame:
    if "AE" not in data:
        return pd.DataFrame(
            columns=["SUBJID", "AETERM", "AESOC", "AESTDT", "AESEV", "AESER", "AEACN", "AEOUT"]
        )
    f = data.frame("AE")
    keep = isin(f["SUBJID"], subjects) & (f["AESTDT"].isna() | (f["AESTDT"] <= schedule.cutoff))
    return f.loc[keep & f["AETERM"].notna()]


def _by_subjects(name: str) -> Any:
    """Sort key: most subjects first, then by name."""

    def key(row: Json) -> tuple[int, str]:
        return (-int(row["subjects"]), str(row[name]))

    return key


def safety(data: DataSet, schedule: Schedule, s: pd.DataFrame, *, listings: bool) -> Json:
    subjects = s["SUBJID"]
    ae = _ae(data, schedule, subjects)
    ser = ae[ae["AESER"] == "Y"]
    wd = ae[ae["AEACN"] == "WITHDRAWN"]
    fatal = set(ae.loc[ae["AEOUT"] == "FATAL", "SUBJID"].astype(str))
    died = set(s.loc[s["DSDECOD"] == "DEATH", "SUBJID"].astype(str)) if "DSDECOD" in s else set()
    out: Json = {
        "subjects_with_ae": int(ae["SUBJID"].nunique()),
        "ae_events": len(ae),
        "subjects_with_sae": int(ser["SUBJID"].nunique()),
        "sae_events": len(ser),
        "deaths": len(fatal | died),
        "ae_withdrawn_events": len(wd),
        "subjects_ae_withdrawn": int(wd["SUBJID"].nunique()),
    }
    soc = ae.assign(AESOC=ae["AESOC"].fillna("(SOC not coded)"))
    by_soc = []
    for name, g in soc.groupby("AESOC", sort=True):
        terms = [
            {"term": str(t), "subjects": int(h["SUBJID"].nunique()), "events": len(h)}
            for t, h in g.groupby("AETERM", sort=True)
        ]
        terms.sort(key=_by_subjects("term"))
        by_soc.append(
            {
                "soc": str(name),
                "subjects": int(g["SUBJID"].nunique()),
                "events": len(g),
                "terms": terms,
            }
        )
    by_soc.sort(key=_by_subjects("soc"))
    out["by_soc"] = by_soc
    rank = ae["AESEV"].map({k: i for i, k in enumerate(SEVERITIES)})
    worst = rank.groupby(ae["SUBJID"]).max()
    out["by_worst_severity"] = {
        **{sev: int((worst == i).sum()) for i, sev in enumerate(SEVERITIES)},
        "NOT RECORDED": int(worst.isna().sum()),
    }
    if listings:
        out["sae_listing"] = _listing(ser, s, data)
        out["death_listing"] = sorted(fatal | died)
    return out


def _listing(ae: pd.DataFrame, s: pd.DataFrame, data: DataSet) -> list[Json]:
    rand = s.set_index("SUBJID")["RANDDT"]
    rows = []
    for r in ae.sort_values(["AESTDT", "SUBJID"]).itertuples(index=False):
        start = r.AESTDT
        day = None
        if pd.notna(start) and r.SUBJID in rand.index:
            delta = (start - rand[r.SUBJID]).days
            day = delta + 1 if delta >= 0 else delta
        rows.append(
            {
                "subject": str(r.SUBJID),
                "term": str(r.AETERM),
                "soc": None if pd.isna(r.AESOC) else str(r.AESOC),
                "start": _iso(start),
                "end": _iso(r.AEENDT),
                "study_day": day,
                "severity": None if pd.isna(r.AESEV) else str(r.AESEV),
                "related": None if pd.isna(r.AEREL) else str(r.AEREL),
                "action": None if pd.isna(r.AEACN) else str(r.AEACN),
                "outcome": None if pd.isna(r.AEOUT) else str(r.AEOUT),
            }
        )
    return rows


def vital_signs(data: DataSet, protocol: Protocol, subjects: pd.Series) -> Json:
    visit = protocol.endpoints.infusion_visit
    if "VS" not in data or not visit:
        return {"note": "no vital signs"}
    f = data.frame("VS")
    f = f[isin(f["SUBJID"], subjects) & (f["VISIT"] == visit)]
    f = f.drop_duplicates(["SUBJID", "TPT"], keep="first")
    out: Json = {"visit": visit}
    for col, key in (("SYSBP", "sysbp_max_rise"), ("DIABP", "diabp_max_rise")):
        ok = f[col].notna() & f[col].between(*((60, 260) if col == "SYSBP" else (30, 160)))
        wide = f[ok].pivot(index="SUBJID", columns="TPT", values=col)
        if "PRE" not in wide:
            out[key] = describe([])
            continue
        post = wide.drop(columns="PRE")
        rise = post.sub(wide["PRE"], axis=0).max(axis=1, skipna=True)
        out[key] = describe(rise[wide["PRE"].notna() & post.notna().any(axis=1)])
    return out


def follow_up(data: DataSet, schedule: Schedule, subjects: pd.Series) -> Json:
    n = len(subjects)
    if "FU" not in data:
        return {"n": n, "contacted": 0, "abstinent": 0, "note": "no follow-up sheet"}
    f = data.frame("FU")
    f = f[isin(f["SUBJID"], subjects) & (f["FUDT"].isna() | (f["FUDT"] <= schedule.cutoff))]
    f = f.drop_duplicates("SUBJID", keep="first")
    return {"n": n, "contacted": len(f), "abstinent": int((f["FUABST"] == "Y").sum())}


def exposure(data: DataSet, schedule: Schedule, subjects: pd.Series) -> Json:
    n = len(subjects)
    if "EX" not in data:
        return {"n": n, "infused": 0, "completed": 0}
    f = data.frame("EX")
    f = f[isin(f["SUBJID"], subjects) & (f["EXDT"].isna() | (f["EXDT"] <= schedule.cutoff))]
    return {
        "n": n,
        "infused": int(f["SUBJID"].nunique()),
        "completed": int(f.loc[f["EXCOMPL"] == "Y", "SUBJID"].nunique()),
    }


def baseline(data: DataSet, subjects: pd.Series) -> Json:
    dm = data.frame("DM")
    dm = dm[isin(dm["SUBJID"], subjects)].drop_duplicates("SUBJID", keep="first")
    out: Json = {"n": len(dm), "numeric": {}, "categorical": {}}
    for col, lo, hi in (("AGE", 18, 100), ("BLDAYS", 0, 30)):
        v = dm[col].where(dm[col].between(lo, hi))
        d = describe(v)
        vv = v.dropna()
        d.update(
            q1=float(vv.quantile(0.25)) if len(vv) else None,
            q3=float(vv.quantile(0.75)) if len(vv) else None,
            min=float(vv.min()) if len(vv) else None,
            max=float(vv.max()) if len(vv) else None,
            missing=int(v.isna().sum()),
        )
        out["numeric"][col] = d
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
    month = rand["RANDDT"].dt.strftime("%Y-%m")
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
