"""What the report sections receive. The open report's data has no field that could hold an arm."""
# ReportSettings lives in dmc_report.domain.settings; it is imported here for the builders.

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dmc_report.domain.findings import Finding
from dmc_report.domain.previous import PreviousByArm, PreviousResults
from dmc_report.domain.protocol import Protocol
from dmc_report.domain.results import BlindedResults, GroupSummary, UnblindedResults
from dmc_report.domain.settings import ReportSettings
from dmc_report.domain.study import Provenance


@dataclass(frozen=True)
class Group:
    """One column of a report table: all subjects (the open report), one arm, or the arms'
    total (the closed report). Sections take a sequence of groups and write one column each."""

    label: str
    summary: GroupSummary  # the curves the figures draw too (relapse, dropout.km): no raw times
    # subjects x urine visits: 0 POS, 1 NEG, 2 missing, 3 not yet due, 4 not expected (the open
    # report's group has 1 for every sample with a result: completeness only, never a result)
    use_codes: np.ndarray
    code: str | None = None  # the arm's code; None for all subjects or the total
    role: str | None = None  # "experimental" | "control" | "total" | None (all subjects)

    @property
    def is_total(self) -> bool:
        return self.role == "total"

    @property
    def n(self) -> int:
        return self.summary.n

    @property
    def heading(self) -> str:
        # "(N = 27)" never breaks across lines in a narrow column: no-break spaces
        return f"{self.label} (N\u00a0=\u00a0{self.n})"


@dataclass(frozen=True)
class OpenReportData:
    """Everything the OPEN report shows: pooled, built without the key."""

    protocol: Protocol
    cutoff: dt.date
    software_version: str
    settings: ReportSettings
    inputs: Mapping[str, Provenance]  # "protocol", "data"
    blinded: BlindedResults
    findings: tuple[Finding, ...]
    compliance: pd.DataFrame
    compliance_by_site: pd.DataFrame
    completeness: (
        np.ndarray
    )  # subjects x UDS visits: 1 sample, 2 missing, 3 not due, 4 not expected
    uds_visits: tuple[str, ...]
    last_data_date_by_site: Mapping[str, str]
    previous: PreviousResults | None = None  # pooled results of the previous report

    @property
    def pooled(self) -> Group:
        """All randomized subjects as one group (the open report's only column)."""
        return Group("All subjects", self.blinded.pooled, self.completeness)


@dataclass(frozen=True)
class ClosedReportData:
    open: OpenReportData
    unblinded: UnblindedResults
    key_input: Provenance
    arms: tuple[Group, ...]  # experimental arms first, then the control
    total: Group  # the arms together (subjects with a known arm)
    arm_labels: Mapping[str, str]  # code -> label, for the blinding guard only
    key_findings: tuple[Finding, ...] = ()  # the key's findings: closed report only
    # a dry run (domain/dry_run.py): the arms are scrambled with this seed, not the key's
    dry_run_seed: int | None = None
    # the previous closed report's counts by arm: the changes by arm since then
    previous: PreviousByArm | None = None
