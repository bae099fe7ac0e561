"""Interim analysis: every number ``dmc-sap.md`` defines, pooled (blinded) and by arm."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from dmc_report import __version__
from dmc_report.analysis import summaries as sm
from dmc_report.analysis.derive import MISSING, NEG, NOTDUE, NOTEXP, POS, Derived, derive
from dmc_report.analysis.monitoring import monitoring
from dmc_report.analysis.questionnaires import SCORES, questionnaire_values, questionnaires
from dmc_report.analysis.stats import cox_hr, logrank, odds_ratio, risk_difference, welch
from dmc_report.domain.progress import NO_PROGRESS, Progress, checkpoint
from dmc_report.domain.protocol import Protocol
from dmc_report.domain.results import (
    Arm,
    BlindedResults,
    Comparison,
    ConditionalPower,
    FutilityGuidance,
    GroupSummary,
    HazardRatio,
    LogRank,
    Look,
    MeanDifference,
    Monitoring,
    OddsRatio,
    PooledInformation,
    Results,
    RiskDifference,
    SubjectLevel,
    Summary,
    TermDifference,
    UnblindedResults,
)
from dmc_report.domain.study import DataSet, Provenance, RandomizationKey
from dmc_report.validation import ValidationResult
from dmc_report.validation.schedule import Schedule

Json = dict[str, Any]


def _summaries(
    d: Derived, protocol: Protocol, qs: pd.DataFrame, schedule: Schedule | None = None
) -> GroupSummary:
    """Everything that is summarised the same way for all subjects or for one arm's (``qs``:
    the group's questionnaire values; ``schedule``: the visit grid, for compliance)."""
    s = d.subjects
    return GroupSummary(
        disposition=sm.disposition(s),
        abstinence=sm.abstinence(s),
        abstinence_missing_ignored=sm.abstinence_ignoring_missing(s),
        dropout=sm.dropout(s, sm.km_grid(protocol)),
        relapse=sm.relapse(s, sm.km_grid(protocol)),
        use_or_dropout=sm.use_or_dropout(s),
        craving=sm.craving_by_visit(d, protocol),
        safety=sm.safety(d),
        baseline=sm.baseline(d),
        exposure=sm.exposure(d, protocol),
        vital_signs=sm.vital_signs(d, protocol),
        follow_up=sm.follow_up(d, protocol),
        questionnaires=questionnaires(qs, protocol),
        sites=sm.sites(s),
        compliance=sm.compliance(schedule, s) if schedule is not None else (),
        urine_panel=sm.urine_panel(d, protocol),
    )


def blinded_results(
    protocol: Protocol,
    schedule: Schedule,
    derived: Derived,
    qs: pd.DataFrame | None = None,
    reasons: pd.Series | None = None,
) -> BlindedResults:
    """Pooled summaries. Takes no key: nothing here can be split by arm. Free text that names a
    treatment (:data:`~dmc_report.domain.blinding.WITHHELD_TEXT`; the same cells validation
    reports as TREATMENT_NAME_IN_TEXT) is withheld; counts are unchanged."""
    qs = _no_questionnaires() if qs is None else qs
    pooled = _summaries(derived, protocol, qs)  # pooled compliance: the validation's
    vocabulary = protocol.treatment_vocabulary
    if vocabulary:
        pooled = replace(pooled, safety=pooled.safety.with_text(vocabulary.withhold))
    information = None
    if protocol.interim is not None:  # the pooled information fraction only
        information = PooledInformation(
            pooled.abstinence.evaluable, protocol.interim.planned_information
        )
    enrollment = sm.enrollment(schedule, protocol, reasons)
    if vocabulary and enrollment.not_randomized_reasons:  # free text: withheld where it names one
        merged: dict[str, int] = {}
        for why, n in enrollment.not_randomized_reasons.items():
            merged[vocabulary.withhold(why)] = merged.get(vocabulary.withhold(why), 0) + n
        enrollment = replace(enrollment, not_randomized_reasons=merged)
    return BlindedResults(enrollment, pooled, information)


