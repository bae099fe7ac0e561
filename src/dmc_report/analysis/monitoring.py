"""Group-sequential monitoring of the primary endpoint (Lan-DeMets alpha spending).

Boundaries are recomputed at the information actually accrued: earlier looks at the fractions
the protocol records, the current look at (evaluable subjects with a known arm) / (planned
evaluable subjects), and the final look at 1. Critical values come from the recursive numerical
integration of Armitage, McPherson and Rowe (Jennison & Turnbull 2000, ch. 19) on the score
scale; they agree with R ``rpact::getDesignGroupSequential`` to 1e-6 (tests/reference).

Conditional power follows Lan & Wittes' B-value: with Z_t at information fraction t and the final
critical value c_K,

    CP(theta) = 1 - Phi((c_K - Z_t sqrt(t) - theta (1 - t)) / sqrt(1 - t)),

under the current trend (theta = Z_t / sqrt(t)), under the design alternative (theta = the
expected final Z from the protocol's assumed proportions at the planned size) and under the null
(theta = 0). Lan KKG, Wittes J. The B-value: a tool for monitoring data. Biometrics 1988;44:579-85.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from dmc_report.domain.protocol import Interim, Spending

GRID = 801  # Simpson points across each continuation region (odd); 2e-7 of rpact at 401 already


def spent(t: float, alpha: float, spending: Spending, gamma: float | None, sided: int) -> float:
    """Cumulative alpha spent at information fraction ``t`` (total, both sides when two-sided)."""
    from scipy.stats import norm

    t = min(max(t, 0.0), 1.0)
    if t <= 0:
        return 0.0
    if spending is Spending.OBF:
        # Lan-DeMets O'Brien-Fleming type, per side alpha/sided
        side = alpha / sided
        return float(sided * 2 * (1 - norm.cdf(norm.ppf(1 - side / 2) / math.sqrt(t))))
    if spending is Spending.POCOCK:
        return float(alpha * math.log(1 + (math.e - 1) * t))
    g = gamma if gamma is not None else 0.0
    if abs(g) < 1e-12:
        return float(alpha * t)
    return float(alpha * (1 - math.exp(-g * t)) / (1 - math.exp(-g)))


def _simpson(lo: float, hi: float, n: int = GRID) -> tuple[np.ndarray, np.ndarray]:
    x = np.linspace(lo, hi, n)
    w = np.ones(n)
    w[1:-1:2] = 4
    w[2:-1:2] = 2
    return x, w * (hi - lo) / (n - 1) / 3


def boundaries(
    rates: Sequence[float],
    alpha: float,
    spending: Spending,
    gamma: float | None = None,
    sided: int = 2,
) -> list[dict[str, Any]]:
    """Critical Z values at the given information fractions (increasing, last = 1)."""
    from scipy.optimize import brentq
    from scipy.stats import norm

    info = np.asarray(rates, float)
    out: list[dict[str, Any]] = []
    grid: tuple[np.ndarray, np.ndarray] | None = None  # continuation grid on the score scale
    density: np.ndarray | None = None
    prev_cum = 0.0
    for k, t in enumerate(info):
        cum = spent(float(t), alpha, spending, gamma, sided)
        target = cum - prev_cum
        if k == 0:
            c = float(norm.ppf(1 - target / sided))
            sd = math.sqrt(t)
            x, w = _simpson(-c * sd, c * sd)
            density = norm.pdf(x, scale=sd)
            grid = (x, w)
        else:
            assert grid is not None and density is not None
            x0, w0 = grid
            dt = t - info[k - 1]
            sdd = math.sqrt(dt)
            sd = math.sqrt(t)
            mass = density * w0

            def exit_prob(
                c: float,
                x0: np.ndarray = x0,
                mass: np.ndarray = mass,
                sdd: float = sdd,
                sd: float = sd,
            ) -> float:
                up = norm.sf((c * sd - x0) / sdd)
                down = norm.cdf((-c * sd - x0) / sdd) if sided == 2 else 0.0
                return float(np.sum(mass * (up + down)))

            c = float(
                brentq(
                    lambda c, goal=target: exit_prob(c) - goal, 0.0, 40.0, xtol=1e-13, rtol=1e-14
                )
            )
            x, w = _simpson(-c * sd, c * sd)
            # density of the score at look k, given continuation at every earlier look
            kernel = norm.pdf((x[:, None] - x0[None, :]) / sdd) / sdd
            density = kernel @ mass
            grid = (x, w)
        out.append(
            {
                "information": float(t),
                "z_upper": c,
                "z_lower": -c if sided == 2 else float("-inf"),
                "alpha_spent_cumulative": cum,
                "alpha_spent_incremental": target,
                "nominal_p": float(sided * norm.sf(c)),
            }
        )
        prev_cum = cum
    return out


def conditional_power(z: float, t: float, c_final: float, theta: float) -> float:
    """Lan & Wittes conditional power of crossing ``c_final`` at the end, given Z = z at t."""
    from scipy.stats import norm

    if t >= 1:
        return float(z >= c_final)
    return float(1 - norm.cdf((c_final - z * math.sqrt(t) - theta * (1 - t)) / math.sqrt(1 - t)))


def two_proportion_z(k_e: int, n_e: int, k_c: int, n_c: int) -> float | None:
    """Pooled two-proportion Z, experimental - control (positive favours experimental)."""
    if not n_e or not n_c:
        return None
    pool = (k_e + k_c) / (n_e + n_c)
    var = pool * (1 - pool) * (1 / n_e + 1 / n_c)
    if var <= 0:
        return None
    return (k_e / n_e - k_c / n_c) / math.sqrt(var)


@dataclass(frozen=True)
class LookPlan:
    rates: list[float]
    current: int  # index of the current look


def look_rates(plan: Interim, fraction: float, cutoff: dt.date | None = None) -> LookPlan:
    """Previous looks (dated before the cutoff) at their recorded fractions, the current look,
    then the final look at 1."""
    previous = sorted(
        p.information_fraction
        for p in plan.previous_looks
        if p.information_fraction < fraction and (cutoff is None or p.date < cutoff)
    )
    if fraction >= 1:
        return LookPlan([*previous, 1.0], len(previous))
    return LookPlan([*previous, fraction, 1.0], len(previous))


def monitoring(
    plan: Interim, k_e: int, n_e: int, k_c: int, n_c: int, cutoff: dt.date | None = None
) -> dict[str, Any]:
    """The ``unblinded.monitoring`` block: boundaries at the actual information, the observed
    statistic, whether a boundary is crossed, and conditional power."""
    fraction = (n_e + n_c) / plan.planned_information
    looks = look_rates(plan, min(fraction, 1.0), cutoff) if fraction > 0 else None
    z = two_proportion_z(k_e, n_e, k_c, n_c)
    out: dict[str, Any] = {
        "endpoint": plan.endpoint,
        "spending": plan.spending.value,
        "gamma": plan.gamma,
        "alpha": plan.alpha,
        "sided": plan.sided,
        "planned_information": plan.planned_information,
        "information": n_e + n_c,
        "information_fraction": fraction,
        "observed_z": z,
        "looks": [],
        "current_look": None,
        "crossed": None,
        "conditional_power": {"current_trend": None, "design": None, "null": None},
    }
    if looks is None:
        out["note"] = "no evaluable subjects yet"
        return out
    bounds = boundaries(looks.rates, plan.alpha, plan.spending, plan.gamma, plan.sided)
    for i, b in enumerate(bounds):
        b["kind"] = (
            "previous" if i < looks.current else ("current" if i == looks.current else "final")
        )
        if b["z_lower"] == float("-inf"):
            b["z_lower"] = None
    recorded = {p.information_fraction: p.observed_z for p in plan.previous_looks}
    for b in bounds:
        if b["kind"] == "previous":
            b["observed_z"] = recorded.get(b["information"])
    out["looks"] = bounds
    out["current_look"] = looks.current + 1
    if z is None:
        out["note"] = "the observed statistic is not estimable (no variability)"
        return out
    cur = bounds[looks.current]
    if z >= cur["z_upper"]:
        out["crossed"] = "efficacy"
    elif cur["z_lower"] is not None and z <= cur["z_lower"]:
        out["crossed"] = "harm"
    t = min(fraction, 1.0)
    c_final = bounds[-1]["z_upper"]
    design = None
    if plan.assumed_experimental is not None and plan.assumed_control is not None:
        half = plan.planned_information / 2
        design = two_proportion_z_float(plan.assumed_experimental, plan.assumed_control, half, half)
    out["design_theta"] = design
    out["conditional_power"] = {
        "current_trend": conditional_power(z, t, c_final, z / math.sqrt(t)),
        "design": conditional_power(z, t, c_final, design) if design is not None else None,
        "null": conditional_power(z, t, c_final, 0.0),
    }
    if plan.futility_z is not None:
        out["futility_guidance"] = {
            "z": plan.futility_z,
            "below": z < plan.futility_z,
            "binding": False,
        }
    return out


def two_proportion_z_float(p_e: float, p_c: float, n_e: float, n_c: float) -> float:
    """The expected final Z for assumed proportions at the planned group sizes."""
    pool = (p_e * n_e + p_c * n_c) / (n_e + n_c)
    return (p_e - p_c) / math.sqrt(pool * (1 - pool) * (1 / n_e + 1 / n_c))
