"""Subject-level derivations of ``dmc-sap.md``, vectorised over subjects.

Subjects are numbered once (``sid``, their position among the randomized subjects) and every
table below carries that number, so that joins and the split by arm are integer operations.
Nothing here knows about arms: :meth:`Derived.subset` takes any set of subjects.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from dmc_report.domain.contract import AE
from dmc_report.domain.protocol import MissingRule, Protocol
from dmc_report.domain.study import DataSet
from dmc_report.validation.records import counting, usable
from dmc_report.validation.schedule import Schedule, day_offset
from dmc_report.validation.schema import codes_in, isin

POS, NEG, MISSING, NOTDUE, NOTEXP = "POS", "NEG", "MISSING", "NOTDUE", "NOTEXP"


@dataclass(frozen=True)
class Derived:
    """Derivations at the cutoff for a set of randomized subjects.

    ``subjects`` has one row per subject: SUBJID, sid, SITEID, RANDDT, status, DSDECOD, DSDT,
    dropout, dropout_time, dropout_event, evaluable, pending, abstinent, abstinent_ignore,
    relapse_event, relapse_time, craving_mean, craving_baseline, use_or_dropout.
    ``urine`` has one row per subject and UDS visit: result (POS/NEG/MISSING/NOTDUE/NOTEXP) and
    its date. The other tables hold the subjects' records that count at the cutoff.
    """

    subjects: pd.DataFrame
    urine: pd.DataFrame
    craving: pd.DataFrame  # sid, VISIT, vid, CRAVING (valid values at scheduled VAS visits)
    ae: pd.DataFrame  # AEs that started by the cutoff (or undated)
    vs: pd.DataFrame  # sid, sysbp_rise, diabp_rise (infusion visit)
    fu: pd.DataFrame  # first follow-up contact per subject dated by the cutoff
    ex: pd.DataFrame  # infusions dated by the cutoff
    dm: pd.DataFrame  # first DM row per subject
    n_all: int  # subjects numbered (the size of every ``sid`` mask)
    # sid, VISIT and the urine panel's other analytes (POS/NEG/None): the first sample per
    # subject and scheduled urine visit dated on or before the cutoff
    panel: pd.DataFrame = field(default_factory=lambda: pd.DataFrame({"sid": []}))

    def subset(self, mask: np.ndarray) -> Derived:
        """The same derivations for the subjects whose ``sid`` is set in ``mask``."""

        def cut(frame: pd.DataFrame) -> pd.DataFrame:
            keep: pd.DataFrame = frame.loc[mask[frame["sid"].to_numpy(np.int64)]]
            return keep

        return Derived(
            cut(self.subjects), cut(self.urine), cut(self.craving), cut(self.ae), cut(self.vs),
            cut(self.fu), cut(self.ex), cut(self.dm), self.n_all, cut(self.panel),
        )  # fmt: skip


def _first_by_key(keys: np.ndarray, ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique keys among rows ``ok`` and the row of each key's first occurrence."""
    rows = np.flatnonzero(ok)
    uniq, first = np.unique(keys[rows], return_index=True)
    return uniq, rows[first]


def _records(frame: pd.DataFrame, ids: pa.Array, ok: pd.Series | np.ndarray) -> pd.DataFrame:
    sid = codes_in(frame["SUBJID"], ids)
    keep = np.asarray(ok, dtype=bool) & (sid >= 0)
    return frame.loc[keep].assign(sid=sid[keep])


def derive(data: DataSet, protocol: Protocol, schedule: Schedule) -> Derived:
    """The subject-level derivations of ``dmc-sap.md`` at the schedule's cutoff."""
    ep = protocol.endpoints
    c = schedule.cutoff
    s = schedule.subjects
    s = s.loc[s["randomized"]].astype({"SUBJID": object, "SITEID": object}).reset_index(drop=True)
    n = len(s)
    s["sid"] = np.arange(n)
    ids = pa.array(s["SUBJID"].astype(str).tolist(), pa.string())
    eot = s["RANDDT"] + pd.Timedelta(days=ep.end_of_treatment_day - 1)
    s["dropout"] = s["discontinued"] & (s["DSDT"] <= eot)
    grid = _Grid.of(schedule, protocol)
    urine = _urine_results(data.frame("UDS"), ids, grid, protocol, c)
    _add_abstinence(s, urine, protocol)
    _add_relapse(s, urine, protocol, c)
    _add_retention(s, eot, c)
    craving = _craving_values(data.frame("VAS"), ids, grid, protocol, c)
    _add_craving_summaries(s, craving, grid.visits, protocol)
    dm = data.frame("DM")
    return Derived(
        subjects=s,
        urine=urine,
        craving=craving,
        ae=_ae(data, ids, c),
        vs=_vital_sign_rises(data, protocol, ids, c, grid.frame[["SUBJID", "VISIT", "target"]]),
        fu=_dated(data, "FU", "FUDT", ids, c).drop_duplicates("sid", keep="first"),
        ex=_dated(data, "EX", "EXDT", ids, c),
        dm=_records(dm, ids, np.ones(len(dm), bool)).drop_duplicates("sid"),
        n_all=n,
        panel=_panel(data.frame("UDS"), ids, protocol, c),
    )


