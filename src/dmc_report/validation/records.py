"""Which record counts: one rule for the date of a record, the cutoff, and duplicates.

The numbers (:mod:`dmc_report.analysis.derive`, :mod:`dmc_report.validation.schedule`) and the
findings that explain them (``DUPLICATE_RECORD``, ``DUPLICATE_SUBJECT``) both use these
functions, so a row a finding calls ignored can never decide a number (docs/analysis.md,
"Which record counts"):

- **The date of a record** is its sheet's declared date column (UDS/VAS/QS ``VISDT``, EX
  ``EXDT``, AE ``AESTDT``, DS ``DSDT``, FU ``FUDT``); a VS row takes its visit's target date
  (dmc-sap.md). A record dated after the cutoff never counts; an undated one does.
- **A usable record** is one dated by the cutoff that holds what its sheet is for: a POS/NEG
  urine result, a craving rating in 0-100, a blood pressure.
- **Duplicates**: of the rows for one key (subject and visit, and time point for VS; subject for
  DM and DS) the first usable row counts, and every other row is ignored; when none is usable
  the key has no record (a urine sample is then missing). DM is the exception the SAP states:
  its first row counts, whatever it holds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dmc_report.domain.contract import DATA_SHEETS, Sheet
from dmc_report.domain.findings import Finding, finding
from dmc_report.domain.study import ROW, SheetTable
from dmc_report.validation.schema import isin

SHEET = {s.name: s for s in DATA_SHEETS}
UDS_RESULTS = ("POS", "NEG")


def record_dates(sheet: str, frame: pd.DataFrame, targets: pd.DataFrame | None = None) -> pd.Series:
    """The date of each row (NaT: undated). ``targets`` (SUBJID, VISIT, target) gives a VS row
    its visit's target date; without it VS rows are undated."""
    spec = SHEET[sheet]
    if spec.date_column and spec.date_column in frame:
        return frame[spec.date_column]
    if sheet == "VS" and targets is not None and len(frame):
        visits = frame["VISIT"].dropna().unique()  # a few: only the visits with vital signs
        targets = targets.loc[isin(targets["VISIT"].astype(str), list(visits)).to_numpy(bool)]
        keyed = targets.set_index(["SUBJID", "VISIT"])["target"]
        index = pd.MultiIndex.from_arrays(
            [frame["SUBJID"].astype(object), frame["VISIT"].astype(object)]
        )
        return pd.Series(keyed.reindex(index).to_numpy(), index=frame.index)
    return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")


def usable(
    sheet: str, frame: pd.DataFrame, cutoff: pd.Timestamp, targets: pd.DataFrame | None = None
) -> np.ndarray:
    """Rows that can count at ``cutoff``: dated on or before it (or undated), holding what the
    sheet is for."""
    if sheet == "DM":  # RANDDT after the cutoff means "not randomized", decided elsewhere
        return np.ones(len(frame), dtype=bool)
    date = record_dates(sheet, frame, targets)
    ok = (date.isna() | (date <= cutoff)).to_numpy(bool)
    if sheet == "UDS":
        ok &= isin(frame["COCAINE"], UDS_RESULTS).to_numpy(bool)
    elif sheet == "VAS":
        ok &= frame["CRAVING"].between(0, 100).to_numpy(bool)
    elif sheet == "VS":
        ok &= (frame["SYSBP"].notna() | frame["DIABP"].notna()).to_numpy(bool)
    return ok


def counting(
    sheet: str, frame: pd.DataFrame, cutoff: pd.Timestamp, targets: pd.DataFrame | None = None
) -> np.ndarray:
    """Per row: whether it is the record that counts for its key (the first usable row), or,
    on a sheet without a key, whether it is usable."""
    ok = usable(sheet, frame, cutoff, targets)
    keys = list(SHEET[sheet].unique_by)
    if not keys or not len(frame):
        return ok
    eligible = ok & frame[keys].notna().all(axis=1).to_numpy(bool)
    rows = np.flatnonzero(eligible)
    chosen = np.zeros(len(frame), dtype=bool)
    chosen[rows[~frame.loc[eligible, keys].duplicated(keep="first").to_numpy(bool)]] = True
    return chosen


def duplicate_findings(
    table: SheetTable,
    spec: Sheet,
    cutoff: pd.Timestamp,
    *,
    file: str,
    targets: pd.DataFrame | None = None,
) -> list[Finding]:
    """One finding per ignored row of a duplicated key, naming the row that counts."""
    keys = list(spec.unique_by)
    frame = table.frame
    if not keys or not len(frame):
        return []
    complete = frame[keys].notna().all(axis=1)
    dup = frame[keys].duplicated(keep=False) & complete
    if not dup.any():
        return []
    counts = counting(spec.name, frame, cutoff, targets)
    code = "DUPLICATE_SUBJECT" if keys == ["SUBJID"] else "DUPLICATE_RECORD"
    rule = (
        "the first row counts"
        if spec.name == "DM"
        else "the first row with a usable record dated by the cutoff counts"
    )
    out: list[Finding] = []
    part = frame.loc[dup].assign(_counts=counts[dup.to_numpy(bool)])
    for key, group in part.groupby(keys, sort=False, dropna=True):
        key = key if isinstance(key, tuple) else (key,)
        what = " + ".join(f"{k} {v}" for k, v in zip(keys, key, strict=True))
        rows = [int(r) for r in group[ROW]]
        chosen = group.loc[group["_counts"], ROW]
        counted = int(chosen.iloc[0]) if len(chosen) else None
        for _, r in group.iterrows():
            if r["_counts"]:
                continue
            if counted is None:
                msg = (
                    f"{what} is in rows {', '.join(map(str, rows))}; none holds a usable record "
                    "dated by the cutoff, so none counts"
                )
            else:
                msg = f"{what} is also in row {counted}, which counts ({rule}); this row is ignored"
            out.append(
                finding(
                    code, msg, file=file, sheet=table.source_name, row=int(r[ROW]),
                    column=keys[-1],
                    subject=str(r["SUBJID"]) if "SUBJID" in r else None,
                    visit=str(r["VISIT"]) if "VISIT" in r and pd.notna(r["VISIT"]) else None,
                )
            )  # fmt: skip
    return out
