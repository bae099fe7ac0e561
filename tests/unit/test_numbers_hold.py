"""Numbers that odd but legal exports must not bend: an ignored row decides nothing, the cutoff
holds in every domain (vital signs by their visit's target date), row order and the order of a
protocol's visit lists change nothing, impossible sequences are located findings, and codes match
case-insensitively."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from dmc_report.analysis import analyze
from dmc_report.demo.writer import DEMO_PASSWORD, DemoFiles
from dmc_report.domain.errors import UnusableInputError
from dmc_report.domain.protocol import Protocol
from dmc_report.domain.study import DataSet
from dmc_report.io.protocol_loader import parse_protocol
from dmc_report.pipeline import LoadedStudy, load_study, run_analysis, run_validation
from dmc_report.validation import ValidationResult, validate
from dmc_report.validation.records import record_dates
from tests.hostile import column, edited, key_workbook

INTERIM = dt.date(2014, 9, 30)


def _numbers(data: DataSet, protocol: Protocol, cutoff: dt.date, key: Any = None) -> str:
    """Every number of the results (blinded and, with a key, by arm), as canonical JSON."""
    v = validate(data, protocol, cutoff, key=key)
    r = analyze(data, protocol, cutoff, validation=v, protocol_provenance=None, key=key)  # type: ignore[arg-type]
    out = {
        "blinded": r.blinded.to_json(),
        "unblinded": r.unblinded.to_json() if r.unblinded else None,
    }
    return json.dumps(out, sort_keys=True, default=str)


def _same(a: str, b: str) -> bool:
    """Equal numbers: counts, codes and texts exactly; floats to 1e-12 relative (a sum taken in
    another row order may differ in its last bit, which is no change of a number)."""

    def eq(x: Any, y: Any) -> bool:
        if isinstance(x, dict) and isinstance(y, dict):
            return x.keys() == y.keys() and all(eq(x[k], y[k]) for k in x)
        if isinstance(x, list) and isinstance(y, list):
            return len(x) == len(y) and all(eq(i, j) for i, j in zip(x, y, strict=True))
        if isinstance(x, float) and isinstance(y, float):
            return math.isclose(x, y, rel_tol=1e-12, abs_tol=1e-12)
        return bool(x == y)

    return eq(json.loads(a), json.loads(b))


def _with(data: DataSet, frames: dict[str, pd.DataFrame]) -> DataSet:
    tables = {
        name: dataclasses.replace(t, frame=frames[name]) if name in frames else t
        for name, t in data.tables.items()
    }
    return DataSet(MappingProxyType(tables), data.provenance)


@pytest.fixture(scope="module")
def loaded(demo: DemoFiles) -> LoadedStudy:
    return load_study(
        demo.protocol, demo.data, key=demo.key, key_password=DEMO_PASSWORD, cutoff=demo.cutoff
    )


def _uds_row(wb: Workbook) -> int:
    """An Excel row of the UDS sheet holding a NEG result at a window visit."""
    ws = wb["UDS"]
    res, vis = column(ws, "COCAINE"), column(ws, "VISIT")
    for r in range(2, ws.max_row + 1):
        if ws.cell(r, res).value == "NEG" and ws.cell(r, vis).value == "W5V2":
            return r
    raise AssertionError("no NEG result at W5V2 in the demo")


def _insert_copy(wb: Workbook, row: int, *, above: bool, result: str | None) -> int:
    """A copy of UDS row ``row`` with ``result``, inserted above or below it; its Excel row."""
    ws = wb["UDS"]
    values = [c.value for c in ws[row]]
    at = row if above else row + 1
    ws.insert_rows(at)
    for i, v in enumerate(values, start=1):
        ws.cell(at, i, v)
    ws.cell(at, column(ws, "COCAINE")).value = result  # ws.cell(..., None) would keep the value
    return at


def _run(demo: DemoFiles, data: Path) -> tuple[ValidationResult, str]:
    loaded = load_study(demo.protocol, data, cutoff=demo.cutoff)
    v = run_validation(loaded)
    r = run_analysis(loaded, v)
    return v, json.dumps(r.blinded.to_json(), sort_keys=True, default=str)


@pytest.mark.parametrize(
    ("above", "result", "ignored_is_copy"),
    [
        (True, None, True),  # a blank result above the valid one: the valid one counts
        (True, "INCONCL", True),  # an invalid code above it: the same
        (False, "POS", True),  # a second valid result below: the first counts
    ],
    ids=["blank-above", "invalid-above", "conflicting-below"],
)
def test_the_row_a_finding_calls_ignored_decides_nothing(
    demo: DemoFiles, tmp_path: Path, above: bool, result: str | None, ignored_is_copy: bool
) -> None:
    holder: dict[str, int] = {}

    def edit(wb: Workbook) -> None:
        row = _uds_row(wb)
        holder["copy"] = _insert_copy(wb, row, above=above, result=result)
        holder["valid"] = row + 1 if above else row

    data = edited(demo.data, tmp_path / "dup.xlsx", edit)
    validation, numbers = _run(demo, data)
    dups = [f for f in validation.findings if f.code == "DUPLICATE_RECORD"]
    assert len(dups) == 1
    (dup,) = dups
    assert dup.excel_row == holder["copy"]
    assert f"row {holder['valid']}, which counts" in dup.message, dup.message
    # deleting the ignored row changes no number
    _, original = _run(demo, demo.data)
    assert numbers == original


def test_vital_signs_after_the_cutoff_do_not_count(loaded: LoadedStudy) -> None:
    """A VS row counts by its visit's target date: an export taken later holds VS rows whose
    visit falls after the cutoff, and they must not change the vital-sign summary."""
    data, protocol = loaded.study.data, loaded.study.protocol
    rand = data.frame("DM")["RANDDT"].dropna().sort_values()
    cutoff = rand.iloc[10].date()  # the subject randomized that day has D2 (day 2) after it
    v = validate(data, protocol, cutoff)
    grid = v.schedule.grid
    late = grid.loc[(grid["VISIT"] == "D2") & (grid["target"] > pd.Timestamp(cutoff)), "SUBJID"]
    assert len(late), "the demo must have a subject whose infusion visit is after this cutoff"
    vs = data.frame("VS")
    trimmed = vs.loc[~vs["SUBJID"].isin(set(late))].reset_index(drop=True)
    assert _numbers(data, protocol, cutoff) == _numbers(
        _with(data, {"VS": trimmed}), protocol, cutoff
    )


def test_records_after_the_cutoff_change_no_number_in_any_domain(loaded: LoadedStudy) -> None:
    """The final export analysed at an interim cutoff equals the export cut at that date, in
    every dated domain (UDS, VAS, QS, VS, EX, AE, DS, FU)."""
    data, protocol = loaded.study.data, loaded.study.protocol
    c = pd.Timestamp(INTERIM)
    grid = validate(data, protocol, loaded.cutoff).schedule.grid  # every subject's targets
    targets = grid[["SUBJID", "VISIT", "target"]]
    frames = {}
    for sheet in ("UDS", "VAS", "QS", "VS", "EX", "AE", "DS", "FU"):
        f = data.frame(sheet)
        date = record_dates(sheet, f, targets)
        frames[sheet] = f.loc[(date.isna() | (date <= c)).to_numpy(bool)].reset_index(drop=True)
        assert len(frames[sheet]) < len(f), sheet  # each domain really had later records
    full = _numbers(data, protocol, INTERIM, loaded.key)
    cut = _numbers(_with(data, frames), protocol, INTERIM, loaded.key)
    assert full == cut


@settings(
    max_examples=4,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # a failing order is shown, not shrunk
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(seed=st.integers(min_value=0, max_value=2**31 - 1))
def test_row_order_within_sheets_changes_no_number(loaded: LoadedStudy, seed: int) -> None:
    data, protocol = loaded.study.data, loaded.study.protocol
    rng = np.random.default_rng(seed)
    shuffled = {
        name: t.frame.iloc[rng.permutation(len(t.frame))].reset_index(drop=True)
        for name, t in data.tables.items()
    }
    baseline = _numbers(data, protocol, INTERIM, loaded.key)
    assert _same(_numbers(_with(data, shuffled), protocol, INTERIM, loaded.key), baseline)


def _protocol_text(demo: DemoFiles) -> str:
    return demo.protocol.read_text(encoding="utf-8")


def test_the_order_of_a_protocol_visit_list_changes_no_number(
    demo: DemoFiles, loaded: LoadedStudy
) -> None:
    text = _protocol_text(demo)
    reordered = text.replace(
        'abstinence_visits = ["W4V1", "W4V2", "W5V1", "W5V2"]',
        'abstinence_visits = ["W5V2", "W4V1", "W5V1", "W4V2"]',
    )
    assert reordered != text
    protocol = parse_protocol(reordered, "reordered.toml")
    assert protocol.endpoints.abstinence_visits == ("W4V1", "W4V2", "W5V1", "W5V2")
    data = loaded.study.data
    assert _numbers(data, protocol, INTERIM) == _numbers(data, loaded.study.protocol, INTERIM)


def test_an_endpoint_visit_that_schedules_no_sample_is_refused(demo: DemoFiles) -> None:
    text = _protocol_text(demo).replace(
        'abstinence_visits = ["W4V1", "W4V2", "W5V1", "W5V2"]',
        'abstinence_visits = ["W4V1", "W4V2", "W5V1", "FU6M"]',
    )
    with pytest.raises(UnusableInputError, match=r"abstinence_visits.*FU6M.*no UDS"):
        parse_protocol(text, "bad.toml")


def test_a_discontinuation_before_randomization_is_a_finding_on_its_row(
    demo: DemoFiles, tmp_path: Path
) -> None:
    holder: dict[str, Any] = {}

    def edit(wb: Workbook) -> None:
        ws = wb["DS"]
        r = 2
        holder["subject"] = ws.cell(r, column(ws, "SUBJID")).value
        dm = wb["DM"]
        for row in range(2, dm.max_row + 1):
            if dm.cell(row, column(dm, "SUBJID")).value == holder["subject"]:
                rand = dm.cell(row, column(dm, "RANDDT")).value
        ws.cell(r, column(ws, "DSDECOD"), "WITHDRAWAL BY SUBJECT")
        ws.cell(r, column(ws, "DSDT"), rand - dt.timedelta(days=3))

    data = edited(demo.data, tmp_path / "ds.xlsx", edit)
    loaded = load_study(demo.protocol, data, cutoff=demo.cutoff)
    v = run_validation(loaded)
    hits = [f for f in v.findings if f.code == "DISPOSITION_BEFORE_RANDOMIZATION"]
    assert [(f.sheet, f.excel_row, f.column, f.subject) for f in hits] == [
        ("DS", 2, "DSDT", holder["subject"])
    ]
    r = run_analysis(loaded, v)
    from dmc_report.analysis.derive import derive

    s = derive(loaded.study.data, loaded.study.protocol, v.schedule).subjects
    assert (s["dropout_time"] >= 0).all() and (s["relapse_time"] >= 0).all()
    assert r.blinded.pooled.dropout.dropouts >= 1


def test_arm_codes_match_whatever_their_case(demo: DemoFiles, tmp_path: Path) -> None:
    def lower(wb: Workbook) -> None:
        for row in wb["RAND"].iter_rows(min_row=2):
            if row[1].value == "A":
                row[1].value = "a"

    key = edited(key_workbook(demo), tmp_path / "key.xlsx", lower)
    loaded = load_study(demo.protocol, demo.data, key=key, cutoff=demo.cutoff)
    reference = load_study(
        demo.protocol, demo.data, key=demo.key, key_password=DEMO_PASSWORD, cutoff=demo.cutoff
    )
    assert loaded.key is not None and reference.key is not None
    assert loaded.key.assignments["ARMCD"].tolist() == reference.key.assignments["ARMCD"].tolist()


def test_duplicating_an_ignored_row_changes_nothing(demo: DemoFiles, tmp_path: Path) -> None:
    holder: dict[str, int] = {}

    def edit(wb: Workbook) -> None:
        row = _uds_row(wb)
        _insert_copy(wb, row, above=True, result=None)
        _insert_copy(wb, row, above=True, result=None)  # the ignored row, twice
        holder["valid"] = row + 2

    data = edited(demo.data, tmp_path / "dup2.xlsx", edit)
    validation, numbers = _run(demo, data)
    dups = [f for f in validation.findings if f.code == "DUPLICATE_RECORD"]
    assert len(dups) == 2
    assert all(f"row {holder['valid']}, which counts" in f.message for f in dups)
    assert numbers == _run(demo, demo.data)[1]


def test_an_adverse_event_before_randomization_is_a_finding_on_its_row(
    demo: DemoFiles, tmp_path: Path
) -> None:
    holder: dict[str, Any] = {}

    def edit(wb: Workbook) -> None:
        ae, dm = wb["AE"], wb["DM"]
        subject = ae.cell(2, column(ae, "SUBJID")).value
        for row in range(2, dm.max_row + 1):
            if dm.cell(row, column(dm, "SUBJID")).value == subject:
                rand = dm.cell(row, column(dm, "RANDDT")).value
        ae.cell(2, column(ae, "AESTDT")).value = rand - dt.timedelta(days=5)
        ae.cell(2, column(ae, "AEENDT")).value = rand - dt.timedelta(days=2)
        holder["subject"] = subject

    data = edited(demo.data, tmp_path / "ae.xlsx", edit)
    validation, _ = _run(demo, data)
    hits = [f for f in validation.findings if f.code == "AE_BEFORE_RANDOMIZATION"]
    assert [(f.sheet, f.excel_row, f.column, f.subject) for f in hits] == [
        ("AE", 2, "AESTDT", holder["subject"])
    ]
