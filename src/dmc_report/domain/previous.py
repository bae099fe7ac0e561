"""The pooled results of the previous report, for "changes since the previous report".

Only what the OPEN synopsis compares is kept: pooled counts from the ``blinded`` section, the
data cutoff and the validation counts. A previous results file written with the key also holds an
``unblinded`` section; the loader never copies it, so nothing by arm can reach the open report
through this path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from dmc_report.domain.study import Provenance


@dataclass(frozen=True)
class PreviousResults:
    provenance: Provenance
    study_id: str
    cutoff: dt.date
    software_version: str
    counts: Mapping[str, Mapping[str, int]]  # pooled counts: section -> key -> n
    findings: Mapping[str, int]  # "errors", "warnings", "info"
