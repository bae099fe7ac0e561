"""Assemble what the builders need from the analysis, keeping the open side free of the key."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from dmc_report.analysis.derive import MISSING, NEG, NOTDUE, NOTEXP, POS, Derived, derive
from dmc_report.analysis.results import Results
from dmc_report.domain.findings import Finding
from dmc_report.domain.previous import PreviousResults
from dmc_report.domain.protocol import Protocol
from dmc_report.domain.study import DataSet, Provenance, RandomizationKey
from dmc_report.report.data import (
    ArmData,
    ClosedReportData,
    OpenReportData,
    ReportSettings,
    Survival,
)
from dmc_report.validation import ValidationResult

_CODE = {POS: 0, NEG: 1, MISSING: 2, NOTDUE: 3, NOTEXP: 4}


def _survival(s: pd.DataFrame, time: str, event: str) -> Survival:
    return Survival(s[time].to_numpy(float), s[event].to_numpy(bool))


def _use_codes(d: Derived, visits: list[str]) -> np.ndarray:
    """Subjects (in ``d.subjects`` order) x UDS visits, coded 0-4."""
    u = d.urine
    rows = pd.Index(d.subjects["sid"]).get_indexer(pd.Index(u["sid"]))
    cols = pd.Index(visits).get_indexer(pd.Index(u["VISIT"]))
    vals = u["result"].map(_CODE).to_numpy(np.int8)
    out = np.full((len(d.subjects), len(visits)), 3, dtype=np.int8)
    ok = (rows >= 0) & (cols >= 0)
    out[rows[ok], cols[ok]] = vals[ok]
    return out


def open_report_data(
    data: DataSet,
    protocol: Protocol,
    cutoff: dt.date,
    validation: ValidationResult,
    results: Results,
    protocol_input: Provenance,
    settings: ReportSettings,
    previous: PreviousResults | None = None,
) -> tuple[OpenReportData, Derived]:
    """The open report's data (and the derivations, reused by the closed report)."""
    derived = derive(data, protocol, validation.schedule)
    visits = [v.code for v in protocol.visits if "UDS" in v.assessments]
    codes = _use_codes(derived, visits)
    completeness = np.where(codes == 0, 1, codes)  # a result, whichever it is
    g = validation.schedule.grid
    last = g.groupby("SITEID")["done_date"].max()
    return (
        OpenReportData(
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
            relapse=_survival(derived.subjects, "relapse_time", "relapse_event"),
            retention=_survival(derived.subjects, "dropout_time", "dropout_event"),
            completeness=completeness,
            uds_visits=tuple(visits),
            last_data_date_by_site={
                str(k): v.date().isoformat() for k, v in last.items() if pd.notna(v)
            },
            previous=previous,
        ),
        derived,
    )


def closed_report_data(
    open_data: OpenReportData,
    derived: Derived,
    results: Results,
    key: RandomizationKey,
    key_findings: tuple[Finding, ...] = (),
) -> ClosedReportData:
    if results.unblinded is None:
        raise ValueError("the closed report needs unblinded results (a key)")
    arm_of = key.assignments.drop_duplicates("SUBJID").set_index("SUBJID")["ARMCD"].astype(object)
    arm = derived.subjects["SUBJID"].map(arm_of).to_numpy(object)
    by_code = open_data.settings.arms_by_code_only
    arms = []
    for a in key.arms:
        part = derived.subset(np.asarray(arm == a.code, dtype=bool))
        arms.append(
            ArmData(
                code=a.code,
                label=a.code if by_code else a.label,
                role=a.role,
                relapse=_survival(part.subjects, "relapse_time", "relapse_event"),
                retention=_survival(part.subjects, "dropout_time", "dropout_event"),
                use_pattern=_use_codes(part, list(open_data.uds_visits)),
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
