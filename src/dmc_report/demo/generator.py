"""Generate the demo study: a synthetic, seeded trial modelled on the first study.

The generator works from any protocol of this family (a treatment schedule with urine tests and
craving ratings, relapse and abstinence visits): its visits, dates, treatments, sites and domains
come from the protocol. With the bundled first study's protocol, at its final cutoff the demo
reproduces the published crude figures by construction (13/27 vs 3/28 abstinent over the last
two weeks; about 15/27 vs 26/28 used cocaine or dropped out; a relapse hazard ratio near 0.47;
post-discharge craving about 58% lower); another protocol gets the same outcome pattern on its
own schedule. With ``cutoff`` it is the export a data manager would pull on that date. A handful
of deliberate data problems give validation something to find; they are listed in
:data:`DELIBERATE_PROBLEMS`.

The generator is the only place that knows which subject got which arm before the key is read.
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from dmc_report.domain.contract import DATA_SHEETS
from dmc_report.domain.protocol import Protocol, Visit

Rows = list[list[Any]]

EXPERIMENTAL, CONTROL = "A", "B"
# Recruitment starts late (sites open) and closes early (target met): at most this many days
# after the planned start and before the planned end, and at most a tenth of the planned period.
_LATE_START_DAYS, _EARLY_CLOSE_DAYS = 94, 92
# A route of administration at the end of a treatment's name is not part of its arm's label
# ("Ketamine 0.5 mg/kg IV" is the arm "Ketamine 0.5 mg/kg").
_ROUTES = frozenset({"IV", "IM", "SC", "PO", "SL", "ORAL", "INTRAVENOUS", "INTRAMUSCULAR"})
# The visit code of the deliberate sample under a visit the schedule does not have.
_UNKNOWN_VISIT = "W6V1"

# Per arm at 27/28 subjects; scaled for other sizes.
_TARGETS = {
    EXPERIMENTAL: {"dropouts": 3 / 27, "abstinent": 13 / 27, "events": 15 / 27},
    CONTROL: {"dropouts": 4 / 28, "abstinent": 3 / 28, "events": 26 / 28},
}
# Weight of each relapse visit as the first event for subjects who relapse in treatment.
_FIRST_EVENT_WEIGHTS = {
    EXPERIMENTAL: np.array([10, 5, 3, 2, 2, 1, 1, 1], float),
    CONTROL: np.array([6, 5, 4, 3, 2, 1, 1, 1], float),
}
_AE_TERMS = [
    ("Nervous system disorders", "Headache", 0.9, 1.0),
    ("Nervous system disorders", "Dizziness", 1.4, 0.6),
    ("Psychiatric disorders", "Dissociation", 1.6, 0.1),
    ("Psychiatric disorders", "Anxiety", 0.5, 0.7),
    ("Psychiatric disorders", "Insomnia", 0.5, 0.6),
    ("Gastrointestinal disorders", "Nausea", 0.9, 0.5),
    ("Gastrointestinal disorders", "Vomiting", 0.4, 0.2),
    ("Vascular disorders", "Hypertension", 0.7, 0.2),
    ("General disorders and administration site conditions", "Fatigue", 0.5, 0.6),
    ("Eye disorders", "Vision blurred", 0.4, 0.1),
]
DELIBERATE_PROBLEMS = (
    "VAS: a craving score of 105 (range 0-100)",
    "VAS: an impossible date (2014-02-30) typed as text",
    f"UDS: a sample under an unknown visit code ({_UNKNOWN_VISIT})",
    "UDS: an invalid result code (INCONCL)",
    "AE: an adverse event that ends before it starts",
    "DM: an age of 17 (range 18-100)",
    "UDS/VAS/QS: a few visits 2 days outside their window",
)


# The export's sheets and their columns, in the workbook's order.
_COLUMNS = {
    "DM": [
        "SUBJID",
        "SITEID",
        "CONSDT",
        "RANDDT",
        "AGE",
        "SEX",
        "RACE",
        "ETHNIC",
        "ROUTE",
        "BLDAYS",
        "SFREASON",
    ],
    "UDS": ["SUBJID", "VISIT", "VISDT", "COCAINE", "COLLECTED"],
    "VAS": ["SUBJID", "VISIT", "VISDT", "CRAVING"],
    "QS": ["SUBJID", "VISIT", "VISDT", "FFMQ", "PSS"],
    "EX": ["SUBJID", "EXDT", "EXCOMPL"],
    "AE": [
        "SUBJID",
        "AETERM",
        "AESOC",
        "AESTDT",
        "AEENDT",
        "AESEV",
        "AESER",
        "AEREL",
        "AEACN",
        "AEOUT",
    ],
    "DS": ["SUBJID", "DSDECOD", "DSTERM", "DSDT"],
    "VS": ["SUBJID", "VISIT", "TPT", "SYSBP", "DIABP", "PULSE"],
    "FU": ["SUBJID", "FUDT", "FUABST"],
}


# Sheets of the optional domains ([domains]): a trial without one has no such sheet (or, where
# the contract requires the sheet, its header alone).
_DOMAIN_SHEETS = frozenset({"VS", "FU", "QS", "EX"})
_CONTRACT = {s.name: s for s in DATA_SHEETS}


@dataclass(frozen=True)
class DemoTables:
    """The demo export (data sheets) and key (RAND, ARMS) as frames in the contract's layout."""

    data: dict[str, pd.DataFrame]
    rand: pd.DataFrame
    arms: pd.DataFrame
    last_date: dt.date


