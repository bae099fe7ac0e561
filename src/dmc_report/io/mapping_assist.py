"""The mapping assistant: where an unfamiliar export probably holds each contract sheet, column
and code, for the protocol editor (``gui/editor``) to propose and the statistician to confirm.

An export is read once (:func:`read_export`, the fast engine): its sheet names, each sheet's
header, and each column's distinct values (the first :data:`MAX_VALUES`). The proposals are
then pure functions of that summary. A name is proposed in this order of trust: the contract's
own name, the same name in another case, a usual EDC name for it (:data:`USUAL_COLUMNS`, a Rave
``Subject`` or ``Folder``), a similar name (difflib), and last the one column left on the sheet
whose values fit (the only date column left for a record's date, the only column of POS/NEG
results left for the urine result). The statistician sees how each was found and decides.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from dmc_report.domain.contract import DATA_SHEETS, Column, Kind, Sheet
from dmc_report.domain.progress import NO_PROGRESS, Progress, checkpoint

MAX_VALUES = 100  # distinct values kept per column; a column with more is not a coded one
SIMILAR_CUTOFF = 0.6  # difflib ratio of two upper-case names

# Names EDC systems commonly give a contract column (Medidata Rave, REDCap, CDASH): upper case.
USUAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "SUBJID": ("SUBJECT", "SUBJECTID", "SUBJECT_ID", "USUBJID", "PATID", "PATIENT", "RECORD_ID",
               "SUBJNUM", "PTID"),
    "SITEID": ("SITE", "SITENUMBER", "SITE_NUMBER", "SITENO", "SITEID_", "CENTRE", "CENTER",
               "REDCAP_DATA_ACCESS_GROUP"),
    "VISIT": ("FOLDER", "FOLDERNAME", "INSTANCENAME", "VISITNAME", "VISIT_NAME", "EVENT",
              "REDCAP_EVENT_NAME", "VISITCODE"),
    "CONSDT": ("ICDAT", "RFICDAT", "ICDT", "CONSENTDT", "CONSENT_DATE", "DSSTDAT_IC"),
    "RANDDT": ("RANDDAT", "RANDOMIZATION_DATE", "RANDOMISATION_DATE", "RFSTDAT"),
    "COLLECTED": ("LBPERF", "PERF", "PERFORMED", "LBSTAT"),
    "EXDOSE": ("DOSE", "EXDOSTOT"),
    "AGE": ("AGEYRS", "AGE_YEARS"),
    "SEX": ("GENDER",),
}  # fmt: skip
# Words in an export's sheet name that say which contract sheet it is (upper case; a word of
# three letters or fewer must be a whole word of the name, a longer one may be part of one).
USUAL_SHEETS: dict[str, tuple[str, ...]] = {
    "DM": ("DM", "DEMOG", "ENROL", "ENROLL"),
    "UDS": ("UDS", "URINE", "UTOX", "TOX"),
    "VAS": ("VAS", "CRAV"),
    "QS": ("QS", "QUESTIONN", "FFMQ"),
    "EX": ("EX", "EXPOS", "DOSING", "DISPENS", "ADMINIST"),
    "AE": ("AE", "ADVERSE"),
    "DS": ("DS", "EOS", "DISPOSITION", "END OF STUDY", "TERMINATION"),
    "VS": ("VS", "VITAL"),
    "FU": ("FU", "FOLLOW"),
}
# What an export's code means, for codes that are not the contract's own (upper case, trimmed):
# the contract codes it may stand for, in order of preference
_YES, _POS, _ONE = ("Y",), ("POS",), ("Y", "POS")
_NO, _NEG, _ZERO = ("N",), ("NEG",), ("N", "NEG")
USUAL_CODES: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("YES", "TRUE", "RELATED", "DONE", "PERFORMED", "COLLECTED"), _YES),
    **dict.fromkeys(("NO", "FALSE", "NOT RELATED", "UNRELATED", "NOT DONE", "NOT PERFORMED",
                     "NOT COLLECTED"), _NO),
    **dict.fromkeys(("POSITIVE", "DETECTED", "PRESENT"), _POS),
    **dict.fromkeys(("NEGATIVE", "NOT DETECTED", "ABSENT"), _NEG),
    **dict.fromkeys(("1", "+"), _ONE),
    **dict.fromkeys(("0", "-"), _ZERO),
}  # fmt: skip


# The usual abbreviations of a urine drug panel's analytes (SAMHSA and point-of-care cups): the
# name the reports give an analyte column of that name, until the statistician changes it.
PANEL_ANALYTES: dict[str, str] = {
    "THC": "Cannabinoids", "OPI": "Opiates", "BZO": "Benzodiazepines", "AMP": "Amphetamines",
    "MET": "Methamphetamine", "MAMP": "Methamphetamine", "BAR": "Barbiturates",
    "MTD": "Methadone", "OXY": "Oxycodone", "BUP": "Buprenorphine", "FYL": "Fentanyl",
    "FEN": "Fentanyl", "PCP": "Phencyclidine", "MDMA": "MDMA", "TCA": "Tricyclic antidepressants",
    "ETG": "Alcohol (ethyl glucuronide)",
}  # fmt: skip


def analyte_name(column: str) -> str:
    """A panel column's analyte name: the usual one for its abbreviation, else the column's."""
    return PANEL_ANALYTES.get(_norm(column), column)


class Found(StrEnum):
    """How a proposal was found, from the most to the least certain."""

    EXACT = "the contract's name"
    CASE = "the same name, other case"
    USUAL = "a usual EDC name for it"
    SIMILAR = "a similar name"
    VALUES = "its values fit"
    NONE = "not found"


@dataclass(frozen=True)
class ExportColumn:
    """One column of an export sheet: its header and what its cells hold."""

    name: str
    values: tuple[str, ...]  # distinct trimmed values, in order of first appearance (capped)
    distinct: int  # how many distinct values the column has (all of them)
    filled: int  # non-blank cells
    dates: int  # cells that read as a date
    numbers: int  # cells that read as a number


@dataclass(frozen=True)
class ExportSheet:
    name: str
    rows: int  # data rows below the header
    columns: tuple[ExportColumn, ...]

    def column(self, name: str | None) -> ExportColumn | None:
        key = _norm(name)
        return next((c for c in self.columns if _norm(c.name) == key), None) if key else None


@dataclass(frozen=True)
class ExportSummary:
    """What the editor needs of an export: sheets, headers and each column's values."""

    file: str
    path: str
    sheets: tuple[ExportSheet, ...]

    @property
    def sheet_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.sheets)

    def sheet(self, name: str | None) -> ExportSheet | None:
        key = _norm(name)
        return next((s for s in self.sheets if _norm(s.name) == key), None) if key else None