def _panel(uds: pd.DataFrame, ids: pa.Array, protocol: Protocol, c: pd.Timestamp) -> pd.DataFrame:
    """The urine panel's other analytes: the first sample per subject and scheduled urine visit
    dated on or before the cutoff (an undated row is a sample not taken: data contract)."""
    columns = list(protocol.panel_columns)
    visits = [v.code for v in protocol.visits if "UDS" in v.assessments]
    dated = (uds["VISDT"] <= c).fillna(False).to_numpy(bool)
    at_visit = isin(uds["VISIT"], visits).to_numpy(bool)
    rows = _records(uds[["SUBJID", "VISIT", *columns]], ids, dated & at_visit)
    return rows.drop_duplicates(["sid", "VISIT"], keep="first")[["sid", "VISIT", *columns]]


@dataclass(frozen=True)
class _Grid:
    """The schedule's subject-by-visit grid with integer keys: ``sid * len(visits) + order``."""

    frame: pd.DataFrame
    visits: list[str]  # the protocol's visit codes; a visit's ``order`` is its position here
    sid: np.ndarray
    key: np.ndarray

    @classmethod
    def of(cls, schedule: Schedule, protocol: Protocol) -> _Grid:
        visits = list(protocol.visit_codes)
        g = schedule.grid  # read only here: a copy of 300,000 rows held the lock for 0.1 s
        if not (isinstance(g.index, pd.RangeIndex) and g.index.start == 0 and g.index.step == 1):
            g = g.reset_index(drop=True)
        g_sid = g["sid"].to_numpy(np.int64)
        g_vid = g["order"].to_numpy(np.int64)
        return cls(g, visits, g_sid, g_sid * len(visits) + g_vid)


def _urine_results(
    uds: pd.DataFrame, ids: pa.Array, grid: _Grid, protocol: Protocol, c: pd.Timestamp
) -> pd.DataFrame:
    """Urine result per subject and UDS visit of the grid (POS/NEG/MISSING/NOTDUE/NOTEXP), dated
    by the sample, or by the visit's target date when there is none."""
    nv = len(grid.visits)
    u_sid, u_vid = codes_in(uds["SUBJID"], ids), codes_in(uds["VISIT"], grid.visits)
    # the record that counts (records.py): the first usable row per subject and visit, the
    # first taken on integer keys below (the same rows as records.counting, without its strings)
    ok = (u_sid >= 0) & (u_vid >= 0) & usable("UDS", uds, c)
    keys, first = _first_by_key(u_sid * nv + u_vid, ok)
    g = grid.frame
    uds_rows = isin(
        g["VISIT"].astype(str), [v.code for v in protocol.visits if "UDS" in v.assessments]
    ).to_numpy()
    at = pd.Index(keys).get_indexer(grid.key[uds_rows])
    src = first[np.maximum(at, 0)]
    has = at >= 0
    is_pos = (uds["COCAINE"] == POS).fillna(False).to_numpy(bool)[src]
    sample_date = np.where(has, uds["VISDT"].to_numpy()[src], np.datetime64("NaT"))
    gu = g.loc[uds_rows, ["VISIT", "order", "expected", "due", "target"]]  # what is read of it
    expected, due = gu["expected"].to_numpy(bool), gu["due"].to_numpy(bool)
    code = np.select([has & is_pos, has, ~expected, due], [0, 1, 4, 2], 3)
    result = np.array([POS, NEG, MISSING, NOTDUE, NOTEXP], dtype=object)[code]
    target = gu["target"].to_numpy()
    date = np.where(has & ~pd.isna(sample_date), sample_date, target)
    return pd.DataFrame(
        {
            "sid": grid.sid[uds_rows],
            "VISIT": gu["VISIT"].to_numpy(object),
            "order": gu["order"].to_numpy(),
            "due": due,
            "result": result,
            "date": pd.to_datetime(date),
        }
    )


