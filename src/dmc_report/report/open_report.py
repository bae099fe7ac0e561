"""The OPEN session report: pooled data on trial conduct, never anything by arm.

:func:`build_open_report` takes :class:`~dmc_report.report.data.OpenReportData` only, which is
built without the randomization key and has no field that could hold an arm.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from dmc_report.report import figures as fg
from dmc_report.report import fmt
from dmc_report.report.common import (
    Numbering,
    ae_tables,
    compliance_table,
    findings_listing,
    findings_summary,
    overview_rows,
    population,
    provenance_table,
    section,
    sections_text,
    title_page,
)
from dmc_report.report.data import OpenReportData
from dmc_report.report.model import Report, Section, Text

NOTICE_OPEN = (
    "Confidential. Prepared for the open session of the Data Monitoring Committee: pooled data on "
    "trial conduct only. Comparative data by treatment group are presented in the closed report."
)


def build_open_report(d: OpenReportData) -> Report:
    b = d.blinded.payload
    num = Numbering()
    n = b["enrollment"]["randomized"]
    pop_rand = population("randomized subjects", n, d)
    p = d.protocol
    sections: list[Section] = []

    # 2. Synopsis
    ab, dr, rel = b["abstinence"], b["dropout"], b["relapse"]
    status = num.table(
        title="Status at a glance",
        population=pop_rand,
        header=[["Item", "Value"]],
        rows=[
            [
                "Screened / randomized / target",
                f"{b['enrollment']['screened']} / {n} / {b['enrollment']['target']}",
            ],
            [
                "Completed / discontinued / ongoing",
                f"{b['disposition']['completed']} / {b['disposition']['discontinued']} / {b['disposition']['ongoing']}",
            ],
            ["Abstinence window evaluable / pending", f"{ab['evaluable']} / {ab['pending']}"],
            ["Dropouts before the end of treatment, n (%)", fmt.n_pct(dr["dropouts"], n)],
            ["Subjects with a serious AE", fmt.n_pct(b["safety"]["subjects_with_sae"], n)],
            ["Validation findings (errors / warnings / info)", _finding_counts(d)],
            *_withheld_row(d),
        ],
        col_widths=[3, 2],
        align=["L", "R"],
    )
    sections.append(
        section(
            "Synopsis",
            sections_text(p.study.design or p.study.title),
            sections_text(
                f"Target enrollment {p.study.target_enrollment}; planned enrollment "
                f"{p.study.planned_enrollment_start.isoformat()} to {p.study.planned_enrollment_end.isoformat()}. "
                f"Primary endpoint: abstinence by urine toxicology at visits {', '.join(p.endpoints.abstinence_visits)}."
            ),
            status,
            *_changes(num, d, pop_rand),
        )
    )

    # 3. Enrollment
    en = b["enrollment"]
    sections.append(
        section(
            "Enrollment",
            num.figure(
                title="Cumulative randomized subjects against the plan",
                population=pop_rand,
                draw=fg.enrollment_figure,
                args=(
                    en["by_month"],
                    p.study.target_enrollment,
                    p.study.planned_enrollment_start,
                    p.study.planned_enrollment_end,
                    d.cutoff,
                ),
                footnotes=[
                    "Planned accrual: linear from the planned start to the target at the planned end."
                ],
            ),
            num.table(
                title="Screening and randomization",
                population=f"Population: screened subjects (N = {en['screened']}). Data cutoff {d.cutoff.isoformat()}.",
                header=[["", "n"]],
                rows=[
                    ["Screened (consented)", en["screened"]],
                    ["Randomized", en["randomized"]],
                    ["Not randomized", en["not_randomized"]],
                ],
                col_widths=[3, 1],
                align=["L", "R"],
            ),
            num.table(
                title="Randomized subjects by site",
                population=pop_rand,
                header=[["Site", "Randomized, n (%)", "Last data date"]],
                rows=[
                    [s, fmt.n_pct(k, n), d.last_data_date_by_site.get(s, "-")]
                    for s, k in en["by_site"].items()
                ],
                col_widths=[2, 2, 2],
                align=["L", "R", "R"],
            ),
            num.table(
                title="Randomized subjects by month",
                population=pop_rand,
                header=[["Month", "Randomized", "Cumulative"]],
                rows=[[r["month"], r["randomized"], r["cumulative"]] for r in en["by_month"]],
                col_widths=[2, 1.5, 1.5],
                align=["L", "R", "R"],
            ),
        )
    )

    # 4. Baseline
    sections.append(
        section("Baseline characteristics", baseline_table(num, b["baseline"], pop_rand))
    )

    # 5. Disposition
    disp = b["disposition"]
    sections.append(
        section(
            "Disposition",
            num.table(
                title="Subject disposition",
                population=pop_rand,
                header=[["Status", "n (%)"]],
                rows=[
                    ["Completed", fmt.n_pct(disp["completed"], n)],
                    ["Discontinued", fmt.n_pct(disp["discontinued"], n)],
                    *[
                        [f"    {r.capitalize()}", fmt.n_pct(k, n)]
                        for r, k in disp["reasons"].items()
                    ],
                    ["Ongoing", fmt.n_pct(disp["ongoing"], n)],
                ],
                col_widths=[3, 1.5],
                align=["L", "R"],
                footnotes=[
                    "Completed: disposition COMPLETED (the end of follow-up). Discontinued: any other disposition dated by the cutoff."
                ],
            ),
            num.figure(
                title="Retention: time to dropout, all subjects pooled",
                population=pop_rand,
                draw=fg.km_figure,
                args=(
                    [("All subjects", d.retention.times, d.retention.events)],
                    "Proportion retained",
                ),
                footnotes=[
                    f"Kaplan-Meier; censored at the end of treatment (day {p.endpoints.end_of_treatment_day}), the cutoff or completion."
                ],
            ),
        )
    )

    # 6. Conduct and data quality
    sites = (
        list(d.compliance_by_site["SITEID"].astype(str).unique())
        if len(d.compliance_by_site)
        else []
    )
    visits = list(d.compliance["VISIT"])
    pct, due = _site_matrix(d, sites, visits)
    out_of_window = [f for f in d.findings if f.code == "VISIT_OUT_OF_WINDOW"]
    sections.append(
        section(
            "Trial conduct and data quality",
            compliance_table(num, d),
            num.figure(
                title="Visit compliance by site: % of due visits done in window",
                population=pop_rand,
                draw=fg.compliance_heatmap,
                args=(sites, visits, pct, due),
                height_cm=fg.heatmap_height(len(sites)),
            ),
            num.figure(
                title="Urine sample completeness per subject and visit",
                population=pop_rand,
                draw=fg.use_pattern_figure,
                args=(
                    d.completeness,
                    list(d.uds_visits),
                    [("All subjects", d.completeness.shape[0])],
                    False,
                ),
                height_cm=min(22.0, 4.0 + 0.11 * d.completeness.shape[0])
                if d.completeness.shape[0] <= fg.MAX_ROWS_PER_SUBJECT_CHART
                else 9.5,
                footnotes=[
                    "Completeness only: whether a sample with a result exists, never the result."
                ],
            ),
            findings_summary(num, d),
            sections_text(
                f"Protocol deviations: {len(out_of_window)} records of visits outside their window "
                "(listed in the appendix with code VISIT_OUT_OF_WINDOW); they count for their visit."
            ),
        )
    )

    # 7. Exposure
    ex = b["exposure"]
    sections.append(
        section(
            "Exposure",
            num.table(
                title="Study infusions",
                population=pop_rand,
                header=[["", "n (%)"]],
                rows=[
                    ["Infusion given", fmt.n_pct(ex["infused"], n)],
                    ["Infusion completed", fmt.n_pct(ex["completed"], n)],
                ],
                col_widths=[3, 1.5],
                align=["L", "R"],
            ),
        )
    )

    # 8. Pooled outcomes
    if p.pooled_efficacy:
        miss = f"Missing urine samples counted as {p.endpoints.missing.value}."
        sections.append(
            section(
                "Pooled outcomes",
                num.table(
                    title="Abstinence over the last two weeks of treatment, pooled",
                    population=pop_rand,
                    header=[["", "Value"]],
                    rows=[
                        ["Evaluable", ab["evaluable"]],
                        ["Pending (window not yet complete)", ab["pending"]],
                        [
                            "Abstinent, n (% of evaluable)",
                            fmt.n_pct(ab["abstinent"], ab["evaluable"]),
                        ],
                        [
                            "Dropouts before the end of treatment, n (%)",
                            fmt.n_pct(dr["dropouts"], n),
                        ],
                        [
                            "Used cocaine or dropped out, n (%)",
                            fmt.n_pct(b["use_or_dropout"]["subjects"], n),
                        ],
                        [
                            "Relapse events / median days (95% CI)",
                            f"{rel['events']} / {fmt.median_ci(rel)}",
                        ],
                    ],
                    col_widths=[3, 2],
                    align=["L", "R"],
                    footnotes=[
                        miss,
                        "Pooled over treatment groups; no comparison is shown in the open report.",
                    ],
                ),
                num.figure(
                    title="Time to relapse, all subjects pooled",
                    population=pop_rand,
                    draw=fg.km_figure,
                    args=(
                        [("All subjects", d.relapse.times, d.relapse.events)],
                        "Proportion without relapse",
                    ),
                    footnotes=[
                        miss,
                        "Relapse: the first positive or missing urine at a relapse visit, or a dropout.",
                    ],
                ),
                craving_table(num, [("All subjects", b["craving"]["by_visit"])], pop_rand),
                num.figure(
                    title="Craving by visit, all subjects pooled",
                    population=pop_rand,
                    draw=fg.craving_figure,
                    args=([("All subjects", b["craving"]["by_visit"])],),
                ),
            )
        )

    # 9. Safety
    sf = b["safety"]
    sections.append(
        section(
            "Safety",
            num.table(
                title="Adverse event overview",
                population=pop_rand,
                header=[["", "Value"]],
                rows=overview_rows(sf, n),
                col_widths=[3.5, 1.5],
                align=["L", "R"],
            ),
            *ae_tables(num, sf, pop_rand, n, d.previous),
            sections_text(
                "Deaths: "
                + (", ".join(sf["death_listing"]) if sf["death_listing"] else "none reported.")
            ),
        )
    )

    # 10. Interim monitoring
    sections.append(section("Interim monitoring", Text(_monitoring_text(d))))

    # 11. Appendix
    sections.append(section("Appendix", provenance_table(num, d), findings_listing(num, d)))

    return Report(
        kind="open",
        study_id=p.study.id,
        header="OPEN SESSION REPORT",
        cutoff=d.cutoff.isoformat(),
        report_date=d.settings.report_date.isoformat(),
        title_page=title_page(d, "OPEN SESSION REPORT", [], NOTICE_OPEN),
        sections=sections,
        metadata_title=f"{p.study.id} DMC open session report, data cutoff {d.cutoff.isoformat()}",
        metadata_subject="Data Monitoring Committee open session report (pooled data)",
    )


# The pooled counts compared with the previous report: (label, section, key, outcome,
# cumulative). An outcome row shows only where the protocol shows pooled outcomes; a cumulative
# count that goes down is flagged.
_CHANGE_ROWS = (
    ("Screened", "enrollment", "screened", False, True),
    ("Randomized", "enrollment", "randomized", False, True),
    ("Completed", "disposition", "completed", False, True),
    ("Discontinued", "disposition", "discontinued", False, True),
    ("Ongoing", "disposition", "ongoing", False, False),
    ("Abstinence window evaluable", "abstinence", "evaluable", True, True),
    ("Abstinent over the window", "abstinence", "abstinent", True, True),
    # joined to its numbers by ", n": a count after "treatment" must not read as an arm code
    ("Dropouts before the end of treatment, n", "dropout", "dropouts", False, True),
    ("Relapses", "relapse", "events", True, True),
    ("Subjects with an AE", "safety", "subjects_with_ae", False, True),
    ("AE events", "safety", "ae_events", False, True),
    ("Subjects with a serious AE", "safety", "subjects_with_sae", False, True),
    ("Deaths", "safety", "deaths", False, True),
)
DAGGER = "\u2020"


def _changes(num: Numbering, d: OpenReportData, population: str) -> list[Any]:
    """Synopsis: the pooled counts now against the previous report's (report-contents.md §2)."""
    prev = d.previous
    if prev is None:
        return [
            Text("Changes since the previous report: no previous results file was given.", "small")
        ]
    b = d.blinded.payload
    triples: list[tuple[str, int, int, bool]] = [
        (label, prev.counts[sec][key], int(b[sec][key]), cumulative)
        for label, sec, key, outcome, cumulative in _CHANGE_ROWS
        if d.protocol.pooled_efficacy or not outcome
    ]
    now_findings = Counter(f.severity.value for f in d.findings)
    triples += [
        (f"Validation {key}", prev.findings[key], now_findings.get(sev, 0), False)
        for sev, key in (("error", "errors"), ("warning", "warnings"))
        if key in prev.findings
    ]
    rows = [
        [
            label,
            before,
            now,
            (f"{now - before:+d}" if now != before else "0")
            + (f" {DAGGER}" if cumulative and now < before else ""),
        ]
        for label, before, now, cumulative in triples
    ]
    fell = any(cumulative and now < before for _, before, now, cumulative in triples)
    footnotes = [
        f"Previous report: data cutoff {prev.cutoff.isoformat()}, results file "
        f"{prev.provenance.file} (SHA-256 in the appendix), dmc-report {prev.software_version}.",
        "Change is now minus then. Counts are cumulative except ongoing subjects and findings.",
    ]
    new = prev.unlisted(b["safety"].get("sae_listing", []))
    if new is not None:
        footnotes.append(
            f"Serious adverse events not listed in the previous report: {sum(new)} "
            "(marked new in the listing of serious adverse events)."
        )
    if fell:
        footnotes.append(
            f"{DAGGER} Fewer than at the previous cutoff, although the count is cumulative: "
            "check the export for removed or recoded subjects or events."
        )
    return [
        num.table(
            title=f"Changes since the previous report (data cutoff {prev.cutoff.isoformat()})",
            population=population,
            header=[
                [
                    "Item",
                    f"Then ({prev.cutoff.isoformat()})",
                    f"Now ({d.cutoff.isoformat()})",
                    "Change",
                ]
            ],
            rows=rows,
            col_widths=[3, 1.5, 1.5, 1],
            align=["L", "R", "R", "R"],
            footnotes=footnotes,
        )
    ]