@dataclass(frozen=True)
class ColumnProposal:
    contract: str
    required: bool
    export: str | None
    found: Found
    alternatives: tuple[str, ...] = ()  # other plausible columns, best first


@dataclass(frozen=True)
class SheetProposal:
    contract: str
    required: bool
    export: str | None
    found: Found
    columns: tuple[ColumnProposal, ...] = ()

    def column(self, contract: str) -> ColumnProposal:
        return next(c for c in self.columns if c.contract == contract)


@dataclass(frozen=True)
class MappingProposal:
    """A proposal for every contract data sheet, plus what the export suggests of the study."""

    sheets: tuple[SheetProposal, ...]
    # other POS/NEG columns of the urine sheet (the urine panel): column -> the analyte's name
    panel: dict[str, str] = field(default_factory=dict)
    sites: tuple[str, ...] = ()  # the site ids found
    study_id: str | None = None  # the one STUDYID of the demographics sheet, if it has one
    visit_codes: tuple[str, ...] = ()  # the visit codes found, roughly in schedule order
    # visit code -> the assessments (UDS, VAS, QS, VS) whose sheets hold a record of it
    assessments: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # visit code -> its typical study day in the records (:func:`read_and_propose` only)
    days: dict[str, int] = field(default_factory=dict)

    def sheet(self, contract: str) -> SheetProposal:
        return next(s for s in self.sheets if s.contract == contract)


def _norm(name: object) -> str:
    return str(name or "").strip().upper()


