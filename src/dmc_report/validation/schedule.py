"""The visit schedule at a data cutoff: subjects, the subject-by-visit grid, and compliance.

Analysis uses the same grid (``dmc-sap.md``: due / missing / not expected), so the conventions
live here once. Everything is vectorised over subjects.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dmc_report.domain.protocol import Protocol
from dmc_report.domain.study import DataSet
from dmc_report.validation.schema import isin

VISIT_SHEETS = ("UDS", "VAS", "QS")  # sheets keyed by VISIT with a VISDT
STATUSES = ("in_window", "out_of_window", "missed", "not_yet_due", "not_expected")


def day_offset(day: int | np.ndarray | pd.Series) -> np.ndarray:
    """Days from RANDDT to the target date of a study day (no day 0)."""
    d = np.asarray(day)
    return np.where(d > 0, d - 1, d)


def days(n: object) -> np.ndarray:
    """Whole days as ``timedelta64[ns]`` (NaN -> NaT): ``pd.to_timedelta(n, unit="D")`` without
    its per-element rounding, which held the interpreter lock for ~0.1 s on a 300,000-row grid."""
    return np.asarray(n, dtype="float64").astype("timedelta64[D]").astype("timedelta64[ns]")


def visit_table(protocol: Protocol) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "VISIT": [v.code for v in protocol.visits],
            "order": range(len(protocol.visits)),
            "day": [v.day for v in protocol.visits],
            "window_before": [v.window_before for v in protocol.visits],
            "window_after": [v.window_after for v in protocol.visits],
            "phase": [v.phase for v in protocol.visits],
        }
    )


@dataclass(frozen=True)
class Schedule:
    """Subject status and the subject-by-visit grid at a cutoff.

    Attributes
    ----------
    subjects
        One row per screened subject (first DM row): SUBJID, SITEID, CONSDT, RANDDT (NaT when
        after the cutoff), randomized, DSDECOD, DSDT (NaT when after the cutoff), discontinued,
        completed, status ("completed" | "discontinued" | "ongoing").
    grid
        One row per randomized subject and scheduled visit: target, lo, hi (dates), due (window
        closed by the cutoff), expected, done, done_date, status (one of :data:`STATUSES`), and
        per assessment sheet a ``has_<SHEET>`` flag.
    """

    cutoff: pd.Timestamp
    subjects: pd.DataFrame
    grid: pd.DataFrame

    def emptied(self) -> Schedule:
        """The same cutoff with no rows: what the reports need of it (nothing), sent cheaply."""
        return Schedule(self.cutoff, self.subjects.iloc[:0], self.grid.iloc[:0])


def subject_table(data: DataSet, cutoff: pd.Timestamp) -> pd.DataFrame:
    dm = data.frame("DM")
    dm = dm[dm["SUBJID"].notna()].drop_duplicates("SUBJID", keep="first")
    subj = dm[["SUBJID", "SITEID", "CONSDT", "RANDDT"]].copy()
    subj["RANDDT"] = subj["RANDDT"].where(subj["RANDDT"] <= cutoff)
    subj["randomized"] = subj["RANDDT"].notna()
    if "DS" in data:  # the disposition row that counts (records.py: dated by the cutoff, first)
        from dmc_report.validation.records import counting

        ds = data.frame("DS")
        ds = ds.loc[counting("DS", ds, cutoff), ["SUBJID", "DSDECOD", "DSDT"]]
    else:
        ds = pd.DataFrame(columns=["SUBJID", "DSDECOD", "DSDT"])
    subj = subj.merge(ds, on="SUBJID", how="left")
    has_date = subj["DSDT"].notna()
    subj["completed"] = (subj["DSDECOD"] == "COMPLETED").fillna(False) & has_date
    subj["discontinued"] = (
        subj["DSDECOD"].notna() & (subj["DSDECOD"] != "COMPLETED").fillna(False) & has_date
    )
    subj["status"] = np.select(
        [subj["completed"], subj["discontinued"]], ["completed", "discontinued"], "ongoing"
    )
    return subj.reset_index(drop=True)


def _records(
    data: DataSet, protocol: Protocol, cutoff: pd.Timestamp, targets: pd.DataFrame
) -> pd.DataFrame:
    """The records that count per subject, visit and sheet (:mod:`records`: usable, dated by
    the cutoff, the first of duplicates), with their dates."""
    from dmc_report.validation.records import counting

    codes = list(protocol.visit_codes)
    parts = []
    for sheet in VISIT_SHEETS:
        if sheet not in data:
            continue
        f = data.frame(sheet)
        ok = counting(sheet, f, cutoff) & isin(f["VISIT"], codes).to_numpy(bool)
        part = f.loc[ok, ["SUBJID", "VISIT", "VISDT"]]
        parts.append(part.assign(sheet=sheet, date=part["VISDT"]).drop(columns="VISDT"))
    fu_visits = [v.code for v in protocol.visits if "FU" in v.assessments]
    if "FU" in data and fu_visits:
        f = data.frame("FU")
        ok = counting("FU", f, cutoff) & f["SUBJID"].notna().to_numpy(bool)
        part = f.loc[ok, ["SUBJID", "FUDT"]].drop_duplicates("SUBJID")
        parts.append(
            part.assign(VISIT=fu_visits[0], sheet="FU", date=part["FUDT"]).drop(columns="FUDT")
        )
    if "VS" in data:
        f = data.frame("VS")
        ok = counting("VS", f, cutoff, targets) & isin(f["VISIT"], codes).to_numpy(bool)
        part = f.loc[ok, ["SUBJID", "VISIT"]].drop_duplicates()
        # counted by its visit's target date (dmc-sap.md); it does not date the visit
        undated = pd.Series(pd.NaT, index=part.index, dtype="datetime64[ns]")
        if len(part):
            parts.append(part.assign(sheet="VS", date=undated))
    parts = [p for p in parts if len(p)]  # an empty part would decide no dtype (pandas 3)
    if not parts:
        return pd.DataFrame(columns=["SUBJID", "VISIT", "sheet", "date"])
    return pd.concat(parts, ignore_index=True)


def build_schedule(data: DataSet, protocol: Protocol, cutoff: dt.date) -> Schedule:
    """Subjects and the subject-by-visit grid at ``cutoff`` (``dmc-sap.md`` conventions).

    The grid's rows come in order of subject (SUBJID) and visit. It is computed column by column
    on positions in that grid and made into a table once, with no join or pivot on text keys: at
    20,000 subjects (300,000 rows) those held the interpreter lock for 0.1-0.2 s at a time and
    froze the app's window.
    """
    c = pd.Timestamp(cutoff)
    subjects = subject_table(data, c)
    rand = subjects.loc[subjects["randomized"], ["SUBJID", "SITEID", "RANDDT", "DSDT"]]
    rand = rand.assign(sid=np.arange(len(rand)))  # the subject's number among the randomized
    visits = visit_table(protocol)
    if not (rand["SUBJID"].is_unique and visits["VISIT"].is_unique):
        return _build_schedule_joined(data, protocol, c, subjects, rand, visits)
    rand = rand.sort_values("SUBJID", kind="stable")  # the grid's order, from 20,000 rows
    n, k = len(rand), len(visits)
    cols = {
        **{name: _take(rand[name], np.repeat(np.arange(n), k)) for name in rand.columns},
        **{name: _take(visits[name], np.tile(np.arange(k), n)) for name in visits.columns},
    }
    ns = "datetime64[ns]"
    randdt, dsdt = np.asarray(cols["RANDDT"], ns), np.asarray(cols["DSDT"], ns)
    target = randdt + days(day_offset(np.asarray(cols["day"])))
    lo = target - days(cols["window_before"])
    hi = target + days(cols["window_after"])
    cols.update(target=target, lo=lo, hi=hi)
    cols["due"] = due = hi <= np.datetime64(c, "ns")
    cols["expected"] = expected = ~(~np.isnat(dsdt) & (target > dsdt))
    keys = pd.DataFrame({"SUBJID": cols["SUBJID"], "VISIT": cols["VISIT"], "target": target})
    recs = _records(data, protocol, c, keys)
    recs = recs[isin(recs["SUBJID"], rand["SUBJID"])]
    has, done_date = _marks(n * k, recs, rand["SUBJID"], visits["VISIT"])
    cols.update({f"has_{s}": v for s, v in has.items()})
    cols["done_date"] = done_date
    for s in (*VISIT_SHEETS, "VS", "FU"):
        cols.setdefault(f"has_{s}", np.zeros(n * k, dtype=bool))
    done = np.zeros(n * k, dtype=bool)
    for s in (*VISIT_SHEETS, "VS", "FU"):
        done |= cols[f"has_{s}"]
    cols["done"] = done
    inside = np.isnat(done_date) | ((done_date >= lo) & (done_date <= hi))
    which = np.select([done & inside, done, ~expected, ~due], [0, 1, 2, 3], 4)
    # as text by one take of five Python strings (np.select over text made 300,000 of them)
    cols["status"] = np.array(
        ["in_window", "out_of_window", "not_expected", "not_yet_due", "missed"], dtype=object
    )[which]
    # not consolidated: merging the columns into 2-D blocks held the interpreter lock ~0.1 s at
    # 20,000 subjects (a freeze of the app); the columns are used one at a time
    return Schedule(c, subjects, pd.DataFrame(cols, copy=False))


def _take(s: pd.Series, rows: np.ndarray) -> object:
    """The values of ``s`` at positions ``rows``, keeping its dtype."""
    return s.to_numpy()[rows] if isinstance(s.dtype, np.dtype) else s.array.take(rows)


def _marks(
    size: int, recs: pd.DataFrame, subjects: pd.Series, visits: pd.Series
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Per row of a grid of ``subjects`` x ``visits`` (in that order): for each sheet with a
    record that counts there, a flag (sheets in name order, as a pivot's columns come), and the
    earliest record's date (NaT: none dated)."""
    from dmc_report.validation.schema import codes_in

    nat = np.iinfo(np.int64).min
    if not len(recs):
        return {}, np.full(size, nat, dtype=np.int64).view("datetime64[ns]")
    row = codes_in(recs["SUBJID"], subjects.astype(str).tolist()) * len(visits) + codes_in(
        recs["VISIT"], visits.astype(str).tolist()
    )
    sheet = recs["sheet"].to_numpy(object)
    has = {}
    for name in sorted(set(sheet.tolist())):
        flag = np.zeros(size, dtype=bool)
        flag[row[sheet == name]] = True
        has[name] = flag
    date = recs["date"].to_numpy("datetime64[ns]").view("int64")
    never = np.iinfo(np.int64).max
    first = np.full(size, never, dtype=np.int64)
    np.minimum.at(first, row, np.where(date == nat, never, date))
    first[first == never] = nat
    return has, first.view("datetime64[ns]")