def _screen_fail_reasons(data: DataSet) -> pd.Series | None:
    """SUBJID -> the export's reason a screened subject was not randomized (first DM row)."""
    dm = data.frame("DM")
    if "SFREASON" not in dm:
        return None
    first = dm.drop_duplicates("SUBJID", keep="first")
    return pd.Series(first["SFREASON"].to_numpy(object), index=first["SUBJID"].astype(str))


def _no_questionnaires() -> pd.DataFrame:
    return pd.DataFrame(columns=["sid", "VISIT", *SCORES])


_USE_CODE = {POS: 0, NEG: 1, MISSING: 2, NOTDUE: 3, NOTEXP: 4}


def subject_level(derived: Derived, protocol: Protocol, schedule: Schedule) -> SubjectLevel:
    """The per-subject arrays the figures draw (no arm)."""
    s = derived.subjects
    visits = [v.code for v in protocol.visits if "UDS" in v.assessments]
    u = derived.urine
    rows = pd.Index(s["sid"]).get_indexer(pd.Index(u["sid"]))
    cols = pd.Index(visits).get_indexer(pd.Index(u["VISIT"]))
    vals = u["result"].map(_USE_CODE).to_numpy(np.int8)
    codes = np.full((len(s), len(visits)), 3, dtype=np.int8)
    ok = (rows >= 0) & (cols >= 0)
    codes[rows[ok], cols[ok]] = vals[ok]
    last = _last_data_dates(derived, schedule)
    return SubjectLevel(
        subjects=tuple(str(x) for x in s["SUBJID"]),
        uds_visits=tuple(visits),
        use_codes=codes,
        last_data_date_by_site={
            str(k): v.date().isoformat() for k, v in last.items() if pd.notna(v)
        },
    )


def _last_data_dates(derived: Derived, schedule: Schedule) -> pd.Series:
    """Per site, the latest date of any record of its randomized subjects dated by the cutoff:
    a visit done, a randomization, a disposition, an AE start, a dose, a follow-up contact."""
    s = derived.subjects
    site_of = s.set_index("SUBJID")["SITEID"]
    grid = schedule.grid
    parts = [
        (grid["SITEID"], grid["done_date"]),
        (s["SITEID"], s["RANDDT"]),
        (s["SITEID"], s["DSDT"]),
    ]
    for frame, col in ((derived.ae, "AESTDT"), (derived.ex, "EXDT"), (derived.fu, "FUDT")):
        if col in frame and len(frame):
            parts.append((frame["SUBJID"].astype(object).map(site_of), frame[col]))
    # each part's latest date per site, then the latest of those: no concatenation of every
    # record's site and date (at 20,000 subjects 18 MB more at the peak)
    latest = [
        pd.Series(pd.to_datetime(dates).to_numpy(), index=pd.Index(sites, name="SITEID"))
        .groupby(level=0)
        .max()
        for sites, dates in parts
        if len(sites)
    ]
    if not latest:  # nobody randomized yet
        return pd.Series(dtype="datetime64[ns]")
    last: pd.Series = pd.concat(latest).groupby(level=0).max()
    return last


