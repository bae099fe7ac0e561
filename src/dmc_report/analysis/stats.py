"""The statistics of ``dmc-sap.md``, each matching its named R function.

lifelines (KM, log-rank, Cox), statsmodels (logistic regression) and scipy (Fisher, Welch) do the
work; this module only fixes the conventions (R's median rule, zero cells, nulls).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

Json = dict[str, Any]
Values = Sequence[float] | Sequence[bool] | np.ndarray | pd.Series
Z975 = 1.959963984540054


def _f(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


@functools.cache
def _t975(df: int) -> float:
    from scipy import stats

    return float(stats.t.ppf(0.975, df))


def describe(values: pd.Series | Sequence[float]) -> Json:
    """n, mean, SD (n-1), median and the t-based 95% CI of the mean; nulls where undefined."""

    v = pd.Series(values, dtype=float).dropna().to_numpy()
    n = len(v)
    out: Json = {
        "n": n,
        "mean": None,
        "sd": None,
        "median": None,
        "ci_lower": None,
        "ci_upper": None,
    }
    if n == 0:
        return out
    mean = float(v.mean())
    out["mean"] = mean
    out["median"] = float(np.median(v))
    if n > 1:
        sd = float(v.std(ddof=1))
        half = _t975(n - 1) * sd / math.sqrt(n)
        out.update(sd=sd, ci_lower=mean - half, ci_upper=mean + half)
    return out


def proportion(k: int, n: int) -> Json:
    return {"proportion": k / n if n else None} | ({} if n else {"proportion_note": "no subjects"})


def odds_ratio(y_exp: Values, y_ctl: Values) -> Json:
    """Experimental vs control: unadjusted logistic regression, Wald 95% CI (R ``glm`` +
    ``confint.default``), and the two-sided Fisher exact p (R ``fisher.test``)."""
    from scipy import stats

    if not (len(y_exp) and len(y_ctl)):  # e.g. an arm not yet randomized into
        return {"odds_ratio": None, "odds_ratio_note": "no subjects in an arm", "fisher_p": None}
    yes_e = int(np.sum(y_exp))
    no_e = len(y_exp) - yes_e
    yes_c = int(np.sum(y_ctl))
    no_c = len(y_ctl) - yes_c
    fisher = float(
        stats.fisher_exact([[yes_e, no_e], [yes_c, no_c]], alternative="two-sided").pvalue
    )
    if min(yes_e, no_e, yes_c, no_c) == 0:
        return {"odds_ratio": None, "odds_ratio_note": "zero cell", "fisher_p": fisher}
    y = np.r_[np.asarray(y_exp, float), np.asarray(y_ctl, float)]
    x = np.c_[np.ones(len(y)), np.r_[np.ones(len(y_exp)), np.zeros(len(y_ctl))]]
    beta, cov = logistic_irls(y, x)
    b, se = float(beta[1]), math.sqrt(float(cov[1, 1]))
    return {
        "odds_ratio": {
            "estimate": math.exp(b),
            "ci_lower": math.exp(b - Z975 * se),
            "ci_upper": math.exp(b + Z975 * se),
        },
        "fisher_p": fisher,
    }


def logistic_irls(
    y: np.ndarray, x: np.ndarray, *, epsilon: float = 1e-8, maxit: int = 25
) -> tuple[np.ndarray, np.ndarray]:
    """Logistic regression fitted exactly as R's ``glm.fit`` does it.

    R starts from mu = (y + 1/2) / 2, iterates weighted least squares until the deviance
    changes by less than ``epsilon * (|dev| + 0.1)``, and reports the covariance from the weights
    of its last iteration. In small samples that covariance differs from the one at the exact
    MLE in the fifth digit, so a reimplementation (statsmodels included) that converges further
    disagrees with R's Wald interval beyond 1e-6; this one agrees with it to rounding.
    """
    mu = (y + 0.5) / 2
    eta = np.log(mu / (1 - mu))

    def deviance(m: np.ndarray) -> float:
        with np.errstate(divide="ignore", invalid="ignore"):
            t1 = np.where(y > 0, y * np.log(y / m), 0.0)
            t0 = np.where(y < 1, (1 - y) * np.log((1 - y) / (1 - m)), 0.0)
        return float(2 * np.sum(t1 + t0))

    dev_old = deviance(mu)
    cov = np.full((x.shape[1], x.shape[1]), np.nan)
    beta = np.zeros(x.shape[1])
    for _ in range(maxit):
        var = mu * (1 - mu)
        z = eta + (y - mu) / var
        w = np.sqrt(var)
        q, r = np.linalg.qr(x * w[:, None])
        beta = np.linalg.solve(r, q.T @ (z * w))
        rinv = np.linalg.inv(r)
        cov = rinv @ rinv.T
        eta = x @ beta
        mu = 1 / (1 + np.exp(-eta))
        dev = deviance(mu)
        if abs(dev - dev_old) / (abs(dev) + 0.1) < epsilon:
            break
        dev_old = dev
    return beta, cov


def km_quantile(
    times: np.ndarray, surv: np.ndarray, p: float = 0.5, last: float | None = None
) -> float | None:
    """R ``quantile.survfit``: the first time the curve is at or below ``1 - p``; where it
    equals ``1 - p`` exactly on a flat stretch, the midpoint to the next event time, or, when
    no event follows, to ``last`` (the last follow-up time, where the curve ends)."""
    target = 1 - p
    ok = ~np.isnan(surv)
    times, surv = times[ok], surv[ok]
    below = np.flatnonzero(surv <= target + 1e-12)
    if not len(below):
        return None
    i = below[0]
    if abs(surv[i] - target) < 1e-12:
        if i + 1 < len(times):
            return float((times[i] + times[i + 1]) / 2)
        if last is not None and last > times[i]:
            return float((times[i] + last) / 2)
    return float(times[i])


def kaplan_meier(time: Values, event: Values) -> Json:
    """KM with log-log ("exponential Greenwood") 95% CI, one row per distinct event time
    (R ``summary(survfit(..., conf.type = "log-log"), censored = FALSE)``), and the median
    with its CI by R's rule."""
    from lifelines import KaplanMeierFitter

    t = np.asarray(time, float)
    e = np.asarray(event, bool)
    n = len(t)
    out: Json = {
        "n": n,
        "events": int(e.sum()),
        "median_days": None,
        "median_ci": {"lower": None, "upper": None},
        "km": [],
    }
    if n == 0:
        out["median_note"] = "no subjects"
        return out
    kmf = KaplanMeierFitter().fit(t, e, alpha=0.05)
    table = kmf.event_table
    sf = kmf.survival_function_.iloc[:, 0]
    ci = kmf.confidence_interval_
    rows = []
    for day in table.index[table["observed"] > 0]:
        s = float(sf.loc[day])
        lo, hi = (float(ci.loc[day].iloc[0]), float(ci.loc[day].iloc[1]))
        undefined = s <= 0 or s >= 1 or not math.isfinite(lo) or not math.isfinite(hi)
        rows.append(
            {
                "day": float(day),
                "at_risk": int(table.loc[day, "at_risk"]),
                "events": int(table.loc[day, "observed"]),
                "survival": s,
                "ci_lower": None if undefined and s <= 0 else _f(lo),
                "ci_upper": None if undefined and s <= 0 else _f(hi),
            }
        )
    out["km"] = rows
    times = np.array([r["day"] for r in rows])
    est = np.array([r["survival"] for r in rows])
    low = np.array([np.nan if r["ci_lower"] is None else r["ci_lower"] for r in rows])
    upp = np.array([np.nan if r["ci_upper"] is None else r["ci_upper"] for r in rows])
    if len(rows):
        end = float(t.max())  # the curve runs flat to the last follow-up time
        out["median_days"] = km_quantile(times, est, last=end)
        out["median_ci"] = {
            "lower": km_quantile(times, low, last=end),
            "upper": km_quantile(times, upp, last=end),
        }
    if out["median_days"] is None:
        out["median_note"] = "not reached"
    return out


