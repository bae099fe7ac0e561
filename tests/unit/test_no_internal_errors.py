"""Data that once ended in exit 3 ("internal error"): early interim looks, long text in the data,
a key that misses a randomized subject, a key with many arms. Each must render or end in exit 2."""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import re
from pathlib import Path
from typing import Any

import pytest

from dmc_report.analysis.monitoring import boundaries, monitoring
from dmc_report.demo.writer import DemoFiles
from dmc_report.domain.protocol import Interim, PreviousLook, Spending
from dmc_report.pipeline import load_study
from tests.hostile import key_workbook, render_study

SMALL = json.loads(
    (Path(__file__).parents[1] / "fixtures" / "monitoring" / "small-fractions.json").read_text()
)
SPENDING = {"asOF": Spending.OBF, "asP": Spending.POCOCK, "asHSD": Spending.HSD}
CLOSED_PASSWORD = "closed-report-password"


def close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * abs(b) + 1e-9


def closed_text(pdf: bytes, password: str = CLOSED_PASSWORD) -> str:
    import pikepdf
    from pypdf import PdfReader

    plain = io.BytesIO()
    with pikepdf.open(io.BytesIO(pdf), password=password) as doc:
        doc.save(plain)
    return "\n".join(p.extract_text() or "" for p in PdfReader(plain).pages)


# --- early interim looks ------------------------------------------------------------------------


@pytest.mark.parametrize("design", SMALL["designs"], ids=[d["name"] for d in SMALL["designs"]])
def test_boundaries_at_small_fractions_equal_rpact(design: dict[str, Any]) -> None:
    """rpact reports a critical value of 7.5 or more as Inf (null in the fixture): ours is then
    finite and at least 7.5, or None where no alpha is spendable; every other look agrees."""
    got = boundaries(design["rates"], 0.05, SPENDING[design["type"]], design.get("gamma"), 2)
    assert len(got) == len(design["critical"])
    for look, c in zip(got, design["critical"], strict=True):
        if c is None:
            assert look["z_upper"] is None or (7.5 <= look["z_upper"] < 40)
            assert look["z_upper"] is not None or "no boundary" in look["note"]
        else:
            assert close(look["z_upper"], c), (look["z_upper"], c)
            assert close(-look["z_lower"], c)
    assert close(got[-1]["alpha_spent_cumulative"], 0.05)


def test_a_fraction_with_nothing_to_spend_is_a_note() -> None:
    plan = Interim(planned_information=1000)
    m = monitoring(plan, 1, 2, 0, 1, dt.date(2021, 1, 1))  # fraction 0.003
    assert m["current_look"] is None and m["crossed"] is None
    assert "below the first computable look" in m["note"]
    assert any("0.0030" in n for n in m["notes"])
    assert [lk["kind"] for lk in m["looks"]] == ["final"]
    assert all(math.isfinite(lk["z_upper"]) for lk in m["looks"])


def test_an_earlier_look_above_the_current_fraction_is_noted() -> None:
    plan = Interim(
        planned_information=60,
        previous_looks=(
            PreviousLook(date=dt.date(2020, 1, 1), information_fraction=0.2),
            PreviousLook(date=dt.date(2020, 6, 1), information_fraction=0.5, observed_z=1.1),
        ),
    )
    m = monitoring(plan, 8, 9, 4, 9, dt.date(2021, 1, 1))  # fraction 0.3, below the 0.5 look
    assert [lk["information"] for lk in m["looks"]] == [0.2, 0.3, 1.0]
    (note,) = m["notes"]
    assert "2020-06-01" in note and "0.5000" in note and "0.3000" in note
    assert "notes" not in monitoring(plan, 8, 18, 4, 18, dt.date(2021, 1, 1))  # fraction 0.6