def _add_abstinence(s: pd.DataFrame, urine: pd.DataFrame, protocol: Protocol) -> None:
    """Abstinence over the window visits: adds evaluable, pending, abstinent_ignore and
    abstinent (by the protocol's rule for missing samples) to the subjects ``s``."""
    ep = protocol.endpoints
    n = len(s)
    win = urine[urine["VISIT"].isin(ep.abstinence_visits)]
    w_sid = win["sid"].to_numpy()
    cnt = np.bincount(w_sid, minlength=n)

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(w_sid, weights=mask.astype(float), minlength=n)

    res = win["result"].to_numpy(object)
    all_due = (cnt > 0) & (count(win["due"].to_numpy(bool)) == cnt)
    all_neg = (cnt > 0) & (count(res == NEG) == cnt)
    any_pos = count(res == POS) > 0
    any_sample = count((res == POS) | (res == NEG)) > 0
    last = protocol.visit(ep.abstinence_visits[-1])  # the last scheduled (lists are in order)
    window_end = s["RANDDT"] + pd.Timedelta(days=int(day_offset(last.day)) + last.window_after)
    left_early = (s["discontinued"] & (s["DSDT"] < window_end)).to_numpy(bool)
    evaluable = all_due | s["discontinued"].to_numpy(bool)
    s["evaluable"] = evaluable
    s["pending"] = ~evaluable
    s["abstinent_ignore"] = evaluable & ~left_early & any_sample & ~any_pos
    ignore = ep.missing is MissingRule.IGNORE
    s["abstinent"] = s["abstinent_ignore"] if ignore else evaluable & ~left_early & all_neg


def _add_relapse(s: pd.DataFrame, urine: pd.DataFrame, protocol: Protocol, c: pd.Timestamp) -> None:
    """Relapse: the earliest POS (or missing-as-positive) relapse visit, or a dropout; adds
    relapse_event, relapse_time (censored at the last negative sample by the cutoff) and
    use_or_dropout to the subjects ``s``."""
    ep = protocol.endpoints
    ignore = ep.missing is MissingRule.IGNORE
    n = len(s)
    rel = urine[urine["VISIT"].isin(ep.relapse_visits)]
    r_res = rel["result"].to_numpy(object)
    bad = (r_res == POS) | ((r_res == MISSING) & (not ignore))
    ev = rel.loc[bad].groupby("sid")["date"].min().reindex(range(n))
    drop_date = s["DSDT"].where(s["dropout"])
    event_date = pd.concat([ev, drop_date], axis=1).min(axis=1)
    negs = rel.loc[(r_res == NEG) & (rel["date"] <= c).to_numpy()].groupby("sid")["date"].max()
    censor_date = negs.reindex(range(n)).fillna(s["RANDDT"])
    s["relapse_event"] = event_date.notna()
    # a disposition dated before randomization (an error finding) is an event at day 0
    s["relapse_time"] = (
        (event_date.fillna(censor_date) - s["RANDDT"]).dt.days.astype(float).clip(lower=0)
    )
    s["use_or_dropout"] = s["relapse_event"]


def _add_retention(s: pd.DataFrame, eot: pd.Series, c: pd.Timestamp) -> None:
    """Time to dropout, censored at the EOT date, the cutoff, or completion: adds dropout_event
    and dropout_time to the subjects ``s``."""
    stop = pd.concat(
        [eot, pd.Series(c, index=s.index), s["DSDT"].where(s["completed"])], axis=1
    ).min(axis=1)
    s["dropout_event"] = s["dropout"]
    s["dropout_time"] = (
        (s["DSDT"].where(s["dropout"], stop) - s["RANDDT"]).dt.days.astype(float).clip(lower=0)
    )


