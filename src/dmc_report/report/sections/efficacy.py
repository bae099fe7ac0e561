"""Efficacy: abstinence, relapse, dropout, craving and follow-up, for any set of groups."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from dmc_report.domain.results import Comparison, MeanDifference, OddsRatio, VisitSummary
from dmc_report.report import figures as fg
from dmc_report.report import fmt
from dmc_report.report.data import Group
from dmc_report.report.model import Block, Cell, Figure, Table
from dmc_report.report.sections.base import Context, row
from dmc_report.report.sections.conduct import missing_label

OR_NOTE = (
    "Risk difference in percentage points, experimental - control, Newcombe hybrid score 95% CI "
    "(method 10); each arm's CI: Wilson score. Odds ratio from unadjusted logistic regression, "
    "Wald 95% CI; NE where a cell of the 2x2 table is zero."
)


def window(ctx: Context) -> str:
    """The primary endpoint's window in words, from the protocol ([endpoints.labels] window, or
    its visits)."""
    ep = ctx.protocol.endpoints
    if ep.labels.window:
        return ep.labels.window
    v = ep.abstinence_visits
    return f"visits {v[0]} to {v[-1]}" if len(v) > 1 else f"visit {v[0]}"


def positive_or_dropout(ctx: Context) -> str:
    return f"Positive for {ctx.protocol.endpoints.labels.analyte} or dropout, n (%)"


def _odds(part: Callable[[Comparison], OddsRatio]) -> Callable[[Comparison], str]:
    return lambda c: fmt.ratio_ci(part(c))


def _fisher(part: Callable[[Comparison], OddsRatio]) -> Callable[[Comparison], str]:
    return lambda c: fmt.p_value(part(c).fisher_p)


def _wilson(g: Group) -> str:
    a = g.summary.abstinence
    if a.ci_lower is None or a.ci_upper is None:
        return "NE"
    return f"({100 * a.ci_lower:.1f}, {100 * a.ci_upper:.1f})"


def risk_difference_cell(c: Comparison) -> str:
    """The risk difference in percentage points, with its Newcombe CI."""
    rd = c.risk_difference
    if rd.estimate is None or rd.ci_lower is None or rd.ci_upper is None:
        return f"NE ({rd.note})" if rd.note else "NE"
    return f"{100 * rd.estimate:.1f} ({100 * rd.ci_lower:.1f}, {100 * rd.ci_upper:.1f})"


def abstinence_table(ctx: Context, groups: Sequence[Group]) -> Table:
    """The primary endpoint by group, with the comparisons against the control (closed)."""
    rows: list[list[Cell]] = [
        row("Evaluable", groups, lambda g: g.summary.abstinence.evaluable),
        row("Pending (window not yet complete)", groups, lambda g: g.summary.abstinence.pending),
        row(
            "Abstinent, n (% of evaluable)",
            groups,
            lambda g: fmt.n_pct(g.summary.abstinence.abstinent, g.summary.abstinence.evaluable),
        ),
        row("    95% CI (Wilson), %", groups, _wilson),
    ]
    vs = ctx.vs_control
    if ctx.comparisons:
        rows += [
            [
                f"Risk difference {vs}, % points (95% CI)",
                *ctx.per_comparison(groups, risk_difference_cell),
            ],
            [
                f"Odds ratio {vs} (95% CI)",
                *ctx.per_comparison(groups, _odds(lambda c: c.abstinence)),
            ],
            [
                "Fisher exact p (two-sided)",
                *ctx.per_comparison(groups, _fisher(lambda c: c.abstinence), ""),
            ],
        ]
    rows.append(
        row(
            "Sensitivity, missing ignored: abstinent, n (%)",
            groups,
            lambda g: fmt.n_pct(
                g.summary.abstinence_missing_ignored.abstinent,
                g.summary.abstinence_missing_ignored.evaluable,
            ),
        )
    )
    if ctx.comparisons:
        sens = lambda c: c.abstinence_missing_ignored  # noqa: E731
        rows.append(
            [
                f"Sensitivity odds ratio {vs} (95% CI); Fisher p",
                *ctx.per_comparison(groups, lambda c: f"{_odds(sens)(c)}; {_fisher(sens)(c)}"),
            ]
        )
    pooled = "" if ctx.comparisons else ", pooled"
    return ctx.group_table(
        f"Abstinence over {window(ctx)}{pooled}",
        groups,
        rows,
        footnotes=[
            ctx.missing_rule,
            OR_NOTE if ctx.comparisons else "Pooled over treatment groups; no comparison is shown.",
        ],
    )


def relapse_figure(ctx: Context, groups: Sequence[Group]) -> Figure:
    pooled = len(groups) == 1 and groups[0].code is None
    lines = [
        f"{ctx.label_of(c.experimental)} {ctx.vs_control}: log-rank chi-square "
        f"{fmt.num(c.logrank.chi2, 2)}, p = {fmt.p_value(c.logrank.p)}; Cox hazard ratio "
        f"{fmt.ratio_ci(c.hazard_ratio)}, Efron ties."
        for c in ctx.comparisons
    ]
    return ctx.num.figure(
        title="Time to relapse" + (", all subjects pooled" if pooled else " by arm"),
        population=ctx.population(),
        draw=fg.km_figure,
        args=([(g.label, g.summary.relapse) for g in groups], "Proportion without relapse"),
        footnotes=[
            ctx.missing_rule,
            "Relapse: the first positive or missing urine at a relapse visit, or a dropout.",
            *lines,
        ],
    )


def relapse_table(ctx: Context, groups: Sequence[Group]) -> Table:
    rows: list[list[Cell]] = [
        row("Events", groups, lambda g: g.summary.relapse.events),
        row("Median days to relapse (95% CI)", groups, lambda g: fmt.median_ci(g.summary.relapse)),
        row(
            positive_or_dropout(ctx),
            groups,
            lambda g: fmt.n_pct(g.summary.use_or_dropout.subjects, g.n),
        ),
    ]
    if ctx.comparisons:
        rows += [
            [
                f"Hazard ratio {ctx.vs_control} (95% CI)",
                *ctx.per_comparison(groups, lambda c: fmt.ratio_ci(c.hazard_ratio)),
            ],
            [
                "Cox Wald p / log-rank p",
                *ctx.per_comparison(
                    groups,
                    lambda c: f"{fmt.p_value(c.hazard_ratio.p)} / {fmt.p_value(c.logrank.p)}",
                    "",
                ),
            ],
        ]
    return ctx.group_table(
        "Relapse" + (" by arm" if ctx.comparisons else ", pooled"),
        groups,
        rows,
        footnotes=["Kaplan-Meier medians with log-log 95% CI; NR: not reached."],
    )


def dropout_table(ctx: Context, groups: Sequence[Group]) -> Table:
    rows: list[list[Cell]] = [
        row("Dropouts, n (%)", groups, lambda g: fmt.n_pct(g.summary.dropout.dropouts, g.n)),
        row(
            "Median days to dropout (95% CI)", groups, lambda g: fmt.median_ci(g.summary.dropout.km)
        ),
    ]
    if ctx.comparisons:
        rows += [
            [
                f"Odds ratio {ctx.vs_control} (95% CI)",
                *ctx.per_comparison(groups, _odds(lambda c: c.dropout)),
            ],
            ["Fisher exact p", *ctx.per_comparison(groups, _fisher(lambda c: c.dropout), "")],
        ]
    return ctx.group_table(
        "Dropout before the end of treatment",
        groups,
        rows,
        footnotes=[
            f"Dropout: discontinued before the end of treatment (day "
            f"{ctx.protocol.endpoints.end_of_treatment_day}). Kaplan-Meier median with log-log "
            "95% CI; NR: not reached."
        ],
    )


def _by_visit_table(
    ctx: Context,
    title: str,
    groups: Sequence[Group],
    series: Callable[[Group], Sequence[VisitSummary]],
    note: str,
) -> Table:
    """n, mean (95% CI) per visit and group."""
    visits = [v.visit for v in series(groups[0])]
    rows: list[list[Cell]] = [
        [v, *[fmt.n_mean_ci(series(g)[i].stats) for g in groups]] for i, v in enumerate(visits)
    ]
    none = any(c == "-" for r in rows for c in r[1:])
    return ctx.num.table(
        title=title,
        population=ctx.population(),
        header=[["Visit", *[f"{g.heading}: n, mean (95% CI)" for g in groups]]],
        rows=rows,
        col_widths=[1.2, *[3.0] * len(groups)],
        align=["L", *["R"] * len(groups)],
        footnotes=[note + (" -: no values." if none else "")],
    )


def craving_table(ctx: Context, groups: Sequence[Group]) -> Table:
    return _by_visit_table(
        ctx,
        f"{ctx.protocol.endpoints.labels.craving} by visit",
        groups,
        lambda g: g.summary.craving,
        "Values dated on or before the cutoff at scheduled visits; out-of-range values excluded.",
    )


def craving_figure(ctx: Context, groups: Sequence[Group]) -> Figure:
    pooled = len(groups) == 1 and groups[0].code is None
    return ctx.num.figure(
        title="Craving by visit" + (", all subjects pooled" if pooled else " and arm"),
        population=ctx.population(),
        draw=fg.craving_figure,
        args=(
            [(g.label, g.summary.craving) for g in groups],
            ctx.protocol.endpoints.labels.craving,
        ),
        footnotes=["Mean and t-based 95% CI per visit; series set side by side at each visit."],
    )


# the craving comparison's rows: (label, cell from one comparison's difference)
_CRAVING_ROWS: tuple[tuple[str, Callable[[MeanDifference], str]], ...] = (
    (
        "Experimental mean / control mean",
        lambda d: f"{fmt.num(d.experimental_mean)} / {fmt.num(d.control_mean)}",
    ),
    ("Subjects (experimental / control)", lambda d: f"{d.n_experimental} / {d.n_control}"),
    (
        "Difference (95% CI), Welch",
        lambda d: f"{fmt.num(d.estimate)} ({fmt.num(d.ci_lower)}, {fmt.num(d.ci_upper)})",
    ),
    ("p", lambda d: fmt.p_value(d.p)),
    ("Percent difference vs control", lambda d: f"{fmt.num(d.percent)}%"),
)


def craving_difference(ctx: Context) -> Table:
    """The SAP's craving comparison: subject means over the craving visits, with each arm's
    baseline mean beside them (a baseline imbalance reads differently from an effect)."""
    pairs = [(ctx.label_of(c.experimental), c) for c in ctx.comparisons]
    base = ctx.protocol.endpoints.craving_baseline_visit
    rows = [[label, *[cell(c.craving) for _, c in pairs]] for label, cell in _CRAVING_ROWS]
    if base:
        rows.insert(
            0,
            [
                f"Baseline ({base}) mean: experimental / control",
                *[
                    f"{fmt.num(c.craving.baseline[c.experimental].mean)} / "
                    f"{fmt.num(c.craving.baseline[c.control].mean)}"
                    for _, c in pairs
                ],
            ],
        )
    v = ctx.protocol.endpoints.craving_visits
    return ctx.num.table(
        title=f"Craving over visits {v[0]} to {v[-1]}: difference of subject means",
        population=ctx.population(),
        header=[["Estimate", *[f"{name} {ctx.vs_control}" for name, _ in pairs]]],
        rows=rows,
        col_widths=[3, *[2.0] * len(pairs)],
        align=["L", *["R"] * len(pairs)],
    )


def follow_up_table(ctx: Context, groups: Sequence[Group]) -> Table | None:
    """Self-reported abstinence at the follow-up contact; none when the trial has no follow-up
    domain or nobody was contacted yet."""
    fus = [g.summary.follow_up for g in groups]
    if any(f is None for f in fus) or not any(f.contacted for f in fus if f):
        return None
    pairs = [(f, g) for f, g in zip(fus, groups, strict=True) if f is not None]
    return ctx.group_table(
        f"Abstinence at {ctx.protocol.endpoints.labels.follow_up}",
        groups,
        [
            ["Contacted", *[fmt.n_pct(f.contacted, g.n) for f, g in pairs]],
            [
                "Abstinent (self-report), n (% of contacted)",
                *[fmt.n_pct(f.abstinent, f.contacted) for f, _ in pairs],
            ],
        ],
    )


def use_pattern_figure(ctx: Context, groups: Sequence[Group]) -> Figure:
    """Urine results per subject and visit, by arm (closed report only)."""
    codes = np.vstack([g.use_codes for g in groups]) if groups else np.zeros((0, 0))
    n = codes.shape[0]
    return ctx.num.figure(
        title="Urine results per subject and visit, by arm",
        population=ctx.population(),
        draw=fg.use_pattern_figure,
        args=(
            codes,
            list(ctx.data.uds_visits),
            [(g.label, g.use_codes.shape[0]) for g in groups],
            True,
            missing_label(ctx),
        ),
        height_cm=min(22.0, 4.0 + 0.11 * n)
        if n <= fg.MAX_ROWS_PER_SUBJECT_CHART
        else 5.5 + 4.0 * len(groups),
        footnotes=[ctx.missing_rule],
    )


def efficacy(ctx: Context, groups: Sequence[Group]) -> list[Block]:
    """The efficacy tables and figures for ``groups`` (pooled or by arm)."""
    blocks: list[Block] = [abstinence_table(ctx, groups)]
    if ctx.comparisons:
        blocks.append(use_pattern_figure(ctx, groups))
    blocks += [relapse_figure(ctx, groups), relapse_table(ctx, groups)]
    blocks += [craving_table(ctx, groups), craving_figure(ctx, groups)]
    if ctx.comparisons:
        blocks.append(craving_difference(ctx))
    follow = follow_up_table(ctx, groups)
    if follow is not None:
        blocks.append(follow)
    return blocks


def questionnaire_tables(ctx: Context, groups: Sequence[Group]) -> list[Block]:
    """Each questionnaire score by visit (n, mean and 95% CI per group); none when the trial has
    no questionnaires."""
    first = groups[0].summary.questionnaires
    if first is None or any(g.summary.questionnaires is None for g in groups):
        return []
    note = (
        "Questionnaire records dated on or before the cutoff at the protocol's questionnaire "
        "visits; a score out of its range is left out (a validation finding)."
    )
    return [
        _by_visit_table(ctx, f"{score} by visit", groups, _scores(score), note) for score in first
    ]


def _scores(score: str) -> Callable[[Group], Sequence[VisitSummary]]:
    def of(g: Group) -> Sequence[VisitSummary]:
        q = g.summary.questionnaires
        return () if q is None else q[score]

    return of
