"""The Kaplan-Meier figures draw the result objects only (issue 20): the curve a figure shows, its
median line and its number-at-risk table are the numbers of the :class:`KaplanMeier` whose median
the table prints, never a recomputation from per-subject times.

Read from the matplotlib Figure itself: the steps (the ``steps-post`` line), the censoring marks
(``|``), the median line (dotted), and the at-risk table (the texts of the lower axes, one row
per group, top row the first group).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dmc_report.demo.writer import DemoFiles
from dmc_report.domain.results import KaplanMeier
from dmc_report.domain.settings import ReportSettings
from dmc_report.pipeline import (
    analyse_as_suggested,
    load_study,
    make_demo,
    run_validation,
    suggests_final,
)
from dmc_report.report import fmt
from dmc_report.report.closed_report import build_closed_report
from dmc_report.report.data import Group, OpenReportData
from dmc_report.report.figures import km_figure, summary_figures
from dmc_report.report.model import Figure, Report, Table
from dmc_report.report.open_report import build_open_report
from dmc_report.report.prepare import closed_report_data, open_report_data

# figure title -> (table title, the table's median row, the group's curve)
KM_FIGURES = {
    "Time to relapse": (
        "Relapse",
        "Median days to relapse (95% CI)",
        lambda g: g.summary.relapse,
    ),
    "Retention: time to dropout": (
        "Dropout before the end of treatment",
        "Median days to dropout (95% CI)",
        lambda g: g.summary.dropout.km,
    ),
}


SECOND_TEMPLATE = Path(__file__).parents[2] / "templates" / "protocols" / "stimulant-12wk.toml"


@pytest.fixture(scope="module", params=["first", "second"])
def reports(
    request: pytest.FixtureRequest,
    demo: DemoFiles,
    demo_password: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Any]:
    """Both reports of a demo study: the first bundled template's (end of treatment day 35: a
    weekly at-risk grid) and the second's (day 84: fortnightly, where the figure once counted at
    its own 30-day ticks)."""
    if request.param == "second":
        demo = make_demo(tmp_path_factory.mktemp("second"), protocol=SECOND_TEMPLATE)
    loaded = load_study(demo.protocol, demo.data, key=demo.key, key_password=demo_password)
    validation = run_validation(loaded)
    results = analyse_as_suggested(loaded, validation)
    study = loaded.study
    # the open report with its pooled outcomes (section 8), so that it has a relapse figure too
    protocol = study.protocol.model_copy(update={"show_pooled_outcomes": True})
    settings = ReportSettings(
        report_date=loaded.cutoff, final=suggests_final(loaded, results) is not None
    )
    open_data = open_report_data(
        study.data.provenance, protocol, loaded.cutoff, validation, results,
        study.protocol_provenance, settings,
    )  # fmt: skip
    assert loaded.key is not None
    closed = closed_report_data(open_data, results, loaded.key, validation.key_findings)
    return {
        "open": (build_open_report(open_data), [open_data.pooled]),
        "closed": (build_closed_report(closed), list(closed.arms)),
        "open_data": open_data,
        "results": results,
    }


def _figure(report: Report, title: str) -> Figure:
    found = [f for f in report.figures() if f.title.startswith(title)]
    assert len(found) == 1, [f.title for f in report.figures()]
    return found[0]


def _table(report: Report, title: str) -> Table:
    found = [t for t in report.tables() if t.title.startswith(title)]
    assert found, [t.title for t in report.tables()]
    return found[0]


def _drawn(fig: Any, k: int) -> dict[str, Any]:
    """What a Kaplan-Meier figure of ``k`` curves plots, per curve in the groups' order."""
    ax, risk = fig.axes
    lines = ax.get_lines()
    steps = [ln for ln in lines if ln.get_drawstyle() == "steps-post"]
    marks = [ln for ln in lines if ln.get_marker() == "|"]
    medians = [ln for ln in lines if ln.get_linestyle() == ":"]
    assert len(steps) == k
    rows: list[list[tuple[float, int]]] = [[] for _ in range(k)]
    for t in risk.texts:
        x, y = t.get_position()
        rows[k - 1 - round(y)].append((float(x), int(t.get_text())))
    return {
        "ax": ax,
        "steps": steps,
        "colours": [ln.get_color() for ln in steps],
        "marks": {m.get_color(): m for m in marks},
        "medians": {m.get_color(): m for m in medians},
        "at_risk": [sorted(r) for r in rows],
        "legend": [t.get_text() for t in ax.get_legend().get_texts()],
    }


