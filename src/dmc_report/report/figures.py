"""The report figures: one function per figure, returning a matplotlib Figure.

The same functions serve the PDF (rendered at 300 dpi) and the desktop app (a Qt canvas), so
they create a bare :class:`matplotlib.figure.Figure` and never touch pyplot's global state.
Colours are Okabe-Ito with distinct line styles and markers, so a greyscale print still reads.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from dmc_report.domain.results import (
    KaplanMeier,
    Look,
    MonthCount,
    Results,
    TermDifference,
    VisitSummary,
)
from dmc_report.report import style as st

if TYPE_CHECKING:
    from dmc_report.report.data import OpenReportData

# one curve of a Kaplan-Meier figure: its label and the curve the tables print (the figure draws
# nothing else: its steps, median and number at risk cannot disagree with a table)
Curve = tuple[str, KaplanMeier]

# use-pattern categories: code -> (label, colour)
USE_CATEGORIES_CLOSED = {
    0: ("Positive", "#B2182B"),
    1: ("Negative", "#4393C3"),
    2: ("Missing", "#F4A582"),
    3: ("Not yet due", "#FFFFFF"),
    4: ("Not expected (left study)", "#D9D9D9"),
}
USE_CATEGORIES_OPEN = {
    0: ("Sample with result", "#4D4D4D"),
    1: ("Sample with result", "#4D4D4D"),
    2: ("Missing", "#F4A582"),
    3: ("Not yet due", "#FFFFFF"),
    4: ("Not expected (left study)", "#D9D9D9"),
}
MAX_ROWS_PER_SUBJECT_CHART = 300


@cache
def _font() -> str:
    from matplotlib import font_manager

    from dmc_report.report import fontsubset

    for f in ("LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf"):
        font_manager.fontManager.addfont(st.font_path(f))
    fontsubset.install()  # the same subsets, made faster
    return "Liberation Sans"


def _fig(w_cm: float, h_cm: float, layout: Literal["constrained"] | None = "constrained") -> Any:
    import matplotlib

    matplotlib.rcParams.update(
        {
            "font.family": _font(),
            "font.size": 8,
            "axes.titlesize": 9,
            "axes.labelsize": 8,
            "legend.fontsize": 7.5,
            "xtick.labelsize": 7.5,
            "ytick.labelsize": 7.5,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "svg.hashsalt": "dmc-report",
        }
    )
    from matplotlib.figure import Figure

    return Figure(figsize=(w_cm / 2.54, h_cm / 2.54), layout=layout)


def enrollment_figure(
    by_month: Sequence[MonthCount],
    target: int,
    planned_start: dt.date,
    planned_end: dt.date,
    cutoff: dt.date,
) -> Any:
    """Cumulative randomized subjects by month against the planned linear accrual."""
    fig = _fig(16.5, 8.5)
    ax = fig.add_subplot()
    if by_month:
        months = [dt.date.fromisoformat(r.month + "-01") for r in by_month]
        ends = [
            (m.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
            for m in months
        ]
        cum = [r.cumulative for r in by_month]
        ax.step(
            [months[0], *ends],
            [0, *cum],
            where="post",
            color=st.PALETTE[0],
            lw=1.8,
            label="Randomized (actual)",
        )
        ax.annotate(
            f"{cum[-1]}",
            (ends[-1], cum[-1]),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
        )
    ax.plot(
        [planned_start, planned_end],
        [0, target],
        color=st.PALETTE[1],
        ls="--",
        lw=1.4,
        label=f"Planned (target {target})",
    )
    ax.axvline(cutoff, color=st.MUTED, ls=":", lw=1, label=f"Data cutoff {cutoff.isoformat()}")
    ax.set_ylabel("Subjects randomized (cumulative)")
    ax.set_ylim(0, max(target, max((r.cumulative for r in by_month), default=0)) * 1.1 + 1)
    ax.legend(loc="upper left", frameon=False)
    ax.grid(axis="y", color="#E6E6E6", lw=0.6)
    return fig


def _km_steps(km: KaplanMeier) -> tuple[np.ndarray, np.ndarray]:
    """The curve a Kaplan-Meier figure draws, from the result alone: 1 at day 0, a step at each
    row's day to its survival, then flat to the last follow-up time (``where="post"``)."""
    x = [0.0, *(r.day for r in km.rows)]
    y = [1.0, *(r.survival for r in km.rows)]
    return np.array([*x, max(km.last_day, x[-1])]), np.array([*y, y[-1]])


