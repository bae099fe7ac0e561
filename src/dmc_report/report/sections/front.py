"""The sections that open and close a report: the open synopsis with the changes since the
previous report, the closed summary, the flow of subjects, the consistency check, the appendix."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from dmc_report.domain.findings import FindingCode
from dmc_report.domain.results import BlindedResults
from dmc_report.domain.study import Provenance
from dmc_report.report import figures as fg
from dmc_report.report import fmt
from dmc_report.report.common import (
    compliance_table,
    findings_listing,
    provenance_table,
    sections_text,
)
from dmc_report.report.consistency import consistency_rows, not_in_key_notes
from dmc_report.report.data import ClosedReportData, Group
from dmc_report.report.model import Block, Cell, Figure, Table, Text
from dmc_report.report.sections.base import Context, row
from dmc_report.report.sections.efficacy import risk_difference_cell, window
from dmc_report.report.sections.monitoring import summary_sentence

DAGGER = "\u2020"


def _finding_counts(ctx: Context) -> str:
    sev = [f.severity.value for f in ctx.data.findings]
    return f"{sev.count('error')} / {sev.count('warning')} / {sev.count('info')}"


def status_table(ctx: Context) -> Table:
    """The open synopsis' status at a glance (pooled counts; no outcome)."""
    b = ctx.data.blinded
    en, di, ab = b.enrollment, b.pooled.disposition, b.pooled.abstinence
    n = en.randomized
    withheld = sum(1 for f in ctx.data.findings if f.code == FindingCode.TREATMENT_NAME_IN_TEXT)
    rows: list[list[Cell]] = [
        ["Screened / randomized / target", f"{en.screened} / {n} / {en.target}"],
        [
            "Completed / discontinued / ongoing",
            f"{di.completed} / {di.discontinued} / {di.ongoing}",
        ],
        ["Abstinence window evaluable / pending", f"{ab.evaluable} / {ab.pending}"],
        ["Dropouts before the end of treatment, n (%)", fmt.n_pct(b.pooled.dropout.dropouts, n)],
        ["Subjects with a serious AE", fmt.n_pct(b.pooled.safety.subjects_with_sae, n)],
        ["Validation findings (errors / warnings / info)", _finding_counts(ctx)],
    ]
    if withheld:
        rows.append(["Free-text entries withheld: they name a treatment", withheld])
    return ctx.num.table(
        title="Status at a glance",
        population=ctx.population(),
        header=[["Item", "Value"]],
        rows=rows,
        col_widths=[3, 2],
        align=["L", "R"],
    )


# The pooled counts compared with the previous report: (label, section and key in the previous
# results file, the count now, outcome, cumulative). An outcome row shows only where the
# protocol shows pooled outcomes; a cumulative count that goes down is flagged.
_CHANGE_ROWS: tuple[tuple[str, str, str, Callable[[BlindedResults], int], bool, bool], ...] = (
    ("Screened", "enrollment", "screened", lambda b: b.enrollment.screened, False, True),
    ("Randomized", "enrollment", "randomized", lambda b: b.enrollment.randomized, False, True),
    ("Completed", "disposition", "completed", lambda b: b.pooled.disposition.completed, False, True),
    ("Discontinued", "disposition", "discontinued", lambda b: b.pooled.disposition.discontinued, False, True),
    ("Ongoing", "disposition", "ongoing", lambda b: b.pooled.disposition.ongoing, False, False),
    ("Abstinence window evaluable", "abstinence", "evaluable", lambda b: b.pooled.abstinence.evaluable, True, True),
    ("Abstinent over the window", "abstinence", "abstinent", lambda b: b.pooled.abstinence.abstinent, True, True),
    # joined to its numbers by ", n": a count after "treatment" must not read as an arm code
    ("Dropouts before the end of treatment, n", "dropout", "dropouts", lambda b: b.pooled.dropout.dropouts, False, True),
    ("Relapses", "relapse", "events", lambda b: b.pooled.relapse.events, True, True),
    ("Subjects with an AE", "safety", "subjects_with_ae", lambda b: b.pooled.safety.subjects_with_ae, False, True),
    ("AE events", "safety", "ae_events", lambda b: b.pooled.safety.ae_events, False, True),
    ("Subjects with a serious AE", "safety", "subjects_with_sae", lambda b: b.pooled.safety.subjects_with_sae, False, True),
    ("Deaths", "safety", "deaths", lambda b: b.pooled.safety.deaths, False, True),
)  # fmt: skip


