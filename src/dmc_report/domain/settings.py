"""The settings of one report request (what the user chooses, not what the data hold)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class ReportSettings:
    report_date: dt.date
    meeting_date: dt.date | None = None
    version: str = "1.0"
    distribution: tuple[str, ...] = ()
    recipient: str | None = None  # closed report: the named recipient
    copy_number: int | None = None
    # numbered copies (one closed report per DMC member): how many, and this copy's identifier
    # (in the document ID and metadata, so a leaked copy can be traced)
    copies: int | None = None
    copy_id: str | None = None
    arms_by_code_only: bool = False  # closed report: show arms as A/B, decode kept off the report
    # the previous report's results JSON: the open synopsis shows the changes since then
    previous_results: Path | None = None
    # the final analysis (dmc-sap.md): the current look is the last and spends all remaining
    # alpha; no conditional power. The tool suggests it (pipeline.suggests_final).
    final: bool = False
    prepared_by: str | None = None  # the independent statistician, printed on the title pages
    # the previous closed report (its results ride inside it, encrypted): the closed report
    # shows the changes by arm since then; its password (default: this closed report's)
    previous_closed: Path | None = None
    previous_closed_password: str | None = field(default=None, repr=False)
