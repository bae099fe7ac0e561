"""Number formatting for display (dmc-sap.md "Precision and display"); results keep full precision."""

from __future__ import annotations

from typing import Any


def n_pct(k: int | None, n: int | None) -> str:
    if k is None or not n:
        return f"{k if k is not None else 0}"
    return f"{k} ({100 * k / n:.1f}%)"


def pct(p: float | None) -> str:
    return "NE" if p is None else f"{100 * p:.1f}%"


def num(x: float | None, digits: int = 1) -> str:
    return "NE" if x is None else f"{x:.{digits}f}"


def ratio_ci(d: dict[str, Any] | None, note: str | None = None) -> str:
    if not d or d.get("estimate") is None:
        return f"NE ({note})" if note else "NE"
    return f"{d['estimate']:.2f} ({d['ci_lower']:.2f}, {d['ci_upper']:.2f})"


def p_value(p: float | None) -> str:
    if p is None:
        return "NE"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def days(x: float | None) -> str:
    if x is None:
        return "NR"
    return f"{x:.0f}" if float(x).is_integer() else f"{x:.1f}"


def median_ci(r: dict[str, Any]) -> str:
    ci = r.get("median_ci") or {}
    return f"{days(r.get('median_days'))} ({days(ci.get('lower'))}, {days(ci.get('upper'))})"


def mean_sd(d: dict[str, Any]) -> str:
    if d.get("mean") is None:
        return "-"
    sd = "NE" if d.get("sd") is None else f"{d['sd']:.1f}"
    return f"{d['mean']:.1f} ({sd})"


def mean_ci(d: dict[str, Any]) -> str:
    if d.get("mean") is None:
        return "-"
    if d.get("ci_lower") is None:
        return f"{d['mean']:.1f}"
    return f"{d['mean']:.1f} ({d['ci_lower']:.1f}, {d['ci_upper']:.1f})"