def logrank(t_exp: Values, e_exp: Values, t_ctl: Values, e_ctl: Values) -> Json:
    """Log-rank chi-square (1 df) and p (R ``survdiff``)."""
    from lifelines.statistics import logrank_test

    if not (len(t_exp) and len(t_ctl)):  # one group only: R's survdiff refuses it too
        return {"chi2": None, "p": None, "note": "no subjects in an arm"}
    if not (np.sum(e_exp) + np.sum(e_ctl)):
        return {"chi2": None, "p": None, "note": "no events"}
    r = logrank_test(t_exp, t_ctl, event_observed_A=e_exp, event_observed_B=e_ctl)
    return {"chi2": float(r.test_statistic), "p": float(r.p_value)}


def cox_hr(t_exp: Values, e_exp: Values, t_ctl: Values, e_ctl: Values) -> Json:
    """Cox PH hazard ratio experimental vs control, Efron ties, Wald CI and p (R ``coxph``)."""
    ev_exp, ev_ctl = bool(np.sum(e_exp)), bool(np.sum(e_ctl))
    if not (ev_exp and ev_ctl):  # the estimate runs off to 0 or infinity
        note = "no events in an arm" if (ev_exp or ev_ctl) else "no events"
        return {"estimate": None, "ci_lower": None, "ci_upper": None, "p": None, "note": note}
    from scipy import stats

    t = np.r_[np.asarray(t_exp, float), np.asarray(t_ctl, float)]
    e = np.r_[np.asarray(e_exp, bool), np.asarray(e_ctl, bool)]
    x = np.r_[np.ones(len(t_exp)), np.zeros(len(t_ctl))]
    b, var = cox_efron_newton(t, e, x)
    se = math.sqrt(var)
    if not math.isfinite(se) or se > 1e3:
        return {
            "estimate": None,
            "ci_lower": None,
            "ci_upper": None,
            "p": None,
            "note": "not estimable",
        }
    return {
        "estimate": math.exp(b),
        "ci_lower": math.exp(b - Z975 * se),
        "ci_upper": math.exp(b + Z975 * se),
        "p": float(2 * stats.norm.sf(abs(b / se))),
    }