@dataclass(frozen=True)
class _Schedule:
    """What the generator needs of the protocol: its schedule, dates and domains."""

    visits: dict[str, Visit]
    relapse: list[str]  # the relapse visits, in order
    window_idx: list[int]  # positions in ``relapse`` of the abstinence window's visits
    eot: int  # end-of-treatment day
    first_relapse_day: int  # before it, the run-in visits (an inpatient stay, a baseline)
    screening: str | None  # the screening visit with questionnaires, if any
    dosing_day: int | None  # the single dose's study day (``infusion_visit``), if any
    follow_up: Visit | None  # the follow-up contact's visit (FU), if the trial has one
    follow_up_label: str  # the follow-up in words, for the disposition's text
    domains: frozenset[str]  # the optional sheets the trial has: VS, FU, QS, EX

    @classmethod
    def of(cls, protocol: Protocol) -> _Schedule:
        ep = protocol.endpoints
        relapse = list(ep.relapse_visits)
        window = set(ep.abstinence_visits)
        visits = {v.code: v for v in protocol.visits}
        d = protocol.domains
        domains = frozenset(
            name
            for name, has in (
                ("VS", d.vital_signs),
                ("FU", d.follow_up),
                ("QS", d.questionnaires),
                ("EX", d.exposure),
            )
            if has
        )
        screening = next(
            (v.code for v in protocol.visits if v.day < 1 and "QS" in v.assessments), None
        )
        follow_up = [v for v in protocol.visits if "FU" in v.assessments]
        label = ep.labels.follow_up
        return cls(
            visits=visits,
            relapse=relapse,
            window_idx=[i for i, c in enumerate(relapse) if c in window],
            eot=ep.end_of_treatment_day,
            first_relapse_day=min(visits[c].day for c in relapse),
            screening=screening if "QS" in domains else None,
            dosing_day=visits[ep.infusion_visit].day if ep.infusion_visit else None,
            follow_up=follow_up[-1] if follow_up and "FU" in domains else None,
            follow_up_label=label.removeprefix("the ").removeprefix("The "),
            domains=domains,
        )

    def treatment_visit(self, visit: Visit) -> bool:
        """A visit of the treatment period (not screening, not a later follow-up)."""
        return 1 <= visit.day <= self.eot


