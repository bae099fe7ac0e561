"""The protocol file: everything study-specific (data contract section 1.3).

A pydantic model of the TOML file. The code holds nothing of one study; the next trial needs a
new protocol file, not new code.
"""

from __future__ import annotations

import datetime as dt
import itertools
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from dmc_report.domain.blinding import TreatmentVocabulary
from dmc_report.domain.contract import DATA_SHEETS, KEY_SHEETS, Kind, with_panel
from dmc_report.domain.contract import Sheet as ContractSheet

ASSESSMENTS = ("UDS", "VAS", "QS", "VS", "FU", "EX")
CONTRACT_SHEETS: dict[str, ContractSheet] = {s.name: s for s in (*DATA_SHEETS, *KEY_SHEETS)}


def refuse(path: tuple[str | int, ...], message: str) -> PydanticCustomError:
    """A protocol error at ``path`` below the model that raises it (the loader appends the path
    to the key it reports, so that the message names the exact key)."""
    return PydanticCustomError("protocol_key", "{message}", {"message": message, "path": path})


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Study(_Frozen):
    id: Annotated[str, Field(min_length=1)]
    title: Annotated[str, Field(min_length=1)]
    sponsor: str = ""
    phase: str = ""
    design: str = ""  # a sentence for the synopsis; may name the treatments (not a leak)
    treatments: tuple[str, ...] = ()  # names of the interventions for the design synopsis
    target_enrollment: Annotated[int, Field(gt=0)]
    planned_enrollment_start: dt.date
    planned_enrollment_end: dt.date
    study_day_1: Literal["RANDDT"] = "RANDDT"
    sites: dict[str, str] = Field(default_factory=dict)  # site id -> display name

    @model_validator(mode="after")
    def _enrollment_period(self) -> Study:
        if self.planned_enrollment_end < self.planned_enrollment_start:
            raise ValueError("planned_enrollment_end is before planned_enrollment_start")
        return self


