"""Trial conduct: enrollment, baseline, disposition, exposure, visit compliance, data quality."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import numpy as np

from dmc_report.domain.findings import FindingCode
from dmc_report.domain.results import Category, EntryLag, MonthCount, NumericSummary
from dmc_report.report import figures as fg
from dmc_report.report import fmt
from dmc_report.report.common import compliance_table, findings_summary, sections_text
from dmc_report.report.data import Group
from dmc_report.report.model import Block, Cell, Figure, Table
from dmc_report.report.sections.base import Context, row


def every_month(by_month: Sequence[MonthCount]) -> list[MonthCount]:
    """The months from the first randomization to the last, those with none included (an
    accrual pause must show as a row of 0, not as a missing row)."""
    if not by_month:
        return []
    have = {m.month: m for m in by_month}
    first = dt.date.fromisoformat(by_month[0].month + "-01")
    last = dt.date.fromisoformat(by_month[-1].month + "-01")
    out: list[MonthCount] = []
    cumulative = 0
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        key = f"{y:04d}-{m:02d}"
        hit = have.get(key)
        cumulative = hit.cumulative if hit else cumulative
        out.append(MonthCount(key, hit.randomized if hit else 0, cumulative))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def enrollment(ctx: Context) -> list[Block]:
    """Accrual against the plan, screening, randomized by site and by month (pooled)."""
    en = ctx.data.blinded.enrollment
    p = ctx.protocol
    n = en.randomized
    last = ctx.data.last_data_date_by_site
    return [
        ctx.num.figure(
            title="Cumulative randomized subjects against the plan",
            population=ctx.population(),
            draw=fg.enrollment_figure,
            args=(
                en.by_month,
                p.study.target_enrollment,
                p.study.planned_enrollment_start,
                p.study.planned_enrollment_end,
                ctx.cutoff,
            ),
            footnotes=[
                "Planned accrual: linear from the planned start to the target at the planned end."
            ],
        ),
        ctx.num.table(
            title="Screening and randomization",
            population=ctx.population("screened subjects", en.screened),
            header=[["", "n"]],
            rows=[
                ["Screened (consented)", en.screened],
                ["Randomized", en.randomized],
                ["Not randomized", en.not_randomized],
                *[[f"    {why}", k] for why, k in en.not_randomized_reasons.items()],
            ],
            col_widths=[3, 1],
            align=["L", "R"],
        ),
        ctx.num.table(
            title="Randomized subjects by site",
            population=ctx.population(),
            header=[["Site", "Randomized, n (%)", "Last data date"]],
            rows=[[s, fmt.n_pct(k, n), last.get(s, "-")] for s, k in en.by_site.items()],
            col_widths=[2, 2, 2],
            align=["L", "R", "R"],
        ),
        ctx.num.table(
            title="Randomized subjects by month",
            population=ctx.population(),
            header=[["Month", "Randomized", "Cumulative"]],
            rows=[[m.month, m.randomized, m.cumulative] for m in every_month(en.by_month)],
            col_widths=[2, 1.5, 1.5],
            align=["L", "R", "R"],
            footnotes=[
                "Every month from the first randomization to the last, including months with none."
            ],
        ),
    ]


# how the baseline table names the contract's columns
BASELINE_NAMES = {
    "AGE": "Age, years",
    "BLDAYS": "Days of use, past 30",
    "SEX": "Sex",
    "RACE": "Race",
    "ETHNIC": "Ethnicity",
    "ROUTE": "Route of use",
}


def _median_iqr(s: NumericSummary) -> str:
    if s.median is None or s.q1 is None or s.q3 is None:
        return "-"
    return f"{s.median:.1f} ({s.q1:.1f}, {s.q3:.1f})"


def _range(s: NumericSummary) -> str:
    if s.min is None or s.max is None:
        return "-"
    return f"{s.min:.0f} - {s.max:.0f}"


def _title(value: str) -> str:
    return value.title() if value.isupper() else value


def baseline_table(ctx: Context, groups: Sequence[Group]) -> Table:
    """Baseline characteristics: numeric variables with n (where it differs from N), mean (SD),
    median (IQR) and range; categorical ones as n (%)."""
    rows: list[list[Cell]] = []
    first = groups[0].summary.baseline
    for var in first.numeric:
        stats = [g.summary.baseline.numeric[var] for g in groups]
        rows.append([BASELINE_NAMES.get(var, var), *[""] * len(groups)])
        if any(s.n != g.n for s, g in zip(stats, groups, strict=True)):
            rows.append(["    n", *[s.n for s in stats]])
        rows.append(["    Mean (SD)", *[fmt.mean_sd(s) for s in stats]])
        rows.append(["    Median (IQR)", *[_median_iqr(s) for s in stats]])
        rows.append(["    Range", *[_range(s) for s in stats]])
    for var in first.categorical:
        rows.append([BASELINE_NAMES.get(var, var), *[""] * len(groups)])
        values = sorted({c.value for g in groups for c in g.summary.baseline.categorical[var]})
        for v in values:

            def cell(g: Group, v: str = v, var: str = var) -> Cell:
                hit: Category | None = next(
                    (c for c in g.summary.baseline.categorical[var] if c.value == v), None
                )
                return fmt.n_pct(hit.n, g.n) if hit else "0"

            rows.append(row(f"    {_title(v)}", groups, cell))
    return ctx.group_table(
        "Baseline characteristics",
        groups,
        rows,
        first="Characteristic",
        first_width=3.2,
        footnotes=[
            "n: subjects with a value in range (age 18-100, days 0-30) where fewer than N; "
            "a value out of range is a validation finding."
        ],
    )


def _reason(reason: str) -> Callable[[Group], Cell]:
    return lambda g: fmt.n_pct(g.summary.disposition.reasons.get(reason, 0), g.n)


def compliance_by_arm(ctx: Context, groups: Sequence[Group]) -> Table:
    """Visits done in window of those due, and visits missed, per scheduled visit and group."""
    visits = [v.visit for v in groups[0].summary.compliance]

    def cell(g: Group, i: int) -> Cell:
        v = g.summary.compliance[i]
        return f"{fmt.n_of(v.in_window, v.due)}; missed {v.missed}"

    return ctx.group_table(
        "Visit compliance by arm",
        groups,
        [[visit, *[cell(g, i) for g in groups]] for i, visit in enumerate(visits)],
        first="Visit",
        first_width=1.2,
        footnotes=[
            "Done in window / due (%); missed: due and not done. Due: the visit's window closed "
            "by the cutoff (or the visit was done)."
        ],
    )


def sites_by_arm(ctx: Context, groups: Sequence[Group]) -> Table:
    """Randomized subjects by site and arm (closed report), with the site's last data date."""
    sites = sorted({s for g in groups for s in g.summary.sites})
    last = ctx.data.last_data_date_by_site
    return ctx.num.table(
        title="Randomized subjects by site and arm",
        population=ctx.population(),
        header=[["Site", *[g.heading for g in groups], "Last data date"]],
        rows=[
            [s, *[fmt.n_pct(g.summary.sites.get(s, 0), g.n) for g in groups], last.get(s, "-")]
            for s in sites
        ],
        col_widths=[1.5, *[2.0] * len(groups), 1.6],
        align=["L", *["R"] * len(groups), "R"],
        footnotes=["Percentages are of the column's N."],
    )