def _check(fig: Any, curves: list[tuple[str, KaplanMeier]]) -> None:
    d = _drawn(fig, len(curves))
    for i, (label, km) in enumerate(curves):
        colour = d["colours"][i]
        # the steps: 1 at day 0, each row's survival at its day, flat to the last follow-up
        x, y = (np.asarray(v, float) for v in d["steps"][i].get_data())
        assert list(x) == [0.0, *(r.day for r in km.rows), km.last_day]
        last = km.rows[-1].survival if km.rows else 1.0
        assert list(y) == [1.0, *(r.survival for r in km.rows), last]
        # the censoring marks: at each censoring day, at the curve's height there
        if km.censored:
            cx, cy = d["marks"][colour].get_data()
            assert list(cx) == [day for day, _ in km.censored]
            for day, height in zip(cx, cy, strict=True):
                assert height == y[np.searchsorted(x, day, side="right") - 1]
        # the median line at the median the table prints
        if km.median_days is None:
            assert colour not in d["medians"]
        else:
            mx, my = d["medians"][colour].get_data()
            assert list(mx) == [0, km.median_days, km.median_days] and list(my) == [0.5, 0.5, 0]
        # the number at risk: the result's counts on the protocol's grid, nothing else
        assert km.at_risk and d["at_risk"][i] == [(day, n) for day, n in km.at_risk]
        assert d["legend"][i] == f"{label} (n = {km.n})"
    # the x axis shows the whole curve and the whole at-risk table: nothing clipped
    ends = [max(km.last_day, km.at_risk[-1][0]) for _, km in curves]
    assert d["ax"].get_xlim() == (0.0, max(ends))
    assert list(d["ax"].get_xticks()) == [day for day, _ in curves[0][1].at_risk]


@pytest.mark.parametrize("side", ["open", "closed"])
@pytest.mark.parametrize("title", sorted(KM_FIGURES))
def test_a_km_figure_plots_the_numbers_its_table_prints(
    reports: dict[str, Any], side: str, title: str
) -> None:
    report, groups = reports[side]
    table_title, median_row, curve_of = KM_FIGURES[title]
    f = _figure(report, title)
    curves = [(g.label, curve_of(g)) for g in groups]
    assert [c for _, c in f.args[0]] == [c for _, c in curves]  # each group's own curve
    fig = f.draw(*f.args)
    _check(fig, curves)
    # the table's median cell is the median the figure draws
    printed = next(r for r in _table(report, table_title).rows if r[0] == median_row)[1:]
    drawn = _drawn(fig, len(curves))
    for i, (_, km) in enumerate(curves):
        line = drawn["medians"].get(drawn["colours"][i])
        x = None if line is None else float(line.get_xdata()[1])
        assert printed[i] == fmt.median_ci(km) and str(printed[i]).startswith(fmt.days(x))


def test_the_apps_relapse_figure_is_the_pooled_curve_the_tables_print(
    reports: dict[str, Any],
) -> None:
    """The desktop app draws its figures with the same function, from the same result."""
    d = reports["open_data"]
    fig = summary_figures(d, reports["results"])["relapse"]
    _check(fig, [("All subjects", d.blinded.pooled.relapse)])


def test_the_demo_curves_have_medians_censoring_and_at_risk_tables(
    reports: dict[str, Any],
) -> None:
    """The checks above are not vacuous on the demo: medians, marks and a grid to compare."""
    for side in ("open", "closed"):
        for curve_of in (c for _, _, c in KM_FIGURES.values()):
            kms = [curve_of(g) for g in reports[side][1]]
            assert all(km.rows and km.censored and len(km.at_risk) > 3 for km in kms)
    relapse = [g.summary.relapse for g in reports["closed"][1]]
    assert any(km.median_days is not None for km in relapse)


def test_a_km_figure_draws_the_result_not_the_subjects(reports: dict[str, Any]) -> None:
    """A curve whose numbers no subject data could give (a median off the curve, at-risk counts
    made up) is drawn as given: the figure has nothing else to draw from."""
    (g,) = reports["open"][1]
    km = g.summary.relapse
    made_up = dataclasses.replace(
        km,
        n=999,
        median_days=12.5,
        at_risk=tuple((day, 1000 + k) for k, (day, _) in enumerate(km.at_risk)),
        rows=tuple(dataclasses.replace(r, survival=r.survival / 2) for r in km.rows),
    )
    _check(km_figure([("Made up", made_up)], "Proportion"), [("Made up", made_up)])


def test_the_report_data_carries_no_per_subject_times() -> None:
    """What the report process receives: curves, not subjects' times and events."""
    for cls in (Group, OpenReportData):
        names = {f.name for f in dataclasses.fields(cls)}
        assert not names & {"relapse", "retention", "times", "events"}, (cls, names)