class Visit(_Frozen):
    code: Annotated[str, Field(min_length=1)]
    day: int  # target study day (no day 0)
    window_before: Annotated[int, Field(ge=0)] = 0
    window_after: Annotated[int, Field(ge=0)] = 0
    phase: Annotated[str, Field(min_length=1)]
    label: str = ""
    assessments: tuple[str, ...] = ()

    @field_validator("code")
    @classmethod
    def _upper(cls, v: str) -> str:
        return v.upper()

    @field_validator("day")
    @classmethod
    def _no_day_zero(cls, v: int) -> int:
        if v == 0:
            raise ValueError("study day 0 does not exist (day 1 is randomization, day -1 before)")
        return v

    @field_validator("assessments")
    @classmethod
    def _known_assessments(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        out = tuple(a.strip().upper() for a in v)
        unknown = [a for a in out if a not in ASSESSMENTS]
        if unknown:
            raise ValueError(f"unknown assessment {unknown[0]!r}; expected one of {ASSESSMENTS}")
        return out


class MissingRule(StrEnum):
    POSITIVE = "positive"
    IGNORE = "ignore"


class Labels(_Frozen):
    """How the reports name the trial's endpoints: the code knows no study's wording
    (docs/protocol.md, [endpoints.labels])."""

    # the substance the urine test is for: "Positive for cocaine", "positive urine for cocaine"
    analyte: Annotated[str, Field(min_length=1)] = "the substance"
    # the primary window in words ("the last two weeks of treatment"); default: its visits
    window: str | None = None
    # the craving measure ("Craving (VAS 0-100)") and the follow-up contact ("the 6-month
    # follow-up")
    craving: Annotated[str, Field(min_length=1)] = "Craving (VAS 0-100)"
    follow_up: Annotated[str, Field(min_length=1)] = "the follow-up contact"


class Endpoints(_Frozen):
    abstinence_visits: Annotated[tuple[str, ...], Field(min_length=1)]
    missing: MissingRule = MissingRule.POSITIVE
    relapse_visits: Annotated[tuple[str, ...], Field(min_length=1)]
    end_of_treatment_day: Annotated[int, Field(gt=0)]
    craving_visits: Annotated[tuple[str, ...], Field(min_length=1)]
    craving_baseline_visit: str | None = None
    infusion_visit: str | None = None
    labels: Labels = Field(default_factory=Labels)

    @field_validator("abstinence_visits", "relapse_visits", "craving_visits")
    @classmethod
    def _upper_all(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(x.strip().upper() for x in v)

    @field_validator("craving_baseline_visit", "infusion_visit")
    @classmethod
    def _upper_one(cls, v: str | None) -> str | None:
        return v.strip().upper() if v else v


class Spending(StrEnum):
    OBF = "OBF"  # Lan-DeMets O'Brien-Fleming type (rpact "asOF")
    POCOCK = "POCOCK"  # Lan-DeMets Pocock type (rpact "asP")
    HSD = "HSD"  # Hwang-Shih-DeCani with gamma (rpact "asHSD")


class PreviousLook(_Frozen):
    date: dt.date
    information_fraction: Annotated[float, Field(gt=0, le=1)]
    observed_z: float | None = None


class Interim(_Frozen):
    endpoint: Literal["abstinence"] = "abstinence"
    planned_information: Annotated[int, Field(gt=0)]  # evaluable subjects at the final analysis
    # the planned looks, the final analysis included; with only ``looks`` given, the looks are
    # equally spaced in information; with only ``information_rates``, ``looks`` is their number
    looks: Annotated[int, Field(ge=1)] = 2
    information_rates: Annotated[tuple[float, ...], Field(min_length=1)] = (0.5, 1.0)
    spending: Spending = Spending.OBF
    gamma: float | None = None  # Hwang-Shih-DeCani parameter
    alpha: Annotated[float, Field(gt=0, lt=1)] = 0.05
    sided: Literal[1, 2] = 2
    futility_z: float | None = None  # optional non-binding futility guidance on the Z scale
    assumed_experimental: Annotated[float, Field(gt=0, lt=1)] | None = None
    assumed_control: Annotated[float, Field(gt=0, lt=1)] | None = None
    previous_looks: tuple[PreviousLook, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _looks_or_rates(cls, raw: object) -> object:
        """Fill whichever of ``looks`` and ``information_rates`` the file leaves out."""
        if not isinstance(raw, dict):
            return raw
        looks, rates = raw.get("looks"), raw.get("information_rates")
        if rates is None and isinstance(looks, int) and not isinstance(looks, bool) and looks > 0:
            return {**raw, "information_rates": [(i + 1) / looks for i in range(looks)]}
        if looks is None and isinstance(rates, list | tuple):
            return {**raw, "looks": len(rates)}
        return raw

    @model_validator(mode="after")
    def _looks_agree(self) -> Interim:
        if self.looks != len(self.information_rates):
            rates = ", ".join(f"{r:g}" for r in self.information_rates)
            raise refuse(
                ("looks",),
                f"looks = {self.looks} but information_rates = [{rates}] plans "
                f"{len(self.information_rates)} look(s); the final analysis counts as a look: "
                "make them agree, or give only one of them",
            )
        return self

    @field_validator("spending", mode="before")
    @classmethod
    def _spending_upper(cls, v: object) -> object:
        return v.strip().upper() if isinstance(v, str) else v

    @field_validator("information_rates")
    @classmethod
    def _rates(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        if any(not 0 < r <= 1 for r in v):
            raise ValueError("every information rate must lie in (0, 1]")
        if any(b <= a for a, b in itertools.pairwise(v)):
            raise ValueError("information rates must increase")
        if abs(v[-1] - 1.0) > 1e-12:
            raise ValueError("the last information rate must be 1 (the final analysis)")
        return v

    @model_validator(mode="after")
    def _hsd_gamma(self) -> Interim:
        if self.spending is Spending.HSD and self.gamma is None:
            raise ValueError("spending = 'HSD' needs gamma")
        return self


def _coded(sheet: ContractSheet) -> tuple[str, ...]:
    return tuple(c.name for c in sheet.columns if c.kind is Kind.CODE)


def _allowed_codes(sheet: ContractSheet, column: str) -> tuple[str, ...] | None:
    return next(c.codes for c in sheet.columns if c.name == column)


def _one_code_map(
    path: tuple[str | int, ...], sheet: ContractSheet, column: str, codes: object
) -> dict[str, object]:
    """One column's code map, checked: a coded column of the sheet, and contract codes it has."""
    if column not in _coded(sheet):
        raise refuse(
            path,
            f"{column!r} is not a coded column of sheet {sheet.name}; its coded columns: "
            f"{', '.join(_coded(sheet)) or 'none'}",
        )
    if not isinstance(codes, dict):
        raise refuse(path, 'expected a table of "export code" = "contract code" lines')
    allowed = _allowed_codes(sheet, column)
    for export_code, code in codes.items():
        if isinstance(code, str) and allowed and code.strip().upper() not in allowed:
            raise refuse(
                (*path, export_code),
                f"{code!r} is not a code of {sheet.name}.{column}; expected one of "
                f"{', '.join(allowed)}",
            )
    return dict(codes)


def _code_maps(v: dict[object, object]) -> dict[str, dict[str, dict[str, object]]]:
    """``[mapping.codes.SHEET.COLUMN]`` tables, and the first form ``[mapping.codes.COLUMN]``
    (the column's codes on every sheet that has it), as sheet -> column -> code map; a
    sheet's own map wins over the column-wide one. Names are checked here, where the file's own
    spelling of the key is known."""
    by_column: dict[str, dict[str, dict[str, object]]] = {}
    by_sheet: dict[str, dict[str, dict[str, object]]] = {}
    coded_anywhere = sorted({c for s in CONTRACT_SHEETS.values() for c in _coded(s)})
    for key, inner in v.items():
        name = str(key).strip().upper()
        if name in CONTRACT_SHEETS:
            sheet = CONTRACT_SHEETS[name]
            if not isinstance(inner, dict):
                raise refuse((str(key),), f"expected [mapping.codes.{name}.<column>] tables")
            for col, codes in inner.items():
                column = str(col).strip().upper()
                if not isinstance(codes, dict) and column not in sheet.column_names:
                    raise refuse(
                        (str(key), str(col)),
                        f"under sheet {name}, a code map names a column: write "
                        f'[mapping.codes.{name}.<column>] with "export code" = "contract code" '
                        f"lines; coded columns of {name}: {', '.join(_coded(sheet)) or 'none'}",
                    )
                checked = _one_code_map((str(key), str(col)), sheet, column, codes)
                by_sheet.setdefault(name, {})[column] = checked
        elif name in coded_anywhere and isinstance(inner, dict):
            for sheet in CONTRACT_SHEETS.values():
                if name in _coded(sheet):
                    checked = _one_code_map((str(key),), sheet, name, inner)
                    by_column.setdefault(sheet.name, {})[name] = checked
        else:
            raise refuse(
                (str(key),),
                f"unknown contract sheet or coded column {str(key)!r}: write "
                f"[mapping.codes.SHEET.COLUMN] with SHEET one of {', '.join(CONTRACT_SHEETS)} "
                f"(or, for a column on every sheet, [mapping.codes.COLUMN] with COLUMN one of "
                f"{', '.join(coded_anywhere)})",
            )
    for sheet_name, cols in by_sheet.items():
        by_column.setdefault(sheet_name, {}).update(cols)
    return by_column


class Mapping(_Frozen):
    """How an export's own names map onto the contract's (e.g. a REDCap or Rave export).

    Every name is checked: an unknown contract sheet or column, a column without codes given a
    code map, or a contract code the column does not have is refused with its key path.
    """

    sheets: dict[str, str] = Field(default_factory=dict)  # contract sheet -> export sheet
    # contract sheet -> contract column -> export column
    columns: dict[str, dict[str, str]] = Field(default_factory=dict)
    # contract sheet -> contract column -> export code -> contract code (the file may also give
    # the first form, contract column -> export code -> contract code, for every sheet)
    codes: dict[str, dict[str, dict[str, str]]] = Field(default_factory=dict)

    @field_validator("codes", mode="before")
    @classmethod
    def _codes_by_sheet(cls, v: object) -> object:
        return _code_maps(v) if isinstance(v, dict) else v

    @model_validator(mode="after")
    def _known_names(self) -> Mapping:
        known = ", ".join(CONTRACT_SHEETS)
        seen: dict[str, str] = {}
        for name, export in self.sheets.items():
            if name.upper() not in CONTRACT_SHEETS:
                raise refuse(("sheets", name), f"unknown contract sheet; expected one of {known}")
            other = seen.setdefault(export.strip().upper(), name)
            if other != name:
                raise refuse(("sheets", name), f"{export!r} is already mapped to {other}")
        for sheet, cols in self.columns.items():
            if sheet.upper() not in CONTRACT_SHEETS:
                raise refuse(("columns", sheet), f"unknown contract sheet; expected one of {known}")
            valid = CONTRACT_SHEETS[sheet.upper()].column_names
            taken: dict[str, str] = {}
            for col, export in cols.items():
                if col.upper() not in valid:
                    raise refuse(
                        ("columns", sheet, col),
                        f"unknown column of sheet {sheet.upper()}; its columns: {', '.join(valid)}",
                    )
                other = taken.setdefault(export.strip().upper(), col)
                if other != col:
                    raise refuse(
                        ("columns", sheet, col), f"{export!r} is already mapped to {other}"
                    )
        return self

    def sheet_name(self, contract_sheet: str) -> str:
        for k, v in self.sheets.items():
            if k.upper() == contract_sheet:
                return v
        return contract_sheet

    def column_name(self, contract_sheet: str, contract_column: str) -> str:
        for sheet, cols in self.columns.items():
            if sheet.upper() == contract_sheet:
                for k, v in cols.items():
                    if k.upper() == contract_column:
                        return v
        return contract_column

    def code_map(self, contract_sheet: str, contract_column: str) -> dict[str, str]:
        """Export code (normalised: trimmed, upper case) -> contract code, for one column of one
        contract sheet."""
        m = self.codes.get(contract_sheet, {}).get(contract_column, {})
        return {k.strip().upper(): v.strip().upper() for k, v in m.items()}


class Blinding(_Frozen):
    """What names a treatment in the data, beyond ``study.treatments`` (docs/protocol.md)."""

    # further words that name a treatment: brand names, abbreviations, the drugs' classes
    terms: tuple[str, ...] = ()
    # contract columns whose values can reveal an arm (a dose, a kit number); their values never
    # appear in the open report. The contract's own (EX.EXDOSE) are always included.
    revealing_columns: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _known_columns(self) -> Blinding:
        known = {c.name for s in DATA_SHEETS for c in s.columns}
        for col in self.revealing_columns:
            if col.upper() not in known:
                raise ValueError(
                    f"blinding.revealing_columns: unknown contract column {col!r}; expected one "
                    f"of {sorted(known)}"
                )
        return self


class Domains(_Frozen):
    """Which domains the trial has (docs/protocol.md, [domains]): an absent domain has no report
    section and is null in the results JSON."""

    vital_signs: bool = True
    follow_up: bool = True
    questionnaires: bool = True
    exposure: bool = True


class OpenReport(_Frozen):
    """Settings of the open report (report-contents.md)."""

    # section 8, pooled abstinence, dropout, relapse and craving: off unless the DMC asks, since
    # with the design's assumed rates known a pooled rate hints at the effect
    pooled_efficacy: bool = False


class Protocol(_Frozen):
    study: Study
    visits: Annotated[tuple[Visit, ...], Field(min_length=1)]
    endpoints: Endpoints
    interim: Interim | None = None
    mapping: Mapping = Field(default_factory=Mapping)
    blinding: Blinding = Field(default_factory=Blinding)
    open_report: OpenReport = Field(default_factory=OpenReport)
    domains: Domains = Field(default_factory=Domains)
    # other analytes of the urine sheet, reported descriptively: export column -> label
    urine_panel: dict[str, str] = Field(default_factory=dict)
    # the first wave's name for open_report.pooled_efficacy, still read (it wins when given)
    show_pooled_outcomes: bool | None = None

    @model_validator(mode="after")
    def _visits_consistent(self) -> Protocol:
        codes = [v.code for v in self.visits]
        dupes = sorted({c for c in codes if codes.count(c) > 1})
        if dupes:
            raise ValueError(f"visit code {dupes[0]!r} appears more than once in [[visits]]")
        days = [v.day for v in self.visits]
        if days != sorted(days):
            raise ValueError("[[visits]] must be listed in order of their target day")
        known = set(codes)
        ep = self.endpoints
        named: list[tuple[str, str]] = [
            *(("endpoints.abstinence_visits", c) for c in ep.abstinence_visits),
            *(("endpoints.relapse_visits", c) for c in ep.relapse_visits),
            *(("endpoints.craving_visits", c) for c in ep.craving_visits),
        ]
        if ep.craving_baseline_visit:
            named.append(("endpoints.craving_baseline_visit", ep.craving_baseline_visit))
        if ep.infusion_visit:
            named.append(("endpoints.infusion_visit", ep.infusion_visit))
        for key, code in named:
            if code not in known:
                raise ValueError(f"{key} names visit {code!r}, which is not in [[visits]]")
        due = {v.code: set(v.assessments) for v in self.visits}
        needs = [
            ("endpoints.abstinence_visits", ep.abstinence_visits, "UDS"),
            ("endpoints.relapse_visits", ep.relapse_visits, "UDS"),
            ("endpoints.craving_visits", ep.craving_visits, "VAS"),
            (
                "endpoints.craving_baseline_visit",
                (ep.craving_baseline_visit,) if ep.craving_baseline_visit else (),
                "VAS",
            ),
        ]
        for key, listed, assessment in needs:
            for code in listed:
                if assessment not in due[code]:
                    raise ValueError(
                        f"{key} names visit {code!r}, which schedules no {assessment} "
                        f"(its assessments: {', '.join(sorted(due[code])) or 'none'})"
                    )
        # Endpoint visit lists are sets: the schedule's order decides which is first or last,
        # never the order they are listed in (a reversed list gives the same numbers).
        order = {c: i for i, c in enumerate(codes)}

        def in_schedule_order(listed: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(sorted(set(listed), key=order.__getitem__))

        canonical = ep.model_copy(
            update={
                "abstinence_visits": in_schedule_order(ep.abstinence_visits),
                "relapse_visits": in_schedule_order(ep.relapse_visits),
                "craving_visits": in_schedule_order(ep.craving_visits),
            }
        )
        object.__setattr__(self, "endpoints", canonical)  # a frozen model, settled once here
        return self

    @model_validator(mode="after")
    def _panel_columns(self) -> Protocol:
        """An analyte of ``[urine_panel]`` is a column of its own: not the urine sheet's
        contract columns (or the export's names for them), named once, labelled."""
        taken = {
            self.mapping.column_name("UDS", c).strip().upper(): c
            for c in CONTRACT_SHEETS["UDS"].column_names
        } | {c: c for c in CONTRACT_SHEETS["UDS"].column_names}
        seen: set[str] = set()
        for column, label in self.urine_panel.items():
            name = column.strip().upper()
            if not name:
                raise refuse(("urine_panel", column), "an analyte needs its column's name")
            if name in taken:
                raise refuse(
                    ("urine_panel", column),
                    f"is the urine sheet's {taken[name]} column; name another analyte's column",
                )
            if name in seen:
                raise refuse(("urine_panel", column), "the column is named twice")
            seen.add(name)
            if not label.strip():
                raise refuse(("urine_panel", column), "give the analyte a label (its name)")
        return self

    @property
    def panel_columns(self) -> tuple[str, ...]:
        """The ``[urine_panel]`` analytes' columns, as the frame names them (upper case)."""
        return tuple(c.strip().upper() for c in self.urine_panel)

    @property
    def data_sheets(self) -> tuple[ContractSheet, ...]:
        """The data contract's sheets with this trial's urine-panel columns."""
        return with_panel(DATA_SHEETS, self.panel_columns)

    @model_validator(mode="after")
    def _mapped_visits(self) -> Protocol:
        """A code map of VISIT must map onto visits of the schedule."""
        for sheet, cols in self.mapping.codes.items():
            for export_code, code in cols.get("VISIT", {}).items():
                if code.strip().upper() not in self.visit_codes:
                    raise refuse(
                        ("mapping", "codes", sheet, "VISIT", export_code),
                        f"{code!r} is not a visit of [[visits]]; expected one of "
                        f"{', '.join(self.visit_codes)}",
                    )
        return self

    def visit(self, code: str) -> Visit:
        for v in self.visits:
            if v.code == code:
                return v
        raise KeyError(code)

    @property
    def pooled_efficacy(self) -> bool:
        """Whether the open report shows pooled outcomes (section 8); default off."""
        if self.show_pooled_outcomes is not None:
            return self.show_pooled_outcomes
        return self.open_report.pooled_efficacy

    @property
    def treatment_vocabulary(self) -> TreatmentVocabulary:
        """What names a treatment, from this protocol alone (never from the key)."""
        return TreatmentVocabulary.of(self.study.treatments, self.blinding.terms)

    @property
    def revealing_columns(self) -> frozenset[str]:
        """Contract columns whose values the open report never shows."""
        builtin = {c.name for s in DATA_SHEETS for c in s.columns if c.revealing}
        return frozenset(builtin | {c.upper() for c in self.blinding.revealing_columns})

    @property
    def visit_codes(self) -> tuple[str, ...]:
        return tuple(v.code for v in self.visits)