# --- reading ------------------------------------------------------------------------------------
def _column(name: str, values: object) -> ExportColumn:
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = values if isinstance(values, pa.ChunkedArray | pa.Array) else pa.array(values)
    text = arr if pa.types.is_string(arr.type) else pc.cast(arr, pa.string())
    text = pc.utf8_trim_whitespace(text)
    filled = text.filter(pc.invert(pc.or_kleene(pc.is_null(text), pc.equal(text, ""))))
    unique = [v for v in pc.unique(filled).to_pylist() if v]
    dates = pc.sum(pc.match_substring_regex(filled, r"^\d{4}-\d{2}-\d{2}")).as_py() or 0
    numbers = pc.sum(pc.match_substring_regex(filled, r"^[-+]?\d+(\.\d+)?([eE][-+]?\d+)?$"))
    return ExportColumn(
        name, tuple(unique[:MAX_VALUES]), len(unique), len(filled), dates, numbers.as_py() or 0
    )


def _sheet(raw: object) -> ExportSheet:
    rows = raw.rows  # type: ignore[attr-defined]
    if rows.num_rows == 0:
        return ExportSheet(raw.name, 0, ())  # type: ignore[attr-defined]
    header = list(rows.slice(0, 1).to_pylist()[0].values())
    columns = tuple(
        _column(str(h).strip(), rows.column(j).slice(1))
        for j, h in enumerate(header)
        if h is not None and str(h).strip()
    )
    return ExportSheet(raw.name, rows.num_rows - 1, columns)  # type: ignore[attr-defined]


def _raw_sheets(
    path: str | Path, password: str | None, progress: Progress
) -> tuple[str, list[Any]]:
    """The export's file name and its sheets' cells as text (fast engine), in workbook order."""
    from dmc_report.io.engines import Engine, open_source
    from dmc_report.io.files import read_input
    from dmc_report.io.xlsx import open_workbook

    data = read_input(path, "export workbook")
    wb = open_workbook(data.content, str(path), password=password, what="export workbook")
    source = open_source(wb.content, Engine.FASTEXCEL)
    raws = []
    for i, name in enumerate(wb.sheet_names):
        checkpoint(progress, 0.9 * i / max(1, len(wb.sheet_names)), f"Reading sheet {name}")
        raws.append(source.read(name, wb.first_cells.get(name)))
    return data.name, raws


def read_export(
    path: str | Path, *, password: str | None = None, progress: Progress = NO_PROGRESS
) -> ExportSummary:
    """Read an export's sheets, headers and distinct values (never writing anything).

    Raises
    ------
    UnusableInputError
        Not a readable workbook, or password-protected and ``password`` missing or wrong.
    """
    name, raws = _raw_sheets(path, password, progress)
    progress.update(1.0, "Read")
    return ExportSummary(name, str(Path(path)), tuple(_sheet(r) for r in raws))


def read_and_propose(
    path: str | Path,
    *,
    password: str | None = None,
    contract: Sequence[Sheet] = DATA_SHEETS,
    progress: Progress = NO_PROGRESS,
) -> tuple[ExportSummary, MappingProposal]:
    """Read an export and propose its mapping, with each visit's typical study day taken from
    its records (the export is read once; see :func:`typical_days`).

    Raises
    ------
    UnusableInputError
        As :func:`read_export`.
    """
    name, raws = _raw_sheets(path, password, progress)
    summary = ExportSummary(name, str(Path(path)), tuple(_sheet(r) for r in raws))
    proposal = propose_mapping(summary, contract)
    checkpoint(progress, 0.95, "Finding each visit's typical study day")
    days = typical_days({r.name: r for r in raws}, proposal)
    order = sorted(proposal.visit_codes, key=lambda c: (c not in days, days.get(c, 0)))
    progress.update(1.0, "Read")
    return summary, dataclasses.replace(proposal, visit_codes=tuple(order), days=days)