def unblinded_results(
    protocol: Protocol,
    derived: Derived,
    key: RandomizationKey,
    cutoff: dt.date | None = None,
    *,
    final: bool = False,
    qs: pd.DataFrame | None = None,
    schedule: Schedule | None = None,
) -> UnblindedResults:
    """The same summaries by arm, and the between-arm comparisons (experimental vs control)."""
    arm_of = key.assignments.drop_duplicates("SUBJID", keep="first").set_index("SUBJID")["ARMCD"]
    subjects = derived.subjects.assign(ARMCD=derived.subjects["SUBJID"].map(arm_of.astype(object)))
    arm = subjects["ARMCD"].to_numpy(object)
    masks = {a.code: np.asarray(arm == a.code, dtype=bool) for a in key.arms}
    known = np.asarray(pd.notna(arm), dtype=bool)
    qs = _no_questionnaires() if qs is None else qs

    def of(mask: np.ndarray) -> pd.DataFrame:  # a group's questionnaire values
        return qs.loc[mask[qs["sid"].to_numpy(np.int64)]] if len(qs) else qs

    # one arm's derivations at a time (each a copy of its rows): at 20,000 subjects holding
    # every arm's and the total's at once took 60 MB more at the peak
    by: dict[str, pd.DataFrame] = {}
    by_arm: dict[str, GroupSummary] = {}
    for code, mask in masks.items():
        part = derived.subset(mask)
        by[code] = part.subjects
        by_arm[code] = _summaries(part, protocol, of(mask), schedule)
        del part
    ctl = key.control
    exps = key.experimental
    # every experimental arm against the control, each on those two arms' subjects alone
    baseline = {code: sm.summary(s["craving_baseline"]) for code, s in by.items()}
    monitoring_block, note = _monitoring(
        protocol, by, [x.code for x in exps], ctl.code, cutoff, final=final
    )
    comparisons = tuple(
        replace(
            _comparison(by[x.code], by[ctl.code], x.code, ctl.code, baseline),
            ae_terms=_ae_terms(
                by_arm[x.code], by_arm[ctl.code], len(by[x.code]), len(by[ctl.code])
            ),
        )
        for x in exps
    )
    # every randomized subject in the key (the usual case): the total is the derivations as
    # they are, not a copy of them
    everyone = derived if known.all() else derived.subset(known)
    total = _summaries(everyone, protocol, of(known), schedule)
    return UnblindedResults(
        arms=tuple(Arm(a.code, a.label, a.role, len(by[a.code])) for a in key.arms),
        by_arm=by_arm,
        comparisons=comparisons,
        monitoring=monitoring_block,
        monitoring_note=note,
        not_in_key=int(subjects["ARMCD"].isna().sum()),
        total=total,
    )


def _monitoring(
    protocol: Protocol,
    by: dict[str, pd.DataFrame],
    experimental: list[str],
    control: str,
    cutoff: dt.date | None,
    *,
    final: bool = False,
) -> tuple[Monitoring | None, str | None]:
    """The monitoring of the primary endpoint, or why there is none."""
    if protocol.interim is None:
        return None, "the protocol defines no interim monitoring plan"
    if len(experimental) != 1:
        return None, (
            "monitoring needs exactly one experimental arm (a multi-arm boundary needs a "
            "multiplicity adjustment the protocol does not define)"
        )
    ev_e, ev_c = (d[d["evaluable"]] for d in (by[experimental[0]], by[control]))
    block = monitoring(
        protocol.interim,
        int(ev_e["abstinent"].sum()), len(ev_e),
        int(ev_c["abstinent"].sum()), len(ev_c), cutoff=cutoff, final=final,
    )  # fmt: skip
    return monitoring_result(block), None


def monitoring_result(m: Json) -> Monitoring:
    """The monitoring block of :func:`~dmc_report.analysis.monitoring.monitoring` as a
    :class:`Monitoring` (an unknown key is a bug: it would be lost from the results)."""
    known = {
        "endpoint", "spending", "gamma", "alpha", "sided", "planned_information", "information",
        "information_fraction", "observed_z", "looks", "current_look", "crossed",
        "conditional_power", "design_theta", "notes", "note", "futility_guidance", "final",
    }  # fmt: skip
    unknown = set(m) - known
    if unknown:
        raise ValueError(f"monitoring block: unknown keys {sorted(unknown)}")
    fut = m.get("futility_guidance")
    return Monitoring(
        endpoint=m["endpoint"],
        spending=m["spending"],
        gamma=m["gamma"],
        alpha=m["alpha"],
        sided=m["sided"],
        planned_information=m["planned_information"],
        information=m["information"],
        information_fraction=m["information_fraction"],
        observed_z=m["observed_z"],
        looks=tuple(Look(**lk) for lk in m["looks"]),
        current_look=m["current_look"],
        crossed=m["crossed"],
        conditional_power=ConditionalPower(**m["conditional_power"]),
        computed="design_theta" in m,
        design_theta=m.get("design_theta"),
        notes=tuple(m.get("notes", ())),
        note=m.get("note"),
        futility_guidance=FutilityGuidance(**fut) if fut else None,
        final=bool(m.get("final", False)),
    )