def _withheld_row(d: OpenReportData) -> list[list[Any]]:
    """How many texts of the data this report withholds because they name a treatment."""
    n = sum(1 for f in d.findings if f.code == "TREATMENT_NAME_IN_TEXT")
    return [["Free-text entries withheld: they name a treatment", n]] if n else []


def _finding_counts(d: OpenReportData) -> str:
    sev = [f.severity.value for f in d.findings]
    return f"{sev.count('error')} / {sev.count('warning')} / {sev.count('info')}"


def _monitoring_text(d: OpenReportData) -> str:
    plan = d.protocol.interim
    if plan is None:
        return "The protocol defines no interim monitoring plan."
    evaluable = d.blinded.payload["abstinence"]["evaluable"]
    frac = evaluable / plan.planned_information
    return (
        f"Interim monitoring of the primary endpoint is reviewed in closed session. Pooled information: "
        f"{evaluable} of {plan.planned_information} planned evaluable subjects ({100 * frac:.0f}%)."
    )


def _site_matrix(
    d: OpenReportData, sites: list[str], visits: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    pct = np.zeros((len(sites), len(visits)))
    due = np.zeros((len(sites), len(visits)))
    for r in d.compliance_by_site.to_dict("records"):
        i, j = sites.index(str(r["SITEID"])), visits.index(str(r["VISIT"]))
        due[i, j] = r["due"]
        pct[i, j] = 100 * r["in_window"] / r["due"] if r["due"] else 0
    return pct, due


def baseline_table(num: Numbering, groups: Any, pop: str) -> Any:
    """Baseline characteristics; ``groups`` is one baseline block or {label: block}."""
    cols = (
        groups if isinstance(groups, dict) and "numeric" not in groups else {"All subjects": groups}
    )
    labels = list(cols)
    header = [["Characteristic", *[f"{k} (N = {v['n']})" for k, v in cols.items()]]]
    rows: list[list[Any]] = []
    names = {
        "AGE": "Age, years",
        "BLDAYS": "Days of cocaine use, past 30",
        "SEX": "Sex",
        "RACE": "Race",
        "ETHNIC": "Ethnicity",
        "ROUTE": "Route of use",
    }
    first = cols[labels[0]]
    for var in first["numeric"]:
        rows.append([names.get(var, var), *[""] * len(labels)])
        rows.append(["    Mean (SD)", *[fmt.mean_sd(cols[k]["numeric"][var]) for k in labels]])
        rows.append(["    Median (IQR)", *[_median_iqr(cols[k]["numeric"][var]) for k in labels]])
        rows.append(["    Range", *[_range(cols[k]["numeric"][var]) for k in labels]])
    for var in first["categorical"]:
        rows.append([names.get(var, var), *[""] * len(labels)])
        values = sorted({r["value"] for k in labels for r in cols[k]["categorical"][var]})
        for v in values:
            cells = []
            for k in labels:
                hit = next((r for r in cols[k]["categorical"][var] if r["value"] == v), None)
                cells.append(fmt.n_pct(hit["n"], cols[k]["n"]) if hit else "0")
            rows.append([f"    {v.title() if v.isupper() else v}", *cells])
    return num.table(
        title="Baseline characteristics",
        population=pop,
        header=header,
        rows=rows,
        col_widths=[3.2, *[1.8] * len(labels)],
        align=["L", *["R"] * len(labels)],
    )


def _median_iqr(d: dict[str, Any]) -> str:
    if d.get("median") is None:
        return "-"
    return f"{d['median']:.1f} ({d['q1']:.1f}, {d['q3']:.1f})"


def _range(d: dict[str, Any]) -> str:
    if d.get("min") is None:
        return "-"
    return f"{d['min']:.0f} - {d['max']:.0f}"


def craving_table(num: Numbering, series: list[tuple[str, list[dict[str, Any]]]], pop: str) -> Any:
    header = [["Visit", *[f"{label}: n, mean (95% CI)" for label, _ in series]]]
    rows = []
    for i, r in enumerate(series[0][1]):
        rows.append([r["visit"], *[f"{s[1][i]['n']}, {fmt.mean_ci(s[1][i])}" for s in series]])
    return num.table(
        title="Craving (VAS 0-100) by visit",
        population=pop,
        header=header,
        rows=rows,
        col_widths=[1.2, *[3.0] * len(series)],
        align=["L", *["R"] * len(series)],
        footnotes=[
            "Values dated on or before the cutoff, at visits the subject was expected to attend; out-of-range values excluded."
        ],
    )
