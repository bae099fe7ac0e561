"""Cross-sheet and schedule checks (``dmc-sap.md``), on top of the declared sheet checks."""

from __future__ import annotations

from typing import Any

import pandas as pd

from dmc_report.domain.blinding import WITHHELD_TEXT
from dmc_report.domain.contract import DATA_SHEETS, KEY_SHEETS, Sheet
from dmc_report.domain.findings import Finding, finding
from dmc_report.domain.protocol import Protocol, Visit
from dmc_report.domain.study import ROW, DataSet, RandomizationKey, SheetTable
from dmc_report.validation.schedule import Schedule, day_offset, days
from dmc_report.validation.schema import flagged, isin

_DATED = {
    "UDS": "VISDT",
    "VAS": "VISDT",
    "QS": "VISDT",
    "EX": "EXDT",
    "AE": "AESTDT",
    "DS": "DSDT",
    "FU": "FUDT",
}


def _d(ts: Any) -> str:
    return "?" if pd.isna(ts) else pd.Timestamp(ts).date().isoformat()


def _with_subject(table: SheetTable, schedule: Schedule) -> pd.DataFrame:
    subj = schedule.subjects[["SUBJID", "CONSDT", "RANDDT", "DSDT", "discontinued"]].rename(
        columns={"CONSDT": "_CONSDT", "RANDDT": "_RANDDT", "DSDT": "_DSDT", "discontinued": "_disc"}
    )
    return table.frame.merge(subj, on="SUBJID", how="left", validate="many_to_one")


def _after_cutoff(t: SheetTable, col: str, c: pd.Timestamp, file: str, what: str) -> list[Finding]:
    """One info finding per sheet and column: how many dates lie after the cutoff, and where."""
    late = t.frame[col] > c
    if not late.any():
        return []
    first = int(t.frame.loc[late, ROW].min())
    return [
        finding(
            "RECORDS_AFTER_CUTOFF", f"{int(late.sum())} {what} (first in row {first})",
            file=file, sheet=t.source_name, row=first, column=col,
        )
    ]  # fmt: skip


def treatment_text_checks(data: DataSet, protocol: Protocol) -> list[Finding]:
    """Free text that names a treatment (the protocol's vocabulary, never the key's): one
    finding per cell, which does not quote the text; the open report withholds it."""
    vocabulary = protocol.treatment_vocabulary
    if not vocabulary:
        return []
    out: list[Finding] = []
    for spec in DATA_SHEETS:
        if spec.name not in data:
            continue
        table = data[spec.name]
        for col in spec.columns:
            if not col.free_text or col.name not in table.frame:
                continue
            values = table.frame[col.name]
            texts = values.dropna().astype(str).unique()
            naming = {t for t in texts if vocabulary.names_treatment(t)}
            if naming:
                out += flagged(
                    table, isin(values, sorted(naming)), "TREATMENT_NAME_IN_TEXT", col.name,
                    f"the {col.name} text names a treatment; the open report shows "
                    f"'{WITHHELD_TEXT}' in its place",
                    file=data.provenance.file, visit_column="VISIT",
                )  # fmt: skip
    return out


def cross_sheet_checks(data: DataSet, protocol: Protocol, schedule: Schedule) -> list[Finding]:
    """The data sheets against each other, the protocol's schedule and the cutoff: DM's own
    dates, then each other sheet's subjects, visits and dates."""
    file = data.provenance.file
    out = _dm_checks(data["DM"], schedule.cutoff, file)
    for spec in DATA_SHEETS:
        if spec.name == "DM" or spec.name not in data:
            continue
        out += _subject_and_visit_checks(data[spec.name], protocol, schedule, file)
        date_col = _DATED.get(spec.name)
        if date_col is not None:
            out += _date_checks(data[spec.name], spec.name, date_col, protocol, schedule, file)
        out += _entry_checks(data[spec.name], spec, file)
    return out


def _entry_checks(t: SheetTable, spec: Sheet, file: str) -> list[Finding]:
    """A record entered in the EDC before its own date (``ENTRYDT`` < the record's date)."""
    f = t.frame
    if "ENTRYDT" not in f or spec.date_column is None or spec.date_column not in f:
        return []
    when = spec.date_column
    return flagged(
        t, f["ENTRYDT"].notna() & f[when].notna() & (f["ENTRYDT"] < f[when]),
        "ENTRY_BEFORE_RECORD", "ENTRYDT",
        f"entered {{value}}, before its {when}; left out of the data entry lag", file=file,
        value_column="ENTRYDT",
    )  # fmt: skip


