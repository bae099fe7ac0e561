"""The pooled results of the previous report, for "changes since the previous report".

Only what the OPEN report compares is kept: pooled counts from the ``blinded`` section, the
serious AEs it listed (pooled, no arm), the data cutoff and the validation counts. A previous
results file written with the key also holds an ``unblinded`` section; the loader never copies
it, so nothing by arm can reach the open report through this path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dmc_report.domain.results import AeEvent
from dmc_report.domain.study import Provenance


@dataclass(frozen=True)
class PreviousResults:
    provenance: Provenance
    study_id: str
    cutoff: dt.date
    software_version: str
    counts: Mapping[str, Mapping[str, int]]  # pooled counts: section -> key -> n
    findings: Mapping[str, int]  # "errors", "warnings", "info"
    # the serious AEs the previous report listed, as (subject, term, start date or ""): an SAE
    # not among them is new to the DMC; None when the file has no listing
    sae_listed: frozenset[tuple[str, str, str]] | None = None

    def unlisted(self, listing: Sequence[AeEvent]) -> list[bool] | None:
        """For each SAE of ``listing``, whether the previous report did not list it (None when
        the previous file had no listing)."""
        if self.sae_listed is None:
            return None
        return [
            sae_key({"subject": e.subject, "term": e.term, "start": e.start}) not in self.sae_listed
            for e in listing
        ]


def sae_key(row: Mapping[str, Any]) -> tuple[str, str, str]:
    """How a listed serious AE is recognised across reports: subject, term and start date."""
    return (str(row.get("subject") or ""), str(row.get("term") or ""), str(row.get("start") or ""))


# the name of the closed report's own results inside its (encrypted) PDF: a later closed report
# reads them back for its changes by arm (io/previous.py read_previous_closed)
RESULTS_ATTACHMENT = "dmc-results.json"


@dataclass(frozen=True)
class PreviousByArm:
    """The previous closed report's counts by arm, for the closed report's "changes since the
    previous report, by arm" (read from the results it carries, encrypted, inside its PDF)."""

    provenance: Provenance
    cutoff: dt.date
    counts: Mapping[str, Mapping[str, int]]  # arm code -> count name -> n
    observed_z: float | None  # the primary endpoint's Z at that look
    z_upper: float | None  # its efficacy boundary at that look