def _height(km: KaplanMeier, day: float) -> float:
    """The curve's survival at ``day`` (after that day's events: a censoring mark's height)."""
    return min((r.survival for r in km.rows if r.day <= day), default=1.0)


def km_figure(
    groups: Sequence[Curve],
    ylabel: str,
    xlabel: str = "Days since randomization",
    at_risk_pt: float = 7,
) -> Any:
    """Kaplan-Meier curves with censoring marks, median lines and a number-at-risk table, each
    drawn from the group's :class:`KaplanMeier` only (what the tables print): the steps from its
    rows, the marks from its censoring times, the median line at its median, the at-risk table
    from its counts on the protocol's grid (the x ticks), its text at ``at_risk_pt`` points
    (the app's, shown on a screen, larger than the printed report's)."""
    fig = _fig(16.5, 10.5)
    ax, risk = fig.subplots(
        2, 1, sharex=True, gridspec_kw={"height_ratios": [4.2, 0.35 + 0.3 * len(groups)]}
    )
    ticks = sorted({d for _, km in groups for d, _ in km.at_risk})
    ends = [km.last_day for _, km in groups] + ticks[-1:]
    top = max([*ends, 1.0])
    for i, (label, km) in enumerate(groups):
        colour = st.PALETTE[i % len(st.PALETTE)]
        ls = st.LINESTYLES[i % len(st.LINESTYLES)]
        x, y = _km_steps(km)
        ax.step(x, y, where="post", color=colour, ls=ls, lw=1.6, label=f"{label} (n = {km.n})")
        if km.censored:  # one mark per censoring time: identical to the eye, and light
            days = [d for d, _ in km.censored]
            ax.plot(days, [_height(km, d) for d in days], "|", color=colour, ms=6, mew=1)
        # the median the tables print (R's rule: the midpoint of a flat stretch at 0.5)
        med = km.median_days
        if med is not None:
            ax.plot([0, med, med], [0.5, 0.5, 0], color=colour, ls=":", lw=0.9)
        for day, n in km.at_risk:
            risk.text(
                day, len(groups) - 1 - i, str(n), ha="center", va="center", fontsize=at_risk_pt,
                color=colour,
            )  # fmt: skip
    ax.set_ylim(0, 1.03)
    ax.set_xlim(0, top)
    if ticks:
        ax.set_xticks(ticks)
    ax.set_ylabel(ylabel)
    ax.grid(axis="y", color="#E6E6E6", lw=0.6)
    # above the axes: inside, a legend covers a curve sooner or later
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=3, frameon=False, borderaxespad=0.2)
    ax.tick_params(labelbottom=True)
    ax.set_xlabel(xlabel)
    risk.set_ylim(-0.6, len(groups) - 0.4)
    risk.set_yticks(range(len(groups)))
    risk.set_yticklabels([g[0] for g in reversed(groups)], fontsize=at_risk_pt)
    risk.tick_params(axis="x", labelbottom=False, length=0)
    risk.set_title("Number at risk", fontsize=at_risk_pt + 0.5, loc="left")
    for side in ("top", "right", "bottom", "left"):
        risk.spines[side].set_visible(False)
    risk.tick_params(axis="y", length=0, pad=16)
    return fig


