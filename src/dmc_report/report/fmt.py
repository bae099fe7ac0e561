"""Number formatting for display (dmc-sap.md "Precision and display"); results keep full precision.

One format everywhere: counts as integers, "n (x.x%)", proportions as % with one decimal, ratios
with two decimals and their CI in parentheses, p with three decimals or "<0.001", days as whole
numbers unless a median falls between two days, "NE" where a statistic is not estimable.
"""

from __future__ import annotations

from typing import Protocol

from dmc_report.domain.results import KaplanMeier, Summary


class Estimate(Protocol):
    """An estimate with a 95% CI (an odds ratio, a hazard ratio, a risk difference)."""

    @property
    def estimate(self) -> float | None: ...
    @property
    def ci_lower(self) -> float | None: ...
    @property
    def ci_upper(self) -> float | None: ...
    @property
    def note(self) -> str | None: ...


def n_pct(k: int | None, n: int | None) -> str:
    if k is None or not n:
        return f"{k if k is not None else 0}"
    return f"{k} ({100 * k / n:.1f}%)"


def n_of(k: int, n: int) -> str:
    """ "k/n (x.x%)": a count of a denominator that is not the column's N."""
    return f"{k}/{n} ({pct(k / n if n else None)})" if n else f"{k}/{n}"


def pct(p: float | None) -> str:
    return "NE" if p is None else f"{100 * p:.1f}%"


def num(x: float | None, digits: int = 1) -> str:
    return "NE" if x is None else f"{x:.{digits}f}"


def ratio_ci(r: Estimate | None, digits: int = 2) -> str:
    """ "1.23 (0.45, 3.21)", or "NE (why)" where the estimate is null."""
    if r is None or r.estimate is None or r.ci_lower is None or r.ci_upper is None:
        note = r.note if r is not None else None
        return f"NE ({note})" if note else "NE"
    return f"{r.estimate:.{digits}f} ({r.ci_lower:.{digits}f}, {r.ci_upper:.{digits}f})"


def p_value(p: float | None) -> str:
    if p is None:
        return "NE"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def days(x: float | None) -> str:
    if x is None:
        return "NR"
    return f"{x:.0f}" if float(x).is_integer() else f"{x:.1f}"


def median_ci(km: KaplanMeier) -> str:
    return f"{days(km.median_days)} ({days(km.median_ci_lower)}, {days(km.median_ci_upper)})"


def mean_sd(s: Summary) -> str:
    if s.mean is None:
        return "-"
    return f"{s.mean:.1f} ({num(s.sd)})"


def mean_ci(s: Summary) -> str:
    if s.mean is None:
        return "-"
    if s.ci_lower is None or s.ci_upper is None:
        return f"{s.mean:.1f}"
    return f"{s.mean:.1f} ({s.ci_lower:.1f}, {s.ci_upper:.1f})"


def n_mean_ci(s: Summary) -> str:
    """ "n, mean (95% CI)"."""
    return "-" if s.n == 0 else f"{s.n}, {mean_ci(s)}"
