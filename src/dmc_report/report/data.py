"""What the report builders receive. The open report's data has no field that could hold an arm."""
# ReportSettings lives in dmc_report.domain.settings; it is imported here for the builders.

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from dmc_report.analysis.results import BlindedResults, UnblindedResults
from dmc_report.domain.findings import Finding
from dmc_report.domain.previous import PreviousResults
from dmc_report.domain.protocol import Protocol
from dmc_report.domain.settings import ReportSettings
from dmc_report.domain.study import Provenance


@dataclass(frozen=True)
class Survival:
    """Subject-level times for a figure: (days, event) per subject."""

    times: np.ndarray
    events: np.ndarray


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
    relapse: Survival
    retention: Survival
    completeness: (
        np.ndarray
    )  # subjects x UDS visits: 1 sample, 2 missing, 3 not due, 4 not expected
    uds_visits: tuple[str, ...]
    last_data_date_by_site: Mapping[str, str]
    exposure_note: str = ""
    previous: PreviousResults | None = None  # pooled results of the previous report
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ArmData:
    code: str
    label: str  # what the report shows (the label, or the code when arms_by_code_only)
    role: str
    relapse: Survival
    retention: Survival
    use_pattern: (
        np.ndarray
    )  # subjects x UDS visits: 0 POS, 1 NEG, 2 missing, 3 not due, 4 not expected


@dataclass(frozen=True)
class ClosedReportData:
    open: OpenReportData
    unblinded: UnblindedResults
    key_input: Provenance
    arms: tuple[ArmData, ...]
    arm_labels: Mapping[str, str]  # code -> label, for the blinding guard only
    key_findings: tuple[Finding, ...] = ()  # the key's findings: closed report only
