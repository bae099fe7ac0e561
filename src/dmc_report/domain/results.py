"""What the analysis computes, as typed objects: the seam between the analysis and the reports.

The analysis (:mod:`dmc_report.analysis`) builds these once per run; the reports and the app read
their fields, never string keys. The results JSON (data contract section 3) is produced from these
objects in one place, each class's ``to_json()``, and keeps the contract's keys and their order.

Blinding lives in the types: :class:`BlindedResults` holds one pooled :class:`GroupSummary` and has
no field that could hold an arm; :class:`UnblindedResults` holds the arms, the comparisons of each
experimental arm against the control, and the monitoring.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np

from dmc_report.domain.dry_run import DRY_RUN_MARK

SCHEMA = "dmc-report/results/1"

Json = dict[str, Any]
NO_SUBJECTS = "no subjects"


def _proportion(k: int, n: int) -> Json:
    """``proportion`` and, with no subjects, its note (the SAP's rule for a zero denominator)."""
    return {"proportion": k / n if n else None} | ({} if n else {"proportion_note": NO_SUBJECTS})


def _note(note: str | None, key: str = "note") -> Json:
    return {key: note} if note is not None else {}


# --- the building blocks ---------------------------------------------------------------------


class _Plain:
    """A result whose JSON is its fields, in their order, as they are (numbers and texts); a
    ``note`` only where there is one (the SAP's sibling note of a null)."""

    def to_json(self) -> Json:
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)  # type: ignore[arg-type]
            if not (f.name == "note" and getattr(self, f.name) is None)
        }


@dataclass(frozen=True)
class Summary:
    """n, mean, SD (n - 1), median and the t-based 95% CI of the mean (R ``t.test``)."""

    n: int
    mean: float | None = None
    sd: float | None = None
    median: float | None = None
    ci_lower: float | None = None
    ci_upper: float | None = None

    def to_json(self) -> Json:
        return {
            "n": self.n,
            "mean": self.mean,
            "sd": self.sd,
            "median": self.median,
            "ci_lower": self.ci_lower,
            "ci_upper": self.ci_upper,
        }


@dataclass(frozen=True)
class NumericSummary(Summary):
    """A baseline variable: :class:`Summary`, quartiles (R type 7), range and the missing count."""

    q1: float | None = None
    q3: float | None = None
    min: float | None = None
    max: float | None = None
    missing: int = 0

    def to_json(self) -> Json:
        return super().to_json() | {
            "q1": self.q1,
            "q3": self.q3,
            "min": self.min,
            "max": self.max,
            "missing": self.missing,
        }


@dataclass(frozen=True)
class KmRow(_Plain):
    """One distinct event time of a Kaplan-Meier curve (R ``summary(survfit)``)."""

    day: float
    at_risk: int
    events: int
    survival: float
    ci_lower: float | None
    ci_upper: float | None


@dataclass(frozen=True)
class KaplanMeier:
    """A Kaplan-Meier curve with log-log 95% CI and its median by R's rule (the figures draw the
    median from here, so a figure and its table cannot disagree)."""

    n: int
    events: int
    median_days: float | None
    median_ci_lower: float | None
    median_ci_upper: float | None
    rows: tuple[KmRow, ...]
    median_note: str | None = None  # "no subjects" or "not reached"
    # (day, subjects censored that day), one per distinct censoring time: the figure's marks
    censored: tuple[tuple[float, int], ...] = ()
    # (day, subjects at risk: time >= day) on the protocol's grid: the figure's at-risk table
    # (R ``summary(survfit, times = grid, extend = TRUE)$n.risk``)
    at_risk: tuple[tuple[float, int], ...] = ()

    @property
    def last_day(self) -> float:
        """The longest follow-up time (event or censoring), where the curve ends."""
        days = [r.day for r in self.rows] + [d for d, _ in self.censored]
        return max(days, default=0.0)

    def to_json(self) -> Json:
        return {
            "n": self.n,
            "events": self.events,
            "median_days": self.median_days,
            "median_ci": {"lower": self.median_ci_lower, "upper": self.median_ci_upper},
            "km": [r.to_json() for r in self.rows],
            "censored": [{"day": d, "n": k} for d, k in self.censored],
            "at_risk": [{"day": d, "n": k} for d, k in self.at_risk],
        } | _note(self.median_note, "median_note")


