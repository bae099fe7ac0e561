"""Summaries shared by the blinded and unblinded results: each takes a set of subjects.

The blinded results call these once with every randomized subject; the unblinded results call
them once per arm. A function here never sees an arm.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from dmc_report.analysis.derive import Derived
from dmc_report.analysis.stats import describe, kaplan_meier, wilson_ci
from dmc_report.domain.contract import DATA_SHEETS
from dmc_report.domain.protocol import Protocol
from dmc_report.domain.results import (
    Abstinence,
    AeEvent,
    AnalyteSummary,
    Baseline,
    Category,
    Count,
    DataCurrency,
    Disposition,
    DosingLog,
    Dropout,
    Enrollment,
    EntryLag,
    Exposure,
    FollowUp,
    KaplanMeier,
    KmRow,
    MonthCount,
    NumericSummary,
    Safety,
    SocCount,
    Summary,
    TermCount,
    VisitCompliance,
    VisitSummary,
    VitalSigns,
)
from dmc_report.domain.study import DataSet
from dmc_report.validation.records import counting
from dmc_report.validation.schedule import Schedule
from dmc_report.validation.schema import codes_in

Json = dict[str, Any]
SEVERITIES = ("MILD", "MODERATE", "SEVERE")


def summary(values: pd.Series | Any) -> Summary:
    """:func:`~dmc_report.analysis.stats.describe` as a :class:`Summary`."""
    return Summary(**describe(values))


def km_grid(protocol: Protocol) -> tuple[float, ...]:
    """The days at which a Kaplan-Meier curve's number at risk is given: weekly up to the end of
    treatment (fortnightly beyond ten weeks), the last at or after the end of treatment."""
    eot = protocol.endpoints.end_of_treatment_day
    step = 7 if eot <= 70 else 14
    return tuple(float(d) for d in range(0, eot + step, step))


def km(time: Any, event: Any, grid: Sequence[float] = ()) -> KaplanMeier:
    """:func:`~dmc_report.analysis.stats.kaplan_meier` as a :class:`KaplanMeier`, with the
    censoring times and the number at risk on ``grid``."""
    d = kaplan_meier(time, event)
    t = np.asarray(time, float)
    cens, counts = np.unique(t[~np.asarray(event, bool)], return_counts=True)
    return KaplanMeier(
        censored=tuple((float(c), int(k)) for c, k in zip(cens, counts, strict=True)),
        at_risk=tuple((float(g), int(np.sum(t >= g))) for g in grid),
        n=d["n"],
        events=d["events"],
        median_days=d["median_days"],
        median_ci_lower=d["median_ci"]["lower"],
        median_ci_upper=d["median_ci"]["upper"],
        rows=tuple(KmRow(**r) for r in d["km"]),
        median_note=d.get("median_note"),
    )


def _iso(ts: Any) -> str | None:
    return None if pd.isna(ts) else pd.Timestamp(ts).date().isoformat()


def abstinence(s: pd.DataFrame, column: str = "abstinent") -> Abstinence:
    """The primary endpoint (``abstinent_ignore``: the sensitivity analysis, missing ignored)."""
    ev = s[s["evaluable"]]
    k, n = int(ev[column].sum()), len(ev)
    lower, upper = wilson_ci(k, n) if n else (None, None)
    return Abstinence(
        evaluable=n, pending=int(s["pending"].sum()), abstinent=k, ci_lower=lower, ci_upper=upper
    )


def abstinence_ignoring_missing(s: pd.DataFrame) -> Abstinence:
    return abstinence(s, "abstinent_ignore")


def dropout(s: pd.DataFrame, grid: Sequence[float] = ()) -> Dropout:
    return Dropout(
        n=len(s),
        dropouts=int(s["dropout"].sum()),
        km=km(s["dropout_time"], s["dropout_event"], grid),
    )


def relapse(s: pd.DataFrame, grid: Sequence[float] = ()) -> KaplanMeier:
    return km(s["relapse_time"], s["relapse_event"], grid)


def use_or_dropout(s: pd.DataFrame) -> Count:
    return Count(n=len(s), subjects=int(s["use_or_dropout"].sum()))


def craving_by_visit(d: Derived, protocol: Protocol) -> tuple[VisitSummary, ...]:
    groups = dict(tuple(d.craving.groupby("VISIT")["CRAVING"]))
    return tuple(
        VisitSummary(v.code, summary(groups.get(v.code, pd.Series(dtype=float))))
        for v in protocol.visits
        if "VAS" in v.assessments
    )


def safety(d: Derived) -> Safety:
    s = d.subjects
    ae = d.ae
    ser = ae[ae["AESER"] == "Y"]
    wd = ae[ae["AEACN"] == "WITHDRAWN"]
    fatal = set(ae.loc[ae["AEOUT"] == "FATAL", "SUBJID"].astype(str))
    died = set(s.loc[s["DSDECOD"] == "DEATH", "SUBJID"].astype(str))
    rank = ae["AESEV"].map({k: i for i, k in enumerate(SEVERITIES)})
    worst = rank.groupby(ae["sid"]).max()
    socs = _by_soc(ae)
    return Safety(
        subjects_with_ae=int(ae["sid"].nunique()),
        ae_events=len(ae),
        subjects_with_sae=int(ser["sid"].nunique()),
        sae_events=len(ser),
        deaths=len(fatal | died),
        ae_withdrawn_events=len(wd),
        subjects_ae_withdrawn=int(wd["sid"].nunique()),
        by_soc=socs,
        by_worst_severity={
            **{sev: int((worst == i).sum()) for i, sev in enumerate(SEVERITIES)},
            "NOT RECORDED": int(worst.isna().sum()),
        },
        sae_listing=_listing(ser, s),
        withdrawal_listing=_listing(wd, s),
        death_listing=tuple(sorted(fatal | died)),
        related_subjects=int(ae.loc[ae["AEREL"] == "Y", "sid"].nunique()),
        related_events=int((ae["AEREL"] == "Y").sum()),
        by_soc_worst_severity=_soc_worst_severity(ae, rank, socs),
    )


def _soc_worst_severity(
    ae: pd.DataFrame, rank: pd.Series, socs: tuple[SocCount, ...]
) -> dict[str, dict[str, int]]:
    """Per organ class (most subjects first, as by_soc), subjects by their worst severity
    within it; a subject whose AEs in it have no severity counts as NOT RECORDED."""
    soc = ae["AESOC"].astype(object).fillna("(SOC not coded)")
    worst = rank.groupby([soc, ae["sid"]]).max()
    out: dict[str, dict[str, int]] = {}
    for c in socs:
        w = worst.xs(c.soc, level=0)
        out[c.soc] = {
            **{sev: int((w == i).sum()) for i, sev in enumerate(SEVERITIES)},
            "NOT RECORDED": int(w.isna().sum()),
        }
    return out


def _by_soc(ae: pd.DataFrame) -> tuple[SocCount, ...]:
    """AEs by organ class and term: subjects and events, most subjects first, then by name."""
    soc = ae.assign(
        AESOC=ae["AESOC"].astype(object).fillna("(SOC not coded)"),
        AETERM=ae["AETERM"].astype(object),
    )
    terms = soc.groupby(["AESOC", "AETERM"])["sid"].agg(["nunique", "size"])
    socs = soc.groupby("AESOC")["sid"].agg(["nunique", "size"])
    out = []
    for name, row in socs.iterrows():
        t = terms.xs(name, level="AESOC")
        rows = [TermCount(str(term), int(r["nunique"]), int(r["size"])) for term, r in t.iterrows()]
        rows.sort(key=lambda r: (-r.subjects, r.term))
        out.append(SocCount(str(name), int(row["nunique"]), int(row["size"]), tuple(rows)))
    out.sort(key=lambda r: (-r.subjects, r.soc))
    return tuple(out)


def _listing(ae: pd.DataFrame, s: pd.DataFrame) -> tuple[AeEvent, ...]:
    """One row per event, in order of onset, with the study day of onset."""
    if ae.empty:
        return ()
    rand = s.set_index("sid")["RANDDT"]
    ae = ae.sort_values(["AESTDT", "SUBJID"])
    delta = (ae["AESTDT"] - ae["sid"].map(rand)).dt.days
    day = delta.where(delta < 0, delta + 1)

    def text(col: str) -> list[str | None]:
        return [None if pd.isna(v) else str(v) for v in ae[col].astype(object)]

    def iso(col: str) -> list[str | None]:
        return [None if pd.isna(v) else v.date().isoformat() for v in ae[col]]

    columns = (
        text("SUBJID"),
        text("AETERM"),
        text("AESOC"),
        iso("AESTDT"),
        iso("AEENDT"),
        [None if pd.isna(v) else int(v) for v in day],
        text("AESEV"),
        text("AEREL"),
        text("AEACN"),
        text("AEOUT"),
    )
    return tuple(AeEvent(*values) for values in zip(*columns, strict=True))


def vital_signs(d: Derived, protocol: Protocol) -> VitalSigns | None:
    if not protocol.domains.vital_signs:
        return None
    if not protocol.endpoints.infusion_visit or len(d.vs.columns) == 1:
        return None
    return VitalSigns(
        visit=protocol.endpoints.infusion_visit,
        sysbp_max_rise=summary(d.vs.get("sysbp_rise", pd.Series(dtype=float))),
        diabp_max_rise=summary(d.vs.get("diabp_rise", pd.Series(dtype=float))),
    )


def follow_up(d: Derived, protocol: Protocol) -> FollowUp | None:
    if not protocol.domains.follow_up:
        return None
    return FollowUp(
        n=len(d.subjects),
        contacted=len(d.fu),
        abstinent=int((d.fu["FUABST"] == "Y").sum()) if "FUABST" in d.fu else 0,
    )


def exposure(d: Derived, protocol: Protocol) -> Exposure | None:
    if not protocol.domains.exposure:
        return None
    ex = d.ex
    return Exposure(
        n=len(d.subjects),
        infused=int(ex["sid"].nunique()),
        completed=int(ex.loc[ex["EXCOMPL"] == "Y", "sid"].nunique()) if "EXCOMPL" in ex else 0,
        dosing_log=_dosing_log(ex),
    )


def _dosing_log(ex: pd.DataFrame) -> DosingLog | None:
    """Per dosed subject: records, % completed (of those with EXCOMPL recorded), days from the
    first to the last dose (+1); None when no subject has more than one record."""
    if not len(ex):
        return None
    per = ex.groupby("sid")
    records = per.size()
    if int(records.max()) <= 1:
        return None
    if "EXCOMPL" in ex:
        done = (ex["EXCOMPL"] == "Y").groupby(ex["sid"]).sum()
        known = ex["EXCOMPL"].isin(["Y", "N"]).groupby(ex["sid"]).sum().astype(float)
        adherence = (100 * done / known.replace(0.0, np.nan)).astype(float)
    else:
        adherence = pd.Series(np.nan, index=records.index)
    dates = pd.to_datetime(ex["EXDT"])
    days = ((dates.groupby(ex["sid"]).max() - dates.groupby(ex["sid"]).min()).dt.days + 1).astype(
        float
    )
    return DosingLog(
        records_per_subject=_numeric(records.astype(float)),
        adherence_percent=_numeric(adherence),
        days_on_treatment=_numeric(days),
    )


def _numeric(v: pd.Series) -> NumericSummary:
    vv = v.dropna()
    some = bool(len(vv))
    return NumericSummary(
        **describe(v),
        q1=float(vv.quantile(0.25)) if some else None,
        q3=float(vv.quantile(0.75)) if some else None,
        min=float(vv.min()) if some else None,
        max=float(vv.max()) if some else None,
        missing=int(v.isna().sum()),
    )


def baseline(d: Derived) -> Baseline:
    dm = d.dm
    n = len(dm)
    categorical = {}
    for col in ("SEX", "RACE", "ETHNIC", "ROUTE"):
        counts = dm[col].astype(object).fillna("(missing)").value_counts()
        categorical[col] = tuple(
            Category(str(k), int(v), float(v / n) if n else None)
            for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
        )
    return Baseline(
        n=n,
        numeric={
            col: _numeric(dm[col].where(dm[col].between(lo, hi)))
            for col, lo, hi in (("AGE", 18, 100), ("BLDAYS", 0, 30))
        },
        categorical=categorical,
    )


def compliance(schedule: Schedule, s: pd.DataFrame) -> tuple[VisitCompliance, ...]:
    """Visit compliance of the subjects ``s`` (validation's rule, on their rows of the grid)."""
    from dataclasses import replace

    from dmc_report.validation.schedule import compliance as by_visit

    grid = schedule.grid  # the columns counted only: a copy of every column held the lock 50 ms
    # matched by Arrow: no text object per grid row (at 20,000 subjects 26 MB more at the peak)
    ids = pa.array(s["SUBJID"].astype(str).tolist(), pa.string())
    rows = codes_in(grid["SUBJID"], ids) >= 0
    mine = replace(schedule, grid=grid.loc[rows, ["SITEID", "VISIT", "order", "status"]])
    return tuple(
        VisitCompliance(
            str(r["VISIT"]), int(r["due"]), int(r["in_window"]), int(r["out_of_window"]),
            int(r["missed"]), int(r["not_yet_due"]), int(r["not_expected"]),
        )
        for r in by_visit(mine).to_dict("records")
    )  # fmt: skip


def sites(s: pd.DataFrame) -> dict[str, int]:
    """Randomized subjects per site, by site."""
    return {str(k): int(v) for k, v in sorted(s["SITEID"].value_counts().items())}


def disposition(s: pd.DataFrame) -> Disposition:
    disc = s[s["status"] == "discontinued"]
    return Disposition(
        completed=int((s["status"] == "completed").sum()),
        discontinued=len(disc),
        ongoing=int((s["status"] == "ongoing").sum()),
        reasons={str(k): int(v) for k, v in sorted(disc["DSDECOD"].value_counts().items())},
    )


def enrollment(
    schedule: Schedule, protocol: Protocol, reasons: pd.Series | None = None
) -> Enrollment:
    subj = schedule.subjects
    c = schedule.cutoff
    screened = subj[subj["CONSDT"].isna() | (subj["CONSDT"] <= c)]
    rand = subj[subj["randomized"]]
    month = rand["RANDDT"].dt.to_period("M").astype(str)
    by_month = month.value_counts().sort_index()
    return Enrollment(
        screened=len(screened),
        randomized=len(rand),
        not_randomized=len(screened) - int(screened["randomized"].sum()),
        target=protocol.study.target_enrollment,
        by_site={str(k): int(v) for k, v in sorted(rand["SITEID"].value_counts().items())},
        by_month=tuple(
            MonthCount(str(m), int(n), int(cum))
            for (m, n), cum in zip(by_month.items(), np.cumsum(by_month.to_numpy()), strict=True)
        ),
        first_randomization=_iso(rand["RANDDT"].min()) if len(rand) else None,
        last_randomization=_iso(rand["RANDDT"].max()) if len(rand) else None,
        not_randomized_reasons=_screen_failures(screened, reasons),
    )


def _screen_failures(screened: pd.DataFrame, reasons: pd.Series | None) -> dict[str, int]:
    """Screened subjects not randomized, by reason (most first); none without reasons."""
    if reasons is None or not reasons.notna().any():
        return {}
    failed = screened.loc[~screened["randomized"], "SUBJID"].astype(str)
    why = failed.map(reasons).fillna("(not given)").astype(str)
    counts = why.value_counts()
    return {str(k): int(v) for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))}