def _dm_checks(dm: SheetTable, c: pd.Timestamp, file: str) -> list[Finding]:
    """DM: randomization before consent; records after the cutoff."""
    f = dm.frame
    out = flagged(
        dm, f["RANDDT"].notna() & f["CONSDT"].notna() & (f["RANDDT"] < f["CONSDT"]),
        "RANDOMIZED_BEFORE_CONSENT", "RANDDT", "randomized {value} before consent", file=file,
        value_column="CONSDT",
    )  # fmt: skip
    for col, what in (("CONSDT", "not screened"), ("RANDDT", "not randomized")):
        out += _after_cutoff(
            dm, col, c, file, f"dates after the cutoff {c.date()}; those subjects count as {what}"
        )
    return out


def _subject_and_visit_checks(
    t: SheetTable, protocol: Protocol, schedule: Schedule, file: str
) -> list[Finding]:
    """Rows of a subject who is not in DM, or of a visit the protocol does not schedule."""
    f = t.frame
    out = flagged(
        t, f["SUBJID"].notna() & ~isin(f["SUBJID"], schedule.subjects["SUBJID"]),
        "SUBJECT_NOT_IN_DM", "SUBJID",
        "subject {value} is not in DM; the row is ignored", file=file, value_column="SUBJID",
    )  # fmt: skip
    if "VISIT" in f:
        out += flagged(
            t, f["VISIT"].notna() & ~isin(f["VISIT"], list(protocol.visit_codes)),
            "UNKNOWN_VISIT", "VISIT",
            "visit code {value} is not in the protocol's schedule; the row is ignored",
            file=file, value_column="VISIT",
        )  # fmt: skip
    return out


def _date_checks(
    t: SheetTable, sheet: str, date_col: str, protocol: Protocol, schedule: Schedule, file: str
) -> list[Finding]:
    """A dated sheet's records against the cutoff and their subject's consent, discontinuation,
    randomization and visit windows; then the checks particular to the sheet."""
    c = schedule.cutoff
    out = _after_cutoff(
        t, date_col, c, file, f"records dated after the cutoff {c.date()} are excluded"
    )
    m = _with_subject(t, schedule)
    date = m[date_col]
    in_cut = date.notna() & (date <= c) & isin(m["SUBJID"], schedule.subjects["SUBJID"])
    m.index = t.frame.index
    t_m = SheetTable(t.name, m, t.source_name, t.columns_found, t.extra_columns, t.column_letters)
    out += flagged(
        t_m, in_cut & m["_CONSDT"].notna() & (date < m["_CONSDT"]), "VISIT_BEFORE_CONSENT", date_col,
        f"{date_col} {{value}} is before the subject's consent", file=file, value_column=date_col,
    )  # fmt: skip
    if sheet in ("UDS", "VAS", "QS", "EX"):  # AEs and follow-up may follow a dropout
        out += flagged(
            t_m, in_cut & m["_disc"].fillna(False).astype(bool) & (date > m["_DSDT"]),
            "VISIT_AFTER_DISCONTINUATION", date_col,
            f"{date_col} {{value}} is after the subject's discontinuation", file=file, value_column=date_col,
        )  # fmt: skip
    vt = {v.code: v for v in protocol.visits}
    if "VISIT" in m and sheet in ("UDS", "VAS", "QS"):
        out += _window_checks(t_m, m, in_cut, date_col, vt, file)
    if sheet == "UDS":
        out += _urine_checks(t_m, m, date, c, file)
    if sheet == "AE":
        out += _adverse_event_checks(t_m, m, date, in_cut, file)
    if sheet == "DS":
        out += _disposition_checks(t_m, m, date, in_cut, file)
    if sheet == "EX" and protocol.endpoints.infusion_visit:
        out += _infusion_checks(t_m, m, date, in_cut, vt[protocol.endpoints.infusion_visit], file)
    return out


def _urine_checks(
    t_m: SheetTable, m: pd.DataFrame, date: pd.Series, c: pd.Timestamp, file: str
) -> list[Finding]:
    """A sample recorded (collected or dated) by the cutoff without a result."""
    no_result = m["COCAINE"].isna() & ((m["COLLECTED"] == "Y").fillna(False) | date.notna())
    return flagged(
        t_m, no_result & (date.isna() | (date <= c)), "RESULT_MISSING", "COCAINE",
        "a sample is recorded (collected or dated) but has no result; it counts as missing",
        file=file,
    )  # fmt: skip


