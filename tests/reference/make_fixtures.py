"""Write the study cases that tests/reference/derive.R derives independently (run once; committed).

    .venv/bin/python tests/reference/make_fixtures.py

Cases (each a folder under tests/fixtures/r/ with protocol.toml, data.xlsx, key.xlsx (not
encrypted: R reads it with readxl) and case.json holding the cutoff):
  demo-final      the demo study at its final cutoff
  demo-interim    the demo study exported on 2014-09-30 (pending subjects, censoring at the cut)
  demo-late-cut   the final export analysed at 2014-09-30 (records after the cutoff excluded)
  zero-cell       20 subjects; no control subject abstinent (odds ratio not estimable)
  ties            36 subjects; relapse events piled on a few visit days (Efron ties)
  three-arm       90 subjects, two experimental arms and a control (each compared with control)
  early-follow-up 30 subjects; some completed on the day their last visit came early (a day
                  before its target): their craving at that visit counts (dmc-sap.md, Craving)
  stimulant-12wk  60 subjects of the second template (templates/protocols/stimulant-12wk.toml:
                  12 weeks outpatient, twice-weekly visits, a three-week window, no vital
                  signs), at an interim cutoff; its case.json carries the schedule and
                  endpoints, which derive.R reads instead of the first study's

    .venv/bin/python tests/reference/make_fixtures.py early-follow-up   # one case only

Hand-built edge cases (every row written out, no random draws; the workbooks are byte-stable,
so `make fixtures` rewrites them unchanged), on the first study's protocol:
  edge-ties-at-cutoff  relapses, NEG samples (censoring), dropouts and an AE all on the cutoff
  edge-all-missing     a subject randomized with every sample missing; a screen failure with a
                       reason; an SAE
  edge-no-events-arm   the control arm with no relapse, no dropout, no AE (Cox HR not estimable)
  edge-all-pending     an interim cut before anyone's abstinence window is due (information 0)

    .venv/bin/python tests/reference/make_fixtures.py --edge        # the four edge cases
    .venv/bin/python tests/reference/make_fixtures.py --case-json   # every case.json (with the
        # protocol's study parameters the R scripts read: target, domains, interim plan), and
        # tests/fixtures/r-shared/<case>/case.json for the shared reference studies
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from dmc_report.demo.generator import CONTROL, DemoTables, apply_cutoff, generate
from dmc_report.demo.writer import workbook_bytes
from dmc_report.domain.protocol import Protocol
from dmc_report.io.protocol_loader import bundled_protocol_text, parse_protocol

OUT = Path(__file__).parents[1] / "fixtures" / "r"
SHARED_OUT = Path(__file__).parents[1] / "fixtures" / "r-shared"
SHARED = Path(__file__).parents[3] / "shared" / "reference"
TEXT = bundled_protocol_text("ketamine-mbrp.toml")
PROTOCOL = parse_protocol(TEXT, "ketamine-mbrp.toml")


def write(
    name: str, tables: DemoTables, cutoff: dt.date, text: str = TEXT, schedule: bool = False
) -> None:
    folder = OUT / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "protocol.toml").write_text(text)
    (folder / "data.xlsx").write_bytes(workbook_bytes(tables.data))
    (folder / "key.xlsx").write_bytes(workbook_bytes({"RAND": tables.rand, "ARMS": tables.arms}))
    write_case_json(folder, cutoff.isoformat(), text, schedule)


def write_case_json(
    folder: Path, cutoff: str, text: str, schedule: bool, inputs: str | None = None
) -> None:
    """case.json: the cutoff and what the R scripts need of the protocol (R reads no TOML)."""
    p = parse_protocol(text, f"{folder.name}/protocol.toml")
    case: dict[str, object] = {"cutoff": cutoff}
    if inputs:
        case["inputs"] = inputs
    if schedule:  # derive.R and questionnaires.R read these instead of the first study's
        case |= schedule_of(p)
    case["study"] = study_of(p)
    # urine_panel.R: the urine panel's other analytes ([urine_panel]; none: null results)
    case["panel"] = [{"column": c, "analyte": label} for c, label in p.urine_panel.items()]
    (folder / "case.json").write_text(json.dumps(case) + "\n")


def study_of(p: Protocol) -> dict[str, object]:
    """The study parameters tables.R and monitoring_study.R read: target, domains, interim plan."""
    i = p.interim
    return {
        "target_enrollment": p.study.target_enrollment,
        "eot": p.endpoints.end_of_treatment_day,
        "infusion_visit": p.endpoints.infusion_visit,
        "vital_signs": p.domains.vital_signs,
        "follow_up": p.domains.follow_up,
        "exposure": p.domains.exposure,
        "interim": None
        if i is None
        else {
            "endpoint": i.endpoint,
            "planned_information": i.planned_information,
            "spending": str(i.spending.value),
            "gamma": i.gamma,
            "alpha": i.alpha,
            "sided": i.sided,
            "futility_z": i.futility_z,
            "assumed_experimental": i.assumed_experimental,
            "assumed_control": i.assumed_control,
            "previous_looks": [
                {
                    "date": look.date.isoformat(),
                    "information_fraction": look.information_fraction,
                    "observed_z": look.observed_z,
                }
                for look in i.previous_looks
            ],
        },
    }


def rewrite_case_json() -> None:
    """Rewrite every case's case.json from its committed protocol.toml and cutoff (the
    workbooks are left as they are: the demo generator has moved on since they were drawn)."""
    for folder in sorted(OUT.iterdir()):
        old = json.loads((folder / "case.json").read_text())
        text = (folder / "protocol.toml").read_text()
        write_case_json(folder, old["cutoff"], text, "schedule" in old)
    for name, meta in shared_cases():
        folder = SHARED_OUT / name
        folder.mkdir(parents=True, exist_ok=True)
        write_case_json(folder, meta, TEXT, False, inputs=f"../../../../../shared/reference/{name}")


def schedule_of(p: Protocol) -> dict[str, object]:
    """The schedule and endpoints of ``p`` in derive.R's terms."""
    ep = p.endpoints
    return {
        "schedule": {
            "visit": [v.code for v in p.visits],
            "day": [v.day for v in p.visits],
            "wb": [v.window_before for v in p.visits],
            "wa": [v.window_after for v in p.visits],
            "uds": ["UDS" in v.assessments for v in p.visits],
            "vas": ["VAS" in v.assessments for v in p.visits],
            "qs": ["QS" in v.assessments for v in p.visits],
        },
        "endpoints": {
            "abstinence": list(ep.abstinence_visits),
            "relapse": list(ep.relapse_visits),
            "craving": list(ep.craving_visits),
            "baseline": ep.craving_baseline_visit,
            "eot": ep.end_of_treatment_day,
        },
    }


