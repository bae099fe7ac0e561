"""The demo study: written, read back with both engines, and faithful to the published trial."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from dmc_report.demo.generator import generate
from dmc_report.demo.writer import DemoFiles
from dmc_report.domain.study import ROW
from dmc_report.io.engines import Engine
from dmc_report.io.protocol_loader import bundled_protocol_text, parse_protocol
from dmc_report.io.reader import read_key, read_study
from dmc_report.pipeline import latest_date

PROTOCOL = parse_protocol(bundled_protocol_text("ketamine-mbrp.toml"), "ketamine-mbrp.toml")


def test_demo_reads_back_with_the_generated_counts(demo: DemoFiles) -> None:
    tables = generate(PROTOCOL)
    study = read_study(demo.protocol, demo.data)
    dm = study.data.frame("DM")
    assert len(dm) == 65 and dm["SUBJID"].is_unique
    assert dm["RANDDT"].notna().sum() == 55
    assert set(dm["SITEID"]) == {"101", "102", "103"}
    for sheet, frame in tables.data.items():
        assert len(study.data.frame(sheet)) == len(frame), sheet
    uds = study.data.frame("UDS")
    randomized = set(dm.loc[dm["RANDDT"].notna(), "SUBJID"])
    assert set(uds["SUBJID"]) <= randomized
    assert uds.groupby("VISIT").size()["D1"] == 55  # every randomized subject gives a D1 sample
    ae = study.data.frame("AE")
    assert (ae["AESER"] == "Y").sum() >= 1 and (ae["AEACN"] == "WITHDRAWN").sum() == 0
    assert study.data.provenance.sheet_rows["UDS"] == len(uds)
    assert len(study.data.provenance.sha256) == 64


def test_key_is_encrypted_and_opens_with_its_password(demo: DemoFiles, demo_password: str) -> None:
    assert demo.key.read_bytes()[:4] != b"PK\x03\x04"  # not a plain zip on disk
    assert demo.key_password_file.read_text().strip() == demo_password
    key = read_key(demo.key, PROTOCOL, password=demo_password)
    assert key.provenance.encrypted
    counts = key.assignments["ARMCD"].value_counts().to_dict()
    assert counts == {"A": 27, "B": 28}
    assert key.control.label.startswith("Midazolam")
    assert [a.label for a in key.experimental] == ["Ketamine 0.5 mg/kg"]


@pytest.mark.parametrize("which", ["final", "interim"])
def test_both_engines_give_identical_frames(
    which: str, demo: DemoFiles, demo_interim: DemoFiles
) -> None:
    files = demo if which == "final" else demo_interim
    fast = read_study(files.protocol, files.data, engine=Engine.FASTEXCEL).data
    ref = read_study(files.protocol, files.data, engine=Engine.OPENPYXL).data
    assert (
        set(fast.tables)
        == set(ref.tables)
        == {"DM", "UDS", "VAS", "QS", "EX", "AE", "DS", "VS", "FU"}
    )
    for name in fast.tables:
        pd.testing.assert_frame_equal(fast.frame(name), ref.frame(name), check_exact=True)
        assert fast[name].issues == ref[name].issues
        assert fast[name].column_letters == ref[name].column_letters
    # blanks stay blank and dates are dates in both
    dm = fast.frame("DM")
    assert dm["RANDDT"].isna().sum() > 0
    assert str(dm["RANDDT"].dtype) == "datetime64[ns]"


def test_legal_variants_are_normalised(demo: DemoFiles) -> None:
    data = read_study(demo.protocol, demo.data).data
    uds = data.frame("UDS")
    assert set(uds["COCAINE"].dropna()) == {"POS", "NEG", "INCONCL"}  # 'neg' and ' Pos' normalised
    assert data["UDS"].extra_columns == ("STUDYID",)
    vas = data.frame("VAS")
    # ISO text dates read as dates; the impossible 2014-02-30 becomes blank and a cell issue
    assert vas["VISDT"].isna().sum() == 1
    (issue,) = data.cell_issues
    assert (issue.sheet, issue.column, issue.value, issue.problem) == (
        "VAS",
        "VISDT",
        "2014-02-30",
        "date",
    )
    assert int(vas.loc[vas["VISDT"].isna(), ROW].iloc[0]) == issue.row


def test_interim_snapshot_holds_nothing_after_its_cutoff(demo_interim: DemoFiles) -> None:
    data = read_study(demo_interim.protocol, demo_interim.data).data
    assert latest_date(data) == dt.date(2014, 9, 30) or latest_date(data) < dt.date(2014, 9, 30)
    dm = data.frame("DM")
    randomized = dm["RANDDT"].notna().sum()
    assert 15 < randomized < 55
    ds = data.frame("DS")
    assert len(ds) < randomized  # subjects still on study have no DS row yet


def _crude_figures(tables) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    """Per-subject abstinence, use-or-dropout and craving from the generated final data."""
    ep = PROTOCOL.endpoints
    dm = tables.data["DM"]
    dm = dm[dm["RANDDT"].notna()]
    arm = dict(zip(tables.rand["SUBJID"], tables.rand["ARMCD"], strict=True))
    uds = tables.data["UDS"].copy()
    uds["COCAINE"] = uds["COCAINE"].map(lambda v: v.strip().upper() if isinstance(v, str) else None)
    res = {(s, v): c for s, v, c in zip(uds["SUBJID"], uds["VISIT"], uds["COCAINE"], strict=True)}
    ds = {
        s: (d, t)
        for s, d, t in zip(
            tables.data["DS"]["SUBJID"],
            tables.data["DS"]["DSDECOD"],
            tables.data["DS"]["DSDT"],
            strict=True,
        )
    }
    vas = tables.data["VAS"]
    rows = []
    for sid, randdt in zip(dm["SUBJID"], dm["RANDDT"], strict=True):
        dec, dsdt = ds.get(sid, (None, None))
        drop = (
            dec not in (None, "COMPLETED") and (dsdt - randdt).days + 1 <= ep.end_of_treatment_day
        )
        abst = not drop and all(res.get((sid, v)) == "NEG" for v in ep.abstinence_visits)
        used = drop or any(res.get((sid, v)) != "NEG" for v in ep.relapse_visits)
        post = vas[(vas["SUBJID"] == sid) & vas["VISIT"].isin(ep.craving_visits)]["CRAVING"]
        rows.append(
            {"arm": arm[sid], "abst": abst, "used": used, "craving": post.astype(float).mean()}
        )
    return pd.DataFrame(rows)


def test_demo_reproduces_the_published_crude_figures() -> None:
    f = _crude_figures(generate(PROTOCOL))
    by = f.groupby("arm")
    assert by.size().to_dict() == {"A": 27, "B": 28}
    assert by["abst"].sum().to_dict() == {"A": 13, "B": 3}  # 48.1% vs 10.7%
    assert by["used"].sum().to_dict() == {"A": 15, "B": 26}
    crav = by["craving"].mean()
    assert -62 < 100 * (crav["A"] - crav["B"]) / crav["B"] < -54  # about 58% lower


def test_generation_is_seeded() -> None:
    a, b = generate(PROTOCOL), generate(PROTOCOL)
    for name in a.data:
        pd.testing.assert_frame_equal(a.data[name], b.data[name])
    pd.testing.assert_frame_equal(a.rand, b.rand)
