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
    case: dict[str, object] = {"cutoff": cutoff.isoformat()}
    if schedule:  # R reads no TOML: the case carries what derive.R needs of its protocol
        case |= schedule_of(parse_protocol(text, f"{name}/protocol.toml"))
    (folder / "case.json").write_text(json.dumps(case) + "\n")


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
    text = bundled_protocol_text("stimulant-12wk.toml")
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


def main(only: list[str]) -> None:
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