def _dropouts(g: Group) -> Cell:
    return fmt.n_pct(g.summary.dropout.dropouts, g.n)


def _after_treatment(g: Group) -> Cell:
    return fmt.n_pct(g.summary.disposition.discontinued - g.summary.dropout.dropouts, g.n)


def disposition_table(ctx: Context, groups: Sequence[Group]) -> Table:
    """Completed, discontinued (before and after the end of treatment, and by reason), ongoing:
    the dropouts of the dropout table are the discontinuations before the end of treatment."""
    reasons = sorted({r for g in groups for r in g.summary.disposition.reasons})
    eot = ctx.protocol.endpoints.end_of_treatment_day
    return ctx.group_table(
        "Subject disposition",
        groups,
        [
            row("Completed", groups, lambda g: fmt.n_pct(g.summary.disposition.completed, g.n)),
            row(
                "Discontinued", groups, lambda g: fmt.n_pct(g.summary.disposition.discontinued, g.n)
            ),
            row(f"    Before the end of treatment (day {eot})", groups, _dropouts),
            row("    After the end of treatment", groups, _after_treatment),
            *[row(f"    Reason: {r.capitalize()}", groups, _reason(r)) for r in reasons],
            row("Ongoing", groups, lambda g: fmt.n_pct(g.summary.disposition.ongoing, g.n)),
        ],
        first="Status",
        footnotes=[
            "Completed: disposition COMPLETED (the end of follow-up). Discontinued: any other "
            "disposition dated by the cutoff. Dropouts before the end of treatment are a subset "
            "of the discontinued (see Dropout)."
        ],
    )


