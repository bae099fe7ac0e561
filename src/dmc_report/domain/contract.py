"""The data contract's sheets, declared once (``shared/spec/data-contract.md`` section 1).

Reading uses the declared kinds to type each column; validation uses the declared codes, ranges
and uniqueness to find problems. Nothing here is specific to one study.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """How a column's cells are normalised when read."""

    TEXT = "text"  # trimmed text; a number such as 1 stays the text "1"
    CODE = "code"  # trimmed, upper-case text, matched against allowed codes
    DATE = "date"  # an Excel date cell or ISO text YYYY-MM-DD
    NUMBER = "number"  # float64


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    required: bool = False
    codes: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    integer: bool = False
    not_blank: bool = False  # a required value in every row
    free_text: bool = False  # written by a person: checked for treatment names (blinding.py)
    revealing: bool = False  # its values can reveal an arm: never shown in the open report
    # the date the record was entered in the EDC (data currency): not a date of the trial, so
    # it neither dates a record nor sets the default cutoff
    entry_date: bool = False
    # a column the protocol adds (an analyte of the urine panel): its codes are read with the
    # code map of this contract column of the same sheet (the lab reports them alike)
    codes_as: str | None = None


@dataclass(frozen=True)
class Sheet:
    name: str
    columns: tuple[Column, ...]
    required: bool = True
    unique_by: tuple[str, ...] = ()
    date_column: str | None = None  # the date of a record (dmc-sap.md "the date of a record")
    rows_required: bool = True  # a sheet with no data rows is unusable
    description: str = ""

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


YN = ("Y", "N")
DSDECOD_CODES = (
    "COMPLETED",
    "ADVERSE EVENT",
    "WITHDRAWAL BY SUBJECT",
    "LOST TO FOLLOW-UP",
    "PHYSICIAN DECISION",
    "DEATH",
    "OTHER",
)
TIMEPOINTS = ("PRE", "POST40", "POST80", "POST120")


def _c(name: str, kind: Kind, **kw: object) -> Column:
    return Column(name, kind, **kw)  # type: ignore[arg-type]