def changes(ctx: Context) -> Block:
    """The pooled counts now against the previous report's (report-contents.md section 2)."""
    d = ctx.data
    prev = d.previous
    if prev is None:
        return Text(
            "Changes since the previous report: no previous results file was given.", "small"
        )
    triples: list[tuple[str, int, int, bool]] = [
        (label, prev.counts[sec][key], now(d.blinded), cumulative)
        for label, sec, key, now, outcome, cumulative in _CHANGE_ROWS
        if d.protocol.pooled_efficacy or not outcome
    ]
    now_findings = Counter(f.severity.value for f in d.findings)
    triples += [
        (f"Validation {key}", prev.findings[key], now_findings.get(sev, 0), False)
        for sev, key in (("error", "errors"), ("warning", "warnings"))
        if key in prev.findings
    ]
    rows: list[list[Cell]] = [
        [label, before, now, (f"{now - before:+d}" if now != before else "0")
         + (f" {DAGGER}" if cumulative and now < before else "")]
        for label, before, now, cumulative in triples
    ]  # fmt: skip
    footnotes = [
        f"Previous report: data cutoff {prev.cutoff.isoformat()}, results file "
        f"{prev.provenance.file} (SHA-256 in the appendix), dmc-report {prev.software_version}.",
        "Change is now minus then. Counts are cumulative except ongoing subjects and findings.",
    ]
    new = prev.unlisted(d.blinded.pooled.safety.sae_listing)
    if new is not None:
        footnotes.append(
            f"Serious adverse events not listed in the previous report: {sum(new)} "
            "(marked new in the listing of serious adverse events)."
        )
    if any(cumulative and now < before for _, before, now, cumulative in triples):
        footnotes.append(
            f"{DAGGER} Fewer than at the previous cutoff, although the count is cumulative: "
            "check the export for removed or recoded subjects or events."
        )
    return ctx.num.table(
        title=f"Changes since the previous report (data cutoff {prev.cutoff.isoformat()})",
        population=ctx.population(),
        header=[
            [
                "Item",
                f"Then ({prev.cutoff.isoformat()})",
                f"Now ({ctx.cutoff.isoformat()})",
                "Change",
            ]
        ],
        rows=rows,
        col_widths=[3, 1.5, 1.5, 1],
        align=["L", "R", "R", "R"],
        footnotes=footnotes,
    )


def synopsis(ctx: Context) -> list[Block]:
    p = ctx.protocol
    return [
        sections_text(p.study.design or p.study.title),
        sections_text(
            f"Target enrollment {p.study.target_enrollment}; planned enrollment "
            f"{p.study.planned_enrollment_start.isoformat()} to "
            f"{p.study.planned_enrollment_end.isoformat()}. Primary endpoint: abstinence by urine "
            f"toxicology at {window(ctx)} ({', '.join(p.endpoints.abstinence_visits)})."
        ),
        status_table(ctx),
        changes(ctx),
    ]


def closed_summary(ctx: Context, c: ClosedReportData) -> list[Block]:
    """The primary endpoint and key signals by arm, and where monitoring stands."""
    arms = c.arms

    def ab(g: Group) -> str:
        a = g.summary.abstinence
        return fmt.n_of(a.abstinent, a.evaluable)

    vs = ctx.vs_control
    rows: list[list[Cell]] = [
        row(f"Abstinent over {window(ctx)}: n/evaluable (%)", arms, ab),
        [f"Risk difference {vs}, % points (95% CI)", *ctx.per_comparison(arms, risk_difference_cell)],
        [f"Odds ratio {vs} (95% CI)", *ctx.per_comparison(arms, lambda x: fmt.ratio_ci(x.abstinence))],
        ["Fisher exact p", *ctx.per_comparison(arms, lambda x: fmt.p_value(x.abstinence.fisher_p), "")],
        row("Relapse: events / median days (95% CI)", arms,
            lambda g: f"{g.summary.relapse.events} / {fmt.median_ci(g.summary.relapse)}"),
        [f"Relapse hazard ratio {vs} (95% CI); p", *ctx.per_comparison(
            arms, lambda x: f"{fmt.ratio_ci(x.hazard_ratio)}; {fmt.p_value(x.hazard_ratio.p)}")],
        row("Dropouts before the end of treatment, n (%)", arms,
            lambda g: fmt.n_pct(g.summary.dropout.dropouts, g.n)),
        row("Subjects with a serious AE, n (%)", arms,
            lambda g: fmt.n_pct(g.summary.safety.subjects_with_sae, g.n)),
        row("Subjects with an AE judged related, n (%)", arms,
            lambda g: fmt.n_pct(g.summary.safety.related_subjects, g.n)),
        row("Subjects with an AE leading to withdrawal, n (%)", arms,
            lambda g: fmt.n_pct(g.summary.safety.subjects_ae_withdrawn, g.n)),
        row("Deaths", arms, lambda g: g.summary.safety.deaths),
    ]  # fmt: skip
    return [
        ctx.group_table(
            "The primary endpoint and key signals by arm",
            arms,
            rows,
            footnotes=[ctx.missing_rule],
        ),
        Text(summary_sentence(ctx, c.unblinded)),
    ]