# --- typical study days -------------------------------------------------------------------------
def _cells(raw: Any, column: str | None) -> Any:
    """A column's cells below the header as trimmed text, an Arrow array (None: no such
    column)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if column is None or raw.rows.num_rows == 0:
        return None
    header = [_norm(v) for v in raw.rows.slice(0, 1).to_pylist()[0].values()]
    if _norm(column) not in header:
        return None
    values = raw.rows.column(header.index(_norm(column))).slice(1)
    text = values if pa.types.is_string(values.type) else pc.cast(values, pa.string())
    return pc.utf8_trim_whitespace(text)


def _days(text: Any) -> Any:
    """ISO dates (a date cell reads ``YYYY-MM-DD HH:MM:SS``) as days since 1970; null for
    anything else, an impossible date included."""
    import pyarrow as pa
    import pyarrow.compute as pc

    stamp = pc.strptime(pc.utf8_slice_codeunits(text, 0, 10), format="%Y-%m-%d", unit="s",
                        error_is_null=True)  # fmt: skip
    return pc.cast(pc.cast(stamp, pa.date32()), pa.int32())


def _randomized(raws: dict[str, Any], proposal: MappingProposal) -> Any:
    """Subject -> randomization day (days since 1970), one row per subject; None without."""
    import pyarrow as pa

    dm = next((s for s in proposal.sheets if s.contract == "DM"), None)
    raw = raws.get(dm.export) if dm is not None and dm.export is not None else None
    if dm is None or raw is None:
        return None
    subjects = _cells(raw, dm.column("SUBJID").export)
    dates = _cells(raw, dm.column("RANDDT").export)
    if subjects is None or dates is None:
        return None
    table = pa.table({"s": subjects, "r": _days(dates)}).drop_null()
    return table.group_by("s").aggregate([("r", "min")]).rename_columns(["s", "r"])


def typical_days(raws: dict[str, Any], proposal: MappingProposal) -> dict[str, int]:
    """Each visit code's typical study day in the export (the median, low, of the study days
    of its dated records: day 1 is the randomization day, there is no day 0), through the
    proposed columns; a proposal for the statistician to check, never a schedule."""
    import pyarrow as pa
    import pyarrow.compute as pc

    randomized = _randomized(raws, proposal)
    found: dict[str, list[int]] = {}
    for sp in proposal.sheets:
        if sp.contract not in ("UDS", "VAS", "QS") or sp.export not in raws or randomized is None:
            continue
        cells = [_cells(raws[sp.export], sp.column(c).export) for c in ("SUBJID", "VISIT", "VISDT")]
        if any(c is None for c in cells):
            continue
        records = pa.table({"s": cells[0], "v": pc.utf8_upper(cells[1]), "d": _days(cells[2])})
        joined = records.drop_null().join(randomized, "s", join_type="inner")
        diff = pc.subtract(joined["d"], joined["r"])
        day = pc.if_else(pc.greater_equal(diff, 0), pc.add(diff, 1), diff)
        grouped = (
            pa.table({"v": joined["v"], "day": day}).group_by("v").aggregate([("day", "list")])
        )
        for code, days in zip(grouped["v"].to_pylist(), grouped["day_list"].to_pylist(),
                              strict=True):  # fmt: skip
            if code:
                found.setdefault(code, []).extend(days)
    return {code: int(statistics.median_low(days)) for code, days in found.items()}


# --- names --------------------------------------------------------------------------------------
def propose_name(
    wanted: str, names: Sequence[str], usual: Iterable[str] = ()
) -> tuple[str | None, Found]:
    """The one of ``names`` most likely meant by the contract name ``wanted``, and how."""
    if wanted in names:
        return wanted, Found.EXACT
    by_norm = {_norm(n): n for n in names if _norm(n)}
    if _norm(wanted) in by_norm:
        return by_norm[_norm(wanted)], Found.CASE
    for u in usual:
        if u in by_norm:
            return by_norm[u], Found.USUAL
    close = difflib.get_close_matches(_norm(wanted), list(by_norm), n=1, cutoff=SIMILAR_CUTOFF)
    if close:
        return by_norm[close[0]], Found.SIMILAR
    return None, Found.NONE


def _sheet_words(name: str) -> tuple[str, set[str]]:
    upper = _norm(name)
    return upper, set(re.split(r"[^A-Z0-9]+", upper)) - {""}


def _usual_sheet(contract: str, names: Sequence[str]) -> str | None:
    for name in names:
        upper, words = _sheet_words(name)
        for word in USUAL_SHEETS.get(contract, ()):
            if (word in words) if len(word) <= 3 else (word in upper):
                return name
    return None


def _same_sheet(contract: str, names: Sequence[str]) -> tuple[str | None, Found]:
    name, how = propose_name(contract, names)
    return (name, how) if how in (Found.EXACT, Found.CASE) else (None, Found.NONE)


def _usual_sheet_tier(contract: str, names: Sequence[str]) -> tuple[str | None, Found]:
    name = _usual_sheet(contract, names)
    return (name, Found.USUAL) if name else (None, Found.NONE)


def propose_sheets(
    contract: Sequence[Sheet], names: Sequence[str]
) -> dict[str, tuple[str | None, Found]]:
    """Each contract sheet's export sheet; an export sheet is proposed for one contract sheet
    only, the more certain proposals taken first."""
    out: dict[str, tuple[str | None, Found]] = {}
    left = list(names)
    tiers = (_same_sheet, _usual_sheet_tier, propose_name)
    for tier in tiers:
        for sheet in contract:
            if sheet.name in out:
                continue
            name, how = tier(sheet.name, left)
            if name is not None:
                out[sheet.name] = (name, how)
                left.remove(name)
    return {s.name: out.get(s.name, (None, Found.NONE)) for s in contract}


# --- columns ------------------------------------------------------------------------------------
def _fits(col: Column, ex: ExportColumn) -> bool:
    """Whether an export column's values fit a contract column of this kind."""
    if not ex.filled:
        return False
    if col.kind is Kind.DATE:
        return ex.dates >= 0.8 * ex.filled
    if col.kind is Kind.NUMBER:
        return ex.numbers >= 0.8 * ex.filled
    if col.kind is Kind.CODE and col.codes and ex.distinct <= MAX_VALUES:
        mapped = [v for v in ex.values if propose_code(v, col.codes) is not None]
        return bool(mapped) and len(mapped) >= 0.6 * len(ex.values)
    return False


