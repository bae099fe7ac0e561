"""What the app shows of the results, as rows and sentences: formatting done once, here, with
the reports' own formatting rules (:mod:`dmc_report.report.fmt`), so the app formats nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dmc_report.domain.results import BlindedResults, Monitoring, UnblindedResults
from dmc_report.report import fmt
from dmc_report.report.sections.monitoring import sentence


@dataclass(frozen=True)
class Rows:
    """A small table: its header and rows of display values."""

    header: list[str]
    rows: list[list[Any]]


def blinded_facts(b: BlindedResults) -> list[tuple[str, str]]:
    """The pooled view's key figures (label, value)."""
    en, g = b.enrollment, b.pooled
    di, ab, sa = g.disposition, g.abstinence, g.safety
    return [
        ("Screened / randomized / target", f"{en.screened} / {en.randomized} / {en.target}"),
        (
            "Completed / discontinued / ongoing",
            f"{di.completed} / {di.discontinued} / {di.ongoing}",
        ),
        (
            "Abstinence evaluable / pending / abstinent",
            f"{ab.evaluable} / {ab.pending} / {ab.abstinent}",
        ),
        ("Dropouts before the end of treatment", str(g.dropout.dropouts)),
        ("Relapse events (pooled)", str(g.relapse.events)),
        ("Subjects with an AE / a serious AE", f"{sa.subjects_with_ae} / {sa.subjects_with_sae}"),
    ]


def arm_rows(u: UnblindedResults) -> Rows:
    """One row per arm: N, abstinence, relapse events and median."""
    rows = []
    for a in u.arms:
        g = u.by_arm[a.code]
        ab, rel = g.abstinence, g.relapse
        rows.append(
            [
                f"{a.label} ({a.code})",
                a.role,
                a.n,
                f"{ab.abstinent}/{ab.evaluable}",
                fmt.pct(ab.proportion),
                rel.events,
                fmt.median_ci(rel),
            ]
        )
    header = ["Arm", "Role", "N", "Abstinent/evaluable", "%", "Relapse events"]
    return Rows([*header, "Median days (95% CI)"], rows)


def comparison_lines(u: UnblindedResults) -> list[str]:
    """A sentence per experimental arm against the control."""
    labels = {a.code: a.label for a in u.arms}
    out = []
    for c in u.comparisons:
        rd = c.risk_difference
        diff = (
            f"risk difference {100 * rd.estimate:.1f} percentage points "
            f"({100 * rd.ci_lower:.1f}, {100 * rd.ci_upper:.1f}); "
            if rd.estimate is not None and rd.ci_lower is not None and rd.ci_upper is not None
            else ""
        )
        out.append(
            f"{labels[c.experimental]} vs {labels[c.control]}: abstinence {diff}odds ratio "
            f"{fmt.ratio_ci(c.abstinence)}; Fisher p {fmt.p_value(c.abstinence.fisher_p)}. "
            f"Relapse hazard ratio {fmt.ratio_ci(c.hazard_ratio)}."
        )
    return out


def monitoring(m: Monitoring | None) -> tuple[str, Rows] | None:
    """Where the primary endpoint stands, and the boundaries by look; None without looks."""
    if m is None or not m.looks:
        return None
    rows = [
        [
            i + 1,
            f"{lk.information:.3f}",
            fmt.num(lk.z_lower, 3),
            fmt.num(lk.z_upper, 3),
            f"{lk.nominal_p:.4f}",
            f"{lk.alpha_spent_cumulative:.4f}",
        ]
        for i, lk in enumerate(m.looks)
    ]
    header = ["Look", "Information", "Z lower", "Z upper", "Nominal p", "Alpha spent"]
    return sentence(m), Rows(header, rows)