# --- a group's summaries (all subjects, or one arm's) ------------------------------------------


@dataclass(frozen=True)
class Disposition:
    completed: int
    discontinued: int
    ongoing: int
    reasons: Mapping[str, int]  # discontinuations by reason, sorted by reason

    def to_json(self) -> Json:
        return {
            "completed": self.completed,
            "discontinued": self.discontinued,
            "ongoing": self.ongoing,
            "reasons": dict(self.reasons),
        }


@dataclass(frozen=True)
class Abstinence:
    """The primary endpoint: abstinent of the evaluable (window complete by the cutoff)."""

    evaluable: int
    pending: int
    abstinent: int
    # the proportion's 95% Wilson score CI (R prop.test(correct = FALSE)); None with no subjects
    ci_lower: float | None = None
    ci_upper: float | None = None

    @property
    def proportion(self) -> float | None:
        return self.abstinent / self.evaluable if self.evaluable else None

    def to_json(self) -> Json:
        return (
            {"evaluable": self.evaluable, "pending": self.pending, "abstinent": self.abstinent}
            | _proportion(self.abstinent, self.evaluable)
            | {"proportion_ci": {"lower": self.ci_lower, "upper": self.ci_upper}}
        )


@dataclass(frozen=True)
class Dropout:
    n: int
    dropouts: int
    km: KaplanMeier  # time to dropout

    @property
    def proportion(self) -> float | None:
        return self.dropouts / self.n if self.n else None

    def to_json(self) -> Json:
        return (
            {"n": self.n, "dropouts": self.dropouts}
            | _proportion(self.dropouts, self.n)
            | {"km_median_days": self.km.median_days, "km": [r.to_json() for r in self.km.rows]}
            | {f"km_{k}": self.km.to_json()[k] for k in ("censored", "at_risk")}
        )


@dataclass(frozen=True)
class Count:
    """Subjects with something, of n."""

    n: int
    subjects: int

    @property
    def proportion(self) -> float | None:
        return self.subjects / self.n if self.n else None

    def to_json(self) -> Json:
        return {"n": self.n, "subjects": self.subjects} | _proportion(self.subjects, self.n)


@dataclass(frozen=True)
class VisitSummary:
    visit: str
    stats: Summary

    def to_json(self) -> Json:
        return {"visit": self.visit, **self.stats.to_json()}


@dataclass(frozen=True)
class TermCount(_Plain):
    term: str
    subjects: int
    events: int


@dataclass(frozen=True)
class SocCount:
    soc: str
    subjects: int
    events: int
    terms: tuple[TermCount, ...]  # most subjects first, then by name

    def to_json(self) -> Json:
        return {
            "soc": self.soc,
            "subjects": self.subjects,
            "events": self.events,
            "terms": [t.to_json() for t in self.terms],
        }


@dataclass(frozen=True)
class AeEvent(_Plain):
    """One adverse event of a listing, as recorded (codes decoded by the report)."""

    subject: str | None
    term: str | None
    soc: str | None
    start: str | None
    end: str | None
    study_day: int | None
    severity: str | None
    related: str | None
    action: str | None
    outcome: str | None

    def key(self) -> tuple[str | None, str | None, str | None]:
        """What identifies an event from one report to the next."""
        return (self.subject, self.term, self.start)


