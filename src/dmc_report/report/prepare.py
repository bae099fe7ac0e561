"""Assemble what the builders need from the results, keeping the open side free of the key.

Nothing is derived again here: the per-subject arrays the figures draw come with the results
(:class:`~dmc_report.analysis.results.SubjectLevel`), computed once by the analysis.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from dmc_report.analysis.results import Results, SubjectLevel
from dmc_report.domain.findings import Finding
from dmc_report.domain.previous import PreviousResults
from dmc_report.domain.protocol import Protocol
from dmc_report.domain.settings import ReportSettings
from dmc_report.domain.study import DataSet, Provenance, RandomizationKey
from dmc_report.report.data import (
    ArmData,
    ClosedReportData,
    OpenReportData,
    Survival,
)
from dmc_report.validation import ValidationResult


def _subject_level(results: Results) -> SubjectLevel:
    if results.subject_level is None:
        raise ValueError("the results carry no subject-level arrays (made by analyze())")
    return results.subject_level


def open_report_data(
    data: DataSet,
    protocol: Protocol,
    cutoff: dt.date,
    validation: ValidationResult,
    results: Results,
    protocol_input: Provenance,
    settings: ReportSettings,
    previous: PreviousResults | None = None,
) -> OpenReportData:
    """The open report's data: the results, the data's findings and compliance, no key."""
    sl = _subject_level(results)
    completeness = np.where(sl.use_codes == 0, 1, sl.use_codes)  # a result, whichever it is
    return OpenReportData(
        protocol=protocol,
        cutoff=cutoff,
        software_version=str(results.software["version"]),
        settings=settings,
        inputs={
            "protocol": protocol_input,
            "data": data.provenance,
            **({"previous results": previous.provenance} if previous else {}),
        },
        blinded=results.blinded,
        findings=validation.findings,
        compliance=validation.compliance,
        compliance_by_site=validation.compliance_by_site,
        relapse=Survival(sl.relapse_time, sl.relapse_event),
        retention=Survival(sl.dropout_time, sl.dropout_event),
        completeness=completeness,
        uds_visits=sl.uds_visits,
        last_data_date_by_site=sl.last_data_date_by_site,
        previous=previous,
    )


def closed_report_data(
    open_data: OpenReportData,
    results: Results,
    key: RandomizationKey,
    key_findings: tuple[Finding, ...] = (),
) -> ClosedReportData:
    """The closed report's data: the open report's, the unblinded results, and each arm's rows
    of the subject-level arrays (split by the key here, on the closed side only)."""
    if results.unblinded is None:
        raise ValueError("the closed report needs unblinded results (a key)")
    sl = _subject_level(results)
    arm_of = dict(
        key.assignments.drop_duplicates("SUBJID").set_index("SUBJID")["ARMCD"].astype(object)
    )
    arm = np.array([arm_of.get(s) for s in sl.subjects], dtype=object)
    by_code = open_data.settings.arms_by_code_only
    arms = []
    for a in key.arms:
        part = sl.rows(np.asarray(arm == a.code, dtype=bool))
        arms.append(
            ArmData(
                code=a.code,
                label=a.code if by_code else a.label,
                role=a.role,
                relapse=Survival(part.relapse_time, part.relapse_event),
                retention=Survival(part.dropout_time, part.dropout_event),
                use_pattern=part.use_codes,
            )
        )
    arms.sort(key=lambda x: (x.role != "experimental", x.code))
    return ClosedReportData(
        open=open_data,
        unblinded=results.unblinded,
        key_input=key.provenance,
        arms=tuple(arms),
        arm_labels={a.code: a.label for a in key.arms},
        key_findings=key_findings,
    )
