"""The consistency check: every pooled total of the open report equals the sum over arms."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dmc_report.domain.results import BlindedResults, GroupSummary, UnblindedResults


@dataclass(frozen=True)
class Check:
    label: str
    count: Callable[[GroupSummary], int]  # the same count of a group, pooled or one arm's
    efficacy: bool = False  # shown in the open report only with pooled efficacy
    records: bool = False  # counts records, not subjects


def _worst(severity: str) -> Callable[[GroupSummary], int]:
    return lambda g: g.safety.by_worst_severity.get(severity, 0)


CHECKS: tuple[Check, ...] = (
    Check("Completed", lambda g: g.disposition.completed),
    Check("Discontinued", lambda g: g.disposition.discontinued),
    Check("Ongoing", lambda g: g.disposition.ongoing),
    Check("Abstinence evaluable", lambda g: g.abstinence.evaluable),
    Check("Abstinence pending", lambda g: g.abstinence.pending),
    Check("Abstinent", lambda g: g.abstinence.abstinent, efficacy=True),
    Check("Dropouts", lambda g: g.dropout.dropouts),
    Check("Relapse events", lambda g: g.relapse.events, efficacy=True),
    Check("Positive or dropout", lambda g: g.use_or_dropout.subjects, efficacy=True),
    Check("Subjects with an AE", lambda g: g.safety.subjects_with_ae),
    Check("Adverse events", lambda g: g.safety.ae_events, records=True),
    Check("Subjects with a serious AE", lambda g: g.safety.subjects_with_sae),
    Check("Serious adverse events", lambda g: g.safety.sae_events, records=True),
    Check("Subjects with an AE leading to withdrawal", lambda g: g.safety.subjects_ae_withdrawn),
    Check("AEs leading to withdrawal", lambda g: g.safety.ae_withdrawn_events, records=True),
    *(Check(f"Worst AE severity: {s.lower()}", _worst(s)) for s in ("MILD", "MODERATE", "SEVERE")),
    Check("Subjects with an AE judged related", lambda g: g.safety.related_subjects),
    Check("Deaths", lambda g: g.safety.deaths),
    Check("Dosed", lambda g: g.exposure.infused if g.exposure else 0),
    Check("Dose completed", lambda g: g.exposure.completed if g.exposure else 0),
)


class ConsistencyError(Exception):
    """A pooled total that differs from the sum over arms by more than the subjects absent from
    the key can account for: a bug, not a data problem."""


def consistency_rows(
    blinded: BlindedResults, unblinded: UnblindedResults, *, pooled_efficacy: bool = True
) -> list[tuple[str, int, int, bool]]:
    """(quantity, pooled, sum over arms, agrees) for each total the open report shows (outcome
    counts only with pooled efficacy); agrees only when the two are equal.

    Subjects randomized but absent from the key (``not_in_key``) count in the pooled totals and
    in no arm, so with such subjects a pooled total may exceed the sum over arms: the row then
    shows both numbers and does not agree (:func:`explained` tells such a difference from a bug).
    """
    rows = [
        ("Randomized", blinded.enrollment.randomized, sum(a.n for a in unblinded.arms),
         blinded.enrollment.randomized == sum(a.n for a in unblinded.arms)),
    ]  # fmt: skip
    for site, pooled_n in blinded.enrollment.by_site.items():
        total = sum(g.sites.get(site, 0) for g in unblinded.by_arm.values())
        rows.append((f"Randomized at site {site}", pooled_n, total, pooled_n == total))
    for c in CHECKS:
        if c.efficacy and not pooled_efficacy:
            continue
        pooled = c.count(blinded.pooled)
        total = sum(c.count(g) for g in unblinded.by_arm.values())
        rows.append((c.label, pooled, total, pooled == total))
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
    records = any(c.records for c in CHECKS if c.label == label)
    return records or diff <= not_in_key


def check_consistency(blinded: BlindedResults, unblinded: UnblindedResults) -> None:
    """Raise :class:`ConsistencyError` for a difference the subjects absent from the key cannot
    explain (a bug); a difference they explain is shown in the closed report's table."""
    missing = unblinded.not_in_key
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