def _compatible(col: Column, ex: ExportColumn) -> bool:
    """Whether a similar name may be trusted: a date for a date, and no dates for the rest."""
    if not ex.filled:
        return True
    if col.kind is Kind.DATE:
        return ex.dates >= 0.5 * ex.filled
    return ex.dates < 0.8 * ex.filled


def _by_name(sheet: Sheet, export: ExportSheet) -> dict[str, tuple[str, Found]]:
    """Columns found by name: exact, case, usual, then similar (best ratio first), each export
    column at most once."""
    names = [c.name for c in export.columns]
    taken: dict[str, tuple[str, Found]] = {}
    used: set[str] = set()

    def take(contract: str, name: str, how: Found) -> None:
        taken[contract] = (name, how)
        used.add(name)

    for how in (Found.EXACT, Found.CASE, Found.USUAL):
        for col in sheet.columns:
            if col.name in taken:
                continue
            usual = USUAL_COLUMNS.get(col.name, ()) if how is Found.USUAL else ()
            name, found = propose_name(col.name, [n for n in names if n not in used], usual)
            if name is not None and found is how:
                take(col.name, name, how)
    pairs = sorted(
        (
            (difflib.SequenceMatcher(None, col.name, _norm(ex.name)).ratio(), i, col.name, ex.name)
            for i, col in enumerate(sheet.columns)
            if col.name not in taken
            for ex in export.columns
            if ex.name not in used and _compatible(col, ex)
        ),
        key=lambda p: (-p[0], p[1]),
    )
    for ratio, _i, contract, name in pairs:
        if ratio >= SIMILAR_CUTOFF and contract not in taken and name not in used:
            take(contract, name, Found.SIMILAR)
    return taken


def propose_columns(sheet: Sheet, export: ExportSheet) -> tuple[ColumnProposal, ...]:
    """Each contract column of ``sheet`` in the export sheet (None where none fits)."""
    taken = _by_name(sheet, export)
    used = {name for name, _ in taken.values()}
    out: dict[str, ColumnProposal] = {}
    for col in sheet.columns:
        if col.name in taken:
            name, how = taken[col.name]
            out[col.name] = ColumnProposal(col.name, col.required, name, how)
    # last, by values: a column left whose values fit, where only one does (or, for a required
    # column, the first of those that do: the others are offered as alternatives)
    for col in sheet.columns:
        if col.name in out:
            continue
        fitting = [c.name for c in export.columns if c.name not in used and _fits(col, c)]
        if col.kind is Kind.TEXT or not fitting or (len(fitting) > 1 and not col.required):
            out[col.name] = ColumnProposal(col.name, col.required, None, Found.NONE)
            continue
        used.add(fitting[0])
        out[col.name] = ColumnProposal(
            col.name, col.required, fitting[0], Found.VALUES, tuple(fitting[1:])
        )
    return tuple(out[c.name] for c in sheet.columns)