def consort(ctx: Context, c: ClosedReportData) -> Figure:
    en = ctx.data.blinded.enrollment
    counts: dict[str, Any] = {
        "screened": en.screened,
        "not_randomized": en.not_randomized,
        "not_randomized_reasons": dict(en.not_randomized_reasons),
        "randomized": en.randomized,
        "arms": [
            {
                "label": g.label,
                "n": g.n,
                "completed": g.summary.disposition.completed,
                "discontinued": g.summary.disposition.discontinued,
                "ongoing": g.summary.disposition.ongoing,
                "reasons": dict(g.summary.disposition.reasons),
                "evaluable": g.summary.abstinence.evaluable,
                "pending": g.summary.abstinence.pending,
            }
            for g in c.arms
        ],
    }
    return ctx.num.figure(
        title="Flow of subjects (CONSORT)",
        population=ctx.population("screened subjects", en.screened),
        draw=fg.consort_figure,
        args=(counts,),
        height_cm=11,
    )


def consistency(ctx: Context, c: ClosedReportData) -> Table:
    rows = consistency_rows(
        ctx.data.blinded, c.unblinded, pooled_efficacy=ctx.protocol.pooled_efficacy
    )
    return ctx.num.table(
        title="Pooled totals in the open report against the sum over arms",
        population=ctx.population(),
        header=[["Quantity", "Open report (pooled)", "Sum over arms", "Difference", "Agrees"]],
        rows=[
            [q, a, s, f"{a - s:+d}" if a != s else "0", "yes" if ok else "no"]
            for q, a, s, ok in rows
        ],
        col_widths=[4, 1.6, 1.6, 1.2, 1],
        align=["L", "R", "R", "R", "C"],
        footnotes=[
            "The open report's subject and event counts (randomized, by site, disposition, "
            "the abstinence window, dropouts, AEs, SAEs, withdrawals, worst severity, "
            "relatedness, deaths, exposure) against the sum of the arms' counts.",
            *not_in_key_notes(
                c.unblinded.not_in_key,
                [f.subject for f in ctx.findings if f.code == FindingCode.NOT_IN_KEY],
            ),
        ],
    )


def appendix(ctx: Context, extra: Sequence[tuple[str, Provenance]] = ()) -> list[Block]:
    d = ctx.data
    closed = ctx.closed is not None
    blocks: list[Block] = [provenance_table(ctx.num, d, extra)]
    if closed:
        blocks.append(compliance_table(ctx.num, d))
    blocks.append(findings_listing(ctx.num, d, ctx.findings, closed=closed))
    return blocks


def _now_by_arm(g: Group) -> dict[str, int]:
    s = g.summary
    return {
        "randomized": g.n,
        "completed": s.disposition.completed,
        "discontinued": s.disposition.discontinued,
        "evaluable": s.abstinence.evaluable,
        "abstinent": s.abstinence.abstinent,
        "dropouts": s.dropout.dropouts,
        "relapse events": s.relapse.events,
        "subjects with an SAE": s.safety.subjects_with_sae,
        "deaths": s.safety.deaths,
    }


def _change(before: int | None, now: int) -> str:
    if before is None:
        return f"{now} (not in the previous report)"
    d = now - before
    return f"{before} -> {now} ({'+' if d >= 0 else ''}{d})"


def closed_changes(ctx: Context, c: ClosedReportData) -> list[Block]:
    """The counts by arm now against the previous closed report's (read from the results it
    carries), and the primary endpoint's Z against its boundary at both looks."""
    prev = c.previous
    if prev is None:
        return [
            Text(
                "Changes since the previous report, by arm: no previous closed report was given.",
                "small",
            )
        ]
    arms = list(c.arms)
    now = {g.code: _now_by_arm(g) for g in arms}
    names = list(next(iter(now.values())))

    def cells(name: str) -> list[Cell]:
        return [
            _change(prev.counts.get(g.code or "", {}).get(name), now[g.code or ""][name])
            for g in arms
        ]

    rows: list[list[Cell]] = [[name[0].upper() + name[1:], *cells(name)] for name in names]
    m = c.unblinded.monitoring
    footnotes = [
        f"Previous: the closed report with data cutoff {prev.cutoff.isoformat()} "
        f"({prev.provenance.file}, SHA-256 {prev.provenance.sha256[:16]}...), read from the "
        "results it carries, encrypted. Counts are cumulative: one that fell was corrected in "
        "the data (see the validation findings)."
    ]
    if m is not None and (prev.observed_z is not None or m.observed_z is not None):
        cur = m.current

        def z_at(z: float | None, bound: float | None) -> str:
            return f"Z {fmt.num(z, 2)} (boundary {fmt.num(bound, 2)})" if z is not None else "-"

        footnotes.append(
            "Primary endpoint: "
            + z_at(prev.observed_z, prev.z_upper)
            + f" at {prev.cutoff.isoformat()}, "
            + z_at(m.observed_z, cur.z_upper if cur else None)
            + f" now (information fraction {fmt.num(m.information_fraction, 2)})."
        )
    return [
        ctx.num.table(
            title=f"Changes since the previous report (data cutoff {prev.cutoff.isoformat()}), "
            "by arm",
            population=ctx.population(),
            header=[["Count", *[g.heading for g in arms]]],
            rows=rows,
            col_widths=[2.6, *[2.4] * len(arms)],
            align=["L", *["R"] * len(arms)],
            footnotes=footnotes,
        )
    ]