def _adverse_event_checks(
    t_m: SheetTable, m: pd.DataFrame, date: pd.Series, in_cut: pd.Series, file: str
) -> list[Finding]:
    """An adverse event that starts before randomization, or ends before it starts."""
    out = flagged(
        t_m, in_cut & m["_RANDDT"].notna() & (date < m["_RANDDT"]),
        "AE_BEFORE_RANDOMIZATION", "AESTDT",
        "started {value}, before randomization; counted in the safety tables, which "
        "hold every adverse event reported in the study", file=file, value_column="AESTDT",
    )  # fmt: skip
    out += flagged(
        t_m, m["AEENDT"].notna() & m["AESTDT"].notna() & (m["AEENDT"] < m["AESTDT"]),
        "AE_END_BEFORE_START", "AEENDT", "ends {value}, before it starts", file=file,
        value_column="AEENDT",
    )  # fmt: skip
    return out


def _disposition_checks(
    t_m: SheetTable, m: pd.DataFrame, date: pd.Series, in_cut: pd.Series, file: str
) -> list[Finding]:
    """A disposition dated before randomization, or a discontinuation without a date."""
    out = flagged(
        t_m, in_cut & m["_RANDDT"].notna() & (date < m["_RANDDT"]),
        "DISPOSITION_BEFORE_RANDOMIZATION", "DSDT",
        "dated {value}, before the subject's randomization; a discontinuation counts as "
        "a dropout at day 0", file=file, value_column="DSDT",
    )  # fmt: skip
    out += flagged(
        t_m, m["DSDECOD"].notna() & m["DSDT"].isna(), "DISCONTINUED_WITHOUT_DATE", "DSDT",
        "{value} without a date; the subject counts as ongoing", file=file,
        value_column="DSDECOD",
    )  # fmt: skip
    return out


def _infusion_checks(
    t_m: SheetTable, m: pd.DataFrame, date: pd.Series, in_cut: pd.Series, v: Visit, file: str
) -> list[Finding]:
    """An infusion outside the infusion visit ``v``'s window."""
    target = m["_RANDDT"] + pd.Timedelta(days=int(day_offset(v.day)))
    off = (
        in_cut
        & m["_RANDDT"].notna()
        & (
            (date < target - pd.Timedelta(days=v.window_before))
            | (date > target + pd.Timedelta(days=v.window_after))
        )
    )
    return flagged(
        t_m, off, "INFUSION_OFF_SCHEDULE", "EXDT",
        f"dose on {{value}}, not on study day {v.day} ({v.code})",
        file=file, value_column="EXDT",
    )  # fmt: skip


def _window_checks(
    t: SheetTable,
    m: pd.DataFrame,
    in_cut: pd.Series,
    col: str,
    vt: dict[str, Visit],
    file: str,
) -> list[Finding]:
    sched = pd.DataFrame(
        {
            "VISIT": list(vt),
            "_day": [v.day for v in vt.values()],
            "_wb": [v.window_before for v in vt.values()],
            "_wa": [v.window_after for v in vt.values()],
        }
    ).astype({"VISIT": pd.StringDtype("pyarrow")})
    mv = m[["VISIT"]].merge(sched, on="VISIT", how="left", validate="many_to_one")
    mv.index = m.index
    day = mv["_day"]
    known = day.notna()
    wb = mv["_wb"].fillna(0)
    wa = mv["_wa"].fillna(0)
    target = m["_RANDDT"] + days(day_offset(day.fillna(1).astype(int)))
    lo = target - days(wb)
    hi = target + days(wa)
    date = m[col]
    base = in_cut & known & m["_RANDDT"].notna()
    post = day >= 1
    before_rand = base & post & (date < m["_RANDDT"])
    out = flagged(
        t, before_rand, "VISIT_BEFORE_RANDOMIZATION", col,
        f"{col} {{value}} is before randomization, at a post-randomization visit",
        file=file, value_column=col,
    )  # fmt: skip
    outside = base & ~before_rand & ((date < lo) | (date > hi))
    rows = m.loc[outside]
    for r, s, v, d, tg, w_b, w_a in zip(
        rows[ROW],
        rows["SUBJID"],
        rows["VISIT"],
        rows[col],
        target[outside],
        wb[outside],
        wa[outside],
        strict=True,
    ):
        delta = (d - tg).days
        when = (
            f"{abs(delta)} day{'s' if abs(delta) != 1 else ''} {'early' if delta < 0 else 'late'}"
        )
        out.append(finding(
            "VISIT_OUT_OF_WINDOW",
            f"{v} dated {_d(d)}, {when} (target {_d(tg)}, window -{int(w_b)}/+{int(w_a)} days)",
            file=file, sheet=t.source_name, row=int(r), column=col, subject=str(s), visit=str(v),
        ))  # fmt: skip
    unrandomized = in_cut & known & m["_RANDDT"].isna() & post
    out += flagged(
        t, unrandomized, "DATA_FOR_UNRANDOMIZED_SUBJECT", "VISIT",
        "a post-randomization visit ({value}) for a subject not randomized by the cutoff",
        file=file, value_column="VISIT",
    )  # fmt: skip
    return out