# --- codes --------------------------------------------------------------------------------------
def propose_code(value: str, codes: Sequence[str], *, guess: bool = True) -> str | None:
    """The contract code an export code most likely stands for (None: no guess).

    ``"Positive"`` -> ``POS``, ``"Yes"`` or ``"1"`` -> ``Y``, ``"Male"`` -> ``M``, ``"Lost to
    follow up"`` -> ``LOST TO FOLLOW-UP``; the contract's own codes in any case stand for
    themselves. Without ``guess`` (visit codes, where V1 is not V10) only those."""
    v = _norm(value)
    if not v or v in codes or not guess:
        return v if v in codes else None
    for meaning in USUAL_CODES.get(v, ()):
        if meaning in codes:
            return meaning
    starts = [c for c in codes if v.startswith(c) or c.startswith(v)]
    if len(starts) == 1 and min(len(v), len(starts[0])) >= 1:
        return starts[0]
    close = difflib.get_close_matches(v, list(codes), n=1, cutoff=0.8)
    return close[0] if close else None


def propose_codes(
    values: Iterable[str], codes: Sequence[str], *, guess: bool = True
) -> dict[str, str | None]:
    """Each distinct export value (as the export writes it) -> its proposed contract code."""
    return {v: propose_code(v, codes, guess=guess) for v in values}


def code_map(proposed: dict[str, str | None]) -> dict[str, str]:
    """What a protocol's ``[mapping.codes]`` needs of a column's proposed codes: the export
    codes that are not already their contract code (case and spaces ignored)."""
    return {k: c for k, c in proposed.items() if c is not None and _norm(k) != c}


# --- the whole export ---------------------------------------------------------------------------
def _visit_codes(summary: ExportSummary, sheets: Sequence[SheetProposal]) -> tuple[
    tuple[str, ...], dict[str, tuple[str, ...]]
]:  # fmt: skip
    """The visit codes of the visit-based sheets, roughly in schedule order (each sheet's order
    of first appearance, merged), and the assessments that hold each."""
    order: list[str] = []
    where: dict[str, list[str]] = {}
    for sp in sheets:
        if sp.contract not in ("UDS", "VAS", "QS", "VS") or sp.export is None:
            continue
        export = summary.sheet(sp.export)
        col = export.column(sp.column("VISIT").export) if export else None
        if col is None or col.distinct > MAX_VALUES:
            continue
        codes = [_norm(v) for v in col.values]
        for i, code in enumerate(codes):
            where.setdefault(code, []).append(sp.contract)
            if code in order:
                continue
            following = next((c for c in codes[i + 1 :] if c in order), None)
            order.insert(order.index(following) if following else len(order), code)
    return tuple(order), {c: tuple(dict.fromkeys(w)) for c, w in where.items()}


def _one_value(summary: ExportSummary, sheet: SheetProposal | None, column: str) -> str | None:
    export = summary.sheet(sheet.export) if sheet else None
    col = export.column(column) if export else None
    return col.values[0] if col is not None and col.distinct == 1 else None


def propose_mapping(
    summary: ExportSummary, contract: Sequence[Sheet] = DATA_SHEETS
) -> MappingProposal:
    """Proposals for every contract sheet and column, and what else the export tells."""
    sheet_names = propose_sheets(contract, summary.sheet_names)
    sheets = []
    for spec in contract:
        name, how = sheet_names[spec.name]
        export = summary.sheet(name)
        if export is None:
            columns = tuple(ColumnProposal(c.name, c.required, None, Found.NONE)
                            for c in spec.columns)  # fmt: skip
            sheets.append(SheetProposal(spec.name, spec.required, None, Found.NONE, columns))
            continue
        columns = propose_columns(spec, export)
        sheets.append(SheetProposal(spec.name, spec.required, export.name, how, columns))
    by_name = {s.contract: s for s in sheets}
    panel: dict[str, str] = {}
    uds = by_name.get("UDS")
    if uds is not None and uds.export is not None:
        panel = {c: analyte_name(c) for c in uds.column("COCAINE").alternatives}
    dm = by_name.get("DM")
    sites: tuple[str, ...] = ()
    if dm is not None and dm.export is not None:
        export = summary.sheet(dm.export)
        col = export.column(dm.column("SITEID").export) if export else None
        sites = tuple(sorted(col.values)) if col is not None and col.distinct <= 50 else ()
    order, where = _visit_codes(summary, sheets)
    return MappingProposal(
        tuple(sheets), panel, sites, _one_value(summary, dm, "STUDYID"), order, where
    )