def second_template() -> None:
    # the case's workbook is in the contract's names (the R scripts read those): the template
    # without its [mapping] (the last part of the file), which tests/unit/test_second_template.py
    # covers on the demo's mapped export
    text = bundled_protocol_text("stimulant-12wk.toml").split("\n[mapping.", 1)[0]
    p = parse_protocol(text, "stimulant-12wk.toml")
    tables = generate(p, subjects=60, seed=31)
    cut = tables.last_date - dt.timedelta(days=150)
    write("stimulant-12wk", apply_cutoff(tables, cut, p), cut, text, schedule=True)


def _set_results(tables: DemoTables, subjects: set[str], visits: list[str], value: str) -> None:
    uds = tables.data["UDS"]
    hit = uds["SUBJID"].isin(subjects) & uds["VISIT"].isin(visits) & uds["VISDT"].notna()
    uds.loc[hit, "COCAINE"] = value


def three_arm() -> DemoTables:
    """A second experimental arm ("C", a lower dose): half of the demo's experimental subjects,
    a third of whom use cocaine through the abstinence window; analysed at an interim cutoff."""
    tables = generate(PROTOCOL, subjects=90, seed=23)
    rand = tables.rand
    exp_ids = rand.loc[rand["ARMCD"] == "A", "SUBJID"].to_list()
    low = exp_ids[1::2]
    rand.loc[rand["SUBJID"].isin(low), "ARMCD"] = "C"
    _set_results(tables, set(low[::3]), list(PROTOCOL.endpoints.abstinence_visits), "POS")
    low_dose = pd.DataFrame(
        {"ARMCD": ["C"], "ARM": ["Ketamine 0.25 mg/kg"], "ROLE": ["EXPERIMENTAL"]}
    )
    arms = pd.concat([tables.arms, low_dose], ignore_index=True).astype(object)
    return dataclasses.replace(tables, arms=arms)