def craving_figure(
    series: Sequence[tuple[str, Sequence[VisitSummary]]], measure: str = "Craving (VAS 0-100)"
) -> Any:
    """Mean craving (the protocol's ``measure``) by visit with 95% confidence intervals."""
    fig = _fig(16.5, 8.5)
    ax = fig.add_subplot()
    k = len(series)
    for i, (label, rows) in enumerate(series):
        # dodged: each series beside the others at a visit, so error bars never overlap
        x = np.arange(len(rows)) + (i - (k - 1) / 2) * min(0.5 / max(k, 1), 0.22)
        mean = np.array([_nan(r.stats.mean) for r in rows], float)
        lo = np.array([_nan(r.stats.ci_lower) for r in rows], float)
        hi = np.array([_nan(r.stats.ci_upper) for r in rows], float)
        colour = st.PALETTE[i % len(st.PALETTE)]
        ax.errorbar(
            x, mean, yerr=[mean - lo, hi - mean], color=colour, ls=st.LINESTYLES[i % 4],
            marker=st.MARKERS[i % 4], ms=3.5, lw=1.3, capsize=2, label=label,
        )  # fmt: skip
    if series:
        ax.set_xticks(np.arange(len(series[0][1])))
        ax.set_xticklabels([r.visit for r in series[0][1]], rotation=45, ha="right")
    ax.set_ylim(0, 100)
    ax.set_ylabel(f"{measure}: mean (95% CI)")
    ax.grid(axis="y", color="#E6E6E6", lw=0.6)
    # above the axes: inside, a legend covers a curve sooner or later
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=3, frameon=False, borderaxespad=0.2)
    return fig


def use_pattern_figure(
    codes: np.ndarray,
    visits: Sequence[str],
    groups: Sequence[tuple[str, int]],
    closed: bool,
    missing: str = "Missing",
) -> Any:
    """Urine results per subject by visit (one row per subject), or proportions by visit
    when there are too many subjects for one row each to read. ``missing``: the legend of a
    missing sample (what the protocol counts it as).

    ``codes`` is subjects x visits with 0 POS, 1 NEG, 2 missing, 3 not yet due, 4 not expected;
    ``groups`` gives consecutive row blocks (label, number of rows). The open version merges
    POS and NEG into "sample with result": it shows completeness, never results.
    """
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    cats = dict(USE_CATEGORIES_CLOSED if closed else USE_CATEGORIES_OPEN)
    cats[2] = (missing, cats[2][1])  # the protocol's rule, not the first study's
    n = codes.shape[0]
    if n > MAX_ROWS_PER_SUBJECT_CHART:
        return _use_proportions(codes, visits, groups, cats)
    height = min(22.0, 4.0 + 0.11 * n)
    fig = _fig(16.5, height)
    ax = fig.add_subplot()
    cmap = ListedColormap([cats[i][1] for i in range(5)])
    ax.imshow(codes, aspect="auto", cmap=cmap, vmin=-0.5, vmax=4.5, interpolation="nearest")
    ax.set_xticks(range(len(visits)))
    ax.set_xticklabels(visits, rotation=45, ha="right")
    start = 0
    yt, yl = [], []
    for label, size in groups:
        if start:
            ax.axhline(start - 0.5, color="black", lw=1.2)
        yt.append(start + size / 2 - 0.5)
        yl.append(f"{label}\n(n = {size})")
        start += size
    ax.set_yticks(yt)
    ax.set_yticklabels(yl)
    ax.tick_params(axis="y", length=0)
    ax.set_xlim(-0.5, len(visits) - 0.5)
    seen: dict[str, str] = {}
    for i in range(5):
        seen.setdefault(cats[i][0], cats[i][1])
    ax.legend(
        handles=[Patch(facecolor=c, edgecolor="#999999", label=lab) for lab, c in seen.items()],
        loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=len(seen), frameon=False,
    )  # fmt: skip
    return fig


def _use_proportions(
    codes: np.ndarray,
    visits: Sequence[str],
    groups: Sequence[tuple[str, int]],
    cats: dict[int, tuple[str, str]],
) -> Any:
    from matplotlib.patches import Patch

    fig = _fig(16.5, 5.5 + 4.0 * len(groups))
    start = 0
    merged: dict[str, list[int]] = {}
    for code, (label, _) in cats.items():
        merged.setdefault(label, []).append(code)
    for gi, (label, size) in enumerate(groups):
        ax = fig.add_subplot(len(groups), 1, gi + 1)
        block = codes[start : start + size]
        start += size
        bottom = np.zeros(len(visits))
        for lab, members in merged.items():
            share = np.isin(block, members).mean(axis=0) if size else np.zeros(len(visits))
            colour = cats[members[0]][1]
            ax.bar(
                range(len(visits)),
                share,
                bottom=bottom,
                color=colour,
                edgecolor="#999999",
                lw=0.3,
                label=lab,
            )
            bottom += share
        ax.set_title(f"{label} (n = {size})", loc="left")
        ax.set_ylim(0, 1)
        ax.set_ylabel("Proportion of subjects")
        ax.set_xticks(range(len(visits)))
        ax.set_xticklabels(visits, rotation=45, ha="right")
    handles = [
        Patch(facecolor=cats[m[0]][1], edgecolor="#999999", label=lab) for lab, m in merged.items()
    ]
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), frameon=False)
    return fig


