"""Write the urine-panel case that tests/reference/urine_panel.R describes independently (run
once; committed):

    .venv/bin/python -m tests.reference.make_urine_panel

tests/fixtures/r/urine-panel/ holds the second template's protocol (its [urine_panel] names THC,
OPI and BZO), 40 subjects of its demo at an interim cutoff, and rows that test the reading: a
duplicate subject-visit whose second row differs (the first counts), codes in other case and
with spaces (read as POS/NEG), an undated row with results (a sample not taken: left out), a
value the lab does not report ("QNS", left out), a row at a visit not in the schedule.
case.json (make_fixtures.write_case_json) carries the cutoff, the schedule and the panel's
columns (R reads no TOML). Every R script double-programs this case, not urine_panel.R alone.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from tests.reference.make_fixtures import write_case_json

from dmc_report.demo.generator import apply_cutoff, generate
from dmc_report.demo.writer import workbook_bytes
from dmc_report.io.protocol_loader import bundled_protocol_text, parse_protocol

OUT = Path(__file__).parents[1] / "fixtures" / "r" / "urine-panel"


def main() -> None:
    # the workbook is in the contract's names: the template without its [mapping] (last in it)
    text = bundled_protocol_text("stimulant-12wk.toml").split("\n[mapping.", 1)[0]
    p = parse_protocol(text, "stimulant-12wk.toml")
    tables = generate(p, subjects=40, seed=41)
    cut = tables.last_date - dt.timedelta(days=200)
    tables = apply_cutoff(tables, cut, p)
    uds = tables.data["UDS"]
    dated = uds.index[uds["VISDT"].map(lambda d: isinstance(d, dt.date))]
    first = uds.loc[dated[10]].copy()
    twin = first.copy()
    twin["THC"] = "NEG" if first["THC"] == "POS" else "POS"  # the first row counts, not this
    undated = uds.loc[dated[20]].copy()
    undated["VISDT"] = None
    undated["VISIT"] = "V24"  # a visit the subject may not have had yet: not taken, left out
    uds.loc[dated[30], "OPI"] = " pos"
    uds.loc[dated[31], "BZO"] = "Neg "
    extra = pd.DataFrame([twin, undated]).astype(object)
    tables.data["UDS"] = pd.concat([uds, extra], ignore_index=True).astype(object)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "protocol.toml").write_text(text)
    (OUT / "data.xlsx").write_bytes(workbook_bytes(tables.data))
    (OUT / "key.xlsx").write_bytes(workbook_bytes({"RAND": tables.rand, "ARMS": tables.arms}))
    write_case_json(OUT, cut.isoformat(), text, schedule=True)


if __name__ == "__main__":
    main()