@dataclass(frozen=True)
class Safety:
    subjects_with_ae: int
    ae_events: int
    subjects_with_sae: int
    sae_events: int
    deaths: int
    ae_withdrawn_events: int
    subjects_ae_withdrawn: int
    by_soc: tuple[SocCount, ...]  # most subjects first
    by_worst_severity: Mapping[str, int]  # MILD, MODERATE, SEVERE, NOT RECORDED
    sae_listing: tuple[AeEvent, ...]
    death_listing: tuple[str, ...]
    # every AE that led to withdrawal (AEACN = WITHDRAWN), in order of onset
    withdrawal_listing: tuple[AeEvent, ...] = ()
    # subjects with an AE the investigator judged related (AEREL = Y), and such events
    related_subjects: int = 0
    related_events: int = 0
    # per organ class, subjects by their worst severity within it (MILD ... NOT RECORDED)
    by_soc_worst_severity: Mapping[str, Mapping[str, int]] = field(default_factory=dict)

    def to_json(self) -> Json:
        return {
            "subjects_with_ae": self.subjects_with_ae,
            "ae_events": self.ae_events,
            "subjects_with_sae": self.subjects_with_sae,
            "sae_events": self.sae_events,
            "deaths": self.deaths,
            "ae_withdrawn_events": self.ae_withdrawn_events,
            "subjects_ae_withdrawn": self.subjects_ae_withdrawn,
            "by_soc": [s.to_json() for s in self.by_soc],
            "by_worst_severity": dict(self.by_worst_severity),
            "sae_listing": [e.to_json() for e in self.sae_listing],
            "death_listing": list(self.death_listing),
            "withdrawal_listing": [e.to_json() for e in self.withdrawal_listing],
            "related": {"subjects": self.related_subjects, "events": self.related_events},
            "by_soc_worst_severity": {k: dict(v) for k, v in self.by_soc_worst_severity.items()},
        }

    def with_text(self, text: Callable[[str], str]) -> Safety:
        """The same with every free text from the data (terms, organ classes) passed through
        ``text`` (the open side withholds the ones that name a treatment)."""

        def opt(t: str | None) -> str | None:
            return None if t is None else text(t)

        return replace(
            self,
            by_soc=tuple(
                replace(
                    s,
                    soc=text(s.soc),
                    terms=tuple(replace(t, term=text(t.term)) for t in s.terms),
                )
                for s in self.by_soc
            ),
            sae_listing=tuple(
                replace(e, term=opt(e.term), soc=opt(e.soc)) for e in self.sae_listing
            ),
            withdrawal_listing=tuple(
                replace(e, term=opt(e.term), soc=opt(e.soc)) for e in self.withdrawal_listing
            ),
            by_soc_worst_severity=_merged_keys(self.by_soc_worst_severity, text),
        )


def _merged_keys(
    counts: Mapping[str, Mapping[str, int]], text: Callable[[str], str]
) -> dict[str, dict[str, int]]:
    """``counts`` with each key passed through ``text``; keys that become one are added up
    (two organ classes both withheld)."""
    out: dict[str, dict[str, int]] = {}
    for key, row in counts.items():
        merged = out.setdefault(text(key), {})
        for k, v in row.items():
            merged[k] = merged.get(k, 0) + v
    return out


@dataclass(frozen=True)
class Category(_Plain):
    value: str
    n: int
    proportion: float | None


@dataclass(frozen=True)
class Baseline:
    n: int
    numeric: Mapping[str, NumericSummary]  # contract column -> summary
    categorical: Mapping[str, tuple[Category, ...]]  # contract column -> most frequent first

    def to_json(self) -> Json:
        return {
            "n": self.n,
            "numeric": {k: v.to_json() for k, v in self.numeric.items()},
            "categorical": {k: [c.to_json() for c in v] for k, v in self.categorical.items()},
        }


@dataclass(frozen=True)
class DosingLog:
    """A dosing log (several dosing records per subject: daily dosing dispensed weekly, say),
    per dosed subject: its records, the share of them completed as directed (EXCOMPL = Y of
    those recorded), and the days from its first to its last dose."""

    records_per_subject: NumericSummary
    adherence_percent: NumericSummary
    days_on_treatment: NumericSummary

    def to_json(self) -> Json:
        return {
            "records_per_subject": self.records_per_subject.to_json(),
            "adherence_percent": self.adherence_percent.to_json(),
            "days_on_treatment": self.days_on_treatment.to_json(),
        }


@dataclass(frozen=True)
class Exposure:
    n: int
    infused: int  # subjects with a dosing record (the contract's name)
    completed: int  # subjects with a record completed as directed
    dosing_log: DosingLog | None = None  # None: at most one record per subject (a single dose)

    def to_json(self) -> Json:
        out: Json = {"n": self.n, "infused": self.infused, "completed": self.completed}
        if self.dosing_log is not None:
            out["dosing_log"] = self.dosing_log.to_json()
        return out