def _ae_terms(e: GroupSummary, c: GroupSummary, n_e: int, n_c: int) -> tuple[TermDifference, ...]:
    """Every AE term of either arm with each arm's subjects and the risk difference (Newcombe
    hybrid score CI, as for abstinence), most subjects over both arms first."""

    def counts(g: GroupSummary) -> dict[tuple[str, str], int]:
        return {(s.soc, t.term): t.subjects for s in g.safety.by_soc for t in s.terms}

    ce, cc = counts(e), counts(c)
    keys = sorted(set(ce) | set(cc), key=lambda k: (-(ce.get(k, 0) + cc.get(k, 0)), k[1], k[0]))
    return tuple(
        TermDifference(
            soc=soc, term=term,
            subjects_experimental=ce.get((soc, term), 0), n_experimental=n_e,
            subjects_control=cc.get((soc, term), 0), n_control=n_c,
            difference=RiskDifference(
                **risk_difference(ce.get((soc, term), 0), n_e, cc.get((soc, term), 0), n_c)
            ),
        )
        for soc, term in keys
    )  # fmt: skip


def _odds(d: Json) -> OddsRatio:
    r = d["odds_ratio"] or {}
    return OddsRatio(
        estimate=r.get("estimate"),
        ci_lower=r.get("ci_lower"),
        ci_upper=r.get("ci_upper"),
        fisher_p=d["fisher_p"],
        note=d.get("odds_ratio_note"),
    )


def _comparison(
    e: pd.DataFrame, c: pd.DataFrame, exp_code: str, ctl_code: str, baseline: dict[str, Summary]
) -> Comparison:
    """One experimental arm against the control: the SAP's between-arm statistics (the
    craving difference carries every arm's baseline craving, as the data contract has it)."""
    ev_e, ev_c = e[e["evaluable"]], c[c["evaluable"]]

    def binary(x: pd.DataFrame, y: pd.DataFrame, col: str) -> OddsRatio:
        return _odds(odds_ratio(x[col].to_numpy(bool), y[col].to_numpy(bool)))

    times = (e["relapse_time"], e["relapse_event"], c["relapse_time"], c["relapse_event"])
    return Comparison(
        experimental=exp_code,
        control=ctl_code,
        abstinence=binary(ev_e, ev_c, "abstinent"),
        abstinence_missing_ignored=binary(ev_e, ev_c, "abstinent_ignore"),
        dropout=binary(e, c, "dropout"),
        logrank=LogRank(**logrank(*times)),
        hazard_ratio=HazardRatio(**cox_hr(*times)),
        craving=MeanDifference(**welch(e["craving_mean"], c["craving_mean"]), baseline=baseline),
        risk_difference=RiskDifference(
            **risk_difference(
                int(ev_e["abstinent"].sum()), len(ev_e), int(ev_c["abstinent"].sum()), len(ev_c)
            )
        ),
    )


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
    final: bool = False,
    progress: Progress = NO_PROGRESS,
) -> Results:
    """Every number of the SAP at ``cutoff``; unblinded only when ``key`` is given. ``final``:
    the report is the final analysis (the monitoring's current look is the last)."""
    checkpoint(progress, 0.05, "Deriving endpoints")
    schedule = validation.schedule
    derived = derive(data, protocol, schedule)
    checkpoint(progress, 0.4, "Pooled summaries")
    qs = questionnaire_values(data, protocol, derived.subjects, schedule.cutoff)
    blinded = blinded_results(protocol, schedule, derived, qs, _screen_fail_reasons(data))
    blinded = replace(
        blinded, data_currency=sm.data_currency(data, derived.subjects, schedule.cutoff)
    )
    unblinded = None
    if key is not None:
        checkpoint(progress, 0.7, "Summaries by arm")
        unblinded = unblinded_results(
            protocol, derived, key, cutoff, final=final, qs=qs, schedule=schedule
        )
    full_validation, pooled_validation = validation.json_blocks(protocol)
    progress.update(1.0, "Analysis done")
    return Results(
        subject_level=subject_level(derived, protocol, schedule),
        study_id=protocol.study.id,
        data_cutoff=cutoff.isoformat(),
        software={"name": "dmc-report", "version": __version__},
        inputs={
            "protocol": _input(protocol_provenance),
            "data": _input(data.provenance),
            "key": _input(key.provenance) if key else None,
        },
        validation=full_validation,
        pooled_validation=pooled_validation,
        blinded=blinded,
        unblinded=unblinded,
        dry_run_seed=key.dry_run_seed if key else None,
    )
