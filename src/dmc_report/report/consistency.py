"""The consistency check: every pooled total of the open report equals the sum over arms."""

from __future__ import annotations

from typing import Any

# (label, path in the blinded block, path in one arm's block in the unblinded results)
CHECKS: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [
    ("Randomized", ("enrollment", "randomized"), ("_n",)),
    ("Completed", ("disposition", "completed"), ("disposition", "*", "completed")),
    ("Discontinued", ("disposition", "discontinued"), ("disposition", "*", "discontinued")),
    ("Ongoing", ("disposition", "ongoing"), ("disposition", "*", "ongoing")),
    (
        "Abstinence evaluable",
        ("abstinence", "evaluable"),
        ("abstinence", "by_arm", "*", "evaluable"),
    ),
    ("Abstinence pending", ("abstinence", "pending"), ("abstinence", "by_arm", "*", "pending")),
    ("Abstinent", ("abstinence", "abstinent"), ("abstinence", "by_arm", "*", "abstinent")),
    ("Dropouts", ("dropout", "dropouts"), ("dropout", "by_arm", "*", "dropouts")),
    ("Relapse events", ("relapse", "events"), ("relapse", "by_arm", "*", "events")),
    (
        "Used cocaine or dropped out",
        ("use_or_dropout", "subjects"),
        ("use_or_dropout", "*", "subjects"),
    ),
    (
        "Subjects with an AE",
        ("safety", "subjects_with_ae"),
        ("safety", "by_arm", "*", "subjects_with_ae"),
    ),
    ("Adverse events", ("safety", "ae_events"), ("safety", "by_arm", "*", "ae_events")),
    (
        "Subjects with a serious AE",
        ("safety", "subjects_with_sae"),
        ("safety", "by_arm", "*", "subjects_with_sae"),
    ),
    ("Deaths", ("safety", "deaths"), ("safety", "by_arm", "*", "deaths")),
    ("Infusions given", ("exposure", "infused"), ("exposure", "*", "infused")),
    ("Follow-up contacts", ("follow_up", "contacted"), ("follow_up", "*", "contacted")),
]


class ConsistencyError(Exception):
    """A pooled total that does not equal the sum over arms (a bug, or a subject without arm)."""


def _get(block: dict[str, Any], path: tuple[str, ...], arm: str = "") -> Any:
    for key in path:
        block = block[arm if key == "*" else key]
    return block


def consistency_rows(
    blinded: dict[str, Any], unblinded: dict[str, Any]
) -> list[tuple[str, int, int, bool]]:
    """(quantity, pooled, sum over arms, agrees) for each checked total.

    Subjects randomized but absent from the key count in the pooled totals only; the check then
    adds them as their own group, so that it still balances only when nothing else is off.
    """
    arms = [a["code"] for a in unblinded["arms"]]
    missing = unblinded.get("not_in_key", 0)
    rows = []
    for label, pooled_path, arm_path in CHECKS:
        pooled = _get(blinded, pooled_path)
        if arm_path == ("_n",):
            total = sum(a["n"] for a in unblinded["arms"]) + missing
        else:
            total = sum(_get(unblinded, arm_path, arm) for arm in arms)
        rows.append(
            (label, pooled, total, pooled == total or (missing > 0 and label != "Randomized"))
        )
    return rows


def check_consistency(blinded: dict[str, Any], unblinded: dict[str, Any]) -> None:
    bad = [r for r in consistency_rows(blinded, unblinded) if not r[3]]
    if bad:
        what = "; ".join(f"{q}: open {a}, arms {s}" for q, a, s, _ in bad)
        raise ConsistencyError(f"pooled totals differ from the sum over arms: {what}")