def early_follow_up() -> DemoTables:
    """Subjects whose last treatment visit (W5V2, target day 32) came a day early, and who
    completed that day: the visit's target is after their DSDT ("not expected"), yet its craving
    value is data and counts."""
    tables = generate(PROTOCOL, subjects=30, seed=5)
    dm, ds, vas, uds = (tables.data[k] for k in ("DM", "DS", "VAS", "UDS"))
    rand = dict(zip(dm["SUBJID"], pd.to_datetime(dm["RANDDT"]), strict=True))
    last = PROTOCOL.visit("W5V2")
    done = vas.loc[(vas["VISIT"] == last.code) & vas["CRAVING"].notna(), "SUBJID"]
    completers = ds.loc[ds["DSDECOD"] == "COMPLETED", "SUBJID"]
    chosen = sorted(set(done) & set(completers))[:8]
    for sid in chosen:
        early = (rand[sid] + pd.Timedelta(days=last.day - 2)).date()  # target - 1 day
        for frame in (vas, uds):
            frame.loc[(frame["SUBJID"] == sid) & (frame["VISIT"] == last.code), "VISDT"] = early
        ds.loc[ds["SUBJID"] == sid, "DSDT"] = early
        fu = tables.data["FU"]
        tables.data["FU"] = fu[fu["SUBJID"] != sid]  # completed at the end of treatment
    return tables


# --- hand-built edge cases (no random draws: every row is written out below) -------------------

VISIT_DAYS = {v.code: v.day for v in PROTOCOL.visits}
TREATMENT = [v.code for v in PROTOCOL.visits if "UDS" in v.assessments]