@dataclass(frozen=True)
class VitalSigns:
    """The largest rise from pre-dose on the dosing day."""

    visit: str
    sysbp_max_rise: Summary
    diabp_max_rise: Summary

    def to_json(self) -> Json:
        return {
            "visit": self.visit,
            "sysbp_max_rise": self.sysbp_max_rise.to_json(),
            "diabp_max_rise": self.diabp_max_rise.to_json(),
        }


@dataclass(frozen=True)
class FollowUp(_Plain):
    n: int
    contacted: int
    abstinent: int


@dataclass(frozen=True)
class VisitCompliance:
    """One scheduled visit's compliance in a group: due = in window + out of window + missed."""

    visit: str
    due: int
    in_window: int
    out_of_window: int
    missed: int
    not_yet_due: int
    not_expected: int


@dataclass(frozen=True)
class AnalyteSummary(_Plain):
    """One other analyte of the urine panel, described (no test): samples with a result, the
    positive ones, subjects with a result and subjects ever positive."""

    analyte: str  # the protocol's label
    column: str  # the urine sheet's column
    samples: int
    positive: int
    subjects: int
    subjects_positive: int


@dataclass(frozen=True)
class GroupSummary:
    """Everything summarised the same way for all subjects (pooled) or for one arm's."""

    disposition: Disposition
    abstinence: Abstinence
    abstinence_missing_ignored: Abstinence
    dropout: Dropout
    relapse: KaplanMeier
    use_or_dropout: Count
    craving: tuple[VisitSummary, ...]  # the protocol's craving visits, in schedule order
    safety: Safety
    baseline: Baseline
    # None: a domain the trial does not have ([domains] in the protocol; vital signs also
    # without a dosing visit or a VS sheet): null in the results JSON, no report section
    exposure: Exposure | None
    vital_signs: VitalSigns | None
    follow_up: FollowUp | None
    # per score (FFMQ, PSS), each questionnaire visit's summary; None: no questionnaires
    questionnaires: Mapping[str, tuple[VisitSummary, ...]] | None = None
    # randomized subjects per site (the closed report's enrolment by arm and site; not in the
    # results JSON, whose enrollment block has the pooled counts)
    sites: Mapping[str, int] = field(default_factory=dict)
    # visit compliance of the group's subjects (the closed report's by arm; not in the JSON,
    # whose validation block has the pooled compliance)
    compliance: tuple[VisitCompliance, ...] = ()
    # the urine panel's other analytes ([urine_panel]); None: the protocol names none
    urine_panel: tuple[AnalyteSummary, ...] | None = None

    @property
    def n(self) -> int:
        """Randomized subjects in the group."""
        return self.dropout.n

    def part_json(self, part: str) -> Any:
        """One part's JSON, by its results-JSON key."""
        if part == "craving":
            return [v.to_json() for v in self.craving]
        if part == "questionnaires":
            q = self.questionnaires
            return None if q is None else {k: [v.to_json() for v in rows] for k, rows in q.items()}
        if part == "urine_panel":
            p = self.urine_panel
            return None if p is None else [a.to_json() for a in p]
        value: Any = getattr(self, part)
        return None if value is None else value.to_json()


GROUP_PARTS = (
    "disposition",
    "abstinence",
    "abstinence_missing_ignored",
    "dropout",
    "relapse",
    "use_or_dropout",
    "craving",
    "safety",
    "baseline",
    "exposure",
    "vital_signs",
    "follow_up",
    "questionnaires",
    "urine_panel",
)


@dataclass(frozen=True)
class MonthCount(_Plain):
    month: str  # YYYY-MM
    randomized: int
    cumulative: int


@dataclass(frozen=True)
class Enrollment:
    screened: int
    randomized: int
    not_randomized: int
    target: int
    by_site: Mapping[str, int]  # randomized subjects per site, by site
    by_month: tuple[MonthCount, ...]
    first_randomization: str | None
    last_randomization: str | None
    # screened but not randomized, by the export's reason (SFREASON; "(not given)" where blank);
    # empty when the export has no reasons
    not_randomized_reasons: Mapping[str, int] = field(default_factory=dict)

    def to_json(self) -> Json:
        return {
            "screened": self.screened,
            "randomized": self.randomized,
            "not_randomized": self.not_randomized,
            "target": self.target,
            "by_site": dict(self.by_site),
            "by_site_basis": "randomized",
            "by_month": [m.to_json() for m in self.by_month],
            "first_randomization": self.first_randomization,
            "last_randomization": self.last_randomization,
        } | (
            {"not_randomized_reasons": dict(self.not_randomized_reasons)}
            if self.not_randomized_reasons
            else {}
        )


