"""The OPEN and CLOSED reports: contents, blinding, encryption, determinism, atomic output."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

import pytest

from dmc_report import cli
from dmc_report.demo.writer import DemoFiles
from dmc_report.domain.settings import ReportSettings
from dmc_report.pipeline import (
    LoadedStudy,
    load_study,
    render_reports,
    run_analysis,
    run_validation,
)
from dmc_report.report import render_open_report
from dmc_report.report.consistency import ConsistencyError, check_consistency
from dmc_report.report.guard import BlindingLeakError
from dmc_report.report.model import Text
from dmc_report.report.prepare import open_report_data

PASSWORD = "correct horse battery staple"
SETTINGS = ReportSettings(report_date=dt.date(2016, 12, 20), meeting_date=dt.date(2017, 1, 10))


def pdf_pages(pdf: bytes, password: str | None = None) -> list[str]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    if reader.is_encrypted:
        assert password is not None
        reader.decrypt(password)
    return [re.sub(r"\s+", " ", p.extract_text() or "") for p in reader.pages]


@pytest.fixture(scope="module")
def loaded(demo: DemoFiles, demo_password: str) -> LoadedStudy:
    return load_study(demo.protocol, demo.data, key=demo.key, key_password=demo_password)


@pytest.fixture(scope="module")
def rendered(loaded: LoadedStudy, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("reports")
    validation = run_validation(loaded)
    results = run_analysis(loaded, validation)
    render_reports(
        loaded, validation, results, SETTINGS,
        open_path=out / "open.pdf", closed_path=out / "closed.pdf", closed_password=PASSWORD,
    )  # fmt: skip
    return {
        "open": (out / "open.pdf").read_bytes(),
        "closed": (out / "closed.pdf").read_bytes(),
        "results": results.as_json(),
        "typed": results,
        "validation": validation,
        "folder": out,
    }


def _open_data(loaded: LoadedStudy) -> Any:
    validation = run_validation(loaded)
    results = run_analysis(loaded, validation)
    data = open_report_data(
        loaded.study.data.provenance, loaded.study.protocol, loaded.cutoff, validation, results,
        loaded.study.protocol_provenance, SETTINGS,
    )  # fmt: skip
    return data


def test_open_report_has_every_section_and_the_cutoff_on_every_page(
    rendered: dict[str, Any],
) -> None:
    pages = pdf_pages(rendered["open"])
    text = " ".join(pages)
    for title in (
        "OPEN SESSION REPORT", "Contents", "Synopsis", "Enrollment", "Baseline characteristics", "Disposition",
        "Trial conduct and data quality", "Exposure", "Safety", "Interim monitoring", "Appendix",
    ):  # fmt: skip
        assert title in text, title
    # pooled efficacy is off unless the protocol asks for it (report-contents.md, section 8)
    assert "Pooled outcomes" not in text and "Abstinence over the last" not in text
    for i, page in enumerate(pages, start=1):
        assert "Data cutoff: 2016-12-14" in page, i
        assert f"Page {i} of {len(pages)}" in page
    assert "Table 1." in text and "Figure 1." in text


def test_pooled_outcomes_appear_when_the_protocol_asks(loaded: LoadedStudy) -> None:
    from dataclasses import replace

    from dmc_report.report import render_open_report

    protocol = loaded.study.protocol.model_copy(
        update={"open_report": loaded.study.protocol.open_report.model_copy(
            update={"pooled_efficacy": True}
        )}
    )  # fmt: skip
    data = replace(_open_data(loaded), protocol=protocol)
    text = " ".join(pdf_pages(render_open_report(data)))
    assert "Pooled outcomes" in text and "Abstinence over the last two weeks" in text


def test_open_report_names_no_arm(rendered: dict[str, Any]) -> None:
    text = " ".join(pdf_pages(rendered["open"])).lower()
    for arm in rendered["results"]["unblinded"]["arms"]:
        assert arm["label"].lower() not in text
    assert not re.search(r"\b(arm|group)\s+[ab]\b", text)


def test_open_report_metadata(rendered: dict[str, Any]) -> None:
    from pypdf import PdfReader

    meta = PdfReader(io.BytesIO(rendered["open"])).metadata
    assert "open session" in str(meta.title).lower() and "KETCOC-01" in str(meta.title)
    fonts = rendered["open"].count(b"/FontFile2")
    assert fonts >= 2  # the bundled TrueType family, embedded


def test_closed_report_needs_its_password(rendered: dict[str, Any]) -> None:
    import pikepdf

    data = rendered["closed"]
    assert b"/AESV3" in data or b"/V 5" in data  # AES-256
    with pytest.raises(pikepdf.PasswordError):
        pikepdf.open(io.BytesIO(data))
    with pikepdf.open(io.BytesIO(data), password=PASSWORD) as pdf:
        assert len(pdf.pages) > 10
        assert pdf.allow.print_highres and not pdf.allow.modify_other


def test_closed_report_contents_equal_the_json(rendered: dict[str, Any]) -> None:
    text = " ".join(pdf_pages(rendered["closed"], PASSWORD))
    u = rendered["results"]["unblinded"]
    assert "CLOSED SESSION REPORT - DMC MEMBERS ONLY" in text
    assert (
        "Time to relapse by arm" in text and "Odds ratio" in text and "hazard ratio" in text.lower()
    )
    ab = u["abstinence"]["by_arm"]
    assert "13/27 (48.1%)" in text and "3/28 (10.7%)" in text
    orr = u["abstinence"]["odds_ratio"]
    assert f"{orr['estimate']:.2f} ({orr['ci_lower']:.2f}, {orr['ci_upper']:.2f})" in text
    hr = u["relapse"]["hazard_ratio"]
    assert f"{hr['estimate']:.2f} ({hr['ci_lower']:.2f}, {hr['ci_upper']:.2f})" in text
    assert ab["A"]["abstinent"] == 13
    page = next(
        p for p in pdf_pages(rendered["closed"], PASSWORD) if "against the sum over arms" in p
    )
    assert "Agrees" in page and not re.search(r"\bNO\b", page)


def test_same_inputs_give_byte_identical_open_reports(
    loaded: LoadedStudy, rendered: dict[str, Any], tmp_path: Path
) -> None:
    validation = run_validation(loaded)
    results = run_analysis(loaded, validation)
    render_reports(
        loaded, validation, results, SETTINGS,
        open_path=tmp_path / "open.pdf", closed_path=tmp_path / "closed.pdf", closed_password=PASSWORD,
    )  # fmt: skip
    assert (tmp_path / "open.pdf").read_bytes() == rendered["open"]
    # encryption draws fresh salts: the closed report is reproducible in its decrypted content
    assert pdf_pages((tmp_path / "closed.pdf").read_bytes(), PASSWORD) == pdf_pages(
        rendered["closed"], PASSWORD
    )


def test_a_forced_leak_is_refused(loaded: LoadedStudy, monkeypatch: pytest.MonkeyPatch) -> None:
    import dmc_report.report as report_pkg
    from dmc_report.report import open_report

    data = _open_data(loaded)
    real = open_report.build_open_report
    label = loaded.key.arms[1].label if loaded.key else ""

    def leaky(d: Any) -> Any:
        report = real(d)
        report.sections[0].blocks.append(Text(f"Abstinence was higher with {label}."))
        return report

    monkeypatch.setattr(report_pkg, "build_open_report", leaky)
    with pytest.raises(BlindingLeakError, match="arm label"):
        render_open_report(data, arm_labels={a.code: a.label for a in loaded.key.arms})  # type: ignore[union-attr]

    def coded(d: Any) -> Any:
        report = real(d)
        report.sections[0].blocks.append(Text("Abstinent: Arm A 13, Arm B 3."))
        return report

    monkeypatch.setattr(report_pkg, "build_open_report", coded)
    with pytest.raises(BlindingLeakError, match="arm code"):
        render_open_report(data, arm_labels=None)  # no key loaded: generic arm-like patterns

    def headed(d: Any) -> Any:  # a table split by arm, its columns headed by the codes
        from dmc_report.report.model import Table

        report = real(d)
        report.sections[0].blocks.append(
            Table("Abstinent", "Randomized", [["", "A", "B"]], [["Abstinent", 13, 3]])
        )
        return report

    monkeypatch.setattr(report_pkg, "build_open_report", headed)
    with pytest.raises(BlindingLeakError, match="column headed by arm code"):
        render_open_report(data, arm_labels={a.code: a.label for a in loaded.key.arms})  # type: ignore[union-attr]


def test_consistency_check_catches_a_mismatch(rendered: dict[str, Any]) -> None:
    results = rendered["typed"]
    b, u = results.blinded, results.unblinded
    check_consistency(b, u)  # as computed: consistent
    arm = u.by_arm["A"]
    more = dataclasses.replace(
        arm, abstinence=dataclasses.replace(arm.abstinence, abstinent=arm.abstinence.abstinent + 1)
    )
    with pytest.raises(ConsistencyError, match="Abstinent: open 16, arms 17"):
        check_consistency(b, dataclasses.replace(u, by_arm={**u.by_arm, "A": more}))


def test_a_failure_while_rendering_leaves_no_file(
    loaded: LoadedStudy, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    validation = run_validation(loaded)
    results = run_analysis(loaded, validation)

    def broken(*a: object, **k: object) -> bytes:
        raise RuntimeError("disk full")

    monkeypatch.setattr("dmc_report.report.secure.finalize", broken)
    monkeypatch.setattr("dmc_report.report.finalize", broken)
    with pytest.raises(RuntimeError):
        render_reports(
            loaded, validation, results, SETTINGS,
            open_path=tmp_path / "open.pdf", closed_path=tmp_path / "closed.pdf", closed_password=PASSWORD,
        )  # fmt: skip
    assert list(tmp_path.iterdir()) == []


def test_report_cli(demo: DemoFiles, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pw = tmp_path / "pw.txt"
    pw.write_text(PASSWORD + "\n")
    args = [
        "report", "--protocol", str(demo.protocol), "--data", str(demo.data), "--key", str(demo.key),
        "--key-password-file", str(demo.key_password_file), "--open", str(tmp_path / "o.pdf"),
        "--closed", str(tmp_path / "c.pdf"), "--closed-password-file", str(pw), "--report-date", "2016-12-20",
    ]  # fmt: skip
    assert cli.main(args) == 1  # reports produced; the demo's deliberate errors are listed in them
    assert (tmp_path / "o.pdf").is_file() and (tmp_path / "c.pdf").is_file()
    assert "Report date: 2016-12-20" in pdf_pages((tmp_path / "o.pdf").read_bytes())[1]
    no_password = [a for a in args if a not in ("--closed-password-file", str(pw))]
    code = cli.main(no_password)
    assert code == 2 and "closed-password-file" in capsys.readouterr().err


def test_a_leak_inside_a_figure_is_refused(
    loaded: LoadedStudy, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dmc_report.report as report_pkg
    from dmc_report.report import figures as fg
    from dmc_report.report import open_report
    from dmc_report.report.model import Figure

    data = _open_data(loaded)
    real = open_report.build_open_report
    label = loaded.key.arms[0].label if loaded.key else ""

    def leaky(d: Any) -> Any:
        report = real(d)
        series = [(label, d.blinded.pooled.craving)]  # a legend naming an arm
        report.sections[0].blocks.append(
            Figure(
                title="Craving", population="-", draw=fg.craving_figure, args=(series,), number=99
            )
        )
        return report

    monkeypatch.setattr(report_pkg, "build_open_report", leaky)
    with pytest.raises(BlindingLeakError, match="metadata or a figure"):
        render_open_report(data, arm_labels={a.code: a.label for a in loaded.key.arms})  # type: ignore[union-attr]


def test_findings_listing_lists_every_error_and_counts_the_rest() -> None:
    from dmc_report.domain.findings import finding
    from dmc_report.report.common import MAX_LISTED_FINDINGS, Numbering, findings_listing

    many = tuple(
        finding("VISIT_MISSED", "m", subject=f"S{i}", visit="W2V1")
        for i in range(MAX_LISTED_FINDINGS + 40)
    )
    errors = tuple(
        finding("INVALID_DATE", "d", sheet="VAS", row=i + 2, column="VISDT") for i in range(3)
    )

    from dmc_report.domain.blinding import TreatmentVocabulary

    class P:
        revealing_columns = frozenset({"EXDOSE"})
        treatment_vocabulary = TreatmentVocabulary.of(["Ketamine"])

    class D:
        findings = many + errors
        protocol = P()

    table = findings_listing(Numbering(), D())  # type: ignore[arg-type]
    assert len(table.rows) == MAX_LISTED_FINDINGS + 3
    assert [r[1] for r in table.rows[:3]] == ["INVALID_DATE"] * 3
    assert "40 further warnings" in table.footnotes[0]


def test_a_column_is_widened_to_its_longest_word_when_the_others_have_room() -> None:
    from dmc_report.report.model import Table as ModelTable
    from dmc_report.report.render import _fit_widths, _min_widths

    widths = _fit_widths([10.0, 100.0, 20.0], [30.0, 10.0, 10.0])
    assert widths[0] == 30.0 and sum(widths) == pytest.approx(130.0)
    assert all(w >= m for w, m in zip(widths, [30.0, 10.0, 10.0], strict=True))
    # no room: as given (the words wrap as before rather than overflowing the page)
    assert _fit_widths([10.0, 12.0], [30.0, 11.0]) == [10.0, 12.0]
    table = ModelTable(
        number=1, title="t", population="p", header=[["Outcome", "n"]],
        rows=[["NOT RECOVERED", 1], ["RECOVERED", 2]],
    )  # fmt: skip
    from dmc_report.report.style import register_fonts

    register_fonts()
    mins = _min_widths(table, 2)
    assert mins[0] > mins[1] > 0  # "RECOVERED" is the widest word of the first column


def _rows_per_page(n_rows: int, lead_lines: int) -> list[int]:
    """Render a report whose one table of ``n_rows`` follows ``lead_lines`` of text; the
    table's rows on each page, as drawn."""
    from dmc_report.report.model import Report, Section, Text, TitlePage
    from dmc_report.report.model import Table as ModelTable
    from dmc_report.report.render import render_pdf

    table = ModelTable(
        number=1, title="Randomized subjects by month", population="p",
        header=[["Month", "n"]], rows=[[f"row-{i:03d}", i] for i in range(n_rows)],
    )  # fmt: skip
    lead = [Text("Lead paragraph line.") for _ in range(lead_lines)]
    report = Report(
        kind="open", study_id="S", header="S", cutoff="2020-01-01", report_date="2020-01-02",
        title_page=TitlePage("OPEN SESSION REPORT", "T", "S", [("Study", "S")], "n"),
        sections=[Section("Enrollment", [*lead, table])],
        metadata_title="t", metadata_subject="s",
    )  # fmt: skip
    pages = render_pdf(report).page_texts
    return [c for c in (p.count("row-") for p in pages) if c]


@pytest.mark.parametrize("lead_lines", [0, 10, 25, 38])
def test_a_split_table_leaves_no_page_with_one_or_two_of_its_rows(lead_lines: int) -> None:
    from dmc_report.report.render import MIN_SPLIT_ROWS

    seen_split = False
    for n_rows in range(30, 100, 3):
        counts = _rows_per_page(n_rows, lead_lines)
        assert sum(counts) == n_rows  # every row drawn, once
        if len(counts) > 1:
            seen_split = True
            assert min(counts) >= MIN_SPLIT_ROWS, (n_rows, counts)
    assert seen_split