def _finite_or_noted(m: dict[str, Any]) -> None:
    def numbers(o: Any) -> list[float]:
        if isinstance(o, dict):
            return [x for v in o.values() for x in numbers(v)]
        if isinstance(o, list):
            return [x for v in o for x in numbers(v)]
        return [o] if isinstance(o, float) else []

    assert all(math.isfinite(x) for x in numbers(m))
    for lk in m["looks"]:
        assert lk["z_upper"] is not None
    if m["observed_z"] is None or m["current_look"] is None:
        assert m.get("note")


@pytest.mark.parametrize(
    "cutoff", ["2012-08-01", "2012-11-01", "2012-12-15", "2013-02-01", "2013-06-01", "2013-12-01"]
)
def test_early_interim_looks_render(demo: DemoFiles, cutoff: str) -> None:
    loaded = load_study(
        demo.protocol,
        demo.data,
        key=demo.key,
        key_password=demo.key_password_file.read_text().strip(),
        cutoff=dt.date.fromisoformat(cutoff),
    )
    _, results, rendered = render_study(loaded, closed_password=CLOSED_PASSWORD)
    m = json.loads(results.to_json())["unblinded"]["monitoring"]
    _finite_or_noted(m)
    assert rendered.closed is not None
    assert "Interim monitoring" in closed_text(rendered.closed)


def test_early_look_from_the_command_line(demo: DemoFiles, tmp_path: Path) -> None:
    from dmc_report.cli import EXIT_INTERNAL, main

    (tmp_path / "pw.txt").write_text(CLOSED_PASSWORD)
    code = main(
        [
            "report", "--protocol", str(demo.protocol), "--data", str(demo.data),
            "--key", str(demo.key), "--key-password-file", str(demo.key_password_file),
            "--cutoff", "2012-11-01", "--open", str(tmp_path / "open.pdf"),
            "--closed", str(tmp_path / "closed.pdf"),
            "--closed-password-file", str(tmp_path / "pw.txt"),
        ]
    )  # fmt: skip
    assert code != EXIT_INTERNAL
    assert (tmp_path / "closed.pdf").exists()


# --- a key that misses a randomized subject ---------------------------------------------------


def render_closed(demo: DemoFiles, key: Path) -> tuple[dict[str, Any], str]:
    loaded = load_study(demo.protocol, demo.data, key=key)
    _, results, rendered = render_study(loaded, closed_password=CLOSED_PASSWORD)
    assert rendered.closed is not None
    return json.loads(results.to_json()), closed_text(rendered.closed)


def test_a_subject_missing_from_the_key_does_not_agree(demo: DemoFiles, tmp_path: Path) -> None:
    wb = key_workbook(demo)
    rand = wb["RAND"]
    dropped = rand.cell(2, 1).value
    rand.delete_rows(2)
    wb.save(tmp_path / "key.xlsx")
    results, text = render_closed(demo, tmp_path / "key.xlsx")
    n = results["blinded"]["enrollment"]["randomized"]
    assert results["unblinded"]["not_in_key"] == 1
    page = " ".join(text[text.index("against the sum over arms") :].split())
    assert f"Randomized {n} {n - 1} +1 no" in page
    assert "Completed" in page and not re.search(r"Randomized \d+ \d+ \S+ yes", page)
    assert dropped in page and "absent from the key" in page and "NOT_IN_KEY" in page


def test_consistency_tells_a_missing_subject_from_a_bug(monkeypatch: pytest.MonkeyPatch) -> None:
    import dmc_report.report.consistency as consistency
    from dmc_report.report.consistency import ConsistencyError, check_consistency, explained

    assert explained("Randomized", 43, 42, 1) and explained("Adverse events", 50, 42, 1)
    assert not explained("Randomized", 44, 42, 1)  # more than the missing subjects
    assert not explained("Randomized", 42, 43, 1)  # fewer in the pool than in the arms
    assert not explained("Randomized", 43, 42, 0)  # nobody missing: a bug
    from types import SimpleNamespace as NS

    monkeypatch.setattr(consistency, "CHECKS", ())  # the randomized count only
    blinded: Any = NS(enrollment=NS(randomized=3, by_site={}))
    unblinded: Any = NS(arms=[NS(code="A", n=1), NS(code="B", n=1)], by_arm={}, not_in_key=1)
    assert consistency.consistency_rows(blinded, unblinded) == [("Randomized", 3, 2, False)]
    check_consistency(blinded, unblinded)  # explained: shown in the table, not raised
    unblinded.not_in_key = 0
    with pytest.raises(ConsistencyError, match="Randomized: open 3, arms 2"):
        check_consistency(blinded, unblinded)