def retention_figure(ctx: Context, groups: Sequence[Group]) -> Figure:
    pooled = len(groups) == 1
    return ctx.num.figure(
        title="Retention: time to dropout" + (", all subjects pooled" if pooled else " by arm"),
        population=ctx.population(),
        draw=fg.km_figure,
        args=([(g.label, g.summary.dropout.km) for g in groups], "Proportion retained"),
        footnotes=[
            f"Kaplan-Meier; censored at the end of treatment (day "
            f"{ctx.protocol.endpoints.end_of_treatment_day}), the cutoff or completion."
        ],
    )


def exposure_table(ctx: Context, groups: Sequence[Group]) -> Table | None:
    """Dosed and dose completed, and with a dosing log (several records per subject) the
    records, adherence and days on treatment; none when the trial has no exposure domain."""
    exposures = [g.summary.exposure for g in groups]
    if any(e is None for e in exposures):
        return None
    pairs = [(e, g) for e, g in zip(exposures, groups, strict=True) if e is not None]
    rows: list[list[Cell]] = [
        ["Dosed", *[fmt.n_pct(e.infused, g.n) for e, g in pairs]],
        ["With a record completed as directed", *[fmt.n_pct(e.completed, g.n) for e, g in pairs]],
    ]
    notes = ["Dosed: a dosing record (EX) dated by the cutoff; completed: EXCOMPL = Y."]
    if any(e.dosing_log is not None for e, _ in pairs):

        def log(part: str, cell: Callable[[NumericSummary], str]) -> list[Cell]:
            return [cell(getattr(e.dosing_log, part)) if e.dosing_log else "-" for e, _ in pairs]

        rows += [
            ["Dosing records per subject, median (IQR)", *log("records_per_subject", _median_iqr)],
            [
                "Adherence, % of records completed: mean (SD)",
                *log("adherence_percent", fmt.mean_sd),
            ],
            [
                "Days from first to last dose, median (range)",
                *log("days_on_treatment", _median_range),
            ],
        ]
        notes.append(
            "A dosing log: per dosed subject, its records, the percentage completed as directed "
            "(EXCOMPL = Y of those with Y or N) and the days from its first to its last dose."
        )
    return ctx.group_table("Study treatment exposure", groups, rows, footnotes=notes)


def _median_range(s: NumericSummary) -> str:
    if s.median is None or s.min is None or s.max is None:
        return "-"
    return f"{s.median:.0f} ({s.min:.0f} - {s.max:.0f})"