DM = Sheet(
    "DM",
    (
        _c("SUBJID", Kind.TEXT, required=True, not_blank=True),
        _c("SITEID", Kind.TEXT, required=True, not_blank=True),
        _c("CONSDT", Kind.DATE, required=True),
        _c("RANDDT", Kind.DATE, required=True),
        _c("AGE", Kind.NUMBER, minimum=18, maximum=100, integer=True),
        _c("SEX", Kind.CODE, codes=("M", "F", "U")),
        _c("RACE", Kind.TEXT),
        _c("ETHNIC", Kind.TEXT),
        _c("ROUTE", Kind.CODE, codes=("SMOKED", "INTRANASAL", "INJECTED", "OTHER")),
        _c("BLDAYS", Kind.NUMBER, minimum=0, maximum=30, integer=True),
        # why a screened subject was not randomized (an extension of the data contract: the
        # CONSORT diagram's reasons); free text, checked for treatment names
        _c("SFREASON", Kind.TEXT, free_text=True),
    ),
    unique_by=("SUBJID",),
    date_column="CONSDT",
    description="one row per subject screened",
)
UDS = Sheet(
    "UDS",
    (
        _c("SUBJID", Kind.TEXT, required=True, not_blank=True),
        _c("VISIT", Kind.CODE, required=True, not_blank=True),
        _c("VISDT", Kind.DATE, required=True),
        _c("COCAINE", Kind.CODE, required=True, codes=("POS", "NEG")),
        _c("COLLECTED", Kind.CODE, codes=YN),
        _c("ENTRYDT", Kind.DATE, entry_date=True),  # when entered in the EDC (optional)
    ),
    unique_by=("SUBJID", "VISIT"),
    date_column="VISDT",
    description="one row per scheduled urine sample",
)
VAS = Sheet(
    "VAS",
    (
        _c("SUBJID", Kind.TEXT, required=True, not_blank=True),
        _c("VISIT", Kind.CODE, required=True, not_blank=True),
        _c("VISDT", Kind.DATE, required=True),
        _c("CRAVING", Kind.NUMBER, required=True, minimum=0, maximum=100),
        _c("ENTRYDT", Kind.DATE, entry_date=True),  # when entered in the EDC (optional)
    ),
    unique_by=("SUBJID", "VISIT"),
    date_column="VISDT",
    description="one row per craving rating",
)
QS = Sheet(
    "QS",
    (
        _c("SUBJID", Kind.TEXT, required=True, not_blank=True),
        _c("VISIT", Kind.CODE, required=True, not_blank=True),
        _c("VISDT", Kind.DATE, required=True),
        _c("FFMQ", Kind.NUMBER, minimum=39, maximum=195),
        _c("PSS", Kind.NUMBER, minimum=0, maximum=40),
        _c("ENTRYDT", Kind.DATE, entry_date=True),  # when entered in the EDC (optional)
    ),
    unique_by=("SUBJID", "VISIT"),
    date_column="VISDT",
    description="one row per questionnaire visit",
)
EX = Sheet(
    "EX",
    (
        _c("SUBJID", Kind.TEXT, required=True, not_blank=True),
        _c("EXDT", Kind.DATE, required=True),
        _c("EXDOSE", Kind.NUMBER, minimum=0, revealing=True),
        _c("EXCOMPL", Kind.CODE, codes=YN),
    ),
    date_column="EXDT",
    rows_required=False,
    description="one row per dose of study treatment",
)
AE = Sheet(
    "AE",
    (
        _c("SUBJID", Kind.TEXT, required=True, not_blank=True),
        _c("AETERM", Kind.TEXT, required=True, not_blank=True, free_text=True),
        _c("AESTDT", Kind.DATE, required=True),
        _c("AESOC", Kind.TEXT, free_text=True),
        _c("AEENDT", Kind.DATE),
        _c("AESEV", Kind.CODE, codes=("MILD", "MODERATE", "SEVERE")),
        _c("AESER", Kind.CODE, codes=YN),
        _c("AEREL", Kind.CODE, codes=YN),
        _c("AEACN", Kind.CODE, codes=("NONE", "INTERRUPTED", "WITHDRAWN")),
        _c("AEOUT", Kind.CODE, codes=("RECOVERED", "RECOVERING", "ONGOING", "FATAL", "UNKNOWN")),
        _c("ENTRYDT", Kind.DATE, entry_date=True),  # when entered in the EDC (optional)
    ),
    date_column="AESTDT",
    rows_required=False,
    description="one row per adverse event",
)
DS = Sheet(
    "DS",
    (
        _c("SUBJID", Kind.TEXT, required=True, not_blank=True),
        _c("DSDECOD", Kind.CODE, required=True, not_blank=True, codes=DSDECOD_CODES),
        _c("DSDT", Kind.DATE, required=True),
        _c("DSTERM", Kind.TEXT, free_text=True),
    ),
    unique_by=("SUBJID",),
    date_column="DSDT",
    rows_required=False,
    description="one row per subject who completed or left",
)
VS = Sheet(
    "VS",
    (
        _c("SUBJID", Kind.TEXT, required=True, not_blank=True),
        _c("VISIT", Kind.CODE, required=True, not_blank=True),
        _c("TPT", Kind.CODE, required=True, codes=TIMEPOINTS),
        _c("SYSBP", Kind.NUMBER, required=True, minimum=60, maximum=260),
        _c("DIABP", Kind.NUMBER, required=True, minimum=30, maximum=160),
        _c("PULSE", Kind.NUMBER, minimum=25, maximum=220),
    ),
    required=False,
    unique_by=("SUBJID", "VISIT", "TPT"),
    rows_required=False,
    description="one row per vital-sign measurement",
)
FU = Sheet(
    "FU",
    (
        _c("SUBJID", Kind.TEXT, required=True, not_blank=True),
        _c("FUDT", Kind.DATE, required=True),
        _c("FUABST", Kind.CODE, codes=YN),
    ),
    required=False,
    date_column="FUDT",
    rows_required=False,
    description="one row per follow-up contact",
)

DATA_SHEETS: tuple[Sheet, ...] = (DM, UDS, VAS, QS, EX, AE, DS, VS, FU)

RAND = Sheet(
    "RAND",
    (
        _c("SUBJID", Kind.TEXT, required=True, not_blank=True),
        _c("ARMCD", Kind.TEXT, required=True, not_blank=True),
    ),
    unique_by=("SUBJID",),
    description="subject -> arm code",
)
ARMS = Sheet(
    "ARMS",
    (
        _c("ARMCD", Kind.TEXT, required=True, not_blank=True),
        _c("ARM", Kind.TEXT, required=True, not_blank=True),
        _c("ROLE", Kind.CODE, required=True, not_blank=True, codes=("EXPERIMENTAL", "CONTROL")),
    ),
    unique_by=("ARMCD",),
    description="arm code -> label and role",
)
KEY_SHEETS: tuple[Sheet, ...] = (RAND, ARMS)


def with_panel(sheets: tuple[Sheet, ...], analytes: tuple[str, ...]) -> tuple[Sheet, ...]:
    """``sheets`` with the urine sheet's other analytes (the protocol's ``[urine_panel]``
    columns, as the export names them) added as optional POS/NEG columns."""
    if not analytes:
        return sheets
    extra = tuple(Column(a, Kind.CODE, codes=("POS", "NEG"), codes_as="COCAINE") for a in analytes)
    return tuple(
        Sheet(**{**s.__dict__, "columns": s.columns + extra}) if s.name == "UDS" else s
        for s in sheets
    )