# --- long text in the data --------------------------------------------------------------------

LONG_WORD = "X" * 5000
LONG_TEXT = ("Nausea with vomiting and dizziness after the infusion " * 80)[:4000]


def test_no_text_makes_a_flowable_too_large() -> None:
    """Renderer level: every table cell (body, header, title page), caption, note, paragraph and
    heading holds 5,000 characters without a space, or 4,000 with spaces; a table of 60 columns
    splits, portrait and landscape."""
    from pypdf import PdfReader

    from dmc_report.report.model import Report, Section, Table, Text, TitlePage
    from dmc_report.report.render import CLIPPED_NOTE, ELLIPSIS, render_pdf

    wide = [f"Arm {i} (N = {i})" for i in range(60)]
    tables = [
        Table(
            title=LONG_WORD,
            population=LONG_TEXT,
            header=[["Quantity", LONG_WORD, LONG_TEXT]],
            rows=[[LONG_WORD, LONG_TEXT, "1"], ["Headache", "short", LONG_WORD]] * 3,
            footnotes=[LONG_WORD, LONG_TEXT],
            col_widths=[1.2, 1.6, 0.5],
            number=1,
        ),
        Table(
            title="Wide",
            population="p",
            header=[["", *wide]],
            rows=[["Abstinent, n (%)", *["12 (30.0%)"] * 60], [LONG_TEXT, *[LONG_WORD] * 60]],
            col_widths=[3, *[2.0] * 60],
            number=2,
        ),
        Table(
            title="Wide, landscape",
            population="p",
            header=[["", *wide]],
            rows=[["n", *range(60)]],
            landscape=True,
            number=3,
        ),
        Table(title="Empty and wide", population="p", header=[[*wide]], rows=[], number=4),
    ]
    report = Report(
        kind="closed",
        study_id="S",
        header="H",
        cutoff="2020-01-01",
        report_date="2020-01-01",
        title_page=TitlePage(
            heading="H",
            study_title=LONG_WORD,
            study_id="S",
            lines=[("Sponsor", LONG_WORD), (LONG_TEXT, LONG_TEXT)],
            notice="n",
        ),
        sections=[
            Section(LONG_WORD, [Text(LONG_WORD), Text(LONG_TEXT), *tables]),
            Section(LONG_TEXT, [Text("short")]),
        ],
        metadata_title="t",
        metadata_subject="s",
    )
    rendered = render_pdf(report)
    text = " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(rendered.pdf)).pages)
    assert ELLIPSIS in text
    assert " ".join(CLIPPED_NOTE.split()[:6]) in " ".join(text.split())
    assert "Table 2 (continued)" in text and "Table 3 (continued)" in text
    assert "Arm 59 (N = 59)" in " ".join(text.split())


def _long_text_data(demo: DemoFiles, path: Path) -> Path:
    import openpyxl

    wb = openpyxl.load_workbook(demo.data)
    ae = wb["AE"]
    col = {c.value: c.column for c in ae[1]}
    sae = next(r for r in range(2, ae.max_row + 1) if ae.cell(r, col["AESER"]).value == "Y")
    ae.cell(sae, col["AETERM"]).value = LONG_TEXT  # in the SAE listings and the AE tables
    ae.cell(2, col["AETERM"]).value = LONG_WORD
    ae.cell(3, col["AESOC"]).value = LONG_WORD
    ae.cell(4, col["AESEV"]).value = LONG_TEXT  # an invalid code: quoted in a finding
    wb.save(path)
    return path