@dataclass(frozen=True)
class PooledInformation:
    """The pooled information of the monitoring plan (no arm needed)."""

    information: int
    planned_information: int

    @property
    def fraction(self) -> float:
        return self.information / self.planned_information

    def to_json(self) -> Json:
        return {
            "information": self.information,
            "planned_information": self.planned_information,
            "information_fraction": self.fraction,
        }


@dataclass(frozen=True)
class EntryLag(_Plain):
    """Days from a record's own date to its entry in the EDC, for one site or form (or all)."""

    name: str  # the site, the form (contract sheet), or "all"
    records: int
    median_days: float
    p90_days: float  # the 90th percentile (R quantile type 7)
    max_days: float


@dataclass(frozen=True)
class DataCurrency:
    """How current the data are: the data entry lag of the records that carry an entry date
    (``ENTRYDT``), over all, by site and by form; pooled only (no arm)."""

    overall: EntryLag
    by_site: tuple[EntryLag, ...]
    by_form: tuple[EntryLag, ...]

    def to_json(self) -> Json:
        return {
            "records": self.overall.records,
            "median_days": self.overall.median_days,
            "p90_days": self.overall.p90_days,
            "max_days": self.overall.max_days,
            "by_site": [s.to_json() for s in self.by_site],
            "by_form": [f.to_json() for f in self.by_form],
        }


@dataclass(frozen=True)
class BlindedResults:
    """Pooled summaries: no arm anywhere. Free text naming a treatment is already withheld."""

    enrollment: Enrollment
    pooled: GroupSummary
    information: PooledInformation | None  # None: the protocol has no monitoring plan
    # the data entry lag; None: the export carries no entry dates (ENTRYDT)
    data_currency: DataCurrency | None = None

    def to_json(self) -> Json:
        out: Json = {"enrollment": self.enrollment.to_json()}
        for part in GROUP_PARTS:
            value = self.pooled.part_json(part)
            out[part] = {"by_visit": value} if part == "craving" else value
        if self.information is not None:
            out["monitoring"] = self.information.to_json()
        out["data_currency"] = self.data_currency.to_json() if self.data_currency else None
        return out


# --- comparisons ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OddsRatio:
    """Experimental vs control: logistic-regression odds ratio with Wald 95% CI (R ``glm``) and
    the two-sided Fisher exact p (R ``fisher.test``). ``note`` says why the ratio is null."""

    estimate: float | None
    ci_lower: float | None
    ci_upper: float | None
    fisher_p: float | None
    note: str | None = None

    def to_json(self) -> Json:
        if self.estimate is None:
            return {"odds_ratio": None, "odds_ratio_note": self.note, "fisher_p": self.fisher_p}
        ratio = {"estimate": self.estimate, "ci_lower": self.ci_lower, "ci_upper": self.ci_upper}
        return {"odds_ratio": ratio, "fisher_p": self.fisher_p}


@dataclass(frozen=True)
class RiskDifference(_Plain):
    """Difference of proportions experimental - control with the Newcombe hybrid score 95% CI
    (Newcombe 1998 method 10; R ``DescTools::BinomDiffCI(method = "score")``)."""

    estimate: float | None
    ci_lower: float | None
    ci_upper: float | None
    method: str
    note: str | None = None


@dataclass(frozen=True)
class LogRank(_Plain):
    chi2: float | None
    p: float | None
    note: str | None = None


@dataclass(frozen=True)
class HazardRatio(_Plain):
    """Cox hazard ratio experimental vs control, Efron ties, Wald CI and p (R ``coxph``)."""

    estimate: float | None
    ci_lower: float | None
    ci_upper: float | None
    p: float | None
    note: str | None = None