def _craving_values(
    vas: pd.DataFrame, ids: pa.Array, grid: _Grid, protocol: Protocol, c: pd.Timestamp
) -> pd.DataFrame:
    """Craving: valid values dated <= C (or undated), at every scheduled VAS visit, whether the
    visit is due, not yet due or "not expected" (target after DSDT: that only decides whether a
    missing urine sample is missing; a value that exists is data, dmc-sap.md "Craving")."""
    visits, nv = grid.visits, len(grid.visits)
    v_sid, v_vid = codes_in(vas["SUBJID"], ids), codes_in(vas["VISIT"], visits)
    vas_codes = {v.code for v in protocol.visits if "VAS" in v.assessments}
    ok = (v_sid >= 0) & (v_vid >= 0) & vas["VISIT"].isin(vas_codes).fillna(False).to_numpy(bool)
    ok &= usable("VAS", vas, c)  # the first usable per key counts (records.py), taken below
    _, rows = _first_by_key(v_sid * nv + v_vid, ok)
    return pd.DataFrame(
        {
            "sid": v_sid[rows],
            "VISIT": np.array(visits, dtype=object)[v_vid[rows]],  # codes, not 260,000 new strings
            "vid": v_vid[rows],
            "CRAVING": vas["CRAVING"].to_numpy(float)[rows],
        }
    )


def _add_craving_summaries(
    s: pd.DataFrame, craving: pd.DataFrame, visits: list[str], protocol: Protocol
) -> None:
    """Adds craving_mean (over the post-discharge craving visits) and craving_baseline to the
    subjects ``s``."""
    ep = protocol.endpoints
    n = len(s)
    vid = craving["vid"].to_numpy()
    post = craving[np.isin(vid, [visits.index(v) for v in ep.craving_visits])]
    s["craving_mean"] = post.groupby("sid")["CRAVING"].mean().reindex(range(n)).to_numpy()
    if ep.craving_baseline_visit:
        base = (
            craving[vid == visits.index(ep.craving_baseline_visit)]
            .groupby("sid")["CRAVING"]
            .first()
        )
        s["craving_baseline"] = base.reindex(range(n)).to_numpy()
    else:
        s["craving_baseline"] = np.nan


def _ae(data: DataSet, ids: pa.Array, c: pd.Timestamp) -> pd.DataFrame:
    cols = list(AE.column_names)
    if "AE" not in data:
        return pd.DataFrame(
            {**{k: pd.Series(dtype=object) for k in cols}, "sid": pd.Series(dtype=np.int64)}
        )
    f = data.frame("AE")
    ok = f["AETERM"].notna() & (f["AESTDT"].isna() | (f["AESTDT"] <= c))
    return _records(f[cols], ids, ok.to_numpy(bool))


def _dated(data: DataSet, sheet: str, col: str, ids: pa.Array, c: pd.Timestamp) -> pd.DataFrame:
    if sheet not in data:
        return pd.DataFrame(
            {
                "SUBJID": pd.Series(dtype=object),
                col: pd.Series(dtype="datetime64[ns]"),
                "sid": pd.Series(dtype=np.int64),
            }
        )
    f = data.frame(sheet)
    return _records(f, ids, (f[col].isna() | (f[col] <= c)).to_numpy(bool))


def _vital_sign_rises(
    data: DataSet, protocol: Protocol, ids: pa.Array, c: pd.Timestamp, targets: pd.DataFrame
) -> pd.DataFrame:
    """Largest rise from PRE among the post-infusion time points, per subject; a VS row counts
    when its visit's target date is on or before the cutoff (records.py)."""
    visit = protocol.endpoints.infusion_visit
    out = pd.DataFrame({"sid": pd.Series(dtype=np.int64)})
    if "VS" not in data or not visit:
        return out
    f = data.frame("VS")
    ok = (f["VISIT"] == visit).fillna(False).to_numpy(bool) & counting("VS", f, c, targets)
    f = _records(f, ids, ok)
    pre = (f["TPT"] == "PRE").fillna(False).to_numpy(bool)
    sid = f["sid"].to_numpy(np.int64)
    n = int(sid.max()) + 1 if len(sid) else 0
    for col, (lo, hi) in (("SYSBP", (60, 260)), ("DIABP", (30, 160))):
        v = f[col].to_numpy(float)
        v = np.where((v >= lo) & (v <= hi), v, np.nan)
        base = np.full(n, np.nan)
        base[sid[pre]] = v[pre]
        rise = pd.Series(v[~pre] - base[sid[~pre]]).groupby(sid[~pre]).max()  # NaN-skipping
        named = rise.dropna().rename(f"{col.lower()}_rise").rename_axis("sid").reset_index()
        out = out.merge(named, on="sid", how="outer")
    return out