def test_long_text_in_the_data_renders(demo: DemoFiles, tmp_path: Path) -> None:
    data = _long_text_data(demo, tmp_path / "data.xlsx")
    loaded = load_study(
        demo.protocol,
        data,
        key=demo.key,
        key_password=demo.key_password_file.read_text().strip(),
    )
    _, _, rendered = render_study(loaded, closed_password=CLOSED_PASSWORD)
    from pypdf import PdfReader

    from dmc_report.report.render import ELLIPSIS

    opened = " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(rendered.open)).pages)
    assert rendered.closed is not None
    closed = closed_text(rendered.closed)
    for text in (opened, closed):
        assert ELLIPSIS in text and "shortened to fit the page" in " ".join(text.split())
        assert LONG_WORD not in text.replace("\n", "") and "Nausea with vomiting" in text


# --- many arms --------------------------------------------------------------------------------


def test_fifty_arms_render(demo: DemoFiles, tmp_path: Path) -> None:
    from dmc_report.cli import main

    wb = key_workbook(demo)
    arms, rand = wb["ARMS"], wb["RAND"]
    head = [c.value for c in arms[1]]
    arms.delete_rows(2, arms.max_row)
    codes = [f"A{i:02d}" for i in range(50)]
    for i, code in enumerate(codes):
        row = {"ARMCD": code, "ARM": f"Dose level {i}", "ROLE": "EXPERIMENTAL" if i else "CONTROL"}
        arms.append([row.get(h) for h in head])
    armcd = [c.value for c in rand[1]].index("ARMCD") + 1
    for r in range(2, rand.max_row + 1):
        rand.cell(r, armcd).value = codes[(r - 2) % len(codes)]
    wb.save(tmp_path / "key.xlsx")
    (tmp_path / "pw.txt").write_text(CLOSED_PASSWORD)
    status = main(
        [
            "report", "--protocol", str(demo.protocol), "--data", str(demo.data),
            "--key", str(tmp_path / "key.xlsx"), "--open", str(tmp_path / "open.pdf"),
            "--closed", str(tmp_path / "closed.pdf"),
            "--closed-password-file", str(tmp_path / "pw.txt"),
        ]
    )  # fmt: skip
    assert status in (0, 1)  # 1: the demo's validation findings
    text = " ".join(closed_text((tmp_path / "closed.pdf").read_bytes()).split())
    assert "(continued)" in text
    for i in (0, 1, 25, 49):
        assert f"Dose level {i} (N = " in text


def test_a_current_look_without_boundary_renders(demo: DemoFiles, tmp_path: Path) -> None:
    """4 evaluable subjects of 2,000 planned: fraction 0.002, no spendable alpha; the closed
    report says so instead of a boundary."""
    text = demo.protocol.read_text()
    assert "planned_information = 60 " in text
    protocol = tmp_path / "protocol.toml"
    protocol.write_text(text.replace("planned_information = 60 ", "planned_information = 2000 "))
    loaded = load_study(
        protocol,
        demo.data,
        key=demo.key,
        key_password=demo.key_password_file.read_text().strip(),
        cutoff=dt.date(2012, 12, 15),
    )
    _, results, rendered = render_study(loaded, closed_password=CLOSED_PASSWORD)
    m = json.loads(results.to_json())["unblinded"]["monitoring"]
    assert m["information_fraction"] == 0.002 and m["observed_z"] is not None
    assert m["current_look"] is None and "below the first computable look" in m["note"]
    _finite_or_noted(m)
    assert rendered.closed is not None
    text = " ".join(closed_text(rendered.closed).split())
    assert "information fraction 0.0020: below the first computable look" in text