def schedule_findings(data: DataSet, protocol: Protocol, schedule: Schedule) -> list[Finding]:
    """Missed visits and missing assessments at visits that took place."""
    file = data.provenance.file
    g = schedule.grid
    out: list[Finding] = []
    assessments = {
        v.code: [a for a in v.assessments if a in ("UDS", "VAS", "QS", "VS", "FU") and a in data]
        for v in protocol.visits
    }
    missed = g[g["status"] == "missed"]
    for s, v, tg in zip(missed["SUBJID"], missed["VISIT"], missed["hi"], strict=True):
        sheets: list[str | None] = [*assessments.get(v, [])] or [None]
        out.append(finding(
            "VISIT_MISSED",
            f"{v} is due (window closed {_d(tg)}) but has no record"
            + (f" in {', '.join(a for a in sheets if a)}" if sheets[0] else ""),
            file=file, sheet=sheets[0], subject=str(s), visit=str(v),
        ))  # fmt: skip
    done = g[g["done"]]
    for a in ("UDS", "VAS", "QS", "VS", "FU"):
        if a not in data:
            continue
        due_here = done["VISIT"].isin([v for v, sheets in assessments.items() if a in sheets])
        lack = done[due_here & ~done[f"has_{a}"]]
        for s, v in zip(lack["SUBJID"], lack["VISIT"], strict=True):
            out.append(finding(
                "ASSESSMENT_MISSING",
                f"{v} took place but has no {a} record",
                file=file, sheet=a, subject=str(s), visit=str(v),
            ))  # fmt: skip
    return out


def key_checks(data: DataSet, key: RandomizationKey, schedule: Schedule) -> list[Finding]:
    out: list[Finding] = []
    from dmc_report.validation.schema import check_sheet

    for spec in KEY_SHEETS:
        if spec.name in key.tables:  # a dry run reads the ARMS sheet only
            out += check_sheet(key.tables[spec.name], spec, file=key.provenance.file)
    if "RAND" not in key.tables:  # a dry run: its allocation covers every randomized subject
        return out
    subj = schedule.subjects
    in_key = key.assignments["SUBJID"]
    dm = data["DM"]
    missing = isin(
        dm.frame["SUBJID"], subj.loc[subj["randomized"] & ~isin(subj["SUBJID"], in_key), "SUBJID"]
    )
    missing &= ~dm.frame["SUBJID"].duplicated()
    out += flagged(
        dm, missing, "NOT_IN_KEY", "SUBJID",
        "randomized subject {value} is not in the key; counted in blinded summaries only",
        file=data.provenance.file, value_column="SUBJID",
    )  # fmt: skip
    rand = key.tables["RAND"]
    absent = rand.frame["SUBJID"].notna() & ~isin(rand.frame["SUBJID"], subj["SUBJID"])
    if absent.any():  # one finding: a full randomization list has many spare slots
        rows = rand.frame.loc[absent, [ROW, "SUBJID"]].sort_values(ROW)
        first = int(rows[ROW].iloc[0])
        shown = ", ".join(str(s) for s in rows["SUBJID"].head(5))
        more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
        out.append(finding(
            "KEY_SUBJECT_NOT_IN_DM",
            f"{len(rows)} key row{'s name subjects' if len(rows) != 1 else ' names a subject'} "
            f"not in DM ({shown}{more}; first in row {first}): spare randomization slots, or "
            "randomized subjects missing from the data export (check those); not used",
            file=key.provenance.file, sheet=rand.source_name, row=first, column="SUBJID",
        ))  # fmt: skip
    not_rand = isin(rand.frame["SUBJID"], subj.loc[~subj["randomized"], "SUBJID"])
    if not_rand.any():
        first = int(rand.frame.loc[not_rand, ROW].min())
        out.append(finding(
            "KEY_SUBJECT_NOT_RANDOMIZED",
            f"{int(not_rand.sum())} key rows name subjects not randomized by the cutoff "
            f"{schedule.cutoff.date()} (first in row {first}); they are not used",
            file=key.provenance.file, sheet=rand.source_name, row=first, column="SUBJID",
        ))  # fmt: skip
    return out
