"""What every section function takes: the report's context and its groups (columns).

A section function takes a :class:`Context` and a sequence of :class:`~dmc_report.report.data.Group`
and returns report blocks: one group for the open report (all subjects), the arms (and a Total
where it belongs) for the closed one. The comparisons of the closed report sit in the
experimental arm's column, "reference" in the control's, nothing in the Total's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from dmc_report.domain.findings import Finding
from dmc_report.domain.protocol import Protocol
from dmc_report.domain.results import Comparison
from dmc_report.report.common import Numbering
from dmc_report.report.data import ClosedReportData, Group, OpenReportData
from dmc_report.report.model import Cell, Table

REFERENCE = "reference"


@dataclass
class Context:
    """One report being built: its data, its numbering, and (closed) the comparisons."""

    data: OpenReportData
    num: Numbering = field(default_factory=Numbering)
    closed: ClosedReportData | None = None

    @property
    def protocol(self) -> Protocol:
        return self.data.protocol

    @property
    def cutoff(self) -> dt.date:
        return self.data.cutoff

    @property
    def randomized(self) -> int:
        return self.data.blinded.enrollment.randomized

    @property
    def findings(self) -> tuple[Finding, ...]:
        """The findings this report lists: the data's, and in the closed report the key's too."""
        if self.closed is None:
            return self.data.findings
        return (*self.data.findings, *self.closed.key_findings)

    def population(self, label: str = "randomized subjects", n: int | None = None) -> str:
        n = self.randomized if n is None else n
        return f"Population: {label} (N = {n}). Data cutoff {self.cutoff.isoformat()}."

    @property
    def missing_rule(self) -> str:
        return f"Missing urine samples counted as {self.protocol.endpoints.missing.value}."

    # --- the closed report's comparisons ---------------------------------------------------

    @property
    def comparisons(self) -> tuple[Comparison, ...]:
        return self.closed.unblinded.comparisons if self.closed else ()

    @property
    def control(self) -> Group | None:
        if self.closed is None:
            return None
        return next((a for a in self.closed.arms if a.role == "control"), None)

    @property
    def vs_control(self) -> str:
        ctl = self.control
        return f"vs {ctl.label}" if ctl else ""

    def label_of(self, code: str) -> str:
        if self.closed is None:
            return code
        return next((a.label for a in self.closed.arms if a.code == code), code)

    def per_comparison(
        self, groups: Sequence[Group], cell: Callable[[Comparison], str], ref: str = REFERENCE
    ) -> list[Cell]:
        """A cell per group: the comparison's in an experimental arm's column, ``ref`` in the
        control's, blank in a total's."""
        by_exp = {c.experimental: c for c in self.comparisons}
        ctl = self.control
        out: list[Cell] = []
        for g in groups:
            if g.code is not None and g.code in by_exp:
                out.append(cell(by_exp[g.code]))
            elif ctl is not None and g.code == ctl.code:
                out.append(ref)
            else:
                out.append("")
        return out

    # --- tables with one column per group ----------------------------------------------------

    def group_table(
        self,
        title: str,
        groups: Sequence[Group],
        rows: Sequence[Sequence[Cell]],
        *,
        first: str = "",
        footnotes: Sequence[str] = (),
        population: str | None = None,
        first_width: float = 3.0,
    ) -> Table:
        """A table whose first column labels the rows and whose other columns are the groups."""
        return self.num.table(
            title=title,
            population=population or self.population(),
            header=[[first, *[g.heading for g in groups]]],
            rows=[list(r) for r in rows],
            col_widths=[first_width, *[2.0] * len(groups)],
            align=["L", *["R"] * len(groups)],
            footnotes=list(footnotes),
        )


def row(label: str, groups: Sequence[Group], cell: Callable[[Group], Cell]) -> list[Cell]:
    """A table row: the label, then ``cell`` of each group."""
    return [label, *[cell(g) for g in groups]]
