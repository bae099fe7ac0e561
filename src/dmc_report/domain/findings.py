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


class FindingCode(StrEnum):
    """The stable finding codes (other tools filter on them; docs/findings.md tables them)."""

    INVALID_DATE = "INVALID_DATE"
    INVALID_NUMBER = "INVALID_NUMBER"
    ERROR_CELL = "ERROR_CELL"
    HIDDEN_SHEET = "HIDDEN_SHEET"
    MISSING_VALUE = "MISSING_VALUE"
    INVALID_CODE = "INVALID_CODE"
    VALUE_OUT_OF_RANGE = "VALUE_OUT_OF_RANGE"
    NOT_INTEGER = "NOT_INTEGER"
    DUPLICATE_SUBJECT = "DUPLICATE_SUBJECT"
    DUPLICATE_RECORD = "DUPLICATE_RECORD"
    EXTRA_COLUMN = "EXTRA_COLUMN"
    SUBJECT_NOT_IN_DM = "SUBJECT_NOT_IN_DM"
    NOT_IN_KEY = "NOT_IN_KEY"
    KEY_SUBJECT_NOT_IN_DM = "KEY_SUBJECT_NOT_IN_DM"
    KEY_SUBJECT_NOT_RANDOMIZED = "KEY_SUBJECT_NOT_RANDOMIZED"
    UNKNOWN_VISIT = "UNKNOWN_VISIT"
    RANDOMIZED_BEFORE_CONSENT = "RANDOMIZED_BEFORE_CONSENT"
    VISIT_BEFORE_CONSENT = "VISIT_BEFORE_CONSENT"
    VISIT_BEFORE_RANDOMIZATION = "VISIT_BEFORE_RANDOMIZATION"
    VISIT_AFTER_DISCONTINUATION = "VISIT_AFTER_DISCONTINUATION"
    RECORDS_AFTER_CUTOFF = "RECORDS_AFTER_CUTOFF"
    VISIT_OUT_OF_WINDOW = "VISIT_OUT_OF_WINDOW"
    VISIT_MISSED = "VISIT_MISSED"
    ASSESSMENT_MISSING = "ASSESSMENT_MISSING"
    RESULT_MISSING = "RESULT_MISSING"
    DISPOSITION_BEFORE_RANDOMIZATION = "DISPOSITION_BEFORE_RANDOMIZATION"
    AE_BEFORE_RANDOMIZATION = "AE_BEFORE_RANDOMIZATION"
    AE_END_BEFORE_START = "AE_END_BEFORE_START"
    ENTRY_BEFORE_RECORD = "ENTRY_BEFORE_RECORD"
    DISCONTINUED_WITHOUT_DATE = "DISCONTINUED_WITHOUT_DATE"
    INFUSION_OFF_SCHEDULE = "INFUSION_OFF_SCHEDULE"
    TREATMENT_NAME_IN_TEXT = "TREATMENT_NAME_IN_TEXT"
    DATA_FOR_UNRANDOMIZED_SUBJECT = "DATA_FOR_UNRANDOMIZED_SUBJECT"