def heatmap_height(n_sites: int) -> float:
    """Height in cm of the compliance heat map for ``n_sites`` sites (at most a page's worth)."""
    return min(21.0, 3.4 + 0.8 * max(n_sites, 1))


def compliance_heatmap(
    sites: Sequence[str], visits: Sequence[str], percent: np.ndarray, due: np.ndarray
) -> Any:
    """Per site and visit: the percentage of due visits done in window (blank: none due)."""
    from matplotlib.colors import LinearSegmentedColormap

    fig = _fig(16.5, heatmap_height(len(sites)))
    ax = fig.add_subplot()
    cmap = LinearSegmentedColormap.from_list(
        "compliance", ["#B2182B", "#FDDBC7", "#F7F7F7", "#D1E5F0", "#2166AC"]
    )
    shown = np.where(due > 0, percent, np.nan)
    # the scale starts at the lowest tens below the data (at most 70): compliance lives between
    # 70 and 100, where a 0-100 scale paints every cell alike
    low = np.nanmin(shown) if np.isfinite(shown).any() else 0.0
    vmin = float(min(70.0, 10 * np.floor(low / 10)))
    im = ax.imshow(shown, aspect="auto", cmap=cmap, vmin=vmin, vmax=100)
    for i in range(len(sites)):
        for j in range(len(visits)):
            if due[i, j] > 0:
                v = shown[i, j]
                r, g, b, _ = cmap(im.norm(v))
                dark = 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.5  # the cell's luminance
                ax.text(
                    j, i, f"{v:.0f}", ha="center", va="center", fontsize=6.5,
                    color="white" if dark else "black",
                )  # fmt: skip
    ax.set_xticks(range(len(visits)))
    ax.set_xticklabels(visits, rotation=45, ha="right")
    ax.set_yticks(range(len(sites)))
    ax.set_yticklabels([f"Site {s}" for s in sites])
    fig.colorbar(im, ax=ax, label="% of due visits done in window", shrink=0.9)
    return fig


def consort_figure(counts: dict[str, Any]) -> Any:
    """CONSORT-style flow: screened, randomized, then per arm completed/discontinued/ongoing."""
    from matplotlib.patches import FancyBboxPatch

    fig = _fig(16.5, 11.0, layout=None)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    ax.axis("off")

    def box(x: float, y: float, w: float, h: float, text: str) -> None:
        ax.add_patch(
            FancyBboxPatch(
                (x - w / 2, y - h / 2),
                w,
                h,
                boxstyle="round,pad=0.4",
                fc="white",
                ec="#333333",
                lw=0.8,
            )
        )
        ax.text(x, y, text, ha="center", va="center", fontsize=7.5, linespacing=1.3)

    def arrow(x1: float, y1: float, x2: float, y2: float) -> None:
        ax.annotate(
            "", (x2, y2), (x1, y1), arrowprops={"arrowstyle": "-|>", "color": "#333333", "lw": 0.8}
        )

    box(50, 92, 34, 8, f"Screened (consented)\nn = {counts['screened']}")
    why = counts.get("not_randomized_reasons") or {}
    lines = "".join(f"\n{_short_label(r)}: {n}" for r, n in why.items())
    box(
        84,
        79 - 1.6 * len(why),
        30,
        8 + 3.2 * len(why),
        f"Not randomized: n = {counts['not_randomized']}{lines}",
    )
    box(50, 68, 34, 8, f"Randomized\nn = {counts['randomized']}")
    arrow(50, 87.5, 50, 72.5)
    ax.plot([50, 70.5], [79, 79], color="#333333", lw=0.8)
    arms = counts["arms"]
    k = len(arms)
    for i, arm in enumerate(arms):
        x = 100 * (i + 0.5) / k
        box(x, 46, 90 / k - 4, 10, f"{arm['label']}\nrandomized n = {arm['n']}")
        arrow(50, 63.5, x, 51.5)
        # the reasons nested under "Discontinued"; then what the primary analysis holds
        reasons = "\n".join(f"    {r.capitalize()}: {n}" for r, n in arm["reasons"].items())
        analysed = (
            f"\n\nPrimary endpoint: evaluable {arm['evaluable']}, pending {arm['pending']}"
            if "evaluable" in arm
            else ""
        )
        box(
            x, 18, 90 / k - 4, 30,
            f"Completed: {arm['completed']}\nDiscontinued: {arm['discontinued']}"
            + (f"\n{reasons}" if reasons else "") + f"\nOngoing: {arm['ongoing']}" + analysed,
        )  # fmt: skip
        arrow(x, 40.5, x, 32.5)
    return fig


