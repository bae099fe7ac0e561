"""Validation: every problem in the export as a located finding, and the visit-compliance picture.

Never stops at the first problem and never raises on bad data.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

import pandas as pd

from dmc_report.domain.contract import DATA_SHEETS
from dmc_report.domain.findings import Finding, Severity
from dmc_report.domain.progress import NO_PROGRESS, Progress, checkpoint
from dmc_report.domain.protocol import Protocol
from dmc_report.domain.study import DataSet, RandomizationKey
from dmc_report.validation.checks import cross_sheet_checks, key_checks, schedule_findings
from dmc_report.validation.schedule import Schedule, build_schedule, compliance
from dmc_report.validation.schema import check_sheet


@dataclass(frozen=True)
class ValidationResult:
    findings: tuple[Finding, ...]
    schedule: Schedule
    compliance: pd.DataFrame  # per visit
    compliance_by_site: pd.DataFrame  # per site and visit

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity is severity)

    @property
    def errors(self) -> int:
        return self.count(Severity.ERROR)

    @property
    def by_code(self) -> Counter[tuple[str, str]]:
        return Counter((f.severity.value, f.code) for f in self.findings)

    def as_json(self) -> dict[str, object]:
        """The results JSON's ``validation`` block (data contract section 3)."""
        return {
            "errors": self.count(Severity.ERROR),
            "warnings": self.count(Severity.WARNING),
            "info": self.count(Severity.INFO),
            "findings": [f.as_json() for f in self.findings],
        }


def validate(
    data: DataSet,
    protocol: Protocol,
    cutoff: dt.date,
    *,
    key: RandomizationKey | None = None,
    progress: Progress = NO_PROGRESS,
) -> ValidationResult:
    """Check the data (and key) against the contract and the protocol's schedule."""
    findings: list[Finding] = []
    for i, spec in enumerate(DATA_SHEETS):
        if spec.name in data:
            checkpoint(progress, 0.6 * i / len(DATA_SHEETS), f"Checking sheet {spec.name}")
            findings += check_sheet(data[spec.name], spec, file=data.provenance.file)
    checkpoint(progress, 0.65, "Building the visit schedule")
    schedule = build_schedule(data, protocol, cutoff)
    checkpoint(progress, 0.75, "Checking dates and visits")
    findings += cross_sheet_checks(data, protocol, schedule)
    findings += schedule_findings(data, protocol, schedule)
    if key is not None:
        checkpoint(progress, 0.9, "Checking the randomization key")
        findings += key_checks(data, key, schedule)
    findings.sort(key=Finding.sort_key)
    progress.update(1.0, "Validation done")
    return ValidationResult(
        findings=tuple(findings),
        schedule=schedule,
        compliance=compliance(schedule),
        compliance_by_site=compliance(schedule, by_site=True),
    )
