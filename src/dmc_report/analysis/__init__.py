"""Interim analysis: every number ``dmc-sap.md`` defines, pooled (blinded) and by arm."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from dmc_report import __version__
from dmc_report.analysis import summaries as sm
from dmc_report.analysis.derive import MISSING, NEG, NOTDUE, NOTEXP, POS, Derived, derive
from dmc_report.analysis.monitoring import monitoring
from dmc_report.analysis.results import (
    BlindedResults,
    Results,
    SubjectLevel,
    UnblindedResults,
)
from dmc_report.analysis.stats import cox_hr, describe, logrank, odds_ratio, welch
from dmc_report.domain.blinding import TreatmentVocabulary
from dmc_report.domain.progress import NO_PROGRESS, Progress, checkpoint
from dmc_report.domain.protocol import Protocol
from dmc_report.domain.study import DataSet, Provenance, RandomizationKey
from dmc_report.validation import ValidationResult
from dmc_report.validation.schedule import Schedule

Json = dict[str, Any]


def _summaries(d: Derived, protocol: Protocol) -> Json:
    """Everything that is summarised the same way for all subjects or for one arm's."""
    s = d.subjects
    return {
        "disposition": sm.disposition(s),
        "abstinence": sm.abstinence(s),
        "abstinence_missing_ignored": sm.abstinence_ignoring_missing(s),
        "dropout": sm.dropout(s),
        "relapse": sm.relapse(s),
        "use_or_dropout": sm.use_or_dropout(s),
        "craving": sm.craving_by_visit(d, protocol),
        "safety": sm.safety(d),
        "baseline": sm.baseline(d),
        "exposure": sm.exposure(d),
        "vital_signs": sm.vital_signs(d, protocol),
        "follow_up": sm.follow_up(d),
    }


def blinded_results(protocol: Protocol, schedule: Schedule, derived: Derived) -> BlindedResults:
    """Pooled summaries. Takes no key: nothing here can be split by arm."""
    pooled = _summaries(derived, protocol)
    pooled["craving"] = {"by_visit": pooled["craving"]}
    if protocol.interim is not None:  # the pooled information fraction only
        evaluable = pooled["abstinence"]["evaluable"]
        pooled["monitoring"] = {
            "information": evaluable,
            "planned_information": protocol.interim.planned_information,
            "information_fraction": evaluable / protocol.interim.planned_information,
        }
    payload = {"enrollment": sm.enrollment(schedule, protocol), **pooled}
    return BlindedResults(withhold_treatment_text(payload, protocol.treatment_vocabulary))


# Keys under which the pooled results carry free text from the data (AE terms and organ classes)
FREE_TEXT_KEYS = frozenset({"term", "soc"})


def withhold_treatment_text(payload: Json, vocabulary: TreatmentVocabulary) -> Json:
    """The pooled results with every free text that names a treatment replaced by
    :data:`~dmc_report.domain.blinding.WITHHELD_TEXT` (the same cells validation reports as
    TREATMENT_NAME_IN_TEXT); counts are unchanged."""
    if not vocabulary:
        return payload

    def walk(o: Any, key: str | None = None) -> Any:
        if isinstance(o, dict):
            return {k: walk(v, k) for k, v in o.items()}
        if isinstance(o, list):
            return [walk(v, key) for v in o]
        if key in FREE_TEXT_KEYS and isinstance(o, str):
            return vocabulary.withhold(o)
        return o

    out: Json = walk(payload)
    return out


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
    last = schedule.grid.groupby("SITEID")["done_date"].max()
    return SubjectLevel(
        subjects=tuple(str(x) for x in s["SUBJID"]),
        relapse_time=s["relapse_time"].to_numpy(float),
        relapse_event=s["relapse_event"].to_numpy(bool),
        dropout_time=s["dropout_time"].to_numpy(float),
        dropout_event=s["dropout_event"].to_numpy(bool),
        uds_visits=tuple(visits),
        use_codes=codes,
        last_data_date_by_site={
            str(k): v.date().isoformat() for k, v in last.items() if pd.notna(v)
        },
    )


