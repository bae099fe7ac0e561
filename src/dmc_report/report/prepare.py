"""Assemble what the builders need from the results, keeping the open side free of the key.

Nothing is derived again here. The Kaplan-Meier figures draw the result objects (the curves the
tables print); the only per-subject data passed on is the urine-result matrix of the use-pattern
figures, which come with the results (:class:`~dmc_report.domain.results.SubjectLevel`), computed
once by the analysis.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol as Interface

import numpy as np
import pandas as pd

from dmc_report.domain.findings import Finding
from dmc_report.domain.previous import PreviousByArm, PreviousResults
from dmc_report.domain.protocol import Protocol
from dmc_report.domain.results import GroupSummary, Results, SubjectLevel
from dmc_report.domain.settings import ReportSettings
from dmc_report.domain.study import Provenance, RandomizationKey
from dmc_report.report.data import ClosedReportData, Group, OpenReportData


class ValidationFacts(Interface):
    """What the reports take from validation: the data's findings and the visit compliance."""

    @property
    def findings(self) -> tuple[Finding, ...]: ...
    @property
    def compliance(self) -> pd.DataFrame: ...
    @property
    def compliance_by_site(self) -> pd.DataFrame: ...


def _subject_level(results: Results) -> SubjectLevel:
    if results.subject_level is None:
        raise ValueError("the results carry no subject-level arrays (made by analyze())")
    return results.subject_level


def open_report_data(
    data_input: Provenance,
    protocol: Protocol,
    cutoff: dt.date,
    validation: ValidationFacts,
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
            "data": data_input,
            **({"previous results": previous.provenance} if previous else {}),
        },
        blinded=results.blinded,
        findings=validation.findings,
        compliance=validation.compliance,
        compliance_by_site=validation.compliance_by_site,
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
    previous: PreviousByArm | None = None,
) -> ClosedReportData:
    """The closed report's data: the open report's, the unblinded results, and each arm's rows
    of the urine-result matrix (split by the key here, on the closed side only)."""
    if results.unblinded is None:
        raise ValueError("the closed report needs unblinded results (a key)")
    sl = _subject_level(results)
    arm_of = dict(
        key.assignments.drop_duplicates("SUBJID").set_index("SUBJID")["ARMCD"].astype(object)
    )
    arm = np.array([arm_of.get(s) for s in sl.subjects], dtype=object)
    u = results.unblinded
    by_code = open_data.settings.arms_by_code_only

    def group(label: str, summary: GroupSummary, mask: np.ndarray, code: str | None = None,
              role: str | None = None) -> Group:  # fmt: skip
        part = sl.rows(mask)
        return Group(
            label=label,
            summary=summary,
            use_codes=part.use_codes,
            code=code,
            role=role,
        )

    arms = [
        group(
            a.code if by_code else a.label,
            u.by_arm[a.code],
            np.asarray(arm == a.code, dtype=bool),
            a.code,
            a.role,
        )
        for a in key.arms
    ]
    arms.sort(key=lambda x: (x.role != "experimental", x.code or ""))
    known = np.asarray([a is not None for a in arm], dtype=bool)
    if u.total is None:
        raise ValueError("the unblinded results carry no total over the arms")
    return ClosedReportData(
        open=open_data,
        unblinded=u,
        key_input=key.provenance,
        arms=tuple(arms),
        total=group("Total", u.total, known, role="total"),
        arm_labels={a.code: a.label for a in key.arms},
        key_findings=key_findings,
        dry_run_seed=key.dry_run_seed,
        previous=previous,
    )