def stable_xlsx(data: bytes) -> bytes:
    """The same workbook with fixed zip and document timestamps, so that writing it again gives
    the same bytes (openpyxl stamps the time of writing)."""
    import io
    import re
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2026-01-01T00:00:00Z", body)
            fixed = zipfile.ZipInfo(info.filename, date_time=(2026, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, body)
    return out.getvalue()


@dataclasses.dataclass
class Subject:
    """One hand-built subject: randomized on ``rand`` (None: a screen failure) into ``arm``;
    ``urine`` gives the result at each treatment visit (a visit left out has no sample row);
    ``stop`` ends the visits (a discontinuation on that date, or completion)."""

    sid: str
    arm: str
    rand: dt.date | None
    urine: dict[str, str]
    stop: tuple[str, dt.date] | None = None
    ae: tuple[tuple[str, str, dt.date, str, str], ...] = ()  # term, soc, start, severity, serious


def target(s: Subject, visit: str) -> dt.date:
    assert s.rand is not None
    day = VISIT_DAYS[visit]
    return s.rand + dt.timedelta(days=day - 1 if day > 0 else day)


COLUMNS = {
    "DM": ["SUBJID", "SITEID", "CONSDT", "RANDDT", "AGE", "SEX", "RACE", "ETHNIC", "ROUTE",
           "BLDAYS", "SFREASON"],
    "UDS": ["SUBJID", "VISIT", "VISDT", "COCAINE", "COLLECTED"],
    "VAS": ["SUBJID", "VISIT", "VISDT", "CRAVING"],
    "QS": ["SUBJID", "VISIT", "VISDT", "FFMQ", "PSS"],
    "EX": ["SUBJID", "EXDT", "EXCOMPL"],
    "AE": ["SUBJID", "AETERM", "AESOC", "AESTDT", "AEENDT", "AESEV", "AESER", "AEREL", "AEACN",
           "AEOUT"],
    "DS": ["SUBJID", "DSDECOD", "DSTERM", "DSDT"],
    "VS": ["SUBJID", "VISIT", "TPT", "SYSBP", "DIABP", "PULSE"],
    "FU": ["SUBJID", "FUDT", "FUABST"],
}  # fmt: skip


def edge_tables(subjects: list[Subject], cutoff: dt.date) -> DemoTables:
    """The sheets of the data contract for ``subjects``: a urine and a craving row where
    ``urine`` has a result (dated at the visit's target, on or before ``cutoff``)."""
    dm, uds, vas, qs, ex, ae, ds, vs, fu = ([] for _ in range(9))
    for i, s in enumerate(subjects):
        consent = (s.rand or cutoff) - dt.timedelta(days=10)
        dm.append(
            {
                "SUBJID": s.sid, "SITEID": "101" if i % 2 else "102", "CONSDT": consent,
                "RANDDT": s.rand, "AGE": 30 + i, "SEX": "MF"[i % 2], "RACE": "White",
                "ETHNIC": "Not Hispanic or Latino", "ROUTE": "SMOKED", "BLDAYS": 10 + i % 7,
                "SFREASON": None if s.rand else "did not meet inclusion criteria",
            }
        )  # fmt: skip
        if s.rand is None:
            continue
        for visit, result in s.urine.items():
            when = target(s, visit)
            uds.append({"SUBJID": s.sid, "VISIT": visit, "VISDT": when, "COCAINE": result,
                        "COLLECTED": "Y"})  # fmt: skip
            vas.append({"SUBJID": s.sid, "VISIT": visit, "VISDT": when,
                        "CRAVING": 20 + (i * 7 + VISIT_DAYS[visit]) % 60})  # fmt: skip
            if visit in ("D1", "D5"):
                qs.append({"SUBJID": s.sid, "VISIT": visit, "VISDT": when, "FFMQ": 100 + i,
                           "PSS": 10 + i % 9})  # fmt: skip
            if visit == "D2":
                ex.append({"SUBJID": s.sid, "EXDT": when, "EXCOMPL": "Y"})
                for tpt, rise in (("PRE", 0), ("POST40", 5 + i % 4), ("POST80", 2)):
                    vs.append({"SUBJID": s.sid, "VISIT": "D2", "TPT": tpt, "SYSBP": 120 + rise,
                               "DIABP": 75 + rise // 2, "PULSE": 70})  # fmt: skip
        for term, soc, start, sev, ser in s.ae:
            ae.append({"SUBJID": s.sid, "AETERM": term, "AESOC": soc, "AESTDT": start,
                       "AEENDT": start + dt.timedelta(days=2), "AESEV": sev, "AESER": ser,
                       "AEREL": "N", "AEACN": "NONE", "AEOUT": "RECOVERED"})  # fmt: skip
        if s.stop:
            ds.append({"SUBJID": s.sid, "DSDECOD": s.stop[0], "DSTERM": s.stop[0].capitalize(),
                       "DSDT": s.stop[1]})  # fmt: skip
            if s.stop[0] == "COMPLETED":
                fu.append({"SUBJID": s.sid, "FUDT": s.stop[1], "FUABST": "Y" if i % 3 else "N"})
    frames = {
        "DM": dm, "UDS": uds, "VAS": vas, "QS": qs, "EX": ex, "AE": ae, "DS": ds, "VS": vs,
        "FU": fu,
    }  # fmt: skip
    data = {k: pd.DataFrame(v, columns=COLUMNS[k]).astype(object) for k, v in frames.items()}
    rand = pd.DataFrame([{"SUBJID": s.sid, "ARMCD": s.arm} for s in subjects if s.rand])
    arms = pd.DataFrame(
        {"ARMCD": ["A", "B"], "ARM": ["Ketamine 0.5 mg/kg", "Midazolam 0.025 mg/kg"],
         "ROLE": ["EXPERIMENTAL", "CONTROL"]}
    )  # fmt: skip
    return DemoTables(data=data, rand=rand, arms=arms, last_date=cutoff)  # type: ignore[call-arg]


def write_edge(name: str, subjects: list[Subject], cutoff: dt.date) -> None:
    tables = edge_tables(subjects, cutoff)
    folder = OUT / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "protocol.toml").write_text(TEXT)
    (folder / "data.xlsx").write_bytes(stable_xlsx(workbook_bytes(tables.data)))
    key = {"RAND": tables.rand, "ARMS": tables.arms}
    (folder / "key.xlsx").write_bytes(stable_xlsx(workbook_bytes(key)))
    write_case_json(folder, cutoff.isoformat(), TEXT, False)


def _all(result: str, upto: str = "W5V2") -> dict[str, str]:
    return dict.fromkeys(TREATMENT[: TREATMENT.index(upto) + 1], result)


def edge_cases() -> None:
    """Four hand-built studies of 12 subjects (6 per arm) on the first study's protocol."""
    d = dt.date
    day = dt.timedelta(days=1)
    # ties at the cutoff: every subject randomized so that W3V1 (day 15) falls on the cutoff;
    # four relapse there (POS), four are NEG there (censored the same day), two drop out that
    # day, two more have an AE starting on it (and one the day after, excluded)
    c = d(2020, 6, 15)
    r = c - 14 * day
    ties = []
    for i in range(12):
        arm = "AB"[i % 2]
        urine = _all("NEG", "W2V2") | {"W3V1": "POS" if i < 4 else "NEG"}
        stop = ("WITHDRAWAL BY SUBJECT", c) if i in (8, 9) else None
        if stop:
            urine.pop("W3V1")
        aes = ((("Headache", "Nervous system disorders", c, "MILD", "N"),) if i in (10, 11)
               else ())  # fmt: skip
        if i == 10:
            aes += (("Nausea", "Gastrointestinal disorders", c + day, "MILD", "N"),)
        ties.append(Subject(f"101-{i + 1:04d}", arm, r, urine, stop, aes))
    write_edge("edge-ties-at-cutoff", ties, c)

    # a subject with every sample missing (randomized, then nothing; past every window), among
    # subjects with complete samples; one screen failure with a reason
    c = d(2021, 3, 1)
    subjects = []
    for i in range(12):
        rand = d(2020, 9, 1) + 7 * i * day
        arm = "AB"[i % 2]
        urine = {} if i == 0 else _all("NEG" if i % 3 else "POS")
        stop = ("COMPLETED", rand + 180 * day)
        sae = (("Chest pain", "Cardiac disorders", rand + 5 * day, "SEVERE", "Y"),)
        subjects.append(Subject(f"102-{i + 1:04d}", arm, rand, urine, stop, sae if i == 3 else ()))
    subjects.append(Subject("102-0013", "A", None, {}))
    write_edge("edge-all-missing", subjects, c)

    # an arm with no events: the control arm's subjects are NEG at every visit and stay in the
    # study (no relapse, no dropout, no AE); the experimental arm relapses and has AEs
    c = d(2021, 6, 1)
    subjects = []
    for i in range(12):
        rand = d(2020, 10, 1) + 9 * i * day
        arm = "AB"[i % 2]
        if arm == "B":
            urine, aes = _all("NEG"), ()
        else:
            urine = _all("NEG", "W2V2") | {"W3V1": "POS"} | {"W3V2": "NEG"}
            aes = (("Dizziness", "Nervous system disorders", rand + 2 * day, "MODERATE", "N"),)
        subjects.append(
            Subject(f"103-{i + 1:04d}", arm, rand, urine, ("COMPLETED", rand + 180 * day), aes)
        )
    write_edge("edge-no-events-arm", subjects, c)

    # all subjects pending: an interim cut before anyone's abstinence window is due (the
    # last randomized 3 days before the cutoff, the first 20 days before)
    c = d(2021, 2, 1)
    subjects = []
    for i in range(12):
        rand = c - (20 - i) * day
        arm = "AB"[i % 2]
        urine = {v: ("POS" if i % 4 == 0 else "NEG") for v in TREATMENT
                 if target_day(rand, v) <= c}  # fmt: skip
        subjects.append(Subject(f"104-{i + 1:04d}", arm, rand, urine))
    write_edge("edge-all-pending", subjects, c)


def target_day(rand: dt.date, visit: str) -> dt.date:
    day = VISIT_DAYS[visit]
    return rand + dt.timedelta(days=day - 1 if day > 0 else day)


def shared_cases() -> list[tuple[str, str]]:
    """The shared reference studies (../shared/reference beside the checkout) and their cutoffs;
    their workbooks stay there, the R outputs go to tests/fixtures/r-shared/<case>/."""
    out = []
    for name in ("seedlike-202", "interim-303"):
        meta = SHARED / name / "meta.json"
        if meta.is_file():
            out.append((name, json.loads(meta.read_text())["cutoff"]))
    return out


def main(only: list[str]) -> None:
    if only == ["--case-json"]:
        rewrite_case_json()
        return
    if only == ["--edge"]:
        edge_cases()
        return
    if only == ["early-follow-up"]:
        t = early_follow_up()
        write("early-follow-up", t, t.last_date)
        return
    if only == ["stimulant-12wk"]:
        second_template()
        return
    final = generate(PROTOCOL)
    write("demo-final", final, final.last_date)
    cut = dt.date(2014, 9, 30)
    write("demo-interim", apply_cutoff(generate(PROTOCOL), cut, PROTOCOL), cut)
    write("demo-late-cut", generate(PROTOCOL), cut)

    small = generate(PROTOCOL, subjects=20, seed=7)
    ctl = set(small.rand.loc[small.rand["ARMCD"] == CONTROL, "SUBJID"])
    _set_results(small, ctl, ["W5V2"], "POS")
    write("zero-cell", small, small.last_date)

    ties = generate(PROTOCOL, subjects=36, seed=11)
    rng = np.random.default_rng(3)
    ids = ties.rand["SUBJID"].to_numpy()
    first = {sid: rng.choice(["W2V1", "W2V2", "W3V1"], p=[0.5, 0.3, 0.2]) for sid in ids}
    uds = ties.data["UDS"]
    rel = list(PROTOCOL.endpoints.relapse_visits)
    for sid, v in first.items():
        if rng.random() < 0.25:
            continue  # stays as generated
        k = rel.index(v)
        rows = uds["SUBJID"].eq(sid) & uds["VISIT"].isin(rel) & uds["VISDT"].notna()
        for i in uds.index[rows]:
            j = rel.index(uds.at[i, "VISIT"])
            uds.at[i, "COCAINE"] = "NEG" if j < k else ("POS" if j == k else uds.at[i, "COCAINE"])
    write("ties", ties, ties.last_date)

    write("three-arm", three_arm(), dt.date(2015, 3, 31))
    t = early_follow_up()
    write("early-follow-up", t, t.last_date)
    second_template()
    print("written:", ", ".join(sorted(p.name for p in OUT.iterdir())))


if __name__ == "__main__":
    main(sys.argv[1:])
