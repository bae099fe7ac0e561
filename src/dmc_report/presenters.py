"""What the app shows of the results, as rows and sentences: formatting done once, here, with
the reports' own formatting rules (:mod:`dmc_report.report.fmt`), so the app formats nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dmc_report.report import fmt
from dmc_report.report.closed_report import monitoring_sentence


@dataclass(frozen=True)
class Rows:
    """A small table: its header and rows of display values."""

    header: list[str]
    rows: list[list[Any]]


def blinded_facts(b: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The pooled view's key figures (label, value)."""
    en, di, ab, sa = b["enrollment"], b["disposition"], b["abstinence"], b["safety"]
    return [
        (
            "Screened / randomized / target",
            f"{en['screened']} / {en['randomized']} / {en['target']}",
        ),
        (
            "Completed / discontinued / ongoing",
            f"{di['completed']} / {di['discontinued']} / {di['ongoing']}",
        ),
        (
            "Abstinence evaluable / pending / abstinent",
            f"{ab['evaluable']} / {ab['pending']} / {ab['abstinent']}",
        ),
        ("Dropouts before the end of treatment", str(b["dropout"]["dropouts"])),
        ("Relapse events (pooled)", str(b["relapse"]["events"])),
        (
            "Subjects with an AE / a serious AE",
            f"{sa['subjects_with_ae']} / {sa['subjects_with_sae']}",
        ),
    ]


def arm_rows(u: Mapping[str, Any]) -> Rows:
    """One row per arm: N, abstinence, relapse events and median."""
    rows = []
    for a in u["arms"]:
        code = a["code"]
        ab = u["abstinence"]["by_arm"][code]
        rel = u["relapse"]["by_arm"][code]
        rows.append(
            [
                f"{a['label']} ({code})",
                a["role"],
                a["n"],
                f"{ab['abstinent']}/{ab['evaluable']}",
                fmt.pct(ab["proportion"]),
                rel["events"],
                fmt.median_ci(rel),
            ]
        )
    header = ["Arm", "Role", "N", "Abstinent/evaluable", "%", "Relapse events"]
    return Rows([*header, "Median days (95% CI)"], rows)


def comparison_lines(u: Mapping[str, Any]) -> list[str]:
    """A sentence per experimental arm against the control."""
    labels = {a["code"]: a["label"] for a in u["arms"]}
    out = []
    for c in u.get("comparisons", []):
        ab, hr = c["abstinence"], c["relapse"]["hazard_ratio"]
        out.append(
            f"{labels[c['experimental']]} vs {labels[c['control']]}: odds ratio "
            f"(abstinence) {fmt.ratio_ci(ab.get('odds_ratio'), ab.get('odds_ratio_note'))}; "
            f"Fisher p {fmt.p_value(ab.get('fisher_p'))}. Relapse hazard ratio "
            f"{fmt.ratio_ci(hr, hr.get('note'))}."
        )
    return out


def monitoring(m: Mapping[str, Any] | None) -> tuple[str, Rows] | None:
    """Where the primary endpoint stands, and the boundaries by look; None without looks."""
    if not m or not m.get("looks"):
        return None
    rows = [
        [
            i + 1,
            f"{lk['information']:.3f}",
            fmt.num(lk.get("z_lower"), 3),
            fmt.num(lk["z_upper"], 3),
            f"{lk['nominal_p']:.4f}",
            f"{lk['alpha_spent_cumulative']:.4f}",
        ]
        for i, lk in enumerate(m["looks"])
    ]
    header = ["Look", "Information", "Z lower", "Z upper", "Nominal p", "Alpha spent"]
    return monitoring_sentence(m), Rows(header, rows)