def _efron(t: np.ndarray, e: np.ndarray, x: np.ndarray, beta: float) -> tuple[float, float, float]:
    """Efron partial log-likelihood, score and information for one covariate."""
    order = np.argsort(-t, kind="stable")  # descending time: risk sets are prefix sums
    t, e, x = t[order], e[order], x[order]
    r = np.exp(beta * x)
    cs0, cs1, cs2 = np.cumsum(r), np.cumsum(r * x), np.cumsum(r * x * x)
    ll = u = info = 0.0
    times = np.unique(t[e])
    for tm in times:
        at = t == tm
        last = np.flatnonzero(t >= tm)[-1]  # the risk set is every index up to here
        s0, s1, s2 = cs0[last], cs1[last], cs2[last]
        dmask = at & e
        d = int(dmask.sum())
        d0, d1, d2 = r[dmask].sum(), (r * x)[dmask].sum(), (r * x * x)[dmask].sum()
        ll += beta * x[dmask].sum()
        u += x[dmask].sum()
        f = np.arange(d) / d  # Efron: the tied events leave the risk set a fraction at a time
        a0, a1, a2 = s0 - f * d0, s1 - f * d1, s2 - f * d2
        ll -= float(np.log(a0).sum())
        u -= float((a1 / a0).sum())
        info += float((a2 / a0 - (a1 / a0) ** 2).sum())
    return ll, u, info


def cox_efron_newton(
    t: np.ndarray, e: np.ndarray, x: np.ndarray, *, eps: float = 1e-9, maxit: int = 20
) -> tuple[float, float]:
    """Cox regression on one covariate, Efron ties, iterated exactly as R's ``coxph``.

    R (``coxfit6``) starts at 0, takes Newton steps (halving a step that lowers the likelihood)
    and stops when the log-likelihood changes by a relative ``eps``, reporting that iterate and
    the inverse information there. Its estimate differs from the exact maximum by ~1e-7, which
    moves the Wald p by ~1e-6; following R's iteration keeps the agreement within 1e-6.
    (lifelines' ``CoxPHFitter`` gives the same estimate to 1e-6: see the tests.)
    """
    beta = 0.0
    ll, u, info = _efron(t, e, x, beta)
    new = beta + u / info
    halving = False
    for _ in range(maxit):
        new_ll, new_u, new_info = _efron(t, e, x, new)
        if abs(1 - ll / new_ll) <= eps and not halving:
            return new, 1 / new_info
        if new_ll < ll:
            halving = True
            new = (new + beta) / 2
            continue
        halving = False
        beta, ll, u, info = new, new_ll, new_u, new_info
        new = beta + u / info
    return new, 1 / _efron(t, e, x, new)[2]


