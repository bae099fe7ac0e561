"""Validation: every problem in the export as a located finding, and the visit-compliance picture.

Never stops at the first problem and never raises on bad data.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, replace

import pandas as pd

from dmc_report.domain.blinding import open_finding_message
from dmc_report.domain.findings import Finding, Severity
from dmc_report.domain.progress import NO_PROGRESS, Progress, checkpoint
from dmc_report.domain.protocol import Protocol
from dmc_report.domain.study import DataSet, RandomizationKey
from dmc_report.validation.checks import (
    cross_sheet_checks,
    key_checks,
    schedule_findings,
    treatment_text_checks,
)
from dmc_report.validation.labels import in_export_terms, one_per_problem
from dmc_report.validation.records import duplicate_findings
from dmc_report.validation.schedule import Schedule, build_schedule, compliance
from dmc_report.validation.schema import check_sheet


@dataclass(frozen=True)
class ValidationResult:
    """Findings in the data (the same with and without the key: what pooled views show) and,
    apart, findings in the randomization key (closed report and unblinded views only)."""

    findings: tuple[Finding, ...]
    schedule: Schedule
    compliance: pd.DataFrame  # per visit
    compliance_by_site: pd.DataFrame  # per site and visit
    key_findings: tuple[Finding, ...] = ()

    def for_reports(self) -> ValidationResult:
        """The findings and compliance without the visit grid, which the reports do not use
        (the analysis made what they draw): cheap to send to the report renderer."""
        return replace(self, schedule=self.schedule.emptied())

    @property
    def all_findings(self) -> tuple[Finding, ...]:
        """Data and key findings together, in one order (the statistician's full list)."""
        if not self.key_findings:
            return self.findings
        return tuple(sorted((*self.findings, *self.key_findings), key=Finding.sort_key))

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.all_findings if f.severity is severity)

    @property
    def errors(self) -> int:
        return self.count(Severity.ERROR)

    @property
    def by_code(self) -> Counter[tuple[str, str]]:
        return Counter((f.severity.value, f.code) for f in self.all_findings)

    def as_json(self, *, pooled_for: Protocol | None = None) -> dict[str, object]:
        """The results JSON's ``validation`` block (data contract section 3). ``pooled_for`` a
        protocol: the block of the pooled results, which go where the open report goes: the
        data's findings alone (identical with and without the key), each message as the open
        report prints it (:func:`~dmc_report.domain.blinding.open_finding_message`)."""
        if pooled_for is None:
            return _block(self.all_findings, [f.as_json() for f in self.all_findings])
        return self.json_blocks(pooled_for)[1]

    def json_blocks(self, protocol: Protocol) -> tuple[dict[str, object], dict[str, object]]:
        """Both validation blocks, the full one and the pooled one, each finding made once."""
        items = {id(f): f.as_json() for f in self.all_findings}
        full = _block(self.all_findings, [items[id(f)] for f in self.all_findings])
        vocabulary, revealing = protocol.treatment_vocabulary, protocol.revealing_columns
        pooled_items = []
        for f in self.findings:
            item, message = items[id(f)], open_finding_message(f, vocabulary, revealing)
            pooled_items.append(item if message == f.message else {**item, "message": message})
        return full, _block(self.findings, pooled_items)


def _block(findings: tuple[Finding, ...], items: list[dict[str, object]]) -> dict[str, object]:
    return {
        "errors": sum(1 for f in findings if f.severity is Severity.ERROR),
        "warnings": sum(1 for f in findings if f.severity is Severity.WARNING),
        "info": sum(1 for f in findings if f.severity is Severity.INFO),
        "findings": items,
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
    sheets = protocol.data_sheets
    for i, spec in enumerate(sheets):
        if spec.name in data:
            checkpoint(progress, 0.6 * i / len(sheets), f"Checking sheet {spec.name}")
            findings += check_sheet(
                data[spec.name], spec, file=data.provenance.file, duplicates=False
            )
    checkpoint(progress, 0.65, "Building the visit schedule")
    schedule = build_schedule(data, protocol, cutoff)
    targets = schedule.grid[["SUBJID", "VISIT", "target"]]
    for spec in sheets:
        if spec.name in data:
            findings += duplicate_findings(
                data[spec.name], spec, schedule.cutoff, file=data.provenance.file, targets=targets
            )
    checkpoint(progress, 0.75, "Checking dates and visits")
    findings += cross_sheet_checks(data, protocol, schedule)
    findings += schedule_findings(data, protocol, schedule)
    findings += treatment_text_checks(data, protocol)
    findings = one_per_problem(findings, data.tables.values())
    revealing = protocol.revealing_columns
    findings = in_export_terms(findings, data.tables, protocol.mapping, revealing, sheets)
    key_findings: list[Finding] = []
    if key is not None:
        checkpoint(progress, 0.9, "Checking the randomization key")
        key_findings = in_export_terms(
            key_checks(data, key, schedule), key.tables, protocol.mapping, revealing
        )
    findings.sort(key=Finding.sort_key)
    key_findings.sort(key=Finding.sort_key)
    progress.update(1.0, "Validation done")
    return ValidationResult(
        findings=tuple(findings),
        schedule=schedule,
        compliance=compliance(schedule),
        compliance_by_site=compliance(schedule, by_site=True),
        key_findings=tuple(key_findings),
    )