def _nan(x: float | None) -> float:
    return np.nan if x is None else x


def boundary_figure(
    looks: Sequence[Look],
    observed_z: float | None,
    fraction: float,
    crossed: str | None,
    final: bool = False,
) -> Any:
    """Z against information fraction: the spending boundaries with a point at each look, the
    observed Z at the current look, and the Z of earlier looks where the protocol records it."""
    fig = _fig(16.5, 9.5)
    ax = fig.add_subplot()
    t = [0.0, *[lk.information for lk in looks]]
    up = [lk.z_upper for lk in looks]
    ax.plot(t[1:], up, color=st.PALETTE[1], marker="o", ms=4, lw=1.4, label="Efficacy boundary")
    lower = [lk.z_lower for lk in looks]
    if all(z is not None for z in lower):
        ax.plot(
            t[1:],
            lower,
            color=st.PALETTE[0],
            marker="s",
            ms=4,
            lw=1.4,
            ls="--",
            label="Harm boundary",
        )
    ax.axhline(0, color=st.MUTED, lw=0.6)
    past = [
        (lk.information, lk.observed_z)
        for lk in looks
        if lk.kind == "previous" and lk.observed_z is not None
    ]
    if past:
        ax.plot(
            [p[0] for p in past],
            [p[1] for p in past],
            "D",
            color=st.MUTED,
            ms=5,
            label="Earlier looks (observed Z)",
        )
    if observed_z is not None:
        label = (
            f"Observed Z = {observed_z:.2f} at the final analysis (information fraction 1)"
            if final
            else f"Observed Z = {observed_z:.2f} at information fraction {fraction:.3f}"
        )
        if crossed:
            label += f" ({crossed} boundary crossed)"
        # at the final analysis the observed Z is compared with the final look's boundary, so it
        # stands at that look (information fraction 1 by definition), not at the actual fraction
        x = 1.0 if final else min(fraction, 1.0)
        ax.plot([x], [observed_z], "*", color=st.INK, ms=13, label=label)
    ax.set_xlim(0, 1.05)
    top = max([*up, abs(observed_z) if observed_z is not None else 0]) + 0.8
    ax.set_ylim(-top, top)
    ax.set_xlabel("Information fraction")
    ax.set_ylabel("Z (experimental - control)")
    ax.grid(color="#E6E6E6", lw=0.6)
    # below the axes: a legend inside would cover a boundary or the observed Z
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, frameon=False)
    return fig


def _png(fig: Any, dpi: float = 96) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


# the number at risk on screen: its digits at least 9 pixels high at 100 % (the app never shows
# a figure smaller than its printed size at 96 dpi, where 10 pt is 13.3 pixels)
SCREEN_AT_RISK_PT = 10.0


def summary_figures(open_data: OpenReportData, results: Results) -> dict[str, Any]:
    """The figures the desktop app shows, by name: the PDF's figure functions on the same result
    objects (the relapse curve is the pooled :class:`KaplanMeier` the tables print)."""
    d = open_data
    b = d.blinded
    p = d.protocol
    out = {
        "enrollment": enrollment_figure(
            b.enrollment.by_month,
            p.study.target_enrollment,
            p.study.planned_enrollment_start,
            p.study.planned_enrollment_end,
            d.cutoff,
        ),
        "relapse": km_figure(
            [("All subjects", b.pooled.relapse)],
            "Proportion without relapse",
            at_risk_pt=SCREEN_AT_RISK_PT,
        ),
        "craving": craving_figure([("All subjects", b.pooled.craving)]),
    }
    if results.unblinded is not None:  # drawn now, shown only after the user confirms
        m = results.unblinded.monitoring
        if m is not None and m.looks:
            out["monitoring"] = boundary_figure(
                m.looks, m.observed_z, m.information_fraction, m.crossed, m.final
            )
    return out