def _site_matrix(
    ctx: Context, sites: list[str], visits: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    pct = np.zeros((len(sites), len(visits)))
    due = np.zeros((len(sites), len(visits)))
    for r in ctx.data.compliance_by_site.to_dict("records"):
        i, j = sites.index(str(r["SITEID"])), visits.index(str(r["VISIT"]))
        due[i, j] = r["due"]
        pct[i, j] = 100 * r["in_window"] / r["due"] if r["due"] else 0
    return pct, due


def missing_label(ctx: Context) -> str:
    """What a missing urine sample counts as, for a figure's legend (the protocol's rule)."""
    return f"Missing (counted {ctx.protocol.endpoints.missing.value})"


def deviations_text(ctx: Context) -> Block:
    """Out-of-window visits counted per subject and visit (a visit's forms listed apart)."""
    found = [f for f in ctx.data.findings if f.code == FindingCode.VISIT_OUT_OF_WINDOW]
    visits = {(f.subject, f.visit) for f in found}
    return sections_text(
        f"Protocol deviations: {len(visits)} subject-visits outside their window "
        f"({len(found)} forms; each listed in the appendix with code VISIT_OUT_OF_WINDOW); "
        "they count for their visit."
    )


def _is_sheet(named: str | None, contract: str) -> bool:
    """Whether a finding's sheet (the export's name, the contract's in parentheses when they
    differ) is the contract sheet ``contract``."""
    return named is not None and (named == contract or named.endswith(f"({contract})"))


def eligibility_text(ctx: Context) -> Block:
    """Randomized subjects whose baseline data lie outside the contract's ranges (an age of 17):
    possible eligibility breaches, a conduct item for the DMC, not only a data error."""
    found = [
        f
        for f in ctx.data.findings
        if f.code == FindingCode.VALUE_OUT_OF_RANGE and _is_sheet(f.sheet, "DM") and f.subject
    ]
    if not found:
        return sections_text(
            "Eligibility: no randomized subject has a baseline value out of range."
        )
    what = ", ".join(sorted({f"{f.subject} ({f.column})" for f in found}))
    n = len({f.subject for f in found})
    return sections_text(
        f"Eligibility: {n} randomized {'subject has' if n == 1 else 'subjects have'} a baseline "
        f"value out of range, a possible eligibility breach: {what}. The value is left out of the "
        "baseline summaries (findings VALUE_OUT_OF_RANGE in the appendix)."
    )


def conduct(ctx: Context) -> list[Block]:
    """Visit compliance (table and site heat map), sample completeness, findings, deviations."""
    d = ctx.data
    sites = (
        list(d.compliance_by_site["SITEID"].astype(str).unique())
        if len(d.compliance_by_site)
        else []
    )
    visits = list(d.compliance["VISIT"])
    pct, due = _site_matrix(ctx, sites, visits)
    rows = d.completeness.shape[0]
    return [
        compliance_table(ctx.num, d),
        ctx.num.figure(
            title="Visit compliance by site: % of due visits done in window",
            population=ctx.population(),
            draw=fg.compliance_heatmap,
            args=(sites, visits, pct, due),
            height_cm=fg.heatmap_height(len(sites)),
        ),
        ctx.num.figure(
            title="Urine sample completeness per subject and visit",
            population=ctx.population(),
            draw=fg.use_pattern_figure,
            args=(d.completeness, list(d.uds_visits), [("All subjects", rows)], False),
            height_cm=min(22.0, 4.0 + 0.11 * rows)
            if rows <= fg.MAX_ROWS_PER_SUBJECT_CHART
            else 9.5,
            footnotes=[
                "Completeness only: whether a sample with a result exists, never the result."
            ],
        ),
        *entry_lag_table(ctx),
        findings_summary(ctx.num, d),
        deviations_text(ctx),
        eligibility_text(ctx),
    ]


_FORMS = {
    "UDS": "Urine drug screen",
    "VAS": "Craving",
    "QS": "Questionnaires",
    "AE": "Adverse events",
}


def entry_lag_table(ctx: Context) -> list[Block]:
    """Data currency: days from each record's date to its entry in the EDC (``ENTRYDT``), over
    all, by form and by site; nothing when the export carries no entry dates."""
    dc = ctx.data.blinded.data_currency
    if dc is None:
        return []

    def line(label: str, e: EntryLag) -> list[Cell]:
        return [label, str(e.records), fmt.num(e.median_days, 0), fmt.num(e.p90_days, 1),
                fmt.num(e.max_days, 0)]  # fmt: skip

    rows = [line("All records", dc.overall)]
    rows += [line(f"    {_FORMS.get(f.name, f.name)}", f) for f in dc.by_form]
    rows += [line(f"    Site {s.name}", s) for s in dc.by_site]
    return [
        ctx.num.table(
            title="Data currency: days from a record's date to its data entry",
            population=ctx.population(),
            header=[["", "Records", "Median", "90th percentile", "Longest"]],
            rows=rows,
            col_widths=[4.0, 1.4, 1.4, 1.8, 1.4],
            align=["L", "R", "R", "R", "R"],
            footnotes=[
                "Records of randomized subjects dated on or before the cutoff that carry an "
                "entry date (ENTRYDT); days from the record's date (AESTDT for adverse "
                "events) to its entry. By form, then by site. A record entered before its own "
                "date is left out "
                "(ENTRY_BEFORE_RECORD). Forms due but not entered are the missed visits and "
                "assessments above (VISIT_MISSED, ASSESSMENT_MISSING)."
            ],
        )
    ]