def welch(exp: Values, ctl: Values) -> Json:
    """Difference of means experimental - control, Welch 95% CI and p (R ``t.test``)."""
    from scipy import stats

    x = pd.Series(exp, dtype=float).dropna().to_numpy()
    y = pd.Series(ctl, dtype=float).dropna().to_numpy()
    out: Json = {
        "estimate": None, "ci_lower": None, "ci_upper": None, "p": None, "percent": None,
        "experimental_mean": float(x.mean()) if len(x) else None,
        "control_mean": float(y.mean()) if len(y) else None,
        "n_experimental": len(x), "n_control": len(y),
    }  # fmt: skip
    if len(x) < 2 or len(y) < 2:
        out["note"] = "fewer than 2 subjects in an arm"
        return out
    r = stats.ttest_ind(x, y, equal_var=False)
    ci = r.confidence_interval(0.95)
    diff = float(x.mean() - y.mean())
    out.update(
        estimate=diff,
        ci_lower=float(ci.low),
        ci_upper=float(ci.high),
        p=float(r.pvalue),
        percent=100 * diff / float(y.mean()) if y.mean() != 0 else None,
    )
    return out


# --- risk difference (dmc-sap.md "Risk difference") ----------------------------------------------

RISK_DIFFERENCE_METHOD = "Newcombe hybrid score (method 10)"


def wilson_ci(k: int, n: int) -> tuple[float, float]:
    """95% Wilson score interval for ``k`` of ``n`` (no continuity correction), as R's
    ``prop.test(k, n, correct = FALSE)$conf.int`` computes it: the lower limit is exactly 0 at
    0/n and the upper limit exactly 1 at n/n. ``n`` must be positive."""
    if n <= 0:
        raise ValueError("wilson_ci needs n > 0")
    p = k / n
    z22n = Z975**2 / (2 * n)
    half = Z975 * math.sqrt(p * (1 - p) / n + z22n / (2 * n))
    lower = 0.0 if p <= 0 else (p + z22n - half) / (1 + 2 * z22n)
    upper = 1.0 if p >= 1 else (p + z22n + half) / (1 + 2 * z22n)
    return max(lower, 0.0), min(upper, 1.0)


def proportion_ci(k: int, n: int) -> Json:
    """One arm's proportion ``k / n`` with its 95% Wilson score CI; nulls and a note when the arm
    has no subjects."""
    if n <= 0:
        return {"proportion": None, "ci_lower": None, "ci_upper": None, "note": "no subjects"}
    lower, upper = wilson_ci(k, n)
    return {"proportion": k / n, "ci_lower": lower, "ci_upper": upper}


def risk_difference(k_e: int, n_e: int, k_c: int, n_c: int) -> Json:
    """Difference of proportions experimental - control, ``k_e / n_e - k_c / n_c``, with the
    Newcombe hybrid score 95% CI (Newcombe RG, Stat Med 1998;17:873-90, method 10; R
    ``DescTools::BinomDiffCI(k_e, n_e, k_c, n_c, method = "score")``). From each arm's Wilson
    interval (l, u) around p:

        lower = d - sqrt((p_e - l_e)^2 + (u_c - p_c)^2)
        upper = d + sqrt((u_e - p_e)^2 + (p_c - l_c)^2)

    Nulls and a note when an arm has no subjects."""
    out: Json = {
        "estimate": None,
        "ci_lower": None,
        "ci_upper": None,
        "method": RISK_DIFFERENCE_METHOD,
    }
    if n_e <= 0 or n_c <= 0:
        out["note"] = "no subjects in an arm"
        return out
    p_e, p_c = k_e / n_e, k_c / n_c
    l_e, u_e = wilson_ci(k_e, n_e)
    l_c, u_c = wilson_ci(k_c, n_c)
    d = p_e - p_c
    out.update(
        estimate=d,
        ci_lower=d - math.hypot(p_e - l_e, u_c - p_c),
        ci_upper=d + math.hypot(u_e - p_e, p_c - l_c),
    )
    return out
