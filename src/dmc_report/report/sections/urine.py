"""The urine panel's other analytes (the protocol's ``[urine_panel]``), described by group."""

from __future__ import annotations

from collections.abc import Sequence

from dmc_report.report import fmt
from dmc_report.report.data import Group
from dmc_report.report.model import Block
from dmc_report.report.sections.base import Context


def panel_table(ctx: Context, groups: Sequence[Group]) -> list[Block]:
    """Positive samples and subjects ever positive per analyte and group; nothing when the
    protocol names no other analytes."""
    panels = [g.summary.urine_panel for g in groups]
    if not panels or any(p is None for p in panels):
        return []
    rows: list[list[str]] = []
    for i, first in enumerate(panels[0] or ()):
        per_group = [(p or ())[i] for p in panels]
        name = f"{first.analyte} ({first.column})"
        rows.append(
            [f"{name}: positive samples", *[fmt.n_of(a.positive, a.samples) for a in per_group]]
        )
        rows.append(
            [
                "    Subjects ever positive, n (% with a result)",
                *[fmt.n_pct(a.subjects_positive, a.subjects) for a in per_group],
            ]
        )
    return [
        ctx.group_table(
            "Other analytes of the urine panel",
            groups,
            rows,
            first="Analyte",
            first_width=4.2,
            footnotes=[
                "Described, not tested. Samples at the protocol's urine visits dated on or "
                "before the cutoff (the first per subject and visit) with a positive or "
                "negative result; a value the lab does not report is left out (a validation "
                "finding). Positive samples: positive of samples with a result."
            ],
        )
    ]