def urine_panel(d: Derived, protocol: Protocol) -> tuple[AnalyteSummary, ...] | None:
    """The urine panel's other analytes, described: samples with a result (POS/NEG), positive
    samples, subjects with a result, subjects with a positive one; None without a panel."""
    if not protocol.urine_panel:
        return None
    out = []
    for (column, label), name in zip(
        protocol.urine_panel.items(), protocol.panel_columns, strict=True
    ):
        values = d.panel[name] if name in d.panel else pd.Series([], dtype=object)
        tested = d.panel.loc[values.isin(["POS", "NEG"]).to_numpy(bool)]
        positive = d.panel.loc[(values == "POS").fillna(False).to_numpy(bool)]
        out.append(
            AnalyteSummary(
                analyte=label,
                column=column,
                samples=len(tested),
                positive=len(positive),
                subjects=int(tested["sid"].nunique()),
                subjects_positive=int(positive["sid"].nunique()),
            )
        )
    return tuple(out)


ENTRY_FORMS = ("UDS", "VAS", "QS", "AE")  # the sheets that may carry an entry date (ENTRYDT)


def data_currency(
    data: DataSet, subjects: pd.DataFrame, cutoff: pd.Timestamp
) -> DataCurrency | None:
    """The data entry lag (days from a record's date to its ``ENTRYDT``) of the randomized
    ``subjects``' records that count (the first usable row per subject and visit, dated on or
    before the cutoff), over all, by site and by form; a record entered before its own date is
    left out (a finding). None: no entry dates."""
    # subjects by position (the last row of a repeated SUBJID, as a mapping would keep), matched
    # by Arrow: no per-row text objects (at 20,000 subjects they cost 38 MB of peak memory)
    last = subjects.drop_duplicates("SUBJID", keep="last")
    ids = pa.array(last["SUBJID"].astype(str).tolist(), pa.string())
    site_names = last["SITEID"].astype(str).to_numpy(object)
    parts: list[tuple[str, np.ndarray, np.ndarray]] = []  # form, lag (days), site position
    for form in ENTRY_FORMS:
        if form not in data or "ENTRYDT" not in data.frame(form):
            continue
        f = data.frame(form)
        when = {s.name: s for s in DATA_SHEETS}[form].date_column or ""
        # the record that counts (validation/records.py: one rule for every number), dated
        ok = np.asarray(counting(form, f, cutoff), dtype=bool)
        ok &= (f["ENTRYDT"].notna() & f[when].notna() & (f["ENTRYDT"] >= f[when])).to_numpy(bool)
        pos = codes_in(f["SUBJID"], ids)
        ok &= pos >= 0
        if ok.any():
            lag_days = (f["ENTRYDT"].to_numpy()[ok] - f[when].to_numpy()[ok]) // np.timedelta64(
                1, "D"
            )
            parts.append((form, lag_days.astype(float), pos[ok]))
    if not parts:
        return None

    def lag(name: str, v: np.ndarray) -> EntryLag:
        return EntryLag(
            name, len(v), float(np.median(v)), float(np.percentile(v, 90)), float(v.max())
        )

    # grouped by positions, not by comparing text: with 20,000 subjects each comparison of the
    # form or site columns held the interpreter lock for 20-50 ms
    lags = np.concatenate([p[1] for p in parts])
    site, sites = pd.factorize(site_names[np.concatenate([p[2] for p in parts])], sort=True)
    order = np.argsort(site, kind="stable")
    order = order[site[order] >= 0]  # no site: in no site's row (as groupby leaves it out)
    bounds = np.searchsorted(site[order], np.arange(1, len(sites)))
    by_site = np.split(lags[order], bounds)
    return DataCurrency(
        overall=lag("all", lags),
        by_site=tuple(lag(str(k), v) for k, v in zip(sites, by_site, strict=True)),
        by_form=tuple(lag(form, v) for form, v, _ in parts),
    )