def _build_schedule_joined(
    data: DataSet,
    protocol: Protocol,
    c: pd.Timestamp,
    subjects: pd.DataFrame,
    rand: pd.DataFrame,
    visits: pd.DataFrame,
) -> Schedule:
    """The grid by joins on the keys, for a subject or visit code listed twice."""
    grid = rand.merge(visits, how="cross")
    grid["target"] = grid["RANDDT"] + days(day_offset(grid["day"]))
    grid["lo"] = grid["target"] - days(grid["window_before"])
    grid["hi"] = grid["target"] + days(grid["window_after"])
    grid["due"] = grid["hi"] <= c
    grid["expected"] = ~(grid["DSDT"].notna() & (grid["target"] > grid["DSDT"]))
    recs = _records(data, protocol, c, grid[["SUBJID", "VISIT", "target"]])
    recs = recs[isin(recs["SUBJID"], rand["SUBJID"])]
    if len(recs):
        pres = recs.assign(v=True).pivot_table(
            index=["SUBJID", "VISIT"], columns="sheet", values="v", aggfunc="any", fill_value=False
        )
        pres.columns = [f"has_{s}" for s in pres.columns]
        first = recs.groupby(["SUBJID", "VISIT"])["date"].min().rename("done_date")
        grid = grid.merge(pres, on=["SUBJID", "VISIT"], how="left").merge(
            first, on=["SUBJID", "VISIT"], how="left"
        )
    else:
        grid["done_date"] = pd.NaT
    for s in (*VISIT_SHEETS, "VS", "FU"):
        col = f"has_{s}"
        grid[col] = grid[col].eq(True) if col in grid else False
    grid["done"] = grid[[f"has_{s}" for s in (*VISIT_SHEETS, "VS", "FU")]].any(axis=1)
    dated = grid["done_date"].notna()
    inside = ~dated | ((grid["done_date"] >= grid["lo"]) & (grid["done_date"] <= grid["hi"]))
    grid["status"] = np.select(
        [
            grid["done"] & inside,
            grid["done"],
            ~grid["expected"],
            ~grid["due"],
        ],
        ["in_window", "out_of_window", "not_expected", "not_yet_due"],
        "missed",
    )
    grid = grid.sort_values(["SUBJID", "order"], kind="stable").reset_index(drop=True)
    return Schedule(c, subjects, grid)