def _enrolment_period(protocol: Protocol) -> tuple[dt.date, dt.date]:
    """The demo's actual enrolment: within the planned period, starting a little late and
    closing a little early."""
    start, end = protocol.study.planned_enrollment_start, protocol.study.planned_enrollment_end
    span = (end - start).days
    late = min(_LATE_START_DAYS, span // 10)
    early = min(_EARLY_CLOSE_DAYS, span // 10)
    return start + dt.timedelta(days=late), end - dt.timedelta(days=early)


def _arms_table(protocol: Protocol) -> pd.DataFrame:
    """The key's ARMS sheet: the protocol's first treatment experimental, its second the
    control, each labelled by its name without a trailing route."""

    def label(name: str) -> str:
        words = name.split()
        if len(words) > 1 and words[-1].upper() in _ROUTES:
            words = words[:-1]
        return " ".join(words)

    treatments = protocol.study.treatments
    experimental = label(treatments[0]) if treatments else "Experimental"
    control = label(treatments[1]) if len(treatments) > 1 else "Control"
    return pd.DataFrame(
        {
            "ARMCD": [CONTROL, EXPERIMENTAL],
            "ARM": [control, experimental],
            "ROLE": ["CONTROL", "EXPERIMENTAL"],
        }
    )


def _sites(protocol: Protocol, n: int) -> list[str]:
    """``n`` site ids: the protocol's, then further numbered ones."""
    sites = list(protocol.study.sites)[:n]
    i = 0
    while len(sites) < n:
        if str(101 + i) not in sites:
            sites.append(str(101 + i))
        i += 1
    return sites


def _first_event_weights(arm: str, n: int) -> np.ndarray:
    """Weight of each of ``n`` relapse visits as the first event: the first study's profile over
    its eight visits, stretched over ``n``."""
    w = _FIRST_EVENT_WEIGHTS[arm]
    if n == len(w):
        return w
    return np.asarray(w[(np.arange(n) * len(w)) // n], dtype=float)


def _subject_seed(sid: str) -> int:
    digits = sid.replace("-", "")
    return int(digits) if digits.isdigit() else zlib.crc32(sid.encode("utf-8"))


@dataclass(frozen=True)
class _Subject:
    """A randomized subject as the generator decided them before their visits."""

    sid: str
    randdt: dt.date
    consdt: dt.date
    arm: str
    klass: str  # outcome class: dropout, abst_clean, abst_early or relapser
    lost_after_eot: bool

    @property
    def experimental(self) -> bool:
        return self.arm == EXPERIMENTAL


def _day(randdt: dt.date, study_day: int) -> dt.date:
    return randdt + dt.timedelta(days=study_day - 1 if study_day > 0 else study_day)


def generate(protocol: Protocol, *, subjects: int = 55, seed: int = 20120705) -> DemoTables:
    """Generate the final (all follow-up complete) demo data for ``subjects`` randomized."""
    rng = np.random.default_rng(seed)
    schedule = _Schedule.of(protocol)
    sites = _sites(protocol, max(3, subjects // 500))
    enrolment_start, enrolment_end = _enrolment_period(protocol)
    span = (enrolment_end - enrolment_start).days
    arms = _allocation(rng, subjects)
    rand_offsets = np.sort(rng.integers(0, span, subjects))
    klass = _outcome_classes(rng, arms)
    site_of = rng.choice(sites, subjects, p=_site_weights(len(sites)))
    # Screen failures are interleaved with randomized subjects in time.
    fail_offsets = rng.integers(0, span, round(subjects * 10 / 55))
    lost_after_eot = set(
        rng.choice(
            np.flatnonzero(np.isin(klass, ["abst_clean", "relapser"])),
            round(subjects * 5 / 55),
            replace=False,
        )
    )
    rows: dict[str, Rows] = {k: [] for k in _COLUMNS}
    rand_rows: Rows = []
    enrolled: dict[str, int] = {}  # subjects per site so far, for the next subject's number
    for kind, i, off in _by_enrolment_day(rand_offsets, fail_offsets):
        site = site_of[i] if kind == "R" else rng.choice(sites)
        enrolled[site] = enrolled.get(site, 0) + 1
        sid = f"{site}-{enrolled[site]:04d}"
        demographics = _demographics(rng)
        if kind == "F":
            consdt = enrolment_start + dt.timedelta(days=int(off))
            rows["DM"].append([sid, site, consdt, None, *demographics, _screen_failure(sid)])
            if schedule.screening:
                rows["QS"].append(_screening_questionnaires(rng, sid, consdt, schedule.screening))
            continue
        randdt = enrolment_start + dt.timedelta(days=int(off))
        consdt = randdt - dt.timedelta(days=int(rng.integers(4, 14)))
        rows["DM"].append([sid, site, consdt, randdt, *demographics, None])
        rand_rows.append([sid, arms[i]])
        subject = _Subject(sid, randdt, consdt, arms[i], str(klass[i]), i in lost_after_eot)
        _subject(rng, subject, schedule, rows)
    data = {
        k: pd.DataFrame(v, columns=_COLUMNS[k]).astype(object)
        for k, v in rows.items()
        if k in schedule.domains or k not in _DOMAIN_SHEETS or _CONTRACT[k].required
    }
    _deliberate_problems(data, rng, protocol)
    _urine_panel(data["UDS"], protocol)
    _entry_dates(data)
    rand = pd.DataFrame(rand_rows, columns=["SUBJID", "ARMCD"]).astype(object)
    return DemoTables(data, rand, _arms_table(protocol), _last_date(data))


def _urine_panel(uds: pd.DataFrame, protocol: Protocol) -> None:
    """The protocol's other analytes (``[urine_panel]``) beside the primary result: each subject
    has a propensity per analyte, drawn from streams of their own (the rest of the demo is the
    same with or without a panel); a sample without a primary result has none; one cell holds a
    value the lab does not report (an INVALID_CODE finding)."""
    sids = uds["SUBJID"].astype(str)
    taken = uds["COCAINE"].notna().to_numpy(bool)
    for k, column in enumerate(protocol.urine_panel):
        p = {
            sid: np.random.default_rng((17, k, _subject_seed(sid))).beta(0.6, 2.5)
            for sid in sids.unique()
        }
        values: list[object] = []
        for i, sid in enumerate(sids):
            draw = np.random.default_rng((19, k, _subject_seed(sid), i)).random()
            values.append(("POS" if draw < p[sid] else "NEG") if taken[i] else None)
        if k == 0 and taken.any():
            values[int(np.flatnonzero(taken)[len(np.flatnonzero(taken)) // 3])] = "QNS"
        uds[column] = pd.Series(values, index=uds.index, dtype=object)


_ENTRY_FORMS = (("UDS", "VISDT"), ("VAS", "VISDT"), ("QS", "VISDT"), ("AE", "AESTDT"))


def _entry_dates(data: dict[str, pd.DataFrame]) -> None:
    """When each dated record was entered in the EDC (``ENTRYDT``): a few days after its date,
    longer at some sites, now and then weeks; drawn from streams of their own (the rest of the
    demo is the same). A record whose date is not a date (a deliberate error) has none."""
    dm = data["DM"]
    site_of = dict(zip(dm["SUBJID"].astype(str), dm["SITEID"].astype(str), strict=False))
    for k, (form, when) in enumerate(_ENTRY_FORMS):
        if form not in data:
            continue
        f = data[form]
        rng = np.random.default_rng((23, k, len(f)))
        slow = np.array([zlib.crc32(site_of.get(str(s), "").encode()) % 3 for s in f["SUBJID"]])
        lag = np.round(rng.gamma(1.5, 1.5 + 1.5 * slow)) + (rng.random(len(f)) < 0.04) * 21
        f["ENTRYDT"] = [
            d + dt.timedelta(days=int(x)) if isinstance(d, dt.date) else None
            for d, x in zip(f[when], lag, strict=True)
        ]


def _allocation(rng: np.random.Generator, subjects: int) -> np.ndarray:
    """Each subject's arm: half (rounded down) experimental, in random order."""
    n_exp = subjects // 2
    arms = np.array([EXPERIMENTAL] * n_exp + [CONTROL] * (subjects - n_exp))
    return arms[rng.permutation(subjects)]


def _outcome_classes(rng: np.random.Generator, arms: np.ndarray) -> np.ndarray:
    """Outcome class of each subject, with exact counts per arm (:data:`_TARGETS`)."""
    klass = np.empty(len(arms), dtype=object)
    for arm in (EXPERIMENTAL, CONTROL):
        idx = rng.permutation(np.flatnonzero(arms == arm))
        n = len(idx)
        t = _TARGETS[arm]
        d = round(n * t["dropouts"])
        a = round(n * t["abstinent"])
        events = max(round(n * t["events"]), n - a)
        a_early = max(0, events - d - (n - d - a))
        a_clean = a - a_early
        labels = ["dropout"] * d + ["abst_clean"] * a_clean + ["abst_early"] * a_early
        labels += ["relapser"] * (n - len(labels))
        klass[idx] = labels
    return klass


def _by_enrolment_day(
    rand_offsets: np.ndarray, fail_offsets: np.ndarray
) -> list[tuple[str, int, Any]]:
    """Randomized subjects ("R", index, randomization day) and screen failures ("F", index,
    consent day), by day (days from the start of enrolment)."""
    people = [("R", i, rand_offsets[i]) for i in range(len(rand_offsets))]
    people += [("F", j, fail_offsets[j]) for j in range(len(fail_offsets))]
    people.sort(key=lambda p: (p[2], p[0], p[1]))
    return people


SCREEN_FAILURES = (
    ("Did not meet inclusion criteria", 0.5),
    ("Withdrew consent", 0.25),
    ("Met an exclusion criterion", 0.15),
    ("Lost before randomization", 0.10),
)


def _screen_failure(sid: str) -> str:
    """Why a screened subject was not randomized (its own random stream: the other draws, and
    so the rest of the demo, stay as they were)."""
    rng = np.random.default_rng((13, int(sid.replace("-", ""))))
    reasons = [r for r, _ in SCREEN_FAILURES]
    weights = [w for _, w in SCREEN_FAILURES]
    return str(rng.choice(reasons, p=weights))


def _demographics(rng: np.random.Generator) -> list[Any]:
    """AGE, SEX, RACE, ETHNIC, ROUTE and BLDAYS of someone screened."""
    age = int(np.clip(rng.normal(44, 8), 19, 70))
    sex = rng.choice(["M", "F"], p=[0.8, 0.2])
    race = rng.choice(["Black or African American", "White", "Other"], p=[0.55, 0.35, 0.10])
    ethnic = rng.choice(["Not Hispanic or Latino", "Hispanic or Latino"], p=[0.8, 0.2])
    route = rng.choice(["SMOKED", "INTRANASAL", "INJECTED"], p=[0.75, 0.2, 0.05])
    bldays = int(np.clip(rng.normal(17, 6), 8, 30))
    return [age, sex, race, ethnic, route, bldays]


def _last_date(data: dict[str, pd.DataFrame]) -> dt.date:
    """The latest date in any date column of the export."""
    return max(
        d
        for frame in data.values()
        for c in frame.columns
        if c.endswith("DT")
        for d in frame[c]
        if isinstance(d, dt.date)
    )


def _site_weights(n: int) -> np.ndarray:
    w: np.ndarray = np.linspace(1.0, 1.6, n)[::-1]
    return np.asarray(w / w.sum(), dtype=float)


def _ffmq(rng: np.random.Generator, shift: float) -> int:
    return int(np.clip(rng.normal(118 + shift, 15), 39, 195))


def _pss(rng: np.random.Generator, shift: float) -> int:
    return int(np.clip(rng.normal(19 - shift, 6), 0, 40))


def _screening_questionnaires(
    rng: np.random.Generator, sid: str, consdt: dt.date, visit: str
) -> list[Any]:
    """The QS row of the screening visit, two days after consent."""
    return [sid, visit, consdt + dt.timedelta(days=2), _ffmq(rng, 0), _pss(rng, 0)]


def _subject(
    rng: np.random.Generator, subject: _Subject, schedule: _Schedule, rows: dict[str, Rows]
) -> None:
    """A randomized subject's rows: visits, screening, doses, adverse events, disposition."""
    drop_day = int(rng.integers(3, schedule.eot)) if subject.klass == "dropout" else None
    results = _urine_results(rng, subject, schedule)
    _visits(rng, subject, schedule, drop_day, results, rows)
    if schedule.screening:
        qs = _screening_questionnaires(rng, subject.sid, subject.consdt, schedule.screening)
        rows["QS"].append(qs)
    last_day = drop_day if drop_day is not None else schedule.eot
    dosed = "EX" in schedule.domains
    if dosed and schedule.dosing_day is not None:  # a single dose (an infusion, an injection)
        dose = _day(subject.randdt, schedule.dosing_day)
        rows["EX"].append([subject.sid, dose, "Y" if rng.random() > 0.02 else "N"])
    elif dosed:  # daily dosing: a dispensing each week while on treatment
        for day in range(1, last_day + 1, 7):
            taken = "Y" if rng.random() > 0.05 else "N"
            rows["EX"].append([subject.sid, _day(subject.randdt, day), taken])
    rows["AE"] += _adverse_events(rng, subject, last_day)
    _disposition_and_follow_up(rng, subject, schedule, drop_day, rows)


def _urine_results(
    rng: np.random.Generator, subject: _Subject, schedule: _Schedule
) -> dict[str, str | None]:
    """Urine result per relapse visit: "POS", "NEG" or None (missed), by outcome class."""
    relapse, window_idx = schedule.relapse, schedule.window_idx
    res: dict[str, str | None] = {}
    if subject.klass == "dropout":
        for c in relapse:
            res[c] = rng.choice(["POS", "NEG"], p=[0.55, 0.45])
    elif subject.klass == "abst_clean":
        res = dict.fromkeys(relapse, "NEG")
    elif subject.klass == "abst_early":
        k = int(rng.integers(0, min(window_idx)))
        for j, c in enumerate(relapse):
            res[c] = "NEG" if j != k else "POS"
    else:  # relapser: first event at a visit drawn by arm, at least one bad window visit
        w = _first_event_weights(subject.arm, len(relapse))
        k = int(rng.choice(len(relapse), p=w / w.sum()))
        for j, c in enumerate(relapse):
            if j < k:
                res[c] = "NEG"
            elif j == k:
                res[c] = "POS" if rng.random() < 0.8 else None
            else:
                u = rng.random()
                pos = 0.45 if subject.experimental else 0.65
                res[c] = "POS" if u < pos else ("NEG" if u < 0.92 else None)
        if all(res[relapse[j]] == "NEG" for j in window_idx):
            res[relapse[int(rng.choice(window_idx))]] = "POS"
    return res


def _visits(
    rng: np.random.Generator,
    subject: _Subject,
    schedule: _Schedule,
    drop_day: int | None,
    results: dict[str, str | None],
    rows: dict[str, Rows],
) -> None:
    """The UDS, VAS, QS and VS rows of the treatment visits the subject attended."""
    sid, exp = subject.sid, subject.experimental
    # Post-discharge craving level by arm (58% lower with ketamine); baseline alike.
    # (its own random stream, so that tuning the relapse pattern leaves craving as it is)
    crng = np.random.default_rng((7, _subject_seed(sid)))
    base = float(np.clip(crng.normal(57, 17), 5, 100))
    post_level = base * (0.33 if exp else 0.79)
    pss_shift = 3 if exp else 1
    for v in schedule.visits.values():
        if not schedule.treatment_visit(v):
            continue
        if drop_day is not None and v.day >= drop_day:
            continue
        visdt = _visit_date(rng, subject.randdt, v)
        if "UDS" in v.assessments:
            if v.code in results:
                r = results[v.code]
            else:  # run-in: mostly positive on admission, clearing over the days
                r = "POS" if rng.random() < max(0.05, 0.8 - 0.2 * (v.day - 1)) else "NEG"
            if r is None:
                if rng.random() < 0.5:
                    rows["UDS"].append([sid, v.code, None, None, "N"])  # recorded as not collected
                continue  # a missed visit: no sample, no rating
            rows["UDS"].append([sid, v.code, visdt, r, "Y"])
        if "VAS" in v.assessments:
            level = (
                base
                if v.day <= 1
                else (base + post_level) / 2
                if v.day < schedule.first_relapse_day
                else post_level
            )
            score = int(np.clip(round(crng.normal(level, 9)), 0, 100))
            rows["VAS"].append([sid, v.code, visdt, score])
        if "QS" in v.assessments and "QS" in schedule.domains:
            qs = [sid, v.code, visdt, _ffmq(rng, 4 * pss_shift), _pss(rng, pss_shift)]
            rows["QS"].append(qs)
        if "VS" in v.assessments and "VS" in schedule.domains:
            rows["VS"] += _vital_signs(rng, sid, v.code, exp)


def _visit_date(rng: np.random.Generator, randdt: dt.date, visit: Visit) -> dt.date:
    """The visit's target day, a few visits with a window a day off, a rare one two days off."""
    shift = 0
    before, after = visit.window_before, visit.window_after
    if after and rng.random() < 0.025:
        # out of window (deliberate, a conduct warning)
        shift = int(rng.choice([-(before + 1), after + 1]))
    elif after and rng.random() < 0.15:
        shift = int(rng.choice([-1 if before else 1, 1]))
    return _day(randdt, visit.day) + dt.timedelta(days=shift)


def _vital_signs(rng: np.random.Generator, sid: str, visit: str, experimental: bool) -> Rows:
    """Blood pressure and pulse before and after the infusion; a larger rise with ketamine."""
    sys0, dia0 = rng.normal(124, 10), rng.normal(78, 7)
    rise_s, rise_d = (18, 9) if experimental else (7, 3)
    return [
        [
            sid,
            visit,
            tpt,
            round(sys0 + f * rng.normal(rise_s, 5)),
            round(dia0 + f * rng.normal(rise_d, 2.5)),
            round(rng.normal(74, 8) + f * 6),
        ]
        for tpt, f in (("PRE", 0.0), ("POST40", 1.0), ("POST80", 0.55), ("POST120", 0.2))
    ]


def _adverse_events(rng: np.random.Generator, subject: _Subject, last_day: int) -> Rows:
    """Adverse events: more, and dissociation, with ketamine; none leads to withdrawal."""
    sid, randdt, exp = subject.sid, subject.randdt, subject.experimental
    ae: Rows = []
    for soc, term, rate_k, rate_m in _AE_TERMS:
        if rng.random() < 0.16 * (rate_k if exp else rate_m):
            start = _day(randdt, int(rng.integers(2, max(3, last_day))))
            sev = rng.choice(["MILD", "MODERATE", "SEVERE"], p=[0.65, 0.3, 0.05])
            end = start + dt.timedelta(days=int(rng.integers(0, 6)))
            rel = (
                "Y"
                if term in ("Dissociation", "Dizziness", "Hypertension", "Vision blurred")
                else "N"
            )
            ae.append([sid, term, soc, start, end, sev, "N", rel, "NONE", "RECOVERED"])
    if not exp and rng.random() < 0.08:
        start = _day(randdt, int(rng.integers(6, max(7, last_day))))
        ae.append(
            [
                sid,
                "Chest pain",
                "General disorders and administration site conditions",
                start,
                start + dt.timedelta(days=2),
                "SEVERE",
                "Y",
                "N",
                "NONE",
                "RECOVERED",
            ]
        )
    return ae


def _disposition_and_follow_up(
    rng: np.random.Generator,
    subject: _Subject,
    schedule: _Schedule,
    drop_day: int | None,
    rows: dict[str, Rows],
) -> None:
    """The DS row (dropped out, lost after treatment, or completed) and, on completion, FU."""
    sid, randdt, fu = subject.sid, subject.randdt, schedule.follow_up
    if drop_day is not None:
        reason = rng.choice(
            ["WITHDRAWAL BY SUBJECT", "LOST TO FOLLOW-UP", "OTHER"], p=[0.5, 0.35, 0.15]
        )
        rows["DS"].append([sid, reason, "Dropped out during treatment", _day(randdt, drop_day)])
        return
    if fu is None:  # no follow-up contact: treatment completed is study completed
        rows["DS"].append([sid, "COMPLETED", "Completed treatment", _day(randdt, schedule.eot)])
        return
    if subject.lost_after_eot:
        # lost between the end of treatment and the follow-up (days 60-150 of 35-180)
        gap = fu.day - schedule.eot
        lo, hi = schedule.eot + round(gap * 25 / 145), fu.day - round(gap * 30 / 145)
        days = int(rng.integers(lo, max(hi, lo + 1)))
        rows["DS"].append(
            [sid, "LOST TO FOLLOW-UP", "No contact after treatment", _day(randdt, days)]
        )
        return
    spread = min(12, fu.window_before, fu.window_after)
    fudt = _day(randdt, fu.day + int(rng.integers(-spread, spread + 1)))
    # Chance of abstinence at follow-up, by arm: (abstinent in treatment, not).
    p_yes, p_no = (0.75, 0.2) if subject.experimental else (0.3, 0.03)
    p_abst = p_yes if subject.klass.startswith("abst") else p_no
    rows["FU"].append([sid, fudt, "Y" if rng.random() < p_abst else "N"])
    rows["DS"].append([sid, "COMPLETED", f"Completed {schedule.follow_up_label}", fudt])


def _deliberate_problems(
    data: dict[str, pd.DataFrame], rng: np.random.Generator, protocol: Protocol
) -> None:
    """A few realistic errors (each found by validation) and legal variants (each accepted)."""
    vas, uds, ae, dm = data["VAS"], data["UDS"], data["AE"], data["DM"]
    # the third and fourth visits from day 1 with a urine test and a craving rating
    early = [v.code for v in protocol.visits if v.day >= 1 and {"UDS", "VAS"} <= set(v.assessments)]
    third, fourth = early[min(2, len(early) - 1)], early[min(3, len(early) - 1)]
    d3 = vas.index[vas["VISIT"] == third]
    vas.loc[d3[len(d3) // 3], "CRAVING"] = 105
    d4 = vas.index[vas["VISIT"] == fourth]
    vas.loc[d4[len(d4) // 2], "VISDT"] = "2014-02-30"
    first = uds.iloc[len(uds) // 4]
    unknown = _UNKNOWN_VISIT
    while unknown in protocol.visit_codes:
        unknown += "X"
    extra = pd.DataFrame(
        [[first["SUBJID"], unknown, first["VISDT"], "NEG", "Y"]], columns=uds.columns
    )
    data["UDS"] = uds = pd.concat([uds, extra], ignore_index=True).astype(object)
    u3 = uds.index[(uds["VISIT"] == third) & uds["COCAINE"].notna()]
    uds.loc[u3[len(u3) // 2], "COCAINE"] = "INCONCL"
    if len(ae):
        i = ae.index[len(ae) // 2]
        ae.loc[i, "AEENDT"] = ae.loc[i, "AESTDT"] - dt.timedelta(days=3)
    randomized = dm.index[dm["RANDDT"].notna()]
    dm.loc[randomized[len(randomized) // 5], "AGE"] = 17
    # Legal variants: codes in other case/with spaces, ISO text dates, an extra column.
    for i in uds.index[uds["COCAINE"].isin(["NEG"])][::37]:
        uds.loc[i, "COCAINE"] = "neg"
    for i in uds.index[uds["COCAINE"].isin(["POS"])][::41]:
        uds.loc[i, "COCAINE"] = " Pos"
    for i in vas.index[vas["VISDT"].map(lambda d: isinstance(d, dt.date))][::53]:
        vas.loc[i, "VISDT"] = vas.loc[i, "VISDT"].isoformat()
    for frame in data.values():
        frame.insert(0, "STUDYID", protocol.study.id)


def apply_cutoff(tables: DemoTables, cutoff: dt.date, protocol: Protocol) -> DemoTables:
    """The export as pulled on ``cutoff``: nothing that happened after it exists yet."""
    day_of = {v.code: v.day for v in protocol.visits}
    dm = tables.data["DM"].copy()
    dm = dm[dm["CONSDT"].map(lambda d: d <= cutoff)].copy()
    dm.loc[dm["RANDDT"].map(lambda d: isinstance(d, dt.date) and d > cutoff), "RANDDT"] = None
    randdt = dict(zip(dm["SUBJID"], dm["RANDDT"], strict=True))

    def on_or_before(d: object) -> bool:
        if isinstance(d, str):
            try:
                d = dt.date.fromisoformat(d)
            except ValueError:
                return True
        return not isinstance(d, dt.date) or d <= cutoff

    out = {"DM": dm}
    for name in ("UDS", "VAS", "QS"):
        f = tables.data[name]
        keep = f["VISDT"].map(on_or_before)
        blank = f["VISDT"].isna()
        target_ok = [
            isinstance(randdt.get(s), dt.date) and _day(randdt[s], day_of.get(v, 1)) <= cutoff
            for s, v in zip(f["SUBJID"], f["VISIT"], strict=True)
        ]
        keep &= ~blank | pd.Series(target_ok, index=f.index)
        keep &= f["SUBJID"].isin(randdt.keys())
        out[name] = f[keep].copy()
    if "VS" in tables.data:
        vs = tables.data["VS"]
        out["VS"] = vs[
            [
                isinstance(randdt.get(s), dt.date) and _day(randdt[s], day_of.get(v, 1)) <= cutoff
                for s, v in zip(vs["SUBJID"], vs["VISIT"], strict=True)
            ]
        ].copy()
    ex = tables.data["EX"]
    out["EX"] = ex[ex["EXDT"].map(on_or_before) & ex["SUBJID"].isin(randdt.keys())].copy()
    ae = tables.data["AE"].copy()
    ae = ae[ae["AESTDT"].map(on_or_before) & ae["SUBJID"].isin(randdt.keys())].copy()
    later = ae["AEENDT"].map(lambda d: isinstance(d, dt.date) and d > cutoff)
    ae.loc[later, "AEENDT"] = None
    ae.loc[later, "AEOUT"] = "ONGOING"
    out["AE"] = ae
    for name, col in (("DS", "DSDT"), ("FU", "FUDT")):
        if name not in tables.data:
            continue
        f = tables.data[name]
        out[name] = f[f[col].map(on_or_before) & f["SUBJID"].isin(randdt.keys())].copy()
    for frame in out.values():  # entered by the time of the pull (the demo keeps the record)
        if "ENTRYDT" in frame:
            frame["ENTRYDT"] = [
                min(d, cutoff) if isinstance(d, dt.date) else d for d in frame["ENTRYDT"]
            ]
    randomized = {s for s, d in randdt.items() if isinstance(d, dt.date)}
    rand = tables.rand[tables.rand["SUBJID"].isin(randomized)].copy()
    return DemoTables(out, rand, tables.arms.copy(), cutoff)