@dataclass(frozen=True)
class MeanDifference:
    """Difference of subject means experimental - control, Welch 95% CI and p (R ``t.test``),
    with every arm's baseline beside it."""

    estimate: float | None
    ci_lower: float | None
    ci_upper: float | None
    p: float | None
    percent: float | None
    experimental_mean: float | None
    control_mean: float | None
    n_experimental: int
    n_control: int
    baseline: Mapping[str, Summary]  # arm code -> baseline craving
    note: str | None = None

    def to_json(self) -> Json:
        return (
            {
                "estimate": self.estimate,
                "ci_lower": self.ci_lower,
                "ci_upper": self.ci_upper,
                "p": self.p,
                "percent": self.percent,
                "experimental_mean": self.experimental_mean,
                "control_mean": self.control_mean,
                "n_experimental": self.n_experimental,
                "n_control": self.n_control,
            }
            | _note(self.note)
            | {"baseline": {k: v.to_json() for k, v in self.baseline.items()}}
        )


@dataclass(frozen=True)
class TermDifference:
    """One AE term in two arms: subjects with it of each arm's N, and the difference of those
    proportions with its Newcombe CI (the AE dot plot, Amit, Heiberger and Lane 2008)."""

    soc: str
    term: str
    subjects_experimental: int
    n_experimental: int
    subjects_control: int
    n_control: int
    difference: RiskDifference

    def to_json(self) -> Json:
        return {
            "soc": self.soc,
            "term": self.term,
            "subjects_experimental": self.subjects_experimental,
            "n_experimental": self.n_experimental,
            "subjects_control": self.subjects_control,
            "n_control": self.n_control,
            "risk_difference": self.difference.to_json(),
        }


@dataclass(frozen=True)
class Comparison:
    """One experimental arm against the control, each on those two arms' subjects alone."""

    experimental: str
    control: str
    abstinence: OddsRatio
    abstinence_missing_ignored: OddsRatio
    dropout: OddsRatio
    logrank: LogRank
    hazard_ratio: HazardRatio
    craving: MeanDifference
    risk_difference: RiskDifference  # abstinence, experimental - control
    # every AE term of either arm, most frequent (both arms) first
    ae_terms: tuple[TermDifference, ...] = ()

    def to_json(self) -> Json:
        return {
            "experimental": self.experimental,
            "control": self.control,
            "abstinence": self.abstinence.to_json()
            | {"risk_difference": self.risk_difference.to_json()},
            "abstinence_missing_ignored": self.abstinence_missing_ignored.to_json(),
            "dropout": self.dropout.to_json(),
            "relapse": {
                "logrank": self.logrank.to_json(),
                "hazard_ratio": self.hazard_ratio.to_json(),
            },
            "craving": {"difference": self.craving.to_json()},
            "ae_terms": [t.to_json() for t in self.ae_terms],
        }


# --- monitoring -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Look:
    """One look of the group-sequential plan at its information fraction."""

    information: float
    z_upper: float
    z_lower: float | None  # None: one-sided
    alpha_spent_cumulative: float
    alpha_spent_incremental: float
    nominal_p: float
    kind: str  # "previous" | "current" | "final"
    observed_z: float | None = None  # a previous look's recorded Z (the current one's is above)

    def to_json(self) -> Json:
        return {
            "information": self.information,
            "z_upper": self.z_upper,
            "z_lower": self.z_lower,
            "alpha_spent_cumulative": self.alpha_spent_cumulative,
            "alpha_spent_incremental": self.alpha_spent_incremental,
            "nominal_p": self.nominal_p,
            "kind": self.kind,
        } | ({"observed_z": self.observed_z} if self.kind == "previous" else {})


@dataclass(frozen=True)
class ConditionalPower(_Plain):
    current_trend: float | None
    design: float | None
    null: float | None


NO_CONDITIONAL_POWER = ConditionalPower(None, None, None)


@dataclass(frozen=True)
class FutilityGuidance(_Plain):
    z: float
    below: bool
    binding: bool = False