def compliance(schedule: Schedule, *, by_site: bool = False) -> pd.DataFrame:
    """Visit compliance per scheduled visit (and site): due = in window + out of window + missed.

    ``randomized`` = due + not yet due + not expected. A visit done before its window closed
    counts as due and done.
    """
    if len(schedule.grid) == 0:
        return _compliance_pivot(schedule, by_site=by_site)
    return _compliance_counts(schedule, by_site=by_site)


def _compliance_counts(schedule: Schedule, *, by_site: bool) -> pd.DataFrame:
    """:func:`compliance` by counting positions: a pivot on the grid's text columns held the
    interpreter lock for 0.05-0.1 s at 20,000 subjects."""
    from dmc_report.validation.schema import codes_in

    g = schedule.grid
    status = codes_in(g["status"], STATUSES)
    orders, first, order_no = np.unique(
        g["order"].to_numpy(), return_index=True, return_inverse=True
    )
    k = len(orders)
    if by_site:
        site_no, sites = pd.factorize(g["SITEID"], sort=True)
    else:
        site_no, sites = np.zeros(len(g), dtype=np.int64), None
    kept = site_no >= 0  # a row without a site is in no site's count (as a pivot leaves it)
    cell = site_no[kept] * k + order_no[kept]
    n_cells = (len(sites) if sites is not None else 1) * k
    present = np.flatnonzero(np.bincount(cell, minlength=n_cells))
    counted = kept & (status >= 0)
    tally = np.bincount(
        (site_no[counted] * k + order_no[counted]) * len(STATUSES) + status[counted],
        minlength=n_cells * len(STATUSES),
    ).reshape(n_cells, len(STATUSES))[present]
    out: dict[str, object] = {}
    if sites is not None:
        out["SITEID"] = sites.take(present // k)
    out["VISIT"] = g["VISIT"].to_numpy()[first][present % k]
    counts = dict(zip(STATUSES, tally.T.astype(np.int64), strict=True))
    out["randomized"] = tally.sum(axis=1).astype(np.int64)
    out["due"] = counts["in_window"] + counts["out_of_window"] + counts["missed"]
    out.update(counts)
    return pd.DataFrame(out)


def _compliance_pivot(schedule: Schedule, *, by_site: bool) -> pd.DataFrame:
    keys = ["SITEID", "VISIT"] if by_site else ["VISIT"]
    g = schedule.grid
    # of the grid only the columns counted: a copy of all of it held the lock for 0.1 s
    counts = (
        g[[*keys, "order", "status"]]
        .assign(n=1)
        .pivot_table(
            index=[*keys, "order"], columns="status", values="n", aggfunc="sum", fill_value=0
        )
        .reindex(columns=list(STATUSES), fill_value=0)
        .reset_index()
    )
    counts["randomized"] = counts[list(STATUSES)].sum(axis=1)
    counts["due"] = counts["in_window"] + counts["out_of_window"] + counts["missed"]
    counts = counts.sort_values([*(["SITEID"] if by_site else []), "order"]).drop(columns="order")
    cols = [
        *keys,
        "randomized",
        "due",
        "in_window",
        "out_of_window",
        "missed",
        "not_yet_due",
        "not_expected",
    ]
    return counts[cols].reset_index(drop=True).rename_axis(None, axis=1)
