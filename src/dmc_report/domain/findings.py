"""Findings: every data problem, with a stable code, a severity and its exact location.

Data problems are findings, never exceptions. The codes are stable (other tools filter on them);
``docs/findings.md`` tables them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"  # makes a number untrustworthy (validate exits 1)
    WARNING = "warning"  # a conduct issue (out of window, missed visit)
    INFO = "info"  # worth knowing (ignored columns, records after the cutoff)


SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}

# code -> (severity, what it means)
CODES: dict[str, tuple[Severity, str]] = {
    "INVALID_DATE": (
        Severity.ERROR,
        "a date cell that is neither an Excel date nor YYYY-MM-DD; treated as blank",
    ),
    "INVALID_NUMBER": (Severity.ERROR, "a number cell holding text; treated as blank"),
    "ERROR_CELL": (
        Severity.ERROR,
        "an Excel error value or a formula with no saved result; treated as blank",
    ),
    "HIDDEN_SHEET": (Severity.WARNING, "a hidden sheet was read; check that the export meant it"),
    "MISSING_VALUE": (Severity.ERROR, "a value the contract requires in every row is blank"),
    "INVALID_CODE": (
        Severity.ERROR,
        "a code outside the contract's list; treated as blank (a urine result: missing)",
    ),
    "VALUE_OUT_OF_RANGE": (
        Severity.ERROR,
        "a number outside its plausible range; excluded from summaries",
    ),
    "NOT_INTEGER": (Severity.WARNING, "a whole number (age, days) holding a fraction"),
    "DUPLICATE_SUBJECT": (
        Severity.ERROR,
        "a subject listed twice where one row per subject is expected; the first row is used",
    ),
    "DUPLICATE_RECORD": (
        Severity.ERROR,
        "two rows for the same subject and visit (and time point); the first row is used",
    ),
    "EXTRA_COLUMN": (Severity.INFO, "a column the contract does not know; ignored"),
    "SUBJECT_NOT_IN_DM": (Severity.ERROR, "a record of a subject absent from DM; ignored"),
    "NOT_IN_KEY": (
        Severity.ERROR,
        "a randomized subject absent from the key; counted in blinded summaries only",
    ),
    "KEY_SUBJECT_NOT_IN_DM": (Severity.ERROR, "a key row for a subject absent from DM"),
    "KEY_SUBJECT_NOT_RANDOMIZED": (
        Severity.INFO,
        "a key row for a subject with no randomization date by the cutoff",
    ),
    "UNKNOWN_VISIT": (
        Severity.ERROR,
        "a visit code not in the protocol's schedule; the row is ignored",
    ),
    "RANDOMIZED_BEFORE_CONSENT": (Severity.ERROR, "a randomization date before the consent date"),
    "VISIT_BEFORE_CONSENT": (Severity.ERROR, "a record dated before the subject's consent"),
    "VISIT_BEFORE_RANDOMIZATION": (
        Severity.ERROR,
        "a post-randomization visit dated before randomization",
    ),
    "VISIT_AFTER_DISCONTINUATION": (
        Severity.WARNING,
        "a record dated after the subject's discontinuation",
    ),
    "RECORDS_AFTER_CUTOFF": (
        Severity.INFO,
        "records dated after the data cutoff; excluded from every summary",
    ),
    "VISIT_OUT_OF_WINDOW": (
        Severity.WARNING,
        "a visit dated outside its window; it still counts for its visit",
    ),
    "VISIT_MISSED": (
        Severity.WARNING,
        "a due visit (window closed by the cutoff) with no record at all",
    ),
    "ASSESSMENT_MISSING": (
        Severity.WARNING,
        "a visit took place but an assessment due at it is absent",
    ),
    "RESULT_MISSING": (
        Severity.WARNING,
        "a urine sample marked collected (or dated) with no result; counts as missing",
    ),
    "DISPOSITION_BEFORE_RANDOMIZATION": (
        Severity.ERROR,
        "a disposition dated before randomization; a discontinuation counts at day 0",
    ),
    "AE_BEFORE_RANDOMIZATION": (
        Severity.WARNING,
        "an adverse event that started before randomization; still counted in safety tables",
    ),
    "AE_END_BEFORE_START": (Severity.ERROR, "an adverse event ending before it starts"),
    "DISCONTINUED_WITHOUT_DATE": (
        Severity.ERROR,
        "a disposition row without its date; the subject counts as ongoing",
    ),
    "INFUSION_OFF_SCHEDULE": (Severity.WARNING, "an infusion not on the protocol's infusion day"),
    "TREATMENT_NAME_IN_TEXT": (
        Severity.WARNING,
        "free text in the blinded export names a treatment; withheld from the open report",
    ),
    "DATA_FOR_UNRANDOMIZED_SUBJECT": (
        Severity.WARNING,
        "post-randomization records for a subject never randomized",
    ),
}


@dataclass(frozen=True)
class Finding:
    """One data problem and where it is (the Excel row is the row a user sees: header = 1)."""

    code: str
    severity: Severity
    file: str | None
    sheet: str | None
    excel_row: int | None
    column: str | None
    subject: str | None
    visit: str | None
    message: str

    def sort_key(self) -> tuple[int, str, int, str, str]:
        return (
            SEVERITY_ORDER[self.severity],
            self.sheet or "",
            self.excel_row or 0,
            self.column or "",
            self.code,
        )

    def as_row(self) -> list[object]:
        """Severity, code, file, sheet, Excel row, column, subject, visit, message."""
        return [
            self.severity.value, self.code, self.file, self.sheet, self.excel_row,
            self.column, self.subject, self.visit, self.message,
        ]  # fmt: skip

    def as_json(self) -> dict[str, object]:
        """The contract's ``validation.findings`` entry (``row`` is the Excel row)."""
        return {
            "severity": self.severity.value,
            "code": self.code,
            "sheet": self.sheet,
            "row": self.excel_row,
            "column": self.column,
            "subject": self.subject,
            "visit": self.visit,
            "message": self.message,
        }


def finding(
    code: str,
    message: str,
    *,
    file: str | None = None,
    sheet: str | None = None,
    row: int | None = None,
    column: str | None = None,
    subject: str | None = None,
    visit: str | None = None,
) -> Finding:
    """A finding whose severity comes from the code's catalogue entry."""
    severity = CODES[code][0]
    return Finding(code, severity, file, sheet, row, column, subject, visit, message)
