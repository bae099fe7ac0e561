"""The consistency check: every pooled total of the open report equals the sum over arms."""

from __future__ import annotations

from collections.abc import Sequence
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


# quantities that count records, not subjects: subjects absent from the key may account for
# any number of them (the others: at most one per such subject)
RECORD_COUNTS = frozenset({"Adverse events", "Follow-up contacts"})


class ConsistencyError(Exception):
    """A pooled total that differs from the sum over arms by more than the subjects absent from
    the key can account for: a bug, not a data problem."""


def _get(block: dict[str, Any], path: tuple[str, ...], arm: str = "") -> Any:
    for key in path:
        block = block[arm if key == "*" else key]
    return block


def consistency_rows(
    blinded: dict[str, Any], unblinded: dict[str, Any]
) -> list[tuple[str, int, int, bool]]:
    """(quantity, pooled, sum over arms, agrees) for each checked total; agrees only when the two
    are equal.

    Subjects randomized but absent from the key (``not_in_key``) count in the pooled totals and
    in no arm, so with such subjects a pooled total may exceed the sum over arms: the row then
    shows both numbers and does not agree (:func:`explained` tells such a difference from a bug).
    """
    arms = [a["code"] for a in unblinded["arms"]]
    rows = []
    for label, pooled_path, arm_path in CHECKS:
        pooled = _get(blinded, pooled_path)
        if arm_path == ("_n",):
            total = sum(a["n"] for a in unblinded["arms"])
        else:
            total = sum(_get(unblinded, arm_path, arm) for arm in arms)
        rows.append((label, pooled, total, pooled == total))
    return rows


def explained(label: str, pooled: int, total: int, not_in_key: int) -> bool:
    """Whether ``pooled - total`` can come from ``not_in_key`` subjects absent from the key: none
    when every subject is in the key; otherwise a surplus in the pooled total of at most one per
    such subject (any number for a count of records)."""
    diff = pooled - total
    if diff == 0:
        return True
    if not_in_key <= 0 or diff < 0:
        return False
    return label in RECORD_COUNTS or diff <= not_in_key


def check_consistency(blinded: dict[str, Any], unblinded: dict[str, Any]) -> None:
    """Raise :class:`ConsistencyError` for a difference the subjects absent from the key cannot
    explain (a bug); a difference they explain is shown in the closed report's table."""
    missing = int(unblinded.get("not_in_key", 0) or 0)
    bad = [r for r in consistency_rows(blinded, unblinded) if not explained(*r[:3], missing)]
    if bad:
        what = "; ".join(f"{q}: open {a}, arms {s}" for q, a, s, _ in bad)
        raise ConsistencyError(f"pooled totals differ from the sum over arms: {what}")


def not_in_key_notes(not_in_key: int, subjects: Sequence[str | None], shown: int = 20) -> list[str]:
    """The footnote that says why pooled totals exceed the sums over arms, naming the subjects
    (the first ``shown`` of them; all are in the findings listing, code NOT_IN_KEY); none when
    every randomized subject is in the key."""
    if not_in_key <= 0:
        return []
    ids = sorted({s for s in subjects if s})
    named = ", ".join(ids[:shown]) + (f" and {len(ids) - shown} more" if len(ids) > shown else "")
    one = not_in_key == 1
    return [
        "Agrees is 'no' where the pooled total differs from the sum over arms: "
        f"{not_in_key} {'subject' if one else 'subjects'} randomized but absent from the key"
        + (f" ({named})" if named else "")
        + f" {'counts' if one else 'count'} in the pooled totals and in no arm (findings "
        "listing, code NOT_IN_KEY). The key must list every randomized subject."
    ]
