"""What a DMC reviewer reads (issue 16): closed tables side by side with every term, the risk
difference, the final look, every month, n rows, per-visit deviations, the page furniture.

Most checks read the report model the sections build (fast and exact); the page furniture is
checked on the rendered PDF.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from typing import Any

import pytest

from dmc_report.demo.writer import DemoFiles
from dmc_report.domain.results import MonthCount
from dmc_report.domain.settings import ReportSettings
from dmc_report.pipeline import (
    LoadedStudy,
    load_study,
    render_report_bytes,
    run_analysis,
    run_validation,
    suggests_final,
)
from dmc_report.report import fmt
from dmc_report.report.closed_report import build_closed_report
from dmc_report.report.model import Report, Table, Text
from dmc_report.report.open_report import build_open_report
from dmc_report.report.prepare import closed_report_data, open_report_data
from dmc_report.report.sections.conduct import every_month

PASSWORD = "correct horse battery staple"


def _models(loaded: LoadedStudy, *, final: bool) -> dict[str, Any]:
    validation = run_validation(loaded)
    results = run_analysis(loaded, validation, final=final)
    settings = ReportSettings(report_date=loaded.cutoff, final=final)
    study = loaded.study
    open_data = open_report_data(
        study.data.provenance, study.protocol, loaded.cutoff, validation, results,
        study.protocol_provenance, settings,
    )  # fmt: skip
    assert loaded.key is not None
    closed = closed_report_data(open_data, results, loaded.key, validation.key_findings)
    return {
        "results": results,
        "open": build_open_report(open_data),
        "closed": build_closed_report(closed),
        "closed_data": closed,
        "loaded": loaded,
        "validation": validation,
    }


@pytest.fixture(scope="module")
def final(demo: DemoFiles, demo_password: str) -> dict[str, Any]:
    loaded = load_study(demo.protocol, demo.data, key=demo.key, key_password=demo_password)
    return _models(loaded, final=True)


@pytest.fixture(scope="module")
def interim(demo_interim: DemoFiles, demo_password: str) -> dict[str, Any]:
    loaded = load_study(
        demo_interim.protocol, demo_interim.data, key=demo_interim.key, key_password=demo_password
    )
    return _models(loaded, final=False)


def table(report: Report, title: str) -> Table:
    found = [t for t in report.tables() if t.title.startswith(title)]
    assert found, f"no table {title!r} in {[t.title for t in report.tables()]}"
    return found[0]


def texts(report: Report) -> str:
    return " ".join(report.texts())


# --- closed safety tables: arms side by side, a Total, every term ----------------------------


@pytest.mark.parametrize("case", ["final", "interim"])
def test_the_closed_ae_table_has_every_term_in_every_arm_sorted_by_total(
    case: str, request: pytest.FixtureRequest
) -> None:
    m = request.getfixturevalue(case)
    c = m["closed_data"]
    t = table(m["closed"], "Adverse events by system organ class and term")
    heads = [g.heading for g in (*c.arms, c.total)]
    assert t.header == [["System organ class / term", *heads]]  # arms, then the total
    assert all(len(r) == len(heads) + 1 for r in t.rows)
    terms = {(s.soc, x.term) for g in c.arms for s in g.summary.safety.by_soc for x in s.terms}
    assert {r[0].strip() for r in t.rows if str(r[0]).startswith("    ")} == {x for _, x in terms}
    # a term an arm does not have is a 0 in that arm's column, not a missing row
    assert any(cell == "0" for r in t.rows for cell in r[1:])
    # sorted by the total's subjects, most first (organ classes, and terms within each)
    total = c.total.summary.safety

    def subjects(cell: str) -> int:
        return int(str(cell).split()[0])

    socs = [r for r in t.rows if not str(r[0]).startswith("    ")]
    assert [subjects(r[-1]) for r in socs] == sorted((subjects(r[-1]) for r in socs), reverse=True)
    assert [subjects(r[-1]) for r in socs] == [s.subjects for s in total.by_soc]


def test_the_closed_severity_and_overview_tables_have_a_total_column(
    final: dict[str, Any],
) -> None:
    c = final["closed_data"]
    for title in ("Adverse event overview", "Subjects by worst adverse-event severity"):
        t = table(final["closed"], title)
        assert t.header[0][-1] == c.total.heading and len(t.header[0]) == len(c.arms) + 2
    overview = table(final["closed"], "Adverse event overview")
    events = next(r for r in overview.rows if r[0] == "Adverse events")
    assert events[-1] == sum(g.summary.safety.ae_events for g in c.arms)


def test_the_sae_listing_names_each_events_arm_and_decodes_its_codes(
    final: dict[str, Any],
) -> None:
    t = table(final["closed"], "Listing of serious adverse events")
    assert t.header[0][:2] == ["Subject", "Arm"]
    labels = {g.label for g in final["closed_data"].arms}
    assert t.rows and all(r[1] in labels for r in t.rows)
    raw = {"SEVERE", "MODERATE", "MILD", "RECOVERED", "N", "Y", "NONE"}
    assert not raw & {str(cell) for r in t.rows for cell in r[5:]}


# --- abstinence: each arm's CI and the risk difference ----------------------------------------


def test_the_closed_abstinence_table_gives_the_risk_difference_and_each_arms_ci(
    final: dict[str, Any],
) -> None:
    c = final["closed_data"]
    cmp = c.unblinded.comparisons[0]
    rd = cmp.risk_difference
    # 13/27 vs 3/28 (dmc-sap.md; tests/reference/risk_difference.R has the same case)
    assert rd.estimate == pytest.approx(13 / 27 - 3 / 28)
    assert rd.ci_lower is not None and rd.ci_upper is not None
    assert rd.ci_lower == pytest.approx(0.13463603917227684, abs=1e-9)
    assert rd.ci_upper == pytest.approx(0.5662335655712923, abs=1e-9)
    t = table(final["closed"], "Abstinence over ")
    rows = {r[0]: r[1:] for r in t.rows}
    rd_row = next(v for k, v in rows.items() if str(k).startswith("Risk difference"))
    exp = next(i for i, g in enumerate(c.arms) if g.code == cmp.experimental)
    assert rd_row[exp] == "37.4 (13.5, 56.6)" and "reference" in rd_row
    wilson = rows["    95% CI (Wilson), %"]
    a = c.arms[exp].summary.abstinence
    assert wilson[exp] == f"({100 * a.ci_lower:.1f}, {100 * a.ci_upper:.1f})"
    summary = table(final["closed"], "The primary endpoint and key signals by arm")
    assert any(str(r[0]).startswith("Risk difference") for r in summary.rows)


# --- the final look ----------------------------------------------------------------------------


def test_the_final_report_has_no_look_after_the_current_one_and_no_conditional_power(
    final: dict[str, Any],
) -> None:
    m = final["results"].unblinded.monitoring
    assert m.final and m.current_look == len(m.looks) and m.looks[-1].kind == "final"
    assert m.looks[-1].information == 1.0
    assert m.conditional_power.current_trend is None
    report = final["closed"]
    bounds = table(report, "Boundaries at the actual information")
    assert [r[1] for r in bounds.rows] == [lk.kind for lk in m.looks]
    assert bounds.rows[-1][-1] in {"efficacy", "harm", "no"}  # the current look is the last row
    assert not [t for t in report.tables() if t.title.startswith("Conditional power")]
    words = texts(report)
    assert "At this final analysis" in words and "final efficacy boundary" in words
    assert "Final analysis of the primary endpoint" in [s.title for s in report.sections]
    assert ("Analysis", "Final analysis") in report.title_page.lines


def test_an_interim_report_shows_the_later_look_and_conditional_power(
    interim: dict[str, Any],
) -> None:
    m = interim["results"].unblinded.monitoring
    assert not m.final and m.looks[-1].kind == "final" and m.current.kind == "current"
    report = interim["closed"]
    assert [t for t in report.tables() if t.title.startswith("Conditional power")]
    assert "At this interim look" in texts(report)
    assert ("Analysis", "Interim analysis") in report.title_page.lines


def test_the_tool_suggests_the_final_analysis_only_when_enrolment_is_over(
    final: dict[str, Any], interim: dict[str, Any]
) -> None:
    assert suggests_final(final["loaded"], final["results"]) is not None
    assert suggests_final(interim["loaded"], interim["results"]) is None


def test_the_settings_decide_the_look_whatever_the_results_were_computed_as(
    interim: dict[str, Any],
) -> None:
    """Results computed as an interim look and a report asked for as final: the pipeline
    computes them again (the app analyses once at load, the checkbox decides later)."""
    from dmc_report.pipeline import is_final, results_as_requested

    loaded, validation, results = interim["loaded"], interim["validation"], interim["results"]
    settings = ReportSettings(report_date=loaded.cutoff, final=True)
    again = results_as_requested(loaded, validation, results, settings)
    assert is_final(again) and not is_final(results)
    assert again.blinded == results.blinded  # the pooled results do not change
    same = results_as_requested(
        loaded, validation, results, dataclasses.replace(settings, final=False)
    )
    assert same is results


def test_the_final_boundary_figure_puts_the_observed_z_at_the_final_look(
    final: dict[str, Any],
) -> None:
    from dmc_report.report.figures import boundary_figure

    m = final["results"].unblinded.monitoring
    fig = boundary_figure(m.looks, m.observed_z, m.information_fraction, m.crossed, m.final)
    star = [ln for ln in fig.axes[0].get_lines() if ln.get_marker() == "*"]
    assert [float(ln.get_xdata()[0]) for ln in star] == [1.0]
    assert m.information_fraction < 1  # the actual information: 55 of 60


# --- counts that read right --------------------------------------------------------------------


def test_every_month_is_listed_a_pause_as_a_zero() -> None:
    months = (MonthCount("2015-11", 2, 2), MonthCount("2016-02", 1, 3))
    assert every_month(months) == [
        MonthCount("2015-11", 2, 2),
        MonthCount("2015-12", 0, 2),
        MonthCount("2016-01", 0, 2),
        MonthCount("2016-02", 1, 3),
    ]
    assert every_month(()) == []


def test_the_baseline_table_gives_n_where_it_differs_from_n(final: dict[str, Any]) -> None:
    t = table(final["open"], "Baseline characteristics")
    age = final["results"].blinded.pooled.baseline.numeric["AGE"]
    n = final["results"].blinded.enrollment.randomized
    assert age.n < n  # the demo has an age out of range: an eligibility finding
    i = next(i for i, r in enumerate(t.rows) if r[0] == "Age, years")
    assert t.rows[i + 1] == ["    n", age.n]


def test_deviations_are_counted_per_subject_visit(final: dict[str, Any]) -> None:
    found = [f for f in final["validation"].findings if f.code == "VISIT_OUT_OF_WINDOW"]
    visits = {(f.subject, f.visit) for f in found}
    assert len(visits) < len(found)  # a visit's forms (UDS, VAS, ...) are each a finding
    line = next(t for t in texts(final["open"]).split("  ") if "Protocol deviations" in t)
    assert f"{len(visits)} subject-visits outside their window ({len(found)} forms" in line


def test_the_consistency_table_checks_only_what_the_open_report_shows(
    final: dict[str, Any],
) -> None:
    t = table(final["closed"], "Pooled totals in the open report")
    quantities = {r[0] for r in t.rows}
    assert "Follow-up contacts" not in quantities
    assert not final["loaded"].study.protocol.pooled_efficacy
    assert {"Abstinent", "Relapse events"}.isdisjoint(quantities)
    assert {"Randomized", "Dropouts", "Subjects with an AE"} <= quantities


def test_the_craving_comparison_shows_each_arms_baseline(final: dict[str, Any]) -> None:
    t = table(final["closed"], "Craving over visits")
    base = t.rows[0]
    cmp = final["closed_data"].unblinded.comparisons[0]
    b = cmp.craving.baseline
    assert str(base[0]).startswith("Baseline (D1) mean")
    assert base[1] == f"{fmt.num(b[cmp.experimental].mean)} / {fmt.num(b[cmp.control].mean)}"


# --- page furniture ----------------------------------------------------------------------------


def test_every_page_says_it_is_confidential_and_split_tables_say_continued(
    final: dict[str, Any],
) -> None:
    from pypdf import PdfReader

    m = final
    settings = ReportSettings(
        report_date=m["loaded"].cutoff, final=True, prepared_by="A. Statistician",
        distribution=("DMC chair", "DMC members"),
    )  # fmt: skip
    out = render_report_bytes(
        m["loaded"], m["validation"], m["results"], settings, closed=True, closed_password=PASSWORD
    )
    for pdf, mark in (
        (out.open, "Confidential: DMC open session"),
        (out.closed, "Confidential: DMC closed session, members only"),
    ):
        reader = PdfReader(io.BytesIO(pdf))
        if reader.is_encrypted:
            reader.decrypt(PASSWORD)
        pages = [p.extract_text() or "" for p in reader.pages]
        assert all(mark in p for p in pages), mark
        assert any("(continued)" in p for p in pages)  # the findings listing runs over pages
        title = pages[0]
        assert "A. Statistician" in title and "DMC chair; DMC members" in title
        assert "Final analysis" in title


def test_numeric_headings_are_aligned_with_their_numbers() -> None:
    from dmc_report.report.style import table_style

    cmds = table_style(1, 3, ["L", "R"])._cmds
    aligns = [c for c in cmds if c[0] == "ALIGN"]
    assert ("ALIGN", (1, 0), (1, -1), "RIGHT") in aligns  # from the heading row down


def test_the_open_report_names_the_final_analysis_without_the_key(
    final: dict[str, Any],
) -> None:
    report = final["open"]
    assert any(
        isinstance(b, Text) and "final analysis" in b.text
        for s in report.sections
        for b in s.blocks
    )
    assert dt.date.fromisoformat(report.cutoff) == final["loaded"].cutoff


# --- content the reviewers expect ----------------------------------------------------------------


def test_questionnaires_by_visit_pooled_open_and_by_arm_closed(final: dict[str, Any]) -> None:
    for report, columns in ((final["open"], 1), (final["closed"], len(final["closed_data"].arms))):
        for score in ("FFMQ", "PSS"):
            t = table(report, f"{score} by visit")
            assert len(t.header[0]) == columns + 1
            assert [r[0] for r in t.rows] == ["SCR", "D1", "D5", "W3V2", "W5V2"]
            assert all(str(c).split(",")[0].isdigit() for r in t.rows for c in r[1:])


def test_the_closed_report_gives_enrolment_by_site_and_arm(final: dict[str, Any]) -> None:
    c = final["closed_data"]
    t = table(final["closed"], "Randomized subjects by site and arm")
    by_site = final["results"].blinded.enrollment.by_site
    assert [r[0] for r in t.rows] == sorted(by_site)
    for r in t.rows:  # the arms add up to the site's total, which is the open report's count
        arms = [int(str(x).split()[0]) for x in r[1 : 1 + len(c.arms)]]
        assert sum(arms) == int(str(r[1 + len(c.arms)]).split()[0]) == by_site[r[0]]


def test_the_disposition_table_splits_discontinuations_at_the_end_of_treatment(
    final: dict[str, Any],
) -> None:
    t = table(final["open"], "Subject disposition")
    rows = {r[0]: int(str(r[1]).split()[0]) for r in t.rows}
    before = next(v for k, v in rows.items() if k.strip().startswith("Before the end"))
    after = rows["    After the end of treatment"]
    assert before + after == rows["Discontinued"]
    assert before == final["results"].blinded.pooled.dropout.dropouts


def test_a_trial_without_optional_domains_has_nulls_and_no_empty_sections(
    demo: DemoFiles, demo_password: str, tmp_path: Any
) -> None:
    import tomllib

    text = demo.protocol.read_text(encoding="utf-8")
    doc = tomllib.loads(text)
    assert "domains" in doc
    lean = (
        text.replace("vital_signs = true", "vital_signs = false")
        .replace("follow_up = true ", "follow_up = false ")
        .replace("questionnaires = true", "questionnaires = false")
        .replace("exposure = true", "exposure = false")
    )
    protocol = tmp_path / "lean.toml"
    protocol.write_text(lean, encoding="utf-8")
    loaded = load_study(protocol, demo.data, key=demo.key, key_password=demo_password)
    assert not any(loaded.study.protocol.domains.model_dump().values())
    m = _models(loaded, final=True)
    doc = m["results"].as_json()
    for part in ("vital_signs", "follow_up", "exposure", "questionnaires"):
        assert doc["blinded"][part] is None
        assert doc["unblinded"][part] is None  # null, as in the blinded section
    for report in (m["open"], m["closed"]):
        titles = [t.title for t in report.tables()]
        assert not [
            t for t in titles if "exposure" in t.lower() or ("by visit" in t and "FFMQ" in t)
        ]
        assert not [t for t in titles if "Blood pressure" in t or "follow-up" in t.lower()]
        assert all(s.blocks for s in report.sections)  # no empty section
        assert "Exposure" not in [s.title for s in report.sections]


def test_relatedness_and_organ_class_by_severity_stand_side_by_side(final: dict[str, Any]) -> None:
    c = final["closed_data"]
    rel = table(final["closed"], "Adverse events by relatedness")
    assert rel.header[0][-1] == c.total.heading
    related = next(r for r in rel.rows if str(r[0]).startswith("Subjects with an AE judged"))
    assert int(str(related[-1]).split()[0]) == sum(
        g.summary.safety.related_subjects for g in c.arms
    )
    sev = table(final["closed"], "Subjects by organ class and worst severity")
    socs = [s.soc for s in c.total.summary.safety.by_soc]
    assert [r[0] for r in sev.rows] == socs  # every organ class, most subjects first
    for r in sev.rows:  # the three severities add up to the organ class's subjects
        total = next(s for s in c.total.summary.safety.by_soc if s.soc == r[0])
        assert sum(int(x) for x in str(r[-1]).split(" / ")) == total.subjects


def test_an_eligibility_breach_is_a_conduct_item(final: dict[str, Any]) -> None:
    words = texts(final["open"])
    assert "Eligibility: 1 randomized subject has a baseline value out of range" in words
    assert "102-0008 (AGE)" in words


def test_the_closed_report_gives_visit_compliance_by_arm(final: dict[str, Any]) -> None:
    c = final["closed_data"]
    t = table(final["closed"], "Visit compliance by arm")
    pooled = final["validation"].compliance
    assert [r[0] for r in t.rows] == list(pooled["VISIT"])
    for i, r in enumerate(t.rows):  # the total column is the validation's pooled compliance
        due = int(pooled["due"].iloc[i])
        assert str(r[-1]).startswith(f"{int(pooled['in_window'].iloc[i])}/{due}")
        arms = [g.summary.compliance[i] for g in c.arms]
        assert sum(v.due for v in arms) == due


def test_every_font_the_reports_use_is_embedded(final: dict[str, Any]) -> None:
    """Offline and on any reader: no page names a font the PDF does not carry (the contents
    table once named Helvetica)."""
    import pikepdf

    m = final
    settings = ReportSettings(report_date=m["loaded"].cutoff, final=True)
    out = render_report_bytes(
        m["loaded"], m["validation"], m["results"], settings, closed=True, closed_password=PASSWORD
    )
    for pdf in (out.open, out.closed):
        with pikepdf.open(io.BytesIO(pdf), password=PASSWORD) as doc:
            for page in doc.pages:
                fonts = page.obj.Resources.get("/Font") or {}
                for _, font in fonts.items():
                    if font.get("/Subtype") == "/Type0":
                        font = font.DescendantFonts[0]
                    desc = font.get("/FontDescriptor")
                    assert desc is not None and any(
                        k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")
                    ), f"{font.get('/BaseFont')} is not embedded"


def test_the_closed_report_has_the_ae_dot_plot_with_every_term(final: dict[str, Any]) -> None:
    from dmc_report.analysis.stats import risk_difference
    from dmc_report.report.figures import ae_dot_plot

    c = final["closed_data"]
    cmp = c.unblinded.comparisons[0]
    arms = {g.code: g for g in c.arms}
    terms = {(s.soc, t.term) for g in c.arms for s in g.summary.safety.by_soc for t in s.terms}
    assert {(t.soc, t.term) for t in cmp.ae_terms} == terms
    for t in cmp.ae_terms:  # the difference is the R-checked function's, on the table's counts
        assert t.n_experimental == arms[cmp.experimental].n
        rd = risk_difference(
            t.subjects_experimental, t.n_experimental, t.subjects_control, t.n_control
        )
        assert t.difference.estimate == rd["estimate"] and t.difference.ci_lower == rd["ci_lower"]
    figs = [f for f in final["closed"].figures() if f.title.startswith("Adverse events by term")]
    assert len(figs) == 1 and not [
        f for f in final["open"].figures() if f.title.startswith("Adverse events by term")
    ]
    fig = ae_dot_plot(*figs[0].args)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert sorted(labels) == sorted(t for _, t in terms)


def test_one_number_format_for_visit_windows(final: dict[str, Any]) -> None:
    """'-1/+1 days' whatever sheet the visit was found on (UDS once said '-1.0/+1.0 days')."""
    import re

    found = [f.message for f in final["validation"].findings if f.code == "VISIT_OUT_OF_WINDOW"]
    assert found and all(re.search(r"window -\d+/\+\d+ days\)$", m) for m in found), found[:3]


def test_the_demo_shows_the_changes_since_its_previous_look(tmp_path: Any) -> None:
    """The final demo writes the pooled results of its previous look (2014-09-30) beside it
    and its open synopsis compares with them; an interim demo at that date has none."""
    from pypdf import PdfReader

    from dmc_report.demo.writer import DEMO_PREVIOUS
    from dmc_report.pipeline import make_demo, make_demo_reports

    files = make_demo(tmp_path / "demo", subjects=24)
    written = make_demo_reports(files)
    assert (files.folder / DEMO_PREVIOUS).is_file()
    text = " ".join(p.extract_text() or "" for p in PdfReader(written.open).pages)
    assert "Changes since the previous report (data cutoff 2014-09-30)" in text
    early = make_demo(tmp_path / "early", subjects=24, cutoff=dt.date(2014, 9, 30))
    make_demo_reports(early)
    assert not (early.folder / DEMO_PREVIOUS).exists()


def test_the_reasons_for_not_randomizing_add_up_and_are_shown(final: dict[str, Any]) -> None:
    en = final["results"].blinded.enrollment
    assert (
        en.not_randomized_reasons and sum(en.not_randomized_reasons.values()) == en.not_randomized
    )
    t = table(final["open"], "Screening and randomization")
    shown = {str(r[0]).strip(): r[1] for r in t.rows}
    assert all(shown[why] == n for why, n in en.not_randomized_reasons.items())
    consort = next(f for f in final["closed"].figures() if f.title.startswith("Flow of subjects"))
    assert consort.args[0]["not_randomized_reasons"] == dict(en.not_randomized_reasons)


def test_a_reason_that_names_a_treatment_is_withheld_from_the_open_side(
    demo: DemoFiles, demo_password: str, tmp_path: Any
) -> None:
    from tests.hostile import column, edited, set_cell

    def edit(wb: Any) -> None:  # the first screen failure's reason names the treatment
        ws = wb["DM"]
        rand = column(ws, "RANDDT")
        row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, rand).value is None)
        set_cell(wb, "DM", row, "SFREASON", "Wanted ketamine, not a placebo")

    path = edited(demo.data, tmp_path / "data.xlsx", edit)
    loaded = load_study(demo.protocol, path, key=demo.key, key_password=demo_password)
    m = _models(loaded, final=True)
    reasons = m["results"].blinded.enrollment.not_randomized_reasons
    assert not any("ketamine" in r.lower() for r in reasons)
    assert any("withheld" in r for r in reasons)
    codes = {f.code for f in m["validation"].findings}
    assert "TREATMENT_NAME_IN_TEXT" in codes
