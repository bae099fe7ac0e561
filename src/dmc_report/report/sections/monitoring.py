"""Interim monitoring of the primary endpoint: the open report's pooled information, the closed
report's boundaries, observed Z and conditional power (none at the final analysis)."""

from __future__ import annotations

from dmc_report.domain.results import Look, Monitoring, UnblindedResults
from dmc_report.report import figures as fg
from dmc_report.report import fmt
from dmc_report.report.model import Block, Cell, Text
from dmc_report.report.sections.base import Context

SPENDING = {
    "OBF": "Lan-DeMets O'Brien-Fleming type",
    "POCOCK": "Lan-DeMets Pocock type",
}


def title(ctx: Context) -> str:
    return (
        "Final analysis of the primary endpoint"
        if ctx.data.settings.final
        else "Interim monitoring"
    )


def open_text(ctx: Context) -> Text:
    """The open report's monitoring paragraph: pooled information only."""
    info = ctx.data.blinded.information
    if info is None:
        return Text("The protocol defines no interim monitoring plan.")
    what = (
        "The final analysis of the primary endpoint is"
        if ctx.data.settings.final
        else "Interim monitoring of the primary endpoint is"
    )
    return Text(
        f"{what} reviewed in closed session. Pooled "
        f"information: {info.information} of {info.planned_information} planned evaluable "
        f"subjects ({100 * info.fraction:.0f}%)."
    )


def sentence(m: Monitoring | None, note: str | None = None) -> str:
    """Where the primary comparison stands, in plain language."""
    if m is None or m.observed_z is None or m.current is None:
        why = note or (m.note if m else None) or "no monitoring plan or no data for it"
        return f"Interim monitoring: {why.rstrip('.')}."
    cur = m.current
    if m.final:  # one basis: the final look, at information fraction 1 by definition
        where = (
            "At this final analysis (information fraction 1 by definition; "
            f"{m.information} of {m.planned_information} planned evaluable subjects), the "
            f"observed Z of {m.observed_z:.2f}"
        )
    else:
        where = (
            f"At this interim look, the observed Z of {m.observed_z:.2f} at information "
            f"fraction {min(m.information_fraction, 1.0):.3f} ({m.information} of "
            f"{m.planned_information} planned evaluable subjects)"
        )
    bound = "final efficacy boundary" if m.final else "efficacy boundary"
    if m.crossed == "efficacy":
        return f"{where} lies above the {bound} of {cur.z_upper:.3f}: the efficacy boundary is crossed."
    if m.crossed == "harm" and cur.z_lower is not None:
        return f"{where} lies below the harm boundary of {cur.z_lower:.3f}: the harm boundary is crossed."
    return f"{where} lies below the {bound} of {cur.z_upper:.3f}; no boundary is crossed."


def summary_sentence(ctx: Context, u: UnblindedResults) -> str:
    """The primary endpoint by arm (in the tables' order: experimental arms first) and where
    the monitoring stands."""
    arms = ctx.closed.arms if ctx.closed else ()
    parts = [
        f"{g.label}: {g.summary.abstinence.abstinent}/{g.summary.abstinence.evaluable}"
        for g in arms
    ]
    return (
        "Primary endpoint (abstinent/evaluable): "
        + "; ".join(parts)
        + ". "
        + sentence(u.monitoring, u.monitoring_note)
    )


def _observed(look: Look, m: Monitoring) -> str:
    if look.kind == "current" or (m.final and look is m.current):
        return fmt.num(m.observed_z, 2)
    return "-" if look.observed_z is None else fmt.num(look.observed_z, 2)


def _boundary_rows(m: Monitoring) -> list[list[Cell]]:
    return [
        [
            i + 1, lk.kind, f"{lk.information:.3f}", fmt.num(lk.z_lower, 3), fmt.num(lk.z_upper, 3),
            f"{lk.nominal_p:.4f}", f"{lk.alpha_spent_cumulative:.4f}", f"{lk.alpha_spent_incremental:.4f}",
            _observed(lk, m), (m.crossed or "no") if lk is m.current else "",
        ]
        for i, lk in enumerate(m.looks)
    ]  # fmt: skip


def closed_blocks(ctx: Context, u: UnblindedResults) -> list[Block]:
    """Sentence, boundary figure, boundary table and (at an interim look) conditional power."""
    m = u.monitoring
    if m is None or not m.looks:
        return [Text(sentence(m, u.monitoring_note))]
    spending = SPENDING.get(m.spending, f"Hwang-Shih-DeCani (gamma {m.gamma})")
    pop = ctx.population()
    blocks: list[Block] = [
        Text(sentence(m)),
        ctx.num.figure(
            title="Monitoring boundaries and the observed Z",
            population=pop,
            draw=fg.boundary_figure,
            args=(m.looks, m.observed_z, m.information_fraction, m.crossed, m.final),
            footnotes=[
                (
                    f"{spending} alpha spending, two-sided alpha {m.alpha}; the final analysis "
                    "is the last look, at information fraction 1, spending all remaining alpha "
                    f"({m.information} of {m.planned_information} planned evaluable subjects "
                    "accrued)."
                )
                if m.final
                else (
                    f"{spending} alpha spending, two-sided alpha {m.alpha}, recomputed at the "
                    f"information actually accrued ({m.information} of "
                    f"{m.planned_information} planned evaluable subjects)."
                ),
                "Z: pooled two-proportion statistic for abstinence, experimental - control "
                "(positive favours experimental).",
            ],
        ),
        ctx.num.table(
            title="Boundaries at the actual information" + (" (final analysis)" if m.final else ""),
            population=pop,
            header=[
                [
                    "Look",
                    "",
                    "Information",
                    "Z lower",
                    "Z upper",
                    "Nominal p",
                    "Alpha spent",
                    "Alpha at look",
                    "Observed Z",
                    "Crossed",
                ]
            ],
            rows=_boundary_rows(m),
            col_widths=[0.5, 0.8, 0.9, 0.8, 0.8, 0.9, 0.9, 1.0, 0.9, 0.8],
            align=["R", "L", "R", "R", "R", "R", "R", "R", "R", "L"],
            footnotes=[
                "Critical values by recursive numerical integration (Armitage, McPherson and "
                "Rowe); they agree with rpact.",
                # at the final analysis the sentence and the figure say what the notes would
                *[
                    f"{note[:1].upper()}{note[1:]}."
                    for note in m.notes
                    if not (m.final and note.startswith("final analysis"))
                ],
            ],
        ),
    ]
    if not m.final:
        cp = m.conditional_power
        blocks.append(
            ctx.num.table(
                title="Conditional power of crossing the final efficacy boundary",
                population=pop,
                header=[["Assumption about the remaining data", "Conditional power"]],
                rows=[
                    ["Current trend continues", fmt.pct(cp.current_trend)],
                    ["Design alternative (protocol's assumed proportions)", fmt.pct(cp.design)],
                    ["No treatment effect (null)", fmt.pct(cp.null)],
                ],
                col_widths=[3, 1.5],
                align=["L", "R"],
                footnotes=[
                    "Lan & Wittes B-value: CP = 1 - Phi((c_K - Z_t sqrt(t) - theta (1 - t)) / "
                    "sqrt(1 - t))."
                ],
            )
        )
    return blocks
