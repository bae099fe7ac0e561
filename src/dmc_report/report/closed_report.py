"""The CLOSED session report: everything by arm, comparisons, safety by arm, monitoring."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from dmc_report.report import figures as fg
from dmc_report.report import fmt
from dmc_report.report.common import (
    Numbering,
    ae_tables,
    compliance_table,
    findings_listing,
    overview_rows,
    population,
    provenance_table,
    section,
    title_page,
)
from dmc_report.report.consistency import consistency_rows, not_in_key_notes
from dmc_report.report.data import ClosedReportData
from dmc_report.report.model import PageBreak, Report, Section, Text
from dmc_report.report.open_report import baseline_table, craving_table

NOTICE_CLOSED = (
    "CONFIDENTIAL - CONTAINS UNBLINDED COMPARATIVE DATA. For members of the Data Monitoring "
    "Committee only. Do not copy or forward. This file is encrypted; keep the password apart from it."
)
WATERMARK = "CLOSED - DMC MEMBERS ONLY"


def build_closed_report(c: ClosedReportData) -> Report:
    d = c.open
    b = d.blinded.payload
    u = c.unblinded.payload
    num = Numbering()
    arms = c.arms
    label = {a.code: a.label for a in arms}
    order = [a.code for a in arms]
    ctl = next(a for a in arms if a.role == "control")
    n_arm = {a["code"]: a["n"] for a in u["arms"]}
    n = b["enrollment"]["randomized"]
    pop_rand = population("randomized subjects", n, d)
    head = [f"{label[k]} (N = {n_arm[k]})" for k in order]
    widths = [3.0, *[2.0] * len(order)]
    align = ["L", *["R"] * len(order)]
    miss = f"Missing urine samples counted as {d.protocol.endpoints.missing.value}."
    vs_ctl = f"vs {label[ctl.code]}"
    # one comparison per experimental arm, against the control; the statistic sits in the
    # experimental arm's column, "reference" in the control's
    cmp = {c["experimental"]: c for c in u.get("comparisons", [])}

    def per_exp(cell: Callable[[Mapping[str, Any]], str], ref: str = "reference") -> list[str]:
        return [cell(cmp[k]) if k in cmp else (ref if k == ctl.code else "") for k in order]

    def odds(part: str) -> Callable[[Mapping[str, Any]], str]:
        return lambda c: fmt.ratio_ci(c[part].get("odds_ratio"), c[part].get("odds_ratio_note"))

    def fisher(part: str) -> Callable[[Mapping[str, Any]], str]:
        return lambda c: fmt.p_value(c[part].get("fisher_p"))

    def hazard(c: Mapping[str, Any]) -> str:
        hr = c["relapse"]["hazard_ratio"]
        return f"{fmt.ratio_ci(hr, hr.get('note'))}; {fmt.p_value(hr.get('p'))}"

    pairs = [(label[k], cmp[k]) for k in order if k in cmp]
    ab = u["abstinence"]
    summary_rows = [
        [
            "Abstinent, last 2 weeks: n/evaluable (%)",
            *[
                f"{ab['by_arm'][k]['abstinent']}/{ab['by_arm'][k]['evaluable']} ({fmt.pct(ab['by_arm'][k]['proportion'])})"
                for k in order
            ],
        ],
        [f"Odds ratio {vs_ctl} (95% CI)", *per_exp(odds("abstinence"))],
        ["Fisher exact p", *per_exp(fisher("abstinence"), "")],
        [
            "Relapse: events / median days (95% CI)",
            *[
                f"{u['relapse']['by_arm'][k]['events']} / {fmt.median_ci(u['relapse']['by_arm'][k])}"
                for k in order
            ],
        ],
        [f"Relapse hazard ratio {vs_ctl} (95% CI); p", *per_exp(hazard)],
        [
            "Dropouts before the end of treatment, n (%)",
            *[fmt.n_pct(u["dropout"]["by_arm"][k]["dropouts"], n_arm[k]) for k in order],
        ],
        [
            "Subjects with a serious AE, n (%)",
            *[fmt.n_pct(u["safety"]["by_arm"][k]["subjects_with_sae"], n_arm[k]) for k in order],
        ],
        ["Deaths", *[u["safety"]["by_arm"][k]["deaths"] for k in order]],
    ]
    sections: list[Section] = [
        section(
            "Closed summary",
            num.table(
                title="The primary endpoint and key signals by arm",
                population=pop_rand,
                header=[["", *head]],
                rows=summary_rows,
                col_widths=widths,
                align=align,
                footnotes=[miss],
            ),
            Text(_monitoring_sentence(u, label)),
        ),
        section(
            "Subject flow",
            num.figure(
                title="Flow of subjects (CONSORT)",
                population=f"Population: screened subjects (N = {b['enrollment']['screened']}). Data cutoff {d.cutoff.isoformat()}.",
                draw=fg.consort_figure,
                args=(_consort(b, u, label, order),),
                height_cm=11,
            ),
        ),
    ]

    disp = u["disposition"]
    reasons = sorted({r for k in order for r in disp[k]["reasons"]})
    sections.append(
        section(
            "Enrollment, disposition, baseline and exposure by arm",
            num.table(
                title="Disposition by arm",
                population=pop_rand,
                header=[["Status", *head]],
                rows=[
                    ["Completed", *[fmt.n_pct(disp[k]["completed"], n_arm[k]) for k in order]],
                    [
                        "Discontinued",
                        *[fmt.n_pct(disp[k]["discontinued"], n_arm[k]) for k in order],
                    ],
                    *[
                        [
                            f"    {r.capitalize()}",
                            *[fmt.n_pct(disp[k]["reasons"].get(r, 0), n_arm[k]) for k in order],
                        ]
                        for r in reasons
                    ],
                    ["Ongoing", *[fmt.n_pct(disp[k]["ongoing"], n_arm[k]) for k in order]],
                ],
                col_widths=widths,
                align=align,
            ),
            baseline_table(num, {label[k]: u["baseline"][k] for k in order}, pop_rand),
            num.table(
                title="Study infusions by arm",
                population=pop_rand,
                header=[["", *head]],
                rows=[
                    [
                        "Infusion given",
                        *[fmt.n_pct(u["exposure"][k]["infused"], n_arm[k]) for k in order],
                    ],
                    [
                        "Infusion completed",
                        *[fmt.n_pct(u["exposure"][k]["completed"], n_arm[k]) for k in order],
                    ],
                ],
                col_widths=widths,
                align=align,
            ),
        )
    )

    sens = u["abstinence_missing_ignored"]
    crav = u["craving"]
    fu = u["follow_up"]
    eff = section(
        "Efficacy",
        num.table(
            title="Abstinence over the last two weeks of treatment by arm",
            population=pop_rand,
            header=[["", *head]],
            rows=[
                ["Evaluable", *[ab["by_arm"][k]["evaluable"] for k in order]],
                ["Pending", *[ab["by_arm"][k]["pending"] for k in order]],
                [
                    "Abstinent, n (%)",
                    *[
                        fmt.n_pct(ab["by_arm"][k]["abstinent"], ab["by_arm"][k]["evaluable"])
                        for k in order
                    ],
                ],
                [f"Odds ratio {vs_ctl} (95% CI)", *per_exp(odds("abstinence"))],
                ["Fisher exact p (two-sided)", *per_exp(fisher("abstinence"), "")],
                [
                    "Sensitivity, missing ignored: abstinent, n (%)",
                    *[
                        fmt.n_pct(sens["by_arm"][k]["abstinent"], sens["by_arm"][k]["evaluable"])
                        for k in order
                    ],
                ],
                [
                    f"Sensitivity odds ratio {vs_ctl} (95% CI); Fisher p",
                    *per_exp(
                        lambda c: (
                            f"{odds('abstinence_missing_ignored')(c)}; "
                            f"{fisher('abstinence_missing_ignored')(c)}"
                        )
                    ),
                ],
            ],
            col_widths=widths,
            align=align,
            footnotes=[
                miss,
                "Odds ratio from unadjusted logistic regression, Wald 95% CI; NE where a cell of the 2x2 table is zero.",
            ],
        ),
        num.figure(
            title="Urine results per subject and visit, by arm",
            population=pop_rand,
            draw=fg.use_pattern_figure,
            args=(
                _stack([a.use_pattern for a in arms]),
                list(d.uds_visits),
                [(a.label, a.use_pattern.shape[0]) for a in arms],
                True,
            ),
            height_cm=min(22.0, 4.0 + 0.11 * n)
            if n <= fg.MAX_ROWS_PER_SUBJECT_CHART
            else 5.5 + 4.0 * len(arms),
            footnotes=[miss],
        ),
        PageBreak(),
        num.figure(
            title="Time to relapse by arm",
            population=pop_rand,
            draw=fg.km_figure,
            args=(
                [(a.label, a.relapse.times, a.relapse.events) for a in arms],
                "Proportion without relapse",
            ),
            footnotes=[
                miss,
                *[
                    f"{name} {vs_ctl}: log-rank chi-square "
                    f"{fmt.num(c['relapse']['logrank'].get('chi2'), 2)}, p = "
                    f"{fmt.p_value(c['relapse']['logrank'].get('p'))}; Cox hazard ratio "
                    f"{fmt.ratio_ci(c['relapse']['hazard_ratio'], c['relapse']['hazard_ratio'].get('note'))}, Efron ties."
                    for name, c in pairs
                ],
            ],
        ),
        num.table(
            title="Relapse by arm",
            population=pop_rand,
            header=[["", *head]],
            rows=[
                ["Events", *[u["relapse"]["by_arm"][k]["events"] for k in order]],
                [
                    "Median days to relapse (95% CI)",
                    *[fmt.median_ci(u["relapse"]["by_arm"][k]) for k in order],
                ],
                [
                    "Used cocaine or dropped out, n (%)",
                    *[fmt.n_pct(u["use_or_dropout"][k]["subjects"], n_arm[k]) for k in order],
                ],
                [
                    f"Hazard ratio {vs_ctl} (95% CI)",
                    *per_exp(
                        lambda c: fmt.ratio_ci(
                            c["relapse"]["hazard_ratio"], c["relapse"]["hazard_ratio"].get("note")
                        )
                    ),
                ],
                [
                    "Cox Wald p / log-rank p",
                    *per_exp(
                        lambda c: (
                            f"{fmt.p_value(c['relapse']['hazard_ratio'].get('p'))} / "
                            f"{fmt.p_value(c['relapse']['logrank'].get('p'))}"
                        ),
                        "",
                    ),
                ],
            ],
            col_widths=widths,
            align=align,
            footnotes=["Kaplan-Meier medians with log-log 95% CI; NR: not reached."],
        ),
        craving_table(
            num,
            [
                (label[k], [{"visit": r["visit"], **r["by_arm"][k]} for r in crav["by_visit"]])
                for k in order
            ],
            pop_rand,
        ),
        num.figure(
            title="Craving by visit and arm",
            population=pop_rand,
            draw=fg.craving_figure,
            args=(
                [
                    (label[k], [{"visit": r["visit"], **r["by_arm"][k]} for r in crav["by_visit"]])
                    for k in order
                ],
            ),
        ),
        num.table(
            title="Post-discharge craving: difference of subject means",
            population=pop_rand,
            header=[["Estimate", *[f"{name} {vs_ctl}" for name, _ in pairs]]],
            rows=[
                [label_, *[cell(c["craving"]["difference"]) for _, c in pairs]]
                for label_, cell in _CRAVING_ROWS
            ],
            col_widths=[3, *[2.0] * len(pairs)],
            align=["L", *["R"] * len(pairs)],
        ),
        num.table(
            title="Abstinence at the 6-month follow-up by arm",
            population=pop_rand,
            header=[["", *head]],
            rows=[
                ["Contacted", *[fmt.n_pct(fu[k]["contacted"], n_arm[k]) for k in order]],
                [
                    "Abstinent (self-report), n (% of contacted)",
                    *[fmt.n_pct(fu[k]["abstinent"], fu[k]["contacted"]) for k in order],
                ],
            ],
            col_widths=widths,
            align=align,
        ),
    )
    sections.append(eff)

    drop = u["dropout"]
    sections.append(
        section(
            "Dropout and retention by arm",
            num.table(
                title="Dropout before the end of treatment by arm",
                population=pop_rand,
                header=[["", *head]],
                rows=[
                    [
                        "Dropouts, n (%)",
                        *[fmt.n_pct(drop["by_arm"][k]["dropouts"], n_arm[k]) for k in order],
                    ],
                    [f"Odds ratio {vs_ctl} (95% CI)", *per_exp(odds("dropout"))],
                    ["Fisher exact p", *per_exp(fisher("dropout"), "")],
                ],
                col_widths=widths,
                align=align,
            ),
            num.figure(
                title="Retention by arm: time to dropout",
                population=pop_rand,
                draw=fg.km_figure,
                args=(
                    [(a.label, a.retention.times, a.retention.events) for a in arms],
                    "Proportion retained",
                ),
            ),
        )
    )

    saf = u["safety"]["by_arm"]
    vs = u["vital_signs"]
    safety_blocks: list[Any] = [
        num.table(
            title="Adverse event overview by arm",
            population=pop_rand,
            header=[["", *head]],
            rows=[
                [r[0], *[overview_rows(saf[k], n_arm[k])[i][1] for k in order]]
                for i, r in enumerate(overview_rows(saf[order[0]], n_arm[order[0]]))
            ],
            col_widths=widths,
            align=align,
        ),
    ]
    for k in order:
        safety_blocks += [Text(f"<b>{label[k]}</b>", "h2")]
        safety_blocks += ae_tables(
            num,
            saf[k],
            f"Population: {label[k]} (N = {n_arm[k]}). Data cutoff {d.cutoff.isoformat()}.",
            n_arm[k],
            d.previous,
        )
    safety_blocks.append(
        num.table(
            title="Blood pressure around the infusion: largest rise from pre-infusion",
            population=pop_rand,
            header=[["mmHg", *head]],
            rows=[
                ["Systolic rise: n, mean (95% CI)", *[_vs(vs[k], "sysbp_max_rise") for k in order]],
                [
                    "Diastolic rise: n, mean (95% CI)",
                    *[_vs(vs[k], "diabp_max_rise") for k in order],
                ],
            ],
            col_widths=widths,
            align=align,
        )
    )
    sections.append(section("Safety by arm", *safety_blocks))

    sections.append(section("Interim monitoring", *_monitoring_blocks(num, u, pop_rand)))
    sections.append(
        section(
            "Consistency with the open report",
            num.table(
                title="Pooled totals in the open report against the sum over arms",
                population=pop_rand,
                header=[
                    ["Quantity", "Open report (pooled)", "Sum over arms", "Difference", "Agrees"]
                ],
                rows=[
                    [q, a, s, f"{a - s:+d}" if a != s else "0", "yes" if ok else "no"]
                    for q, a, s, ok in consistency_rows(dict(b), dict(u))
                ],
                col_widths=[4, 1.6, 1.6, 1.2, 1],
                align=["L", "R", "R", "R", "C"],
                footnotes=not_in_key_notes(
                    int(u.get("not_in_key", 0) or 0),
                    [f.subject for f in (*d.findings, *c.key_findings) if f.code == "NOT_IN_KEY"],
                ),
            ),
        )
    )
    sections.append(
        section(
            "Appendix",
            provenance_table(num, d, [("key", c.key_input)]),
            compliance_table(num, d),
            findings_listing(num, d, (*d.findings, *c.key_findings), closed=True),
        )
    )
    s = d.settings
    extra = [("Contains", "Unblinded comparative data")]
    if s.recipient:
        extra.append(
            ("Recipient", s.recipient + (f", copy {s.copy_number}" if s.copy_number else ""))
        )
    return Report(
        kind="closed",
        study_id=d.protocol.study.id,
        header="CLOSED SESSION REPORT - DMC MEMBERS ONLY",
        cutoff=d.cutoff.isoformat(),
        report_date=s.report_date.isoformat(),
        title_page=title_page(d, "CLOSED SESSION REPORT - DMC MEMBERS ONLY", extra, NOTICE_CLOSED),
        sections=sections,
        metadata_title=f"{d.protocol.study.id} DMC closed session report, data cutoff {d.cutoff.isoformat()}",
        metadata_subject="Data Monitoring Committee closed session report",
        watermark=WATERMARK,
    )


def _vs(block: dict[str, Any], key: str) -> str:
    v = block.get(key)
    if not v:
        return "-"
    return f"{v['n']}, {fmt.mean_ci(v)}"


def _stack(parts: list[Any]) -> Any:
    import numpy as np

    return np.vstack(parts) if parts else np.zeros((0, 0))


def _consort(
    b: Mapping[str, Any], u: Mapping[str, Any], label: dict[str, str], order: list[str]
) -> dict[str, Any]:
    en = b["enrollment"]
    return {
        "screened": en["screened"],
        "not_randomized": en["not_randomized"],
        "randomized": en["randomized"],
        "arms": [
            {
                "label": label[k],
                "n": next(a["n"] for a in u["arms"] if a["code"] == k),
                **{s: u["disposition"][k][s] for s in ("completed", "discontinued", "ongoing")},
                "reasons": u["disposition"][k]["reasons"],
            }
            for k in order
        ],
    }


def monitoring_sentence(m: Mapping[str, Any] | None) -> str:
    """The plain-language statement of where the primary comparison stands."""
    if not m or m.get("observed_z") is None or not m.get("looks") or not m.get("current_look"):
        return "Interim monitoring: " + (
            (m or {}).get("note") or "no monitoring plan or no data for it."
        )
    cur = m["looks"][m["current_look"] - 1]
    z, frac = m["observed_z"], m["information_fraction"]
    where = f"The observed Z of {z:.2f} at {100 * min(frac, 1.0):.0f}% information"
    if m["crossed"] == "efficacy":
        return f"{where} lies above the efficacy boundary of {cur['z_upper']:.2f}: the efficacy boundary is crossed."
    if m["crossed"] == "harm":
        return f"{where} lies below the harm boundary of {cur['z_lower']:.2f}: the harm boundary is crossed."
    return (
        f"{where} lies below the efficacy boundary of {cur['z_upper']:.2f}; no boundary is crossed."
    )


def _observed(look: Mapping[str, Any], m: Mapping[str, Any]) -> str:
    if look["kind"] == "current":
        return fmt.num(m["observed_z"], 2)
    z = look.get("observed_z")
    return "-" if z is None else fmt.num(z, 2)


def _monitoring_blocks(num: Numbering, u: Mapping[str, Any], pop: str) -> list[Any]:
    m = _monitoring_or_note(u)
    if not m or not m.get("looks"):
        return [Text(monitoring_sentence(m))]
    spending = {
        "OBF": "Lan-DeMets O'Brien-Fleming type",
        "POCOCK": "Lan-DeMets Pocock type",
        "HSD": f"Hwang-Shih-DeCani (gamma {m.get('gamma')})",
    }[m["spending"]]
    rows = [
        [
            i + 1, lk["kind"], f"{lk['information']:.3f}", fmt.num(lk.get("z_lower"), 3), fmt.num(lk["z_upper"], 3),
            f"{lk['nominal_p']:.4f}", f"{lk['alpha_spent_cumulative']:.4f}", f"{lk['alpha_spent_incremental']:.4f}",
            _observed(lk, m), (m["crossed"] or "no") if lk["kind"] == "current" else "",
        ]
        for i, lk in enumerate(m["looks"])
    ]  # fmt: skip
    cp = m["conditional_power"]
    return [
        Text(monitoring_sentence(m)),
        num.figure(
            title="Monitoring boundaries and the observed Z",
            population=pop,
            draw=fg.boundary_figure,
            args=(m["looks"], m["observed_z"], m["information_fraction"], m["crossed"]),
            footnotes=[
                f"{spending} alpha spending, two-sided alpha {m['alpha']}, recomputed at the information actually "
                f"accrued ({m['information']} of {m['planned_information']} planned evaluable subjects).",
                "Z: pooled two-proportion statistic for abstinence, experimental - control (positive favours experimental).",
            ],
        ),
        num.table(
            title="Boundaries at the actual information",
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
            rows=rows,
            col_widths=[0.5, 0.8, 0.9, 0.8, 0.8, 0.9, 0.9, 1.0, 0.9, 0.8],
            align=["R", "L", "R", "R", "R", "R", "R", "R", "R", "L"],
            footnotes=[
                "Critical values by recursive numerical integration (Armitage, McPherson and Rowe); they agree with rpact.",
                *[f"{note[:1].upper()}{note[1:]}." for note in m.get("notes", [])],
            ],
        ),
        num.table(
            title="Conditional power of crossing the final efficacy boundary",
            population=pop,
            header=[["Assumption about the remaining data", "Conditional power"]],
            rows=[
                ["Current trend continues", fmt.pct(cp["current_trend"])],
                ["Design alternative (protocol's assumed proportions)", fmt.pct(cp["design"])],
                ["No treatment effect (null)", fmt.pct(cp["null"])],
            ],
            col_widths=[3, 1.5],
            align=["L", "R"],
            footnotes=[
                "Lan & Wittes B-value: CP = 1 - Phi((c_K - Z_t sqrt(t) - theta (1 - t)) / sqrt(1 - t))."
            ],
        ),
    ]


# the craving comparison's rows: (label, cell from one comparison's "difference")
_CRAVING_ROWS: tuple[tuple[str, Callable[[Mapping[str, Any]], str]], ...] = (
    (
        "Experimental mean / control mean",
        lambda d: f"{fmt.num(d.get('experimental_mean'))} / {fmt.num(d.get('control_mean'))}",
    ),
    (
        "Subjects (experimental / control)",
        lambda d: f"{d.get('n_experimental', 0)} / {d.get('n_control', 0)}",
    ),
    (
        "Difference (95% CI), Welch",
        lambda d: (
            f"{fmt.num(d.get('estimate'))} ({fmt.num(d.get('ci_lower'))}, {fmt.num(d.get('ci_upper'))})"
        ),
    ),
    ("p", lambda d: fmt.p_value(d.get("p"))),
    ("Percent difference vs control", lambda d: f"{fmt.num(d.get('percent'))}%"),
)


def _monitoring_sentence(u: Mapping[str, Any], label: Mapping[str, str]) -> str:
    ab = u["abstinence"]
    parts = [
        f"{label[a['code']]}: {ab['by_arm'][a['code']]['abstinent']}/{ab['by_arm'][a['code']]['evaluable']}"
        for a in u["arms"]
    ]
    return (
        "Primary endpoint (abstinent/evaluable): "
        + "; ".join(parts)
        + ". "
        + monitoring_sentence(_monitoring_or_note(u))
    )


def _monitoring_or_note(u: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The monitoring block, or where there is none, the reason the analysis gave."""
    m: Mapping[str, Any] | None = u.get("monitoring")
    if m:
        return m
    return {"note": f"{u['monitoring_note']}."} if u.get("monitoring_note") else None