@dataclass(frozen=True)
class Monitoring:
    """Boundaries at the actual information, the observed statistic, whether a boundary is
    crossed, and conditional power (``computed`` False: none, and no ``design_theta``)."""

    endpoint: str
    spending: str  # OBF | POCOCK | HSD
    gamma: float | None
    alpha: float
    sided: int
    planned_information: int
    information: int
    information_fraction: float
    observed_z: float | None
    looks: tuple[Look, ...]
    current_look: int | None  # 1-based index into looks
    crossed: str | None  # "efficacy" | "harm" | None
    conditional_power: ConditionalPower = NO_CONDITIONAL_POWER
    computed: bool = False  # conditional power computed (then design_theta is reported)
    design_theta: float | None = None
    notes: tuple[str, ...] = ()
    note: str | None = None
    futility_guidance: FutilityGuidance | None = None
    final: bool = False  # the final analysis: the current look is the last

    @property
    def current(self) -> Look | None:
        return self.looks[self.current_look - 1] if self.current_look else None

    def to_json(self) -> Json:
        out: Json = {
            "endpoint": self.endpoint,
            "spending": self.spending,
            "gamma": self.gamma,
            "alpha": self.alpha,
            "sided": self.sided,
            "planned_information": self.planned_information,
            "information": self.information,
            "information_fraction": self.information_fraction,
            "observed_z": self.observed_z,
            "looks": [lk.to_json() for lk in self.looks],
            "current_look": self.current_look,
            "crossed": self.crossed,
            "conditional_power": self.conditional_power.to_json(),
        }
        if self.final:
            out["final"] = True
        if self.notes:
            out["notes"] = list(self.notes)
        out |= _note(self.note)
        if self.computed:
            out["design_theta"] = self.design_theta
        if self.futility_guidance is not None:
            out["futility_guidance"] = self.futility_guidance.to_json()
        return out


# --- the unblinded results ----------------------------------------------------------------------


@dataclass(frozen=True)
class Arm(_Plain):
    code: str
    label: str
    role: str  # "experimental" | "control"
    n: int


SEVERAL_EXPERIMENTAL = {
    "odds_ratio": None,
    "odds_ratio_note": "more than one experimental arm: see comparisons",
    "fisher_p": None,
}
KM_NOTE = "KM of time to dropout, censored at the end of treatment, the cutoff or completion"


@dataclass(frozen=True)
class UnblindedResults:
    """Summaries by arm (in the key's order), each experimental arm against the control, and
    the monitoring of the primary endpoint."""

    arms: tuple[Arm, ...]
    by_arm: Mapping[str, GroupSummary]  # arm code -> the arm's summaries
    comparisons: tuple[Comparison, ...]
    monitoring: Monitoring | None
    monitoring_note: str | None = None  # why there is no monitoring
    not_in_key: int = 0  # randomized subjects the key does not list (in no arm)
    # the arms together (subjects with a known arm), for the closed report's Total columns; free
    # text as recorded. Not part of the results JSON (the blinded section holds the pooled view).
    total: GroupSummary | None = field(default=None, compare=False)

    def arm(self, code: str) -> Arm:
        return next(a for a in self.arms if a.code == code)

    def comparison(self, experimental: str) -> Comparison | None:
        return next((c for c in self.comparisons if c.experimental == experimental), None)

    def _per_arm(self, part: str) -> Json | None:
        """The part of every arm, by arm code; null when the trial has no such domain (every
        arm's part is null), as in the blinded section."""
        out = {code: g.part_json(part) for code, g in self.by_arm.items()}
        return None if out and all(v is None for v in out.values()) else out

    def to_json(self) -> Json:
        only = self.comparisons[0].to_json() if len(self.comparisons) == 1 else None
        out: Json = {"arms": [a.to_json() for a in self.arms]}
        if self.not_in_key:
            out["not_in_key"] = self.not_in_key
        for part in ("abstinence", "abstinence_missing_ignored"):
            out[part] = {"by_arm": self._per_arm(part)} | (
                only[part] if only else SEVERAL_EXPERIMENTAL
            )
        out["dropout"] = (
            {"by_arm": self._per_arm("dropout")}
            | (only["dropout"] if only else SEVERAL_EXPERIMENTAL)
            | {"km_note": KM_NOTE}
        )
        out["relapse"] = {"by_arm": self._per_arm("relapse")} | (only["relapse"] if only else {})
        visits = [v.visit for v in next(iter(self.by_arm.values())).craving] if self.by_arm else []
        out["craving"] = {
            "by_visit": [
                {
                    "visit": v,
                    "by_arm": {
                        code: g.craving[i].stats.to_json() for code, g in self.by_arm.items()
                    },
                }
                for i, v in enumerate(visits)
            ]
        }
        if only:
            out["craving"]["difference"] = only["craving"]["difference"]
        out["safety"] = {"by_arm": self._per_arm("safety")}
        for part in (
            "use_or_dropout",
            "vital_signs",
            "follow_up",
            "exposure",
            "disposition",
            "baseline",
            "questionnaires",
            "urine_panel",
        ):
            out[part] = self._per_arm(part)
        out["monitoring"] = self.monitoring.to_json() if self.monitoring else None
        if self.monitoring_note is not None:
            out["monitoring_note"] = self.monitoring_note
        out["comparisons"] = [c.to_json() for c in self.comparisons]
        return out


