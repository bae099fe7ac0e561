"""Group-sequential monitoring of the primary endpoint (Lan-DeMets alpha spending).

Boundaries are recomputed at the information actually accrued: earlier looks at the fractions
the protocol records, the current look at (evaluable subjects with a known arm) / (planned
evaluable subjects), and the final look at 1. When the report is the final analysis
(``final=True``), the current look is the last and sits at information fraction 1 whatever the
number of evaluable subjects, as rpact's final stage does: its boundary spends all the alpha
left, no later look follows and no conditional power is computed. Critical values come from the
recursive numerical integration of Armitage, McPherson and Rowe (Jennison & Turnbull 2000,
ch. 19) on the score scale; they agree with R ``rpact::getDesignGroupSequential`` to 1e-6
(tests/reference).

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

from dmc_report.domain.protocol import Interim, PreviousLook, Spending

GRID = 801  # Simpson points across each continuation region (odd); 2e-7 of rpact at 401 already
# The continuation region is integrated over at most this many SDs of the score either side: at a
# tiny information fraction the O'Brien-Fleming-type boundary is huge (Z 17 at 1.7%), and the
# density beyond 12 SD (< 1e-32) would only thin the grid where the mass is.
GRID_SD = 12.0


def spent(t: float, alpha: float, spending: Spending, gamma: float | None, sided: int) -> float:
    """Cumulative alpha spent at information fraction ``t`` (total, both sides when two-sided)."""
    from scipy.stats import norm

    t = min(max(t, 0.0), 1.0)
    if t <= 0:
        return 0.0
    if spending is Spending.OBF:
        # Lan-DeMets O'Brien-Fleming type, per side alpha/sided
        # the upper tail (sf), not 1 - cdf: at a small fraction the spent alpha is far below
        # float precision of 1 (3e-67 at t = 1/60); it reaches 0 only below t ~ 0.0034
        side = alpha / sided
        return float(sided * 2 * norm.sf(norm.isf(side / 2) / math.sqrt(t)))
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
    """Critical Z values at the given information fractions (increasing, last = 1).

    A fraction so small that the spending function spends no alpha within float precision (an
    O'Brien-Fleming-type look below t ~ 0.0034 at alpha 0.05) gets no boundary: ``z_upper``,
    ``z_lower`` and ``nominal_p`` are None and ``note`` says why. rpact reports any critical value
    of 7.5 or more as infinite; these are computed (17.4 at t = 1/60 for alpha 0.05)."""
    from scipy.optimize import brentq
    from scipy.stats import norm

    info = np.asarray(rates, float)
    out: list[dict[str, Any]] = []
    grid: tuple[np.ndarray, np.ndarray] | None = None  # continuation grid on the score scale
    density: np.ndarray | None = None
    prev_cum = 0.0
    prev_t = 0.0  # information at the last look with a boundary
    for t in info:
        cum = spent(float(t), alpha, spending, gamma, sided)
        target = cum - prev_cum
        if target <= 0:  # no alpha to spend here within float precision: a look without boundary
            out.append(_no_boundary(float(t), cum))
            continue
        if grid is None:
            c = float(norm.isf(target / sided))  # isf: finite for any target > 0
            sd = math.sqrt(t)
            half = min(c, GRID_SD) * sd
            x, w = _simpson(-half, half)
            density = norm.pdf(x, scale=sd)
            grid = (x, w)
        else:
            assert density is not None
            x0, w0 = grid
            dt = t - prev_t
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
            half = min(c, GRID_SD) * sd
            x, w = _simpson(-half, half)
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
        prev_t = float(t)
    return out


def _no_boundary(t: float, cum: float) -> dict[str, Any]:
    """A look at which the spending function spends nothing representable: no boundary (an
    infinite critical value), so it leaves the later looks as if it had not been taken."""
    return {
        "information": t,
        "z_upper": None,
        "z_lower": None,
        "alpha_spent_cumulative": cum,
        "alpha_spent_incremental": 0.0,
        "nominal_p": None,
        "note": f"information fraction {t:.4f}: below the first computable look; no boundary",
    }


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
    # earlier looks (dated before the cutoff) at a fraction the current one does not exceed:
    # not part of the sequence, and said so in the monitoring block's notes
    dropped: tuple[PreviousLook, ...] = ()


def look_rates(
    plan: Interim, fraction: float, cutoff: dt.date | None = None, *, final: bool = False
) -> LookPlan:
    """Previous looks (dated before the cutoff) at their recorded fractions, the current look,
    then the final look at 1. A previous look at a fraction at or above the current one (fewer
    evaluable subjects with a known arm now than then) cannot precede it: it is left out and
    returned in ``dropped``.

    ``final``: the current look is the final analysis, at information fraction 1 whatever
    ``fraction`` is; the previous looks below 1 precede it (one recorded at 1 is dropped)."""
    if final:
        fraction = 1.0
    before = [p for p in plan.previous_looks if cutoff is None or p.date < cutoff]
    previous = sorted(p.information_fraction for p in before if p.information_fraction < fraction)
    dropped = tuple(
        sorted(
            (p for p in before if p.information_fraction >= fraction),
            key=lambda p: (p.date, p.information_fraction),
        )
    )
    if fraction >= 1:
        return LookPlan([*previous, 1.0], len(previous), dropped)
    return LookPlan([*previous, fraction, 1.0], len(previous), dropped)


FINAL_NO_CP = "final analysis: no conditional power"


def suggest_final(
    planned_enrollment_end: dt.date, cutoff: dt.date, ongoing: int, pending: int
) -> bool:
    """Whether to suggest that a report is the final analysis (dmc-sap.md): the planned end of
    enrolment has passed at the cutoff and no randomized subject is ongoing or pending."""
    return cutoff > planned_enrollment_end and ongoing == 0 and pending == 0


def monitoring(
    plan: Interim,
    k_e: int,
    n_e: int,
    k_c: int,
    n_c: int,
    cutoff: dt.date | None = None,
    *,
    final: bool = False,
) -> dict[str, Any]:
    """The ``unblinded.monitoring`` block: boundaries at the actual information, the observed
    statistic, whether a boundary is crossed, and conditional power.

    ``final``: the report is the final analysis. The looks are the earlier ones (dated before
    the cutoff, at their recorded fractions) and then the current one at information fraction 1,
    kind "final", spending all the alpha left; ``information`` and ``information_fraction`` stay
    the actual ones (``notes`` says so when they differ from the plan); ``crossed`` compares Z
    with the final boundary; no conditional power (all null, ``notes`` says why), no
    ``design_theta`` and no futility guidance; ``"final": True``."""
    fraction = (n_e + n_c) / plan.planned_information
    looks = look_rates(plan, min(fraction, 1.0), cutoff, final=final) if fraction > 0 else None
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
    if final:
        out["final"] = True
    if looks is None:
        out["note"] = "no evaluable subjects yet"
        if final:
            out["notes"] = [FINAL_NO_CP]
        return out
    notes = _look_notes(plan, looks, fraction, n_e + n_c, final)
    bounds = _looks(plan, looks, final)
    # a look without a boundary (no alpha to spend at its fraction) is no look: it is named in
    # the notes and left out of the list, which keeps only looks with finite critical values
    notes += [f"{b['kind']} look: {b.pop('note')}" for b in bounds if b["z_upper"] is None]
    kept = [b for b in bounds if b["z_upper"] is not None]
    cur = bounds[looks.current]
    out["looks"] = kept
    out["current_look"] = next((i + 1 for i, b in enumerate(kept) if b is cur), None)
    if notes:
        out["notes"] = notes
    if z is None:
        out["note"] = "the observed statistic is not estimable (no variability)"
        return out
    if out["current_look"] is None:
        out["note"] = (
            f"information fraction {fraction:.4f}: below the first computable look; "
            "no boundary at this look"
        )
    elif z >= cur["z_upper"]:
        out["crossed"] = "efficacy"
    elif cur["z_lower"] is not None and z <= cur["z_lower"]:
        out["crossed"] = "harm"
    c_final = bounds[-1]["z_upper"]
    # at the final analysis there is nothing to condition on; with nothing left to spend at the
    # end (an earlier look spent it all) there is no boundary to reach
    if not final and c_final is not None:
        out |= _conditional_power(plan, z, min(fraction, 1.0), c_final)
    return out


def _look_notes(
    plan: Interim, looks: LookPlan, fraction: float, information: int, final: bool
) -> list[str]:
    """Why an earlier look is left out; at the final analysis, its information against the
    plan and why there is no conditional power."""
    notes: list[str] = [
        (
            f"the earlier look of {p.date.isoformat()} at information fraction "
            f"{p.information_fraction:.4f} is left out: the final analysis is at information "
            "fraction 1"
        )
        if final
        else (
            f"the earlier look of {p.date.isoformat()} at information fraction "
            f"{p.information_fraction:.4f} is left out: it is not below the current fraction "
            f"({fraction:.4f}; a recorded fraction rounded up, or fewer evaluable subjects with "
            "a known arm now than then)"
        )
        for p in looks.dropped
    ]
    if final and information != plan.planned_information:
        notes.append(
            f"final analysis with {information} of {plan.planned_information} planned evaluable "
            f"subjects (information fraction {fraction:.4f}): the final boundary is at "
            "information fraction 1 and spends all the alpha left"
        )
    if final:
        notes.append(FINAL_NO_CP)
    return notes


def _looks(plan: Interim, looks: LookPlan, final: bool) -> list[dict[str, Any]]:
    """The boundaries of each look with its kind (previous, current, final) and, for a
    previous look, the Z the protocol records for it."""
    bounds = boundaries(looks.rates, plan.alpha, plan.spending, plan.gamma, plan.sided)
    recorded = {p.information_fraction: p.observed_z for p in plan.previous_looks}
    for i, b in enumerate(bounds):
        b["kind"] = (
            "previous"
            if i < looks.current
            else ("current" if i == looks.current and not final else "final")
        )
        if b["z_lower"] == float("-inf"):
            b["z_lower"] = None
        if b["kind"] == "previous":
            b["observed_z"] = recorded.get(b["information"])
    return bounds


def _conditional_power(plan: Interim, z: float, t: float, c_final: float) -> dict[str, Any]:
    """Conditional power under the current trend, the design alternative and the null; the
    design's expected final Z; the non-binding futility guidance where the protocol gives one."""
    design = None
    if plan.assumed_experimental is not None and plan.assumed_control is not None:
        half = plan.planned_information / 2
        design = two_proportion_z_float(plan.assumed_experimental, plan.assumed_control, half, half)
    out: dict[str, Any] = {
        "design_theta": design,
        "conditional_power": {
            "current_trend": conditional_power(z, t, c_final, z / math.sqrt(t)),
            "design": conditional_power(z, t, c_final, design) if design is not None else None,
            "null": conditional_power(z, t, c_final, 0.0),
        },
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