def unblinded_results(
    protocol: Protocol, derived: Derived, key: RandomizationKey, cutoff: dt.date | None = None
) -> UnblindedResults:
    """The same summaries by arm, and the between-arm comparisons (experimental vs control)."""
    arm_of = key.assignments.drop_duplicates("SUBJID", keep="first").set_index("SUBJID")["ARMCD"]
    subjects = derived.subjects.assign(ARMCD=derived.subjects["SUBJID"].map(arm_of.astype(object)))
    arm = subjects["ARMCD"].to_numpy(object)
    parts = {a.code: derived.subset(np.asarray(arm == a.code, dtype=bool)) for a in key.arms}
    each = {code: _summaries(d, protocol) for code, d in parts.items()}
    by = {code: d.subjects for code, d in parts.items()}
    ctl = key.control
    exps = key.experimental
    out: Json = {
        "arms": [
            {"code": a.code, "label": a.label, "role": a.role, "n": len(by[a.code])}
            for a in key.arms
        ]
    }
    if subjects["ARMCD"].isna().any():
        out["not_in_key"] = int(subjects["ARMCD"].isna().sum())

    def per_arm(part: str) -> Json:
        return {code: summary[part] for code, summary in each.items()}

    # every experimental arm against the control, each on those two arms' subjects alone
    baseline = {code: describe(s["craving_baseline"]) for code, s in by.items()}
    comparisons = [_comparison(by[x.code], by[ctl.code], x.code, ctl.code, baseline) for x in exps]
    only = comparisons[0] if len(comparisons) == 1 else None
    several = {
        "odds_ratio": None,
        "odds_ratio_note": "more than one experimental arm: see comparisons",
        "fisher_p": None,
    }
    out["abstinence"] = {"by_arm": per_arm("abstinence")} | (
        only["abstinence"] if only else several
    )
    out["abstinence_missing_ignored"] = {"by_arm": per_arm("abstinence_missing_ignored")} | (
        only["abstinence_missing_ignored"] if only else several
    )
    drop: Json = {"by_arm": per_arm("dropout")} | (only["dropout"] if only else several)
    drop["km_note"] = (
        "KM of time to dropout, censored at the end of treatment, the cutoff or completion"
    )
    out["dropout"] = drop
    out["relapse"] = {"by_arm": per_arm("relapse")} | (only["relapse"] if only else {})
    crav = per_arm("craving")
    visits = [r["visit"] for r in next(iter(crav.values()))] if crav else []
    out["craving"] = {
        "by_visit": [
            {
                "visit": v,
                "by_arm": {
                    code: {k: x for k, x in rows[i].items() if k != "visit"}
                    for code, rows in crav.items()
                },
            }
            for i, v in enumerate(visits)
        ]
    }
    if only:
        out["craving"]["difference"] = only["craving"]["difference"]
    out["safety"] = {"by_arm": per_arm("safety")}
    for part in (
        "use_or_dropout",
        "vital_signs",
        "follow_up",
        "exposure",
        "disposition",
        "baseline",
    ):
        out[part] = per_arm(part)
    if protocol.interim is None:
        out["monitoring"] = None
        out["monitoring_note"] = "the protocol defines no interim monitoring plan"
    elif len(exps) != 1:
        out["monitoring"] = None
        out["monitoring_note"] = (
            "monitoring needs exactly one experimental arm (a multi-arm boundary needs a "
            "multiplicity adjustment the protocol does not define)"
        )
    else:
        ev_e, ev_c = (d[d["evaluable"]] for d in (by[exps[0].code], by[ctl.code]))
        out["monitoring"] = monitoring(
            protocol.interim,
            int(ev_e["abstinent"].sum()), len(ev_e),
            int(ev_c["abstinent"].sum()), len(ev_c), cutoff=cutoff,
        )  # fmt: skip
    out["comparisons"] = comparisons
    return UnblindedResults(out)


def _comparison(
    e: pd.DataFrame, c: pd.DataFrame, exp_code: str, ctl_code: str, baseline: Json
) -> Json:
    """One experimental arm against the control: the SAP's between-arm statistics (the
    craving difference carries every arm's baseline craving, as the data contract has it)."""
    ev_e, ev_c = e[e["evaluable"]], c[c["evaluable"]]

    def binary(x: pd.DataFrame, y: pd.DataFrame, col: str) -> Json:
        return odds_ratio(x[col].to_numpy(bool), y[col].to_numpy(bool))

    times = (e["relapse_time"], e["relapse_event"], c["relapse_time"], c["relapse_event"])
    return {
        "experimental": exp_code,
        "control": ctl_code,
        "abstinence": binary(ev_e, ev_c, "abstinent"),
        "abstinence_missing_ignored": binary(ev_e, ev_c, "abstinent_ignore"),
        "dropout": binary(e, c, "dropout"),
        "relapse": {"logrank": logrank(*times), "hazard_ratio": cox_hr(*times)},
        "craving": {
            "difference": welch(e["craving_mean"], c["craving_mean"]) | {"baseline": baseline}
        },
    }


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
    blinded = blinded_results(protocol, schedule, derived)
    unblinded = None
    if key is not None:
        checkpoint(progress, 0.7, "Summaries by arm")
        unblinded = unblinded_results(protocol, derived, key, cutoff)
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
    )