# code -> (severity, what it means)
CODES: dict[FindingCode, tuple[Severity, str]] = {
    FindingCode.INVALID_DATE: (
        Severity.ERROR,
        "a date cell that is neither an Excel date nor YYYY-MM-DD; treated as blank",
    ),
    FindingCode.INVALID_NUMBER: (Severity.ERROR, "a number cell holding text; treated as blank"),
    FindingCode.ERROR_CELL: (
        Severity.ERROR,
        "an Excel error value or a formula with no saved result; treated as blank",
    ),
    FindingCode.HIDDEN_SHEET: (
        Severity.WARNING,
        "a hidden sheet was read; check that the export meant it",
    ),
    FindingCode.MISSING_VALUE: (
        Severity.ERROR,
        "a value the contract requires in every row is blank",
    ),
    FindingCode.INVALID_CODE: (
        Severity.ERROR,
        "a code outside the contract's list; treated as blank (a urine result: missing)",
    ),
    FindingCode.VALUE_OUT_OF_RANGE: (
        Severity.ERROR,
        "a number outside its plausible range; excluded from summaries",
    ),
    FindingCode.NOT_INTEGER: (Severity.WARNING, "a whole number (age, days) holding a fraction"),
    FindingCode.DUPLICATE_SUBJECT: (
        Severity.ERROR,
        "a subject listed twice where one row per subject is expected; the first row is used",
    ),
    FindingCode.DUPLICATE_RECORD: (
        Severity.ERROR,
        "two rows for the same subject and visit (and time point); the first row is used",
    ),
    FindingCode.EXTRA_COLUMN: (Severity.INFO, "a column the contract does not know; ignored"),
    FindingCode.SUBJECT_NOT_IN_DM: (
        Severity.ERROR,
        "a record of a subject absent from DM; ignored",
    ),
    FindingCode.NOT_IN_KEY: (
        Severity.ERROR,
        "a randomized subject absent from the key; counted in blinded summaries only",
    ),
    FindingCode.KEY_SUBJECT_NOT_IN_DM: (
        Severity.WARNING,
        "key rows for subjects absent from DM (spare slots, or missing from the export): one "
        "finding for all",
    ),
    FindingCode.KEY_SUBJECT_NOT_RANDOMIZED: (
        Severity.INFO,
        "a key row for a subject with no randomization date by the cutoff",
    ),
    FindingCode.UNKNOWN_VISIT: (
        Severity.ERROR,
        "a visit code not in the protocol's schedule; the row is ignored",
    ),
    FindingCode.RANDOMIZED_BEFORE_CONSENT: (
        Severity.ERROR,
        "a randomization date before the consent date",
    ),
    FindingCode.VISIT_BEFORE_CONSENT: (
        Severity.ERROR,
        "a record dated before the subject's consent",
    ),
    FindingCode.VISIT_BEFORE_RANDOMIZATION: (
        Severity.ERROR,
        "a post-randomization visit dated before randomization",
    ),
    FindingCode.VISIT_AFTER_DISCONTINUATION: (
        Severity.WARNING,
        "a record dated after the subject's discontinuation",
    ),
    FindingCode.RECORDS_AFTER_CUTOFF: (
        Severity.INFO,
        "records dated after the data cutoff; excluded from every summary",
    ),
    FindingCode.VISIT_OUT_OF_WINDOW: (
        Severity.WARNING,
        "a visit dated outside its window; it still counts for its visit",
    ),
    FindingCode.VISIT_MISSED: (
        Severity.WARNING,
        "a due visit (window closed by the cutoff) with no record at all",
    ),
    FindingCode.ASSESSMENT_MISSING: (
        Severity.WARNING,
        "a visit took place but an assessment due at it is absent",
    ),
    FindingCode.RESULT_MISSING: (
        Severity.WARNING,
        "a urine sample marked collected (or dated) with no result; counts as missing",
    ),
    FindingCode.DISPOSITION_BEFORE_RANDOMIZATION: (
        Severity.ERROR,
        "a disposition dated before randomization; a discontinuation counts at day 0",
    ),
    FindingCode.AE_BEFORE_RANDOMIZATION: (
        Severity.WARNING,
        "an adverse event that started before randomization; still counted in safety tables",
    ),
    FindingCode.AE_END_BEFORE_START: (Severity.ERROR, "an adverse event ending before it starts"),
    FindingCode.ENTRY_BEFORE_RECORD: (
        Severity.WARNING,
        "a record entered in the EDC (ENTRYDT) before its own date: left out of the data lag",
    ),
    FindingCode.DISCONTINUED_WITHOUT_DATE: (
        Severity.ERROR,
        "a disposition row without its date; the subject counts as ongoing",
    ),
    FindingCode.INFUSION_OFF_SCHEDULE: (
        Severity.WARNING,
        "a dose of study treatment not on the protocol's dosing day",
    ),
    FindingCode.TREATMENT_NAME_IN_TEXT: (
        Severity.WARNING,
        "free text in the blinded export names a treatment; withheld from the open report",
    ),
    FindingCode.DATA_FOR_UNRANDOMIZED_SUBJECT: (
        Severity.WARNING,
        "post-randomization records for a subject never randomized",
    ),
}


@dataclass(frozen=True)
class Finding:
    """One data problem and where it is (the Excel row is the row a user sees: header = 1)."""

    code: FindingCode
    severity: Severity
    file: str | None
    sheet: str | None
    excel_row: int | None
    column: str | None
    subject: str | None
    visit: str | None
    message: str
    # the contract's name of ``column`` when the finding names the export's (a mapped column):
    # what checks on contract columns read (not in the JSON or the findings file)
    contract_column: str | None = None

    @property
    def contract_column_name(self) -> str | None:
        """The contract's name of the finding's column (its own name when not mapped)."""
        return self.contract_column or self.column

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
    code: str | FindingCode,
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
    fc = FindingCode(code)  # an unknown code is a bug, told where the finding is made
    return Finding(fc, CODES[fc][0], file, sheet, row, column, subject, visit, message)
