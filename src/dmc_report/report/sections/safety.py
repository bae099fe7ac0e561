"""Safety: AE overview, AEs by organ class and term, by worst severity, SAE and death listings,
vital signs. With several groups the columns stand side by side (the arms, then their total) and
every term that occurs in any group has its row, sorted by total frequency."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from dmc_report.domain.results import AeEvent, Safety, SocCount, TermCount
from dmc_report.report import figures as fg
from dmc_report.report import fmt
from dmc_report.report.common import sections_text
from dmc_report.report.data import Group
from dmc_report.report.model import Block, Cell, Table
from dmc_report.report.sections.base import Context, row

SEVERITY_ORDER = ("MILD", "MODERATE", "SEVERE", "NOT RECORDED")


def decode(value: str | None) -> str:
    """A recorded code as a listing shows it: Y/N as Yes/No, UPPER_CASE as words."""
    if value is None:
        return "-"
    v = value.strip()
    if v.upper() in {"Y", "N"}:
        return "Yes" if v.upper() == "Y" else "No"
    if v.isupper():
        return v.replace("_", " ").capitalize()
    return v


def overview(ctx: Context, groups: Sequence[Group]) -> Table:
    def s(g: Group) -> Safety:
        return g.summary.safety

    return ctx.group_table(
        "Adverse event overview",
        groups,
        [
            row(
                "Subjects with at least one AE",
                groups,
                lambda g: fmt.n_pct(s(g).subjects_with_ae, g.n),
            ),
            row("Adverse events", groups, lambda g: s(g).ae_events),
            row(
                "Subjects with at least one serious AE",
                groups,
                lambda g: fmt.n_pct(s(g).subjects_with_sae, g.n),
            ),
            row("Serious adverse events", groups, lambda g: s(g).sae_events),
            row(
                "Subjects with an AE leading to withdrawal",
                groups,
                lambda g: fmt.n_pct(s(g).subjects_ae_withdrawn, g.n),
            ),
            row("AEs leading to withdrawal", groups, lambda g: s(g).ae_withdrawn_events),
            row("Deaths", groups, lambda g: s(g).deaths),
        ],
        first_width=3.5,
    )


def _ae_cell(count: SocCount | TermCount | None, n: int) -> str:
    if count is None:
        return "0"
    return f"{fmt.n_pct(count.subjects, n)} [{count.events}]"


def by_soc(ctx: Context, groups: Sequence[Group]) -> Table:
    """Subjects n (%) [events] by organ class and term; every term of any group, in every
    column, most frequent first (over all columns)."""
    socs: dict[str, dict[str, int]] = {}
    soc_total: dict[str, int] = {}
    for g in groups:
        for count in g.summary.safety.by_soc:
            soc_total[count.soc] = soc_total.get(count.soc, 0) + count.subjects
            terms = socs.setdefault(count.soc, {})
            for t in count.terms:
                terms[t.term] = terms.get(t.term, 0) + t.subjects

    def find(g: Group, soc: str, term: str | None) -> SocCount | TermCount | None:
        hit = next((s for s in g.summary.safety.by_soc if s.soc == soc), None)
        if hit is None or term is None:
            return hit
        return next((t for t in hit.terms if t.term == term), None)

    rows: list[list[Cell]] = []
    for soc in sorted(socs, key=lambda k: (-soc_total[k], k)):
        rows.append([soc, *[_ae_cell(find(g, soc, None), g.n) for g in groups]])
        for term in sorted(socs[soc], key=lambda k: (-socs[soc][k], k)):
            rows.append([f"    {term}", *[_ae_cell(find(g, soc, term), g.n) for g in groups]])
    return ctx.group_table(
        "Adverse events by system organ class and term",
        groups,
        rows,
        first="System organ class / term",
        first_width=4.0,
        footnotes=[
            "n (%) [E]: subjects with the event (a subject counts once per row) and [events]. AEs "
            "that started on or before the data cutoff. Sorted by subjects over all columns."
        ],
    )


def by_worst_severity(ctx: Context, groups: Sequence[Group]) -> Table:
    return ctx.group_table(
        "Subjects by worst adverse-event severity",
        groups,
        [row(k.capitalize(), groups, _worst(k)) for k in SEVERITY_ORDER],
        first="Worst severity",
        footnotes=["Subjects without an AE are in no row."],
    )


def _worst(severity: str) -> Callable[[Group], Cell]:
    return lambda g: fmt.n_pct(g.summary.safety.by_worst_severity.get(severity, 0), g.n)


def by_relatedness(ctx: Context, groups: Sequence[Group]) -> Table:
    return ctx.group_table(
        "Adverse events by relatedness",
        groups,
        [
            row(
                "Subjects with an AE judged related, n (%)",
                groups,
                lambda g: fmt.n_pct(g.summary.safety.related_subjects, g.n),
            ),
            row(
                "Subjects with AEs, none judged related, n (%)",
                groups,
                lambda g: fmt.n_pct(
                    g.summary.safety.subjects_with_ae - g.summary.safety.related_subjects, g.n
                ),
            ),
            row("AEs judged related", groups, lambda g: g.summary.safety.related_events),
        ],
        first_width=3.8,
        footnotes=["Related: the investigator's assessment AEREL = Y."],
    )


def by_soc_and_severity(ctx: Context, groups: Sequence[Group]) -> Table:
    """Per organ class, subjects by their worst severity in it: mild / moderate / severe (and
    not recorded where any), one cell per group."""
    order: dict[str, int] = {}
    for g in groups:
        for c in g.summary.safety.by_soc:
            order[c.soc] = order.get(c.soc, 0) + c.subjects
    any_missing = any(
        row.get("NOT RECORDED", 0)
        for g in groups
        for row in g.summary.safety.by_soc_worst_severity.values()
    )
    levels = [*SEVERITY_ORDER[:3], *(["NOT RECORDED"] if any_missing else [])]

    def cell(g: Group, soc: str) -> Cell:
        counts = g.summary.safety.by_soc_worst_severity.get(soc)
        return " / ".join(str((counts or {}).get(k, 0)) for k in levels)

    return ctx.group_table(
        "Subjects by organ class and worst severity in it",
        groups,
        [
            [soc, *[cell(g, soc) for g in groups]]
            for soc in sorted(order, key=lambda k: (-order[k], k))
        ],
        first="System organ class",
        first_width=4.0,
        footnotes=[
            "Subjects: " + " / ".join(k.lower() for k in levels) + ". A subject counts once per "
            "organ class, at the worst severity of its AEs there."
        ],
    )


def sae_listing(ctx: Context, groups: Sequence[Group]) -> Table:
    """Every serious AE, by arm in the closed report; marked new against the previous report."""
    events = [(g.label, e) for g in groups for e in g.summary.safety.sae_listing]
    return _listing(ctx, groups, events, "Listing of serious adverse events", mark_new=True)


def withdrawal_listing(ctx: Context, groups: Sequence[Group]) -> Table:
    """Every AE that led to withdrawal (AEACN = WITHDRAWN), by arm in the closed report."""
    events = [(g.label, e) for g in groups for e in g.summary.safety.withdrawal_listing]
    return _listing(ctx, groups, events, "Listing of adverse events leading to withdrawal")


def _listing(
    ctx: Context,
    groups: Sequence[Group],
    events: list[tuple[str, AeEvent]],
    title: str,
    *,
    mark_new: bool = False,
) -> Table:
    """A listing of events in order of onset: subject (and arm), term, organ class, dates,
    codes decoded; with ``mark_new`` and a previous report, the events it did not list."""
    by_arm = len(groups) > 1 or groups[0].code is not None
    events.sort(key=lambda ge: (ge[1].start or "", ge[1].subject or ""))
    prev = ctx.data.previous
    new = prev.unlisted([e for _, e in events]) if prev and mark_new else None
    head = ["Subject", *(["Arm"] if by_arm else []), "Term", "System organ class", "Start",
            "Study day", "Severity", "Related", "Action", "Outcome", *(["New"] if new is not None else [])]  # fmt: skip
    rows: list[list[Cell]] = [
        [
            e.subject, *([arm] if by_arm else []), e.term, e.soc, e.start, e.study_day,
            decode(e.severity), decode(e.related), decode(e.action), decode(e.outcome),
            *([] if new is None else ["new" if new[i] else ""]),
        ]
        for i, (arm, e) in enumerate(events)
    ]  # fmt: skip
    notes = []
    if prev and new:
        notes.append(
            f"New: not listed in the previous report (data cutoff {prev.cutoff.isoformat()}); "
            f"{sum(new)} of {len(events)}."
        )
    widths = [1.2, *([2.0] if by_arm else []), 1.6, 2.4, 1.3, 0.8, 1.2, 0.9, 1.2, 1.5,
              *([] if new is None else [0.7])]  # fmt: skip
    return ctx.num.table(
        title=title,
        population=ctx.population(),
        header=[head],
        rows=rows,
        col_widths=widths,
        align=["L" if h not in {"Study day"} else "R" for h in head],
        footnotes=notes,
    )


def deaths(ctx: Context, groups: Sequence[Group]) -> Block:
    names = [
        f"{s} ({g.label})" if g.code is not None else s
        for g in groups
        if not g.is_total
        for s in g.summary.safety.death_listing
    ]
    return sections_text("Deaths: " + (", ".join(names) if names else "none reported."))


def vital_signs(ctx: Context, groups: Sequence[Group]) -> Table | None:
    """The largest blood-pressure rise on the dosing day; none without vital signs."""
    if all(g.summary.vital_signs is None for g in groups):
        return None

    def cell(g: Group, part: str) -> str:
        vs = g.summary.vital_signs
        return "-" if vs is None else fmt.n_mean_ci(getattr(vs, part))

    visit = next(g.summary.vital_signs.visit for g in groups if g.summary.vital_signs)
    return ctx.group_table(
        f"Blood pressure at {visit}: largest rise from pre-dose",
        groups,
        [
            row("Systolic rise: n, mean (95% CI)", groups, lambda g: cell(g, "sysbp_max_rise")),
            row("Diastolic rise: n, mean (95% CI)", groups, lambda g: cell(g, "diabp_max_rise")),
        ],
        first="mmHg",
    )


def ae_dot_plots(ctx: Context) -> list[Block]:
    """The AE dot plot of each comparison (closed report): every term of either arm."""
    out: list[Block] = []
    for c in ctx.comparisons:
        if not c.ae_terms:
            continue
        exp, ctl = ctx.label_of(c.experimental), ctx.label_of(c.control)
        more = len(c.ae_terms) - fg.MAX_DOT_PLOT_TERMS
        out.append(
            ctx.num.figure(
                title=f"Adverse events by term: {exp} against {ctl}",
                population=ctx.population(),
                draw=fg.ae_dot_plot,
                args=(c.ae_terms, exp, ctl),
                height_cm=min(22.0, 3.5 + 0.45 * min(len(c.ae_terms), fg.MAX_DOT_PLOT_TERMS)),
                footnotes=[
                    "Left: subjects with the event, % of each arm. Right: the difference of those "
                    "percentages with the Newcombe hybrid score 95% CI; terms ordered by it "
                    "(Amit, Heiberger and Lane 2008). Unadjusted, for screening, not testing.",
                    *(
                        [
                            f"The {fg.MAX_DOT_PLOT_TERMS} most frequent terms; {more} more in the table."
                        ]
                        if more > 0
                        else []
                    ),
                ],
            )
        )
    return out


def safety(ctx: Context, groups: Sequence[Group]) -> list[Block]:
    """The safety section for ``groups`` (the arms and their total, or all subjects)."""
    arms = [g for g in groups if not g.is_total]
    blocks: list[Block] = [
        overview(ctx, groups),
        by_soc(ctx, groups),
        *ae_dot_plots(ctx),
        by_worst_severity(ctx, groups),
        by_relatedness(ctx, groups),
        by_soc_and_severity(ctx, groups),
        sae_listing(ctx, arms),
        withdrawal_listing(ctx, arms),
        deaths(ctx, arms),
    ]
    vs = vital_signs(ctx, groups)
    if vs is not None:
        blocks.append(vs)
    return blocks