def _svg(fig: Any) -> bytes:
    import re

    buf = io.BytesIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    # a blank glyph (the space) is written as a path without "d", which Qt's SVG reader drops
    # and then warns of every use of it: given an empty outline, it is kept and draws nothing
    return re.sub(
        rb'<path id="([^"]+)" (transform="[^"]*")/>',
        rb'<path id="\1" d="M 0 0" \2/>',
        buf.getvalue(),
    )


def summary_images(
    open_data: OpenReportData, results: Results, scale: float = 1.0, *, svg: bool = True
) -> dict[str, bytes]:
    """The images of :func:`summary_figures` (no Qt here: the app draws them in a child process
    and shows the images): SVG, which the app draws at the size and scaling it shows them at, so
    they stay sharp at 150 % and on Retina and follow the window's width; or, with ``svg``
    False, PNG at ``scale`` times 96 dpi (the screen's device pixel ratio)."""
    figures = summary_figures(open_data, results)
    if svg:
        return {name: _svg(fig) for name, fig in figures.items()}
    dpi = 96 * min(max(scale, 1.0), 4.0)
    return {name: _png(fig, dpi) for name, fig in figures.items()}


MAX_DOT_PLOT_TERMS = 40
MAX_LABEL = 40  # a term longer than this is cut with an ellipsis on a figure's axis


def _short_label(text: str) -> str:
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1].rstrip() + "\u2026"


def ae_dot_plot(terms: Sequence[TermDifference], experimental: str, control: str) -> Any:
    """The AE dot plot (Amit, Heiberger and Lane, Pharmaceut Statist 2008): per term, the
    proportion of each arm's subjects with it (left) and the risk difference experimental -
    control with its 95% CI (right), terms ordered by the difference."""
    shown = sorted(terms[:MAX_DOT_PLOT_TERMS], key=lambda t: _nan(t.difference.estimate))
    n = len(shown)
    fig = _fig(16.5, min(22.0, 3.5 + 0.45 * max(n, 1)))
    left, right = fig.subplots(1, 2, sharey=True, gridspec_kw={"width_ratios": [1.1, 1.0]})
    y = np.arange(n)
    pe = [
        100 * t.subjects_experimental / t.n_experimental if t.n_experimental else np.nan
        for t in shown
    ]
    pc = [100 * t.subjects_control / t.n_control if t.n_control else np.nan for t in shown]
    left.plot(pe, y, "o", color=st.PALETTE[0], ms=5, label=experimental)
    left.plot(pc, y, "^", color=st.PALETTE[1], ms=5, label=control)
    left.set_yticks(y)
    left.set_yticklabels([_short_label(t.term) for t in shown])
    left.set_xlabel("Subjects with the event, %")
    left.set_xlim(0, max([*pe, *pc, 10.0]) * 1.1)
    left.grid(axis="x", color="#E6E6E6", lw=0.6)
    left.legend(
        loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=2, frameon=False, borderaxespad=0.2
    )
    est = np.array([100 * _nan(t.difference.estimate) for t in shown])
    lo = np.array([100 * _nan(t.difference.ci_lower) for t in shown])
    hi = np.array([100 * _nan(t.difference.ci_upper) for t in shown])
    right.errorbar(est, y, xerr=[est - lo, hi - est], fmt="D", color=st.INK, ms=4, capsize=2, lw=1)
    right.axvline(0, color=st.MUTED, lw=0.8, ls="--")
    right.set_xlabel("Risk difference, experimental - control\n(percentage points, 95% CI)")
    right.grid(axis="x", color="#E6E6E6", lw=0.6)
    right.tick_params(axis="y", length=0)
    return fig