# --- per-subject arrays and the whole -------------------------------------------------------


@dataclass(frozen=True)
class SubjectLevel:
    """The one per-subject picture the reports draw (the urine results per subject and visit, a
    detail no table prints), computed once by the analysis (the reports never derive again; the
    Kaplan-Meier figures draw their :class:`KaplanMeier` results). One row per subject in
    ``subjects`` order; no arm anywhere: the closed report splits these rows by the key.

    ``use_codes`` is subjects x ``uds_visits``: 0 POS, 1 NEG, 2 missing, 3 not yet due, 4 not
    expected. ``last_data_date_by_site`` is the latest visit date per site (data currency).
    """

    subjects: tuple[str, ...]
    uds_visits: tuple[str, ...]
    use_codes: np.ndarray
    last_data_date_by_site: Mapping[str, str]

    def rows(self, mask: np.ndarray) -> SubjectLevel:
        """The same for the subjects where ``mask`` is set (an arm's)."""
        return replace(
            self,
            subjects=tuple(np.asarray(self.subjects, dtype=object)[mask]),
            use_codes=self.use_codes[mask],
        )


@dataclass(frozen=True)
class Results:
    study_id: str
    data_cutoff: str
    software: Mapping[str, str]
    inputs: Mapping[str, Any]
    validation: Mapping[str, Any]
    blinded: BlindedResults
    unblinded: UnblindedResults | None
    # the validation block without the key's findings (what :meth:`pooled` carries)
    pooled_validation: Mapping[str, Any] | None = None
    # per-subject arrays for the figures (not part of the results JSON)
    subject_level: SubjectLevel | None = field(default=None, compare=False)
    # a dry run: the unblinded results come from a scrambled allocation with this seed
    dry_run_seed: int | None = None

    def as_json(self) -> dict[str, Any]:
        dry = (
            {"dry_run": {"seed": self.dry_run_seed, "note": DRY_RUN_MARK}}
            if self.dry_run_seed is not None
            else {}
        )
        return {
            "schema": SCHEMA,
            "study_id": self.study_id,
            "data_cutoff": self.data_cutoff,
            **dry,
            "software": dict(self.software),
            "inputs": dict(self.inputs),
            "validation": dict(self.validation),
            "blinded": self.blinded.to_json(),
            "unblinded": self.unblinded.to_json() if self.unblinded else None,
        }

    def to_json(self) -> str:
        return dumps(self.as_json())

    def pooled(self) -> Results:
        """The results as if computed without the key: no unblinded section and no key input.
        What the app saves beside an open report, for the next report's comparison."""
        validation = self.validation if self.pooled_validation is None else self.pooled_validation
        return replace(
            self,
            inputs={**self.inputs, "key": None},
            validation=validation,
            unblinded=None,
            dry_run_seed=None,
        )


def _clean(o: Any) -> Any:
    """JSON-ready: numpy scalars to Python, NaN as null."""
    if isinstance(o, Mapping):
        return {str(k): _clean(v) for k, v in o.items()}
    if isinstance(o, list | tuple):
        return [_clean(v) for v in o]
    if hasattr(o, "item") and not isinstance(o, str):
        o = o.item()
    if isinstance(o, float):
        if not math.isfinite(o):
            return None
        return o
    return o


def dumps(obj: Any) -> str:
    """Deterministic JSON: keys in insertion order, full float precision (shortest repr)."""
    return json.dumps(_clean(obj), indent=1, ensure_ascii=False, allow_nan=False) + "\n"
