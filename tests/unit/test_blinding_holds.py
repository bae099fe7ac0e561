"""Blinding that holds against the data: free text naming a treatment is withheld from the open
report (with a located finding), values of revealing columns are never quoted there, ordinary
medical words do not stop a report, and the open report and pooled results are the same bytes
with no key, a clean key, or a key with spare slots and extra columns."""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf
import pytest
from openpyxl import Workbook
from pypdf import PdfReader

from dmc_report.cli import main
from dmc_report.demo.writer import DEMO_PASSWORD, DemoFiles
from dmc_report.domain.blinding import WITHHELD_TEXT, TreatmentVocabulary
from dmc_report.domain.errors import UnusableInputError
from dmc_report.pipeline import (
    LoadedStudy,
    RenderedReports,
    load_study,
    run_validation,
)
from dmc_report.report.guard import BlindingLeakError
from tests.hostile import edited, key_workbook, render_study, set_cell

SAE_ROW = 3  # the demo's AE sheet, Excel row 3: a serious AE (in the open SAE listing)
DRUG_TERM = "Agitation after ketamine dose"
LABEL_TERM = "Reaction to Ketamine 0.5 mg/kg"
CONTROL_TERM = "Sedation (midazolam suspected)"
DOSES = {2: "0.5 mg/kg", 3: "0.025 mg/kg"}


def _text(pdf: bytes, password: str | None = None) -> str:
    if password is not None:
        with pikepdf.open(io.BytesIO(pdf), password=password) as doc:
            out = io.BytesIO()
            doc.save(out)
            pdf = out.getvalue()
    return " ".join((p.extract_text() or "") for p in PdfReader(io.BytesIO(pdf)).pages)


def _render(
    demo: DemoFiles, data: Path, key: Path | None, *, closed: bool = False
) -> tuple[LoadedStudy, RenderedReports, object]:
    loaded = load_study(
        demo.protocol,
        data,
        key=key,
        key_password=DEMO_PASSWORD if key == demo.key else None,
        cutoff=demo.cutoff,
    )
    validation, _, rendered = render_study(
        loaded, closed_password=DEMO_PASSWORD if closed else None, pooled_results=True
    )
    return loaded, rendered, validation


@pytest.fixture(scope="module")
def hostile_data(demo: DemoFiles, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo data with free text naming each treatment, and a text dose column."""

    def edit(wb: Workbook) -> None:
        set_cell(wb, "AE", SAE_ROW, "AETERM", DRUG_TERM)
        set_cell(wb, "AE", 2, "AETERM", LABEL_TERM)
        set_cell(wb, "DS", 2, "DSTERM", CONTROL_TERM)
        ws = wb["EX"]
        ws.cell(row=1, column=ws.max_column + 1, value="EXDOSE")
        for r in range(2, ws.max_row + 1):
            ws.cell(row=r, column=ws.max_column, value=DOSES[2 + r % 2])

    return edited(demo.data, tmp_path_factory.mktemp("hostile") / "data.xlsx", edit)


@pytest.fixture(scope="module")
def hostile_reports(demo: DemoFiles, hostile_data: Path) -> tuple[RenderedReports, object]:
    _, rendered, validation = _render(demo, hostile_data, demo.key, closed=True)
    return rendered, validation


def test_free_text_naming_a_treatment_is_a_located_finding_that_does_not_quote_it(
    hostile_reports: tuple[RenderedReports, object],
) -> None:
    _, validation = hostile_reports
    hits = [f for f in validation.findings if f.code == "TREATMENT_NAME_IN_TEXT"]  # type: ignore[attr-defined]
    where = {(f.sheet, f.excel_row, f.column) for f in hits}
    assert where == {("AE", SAE_ROW, "AETERM"), ("AE", 2, "AETERM"), ("DS", 2, "DSTERM")}
    for f in hits:
        assert f.subject and not TreatmentVocabulary.of(["ketamine", "midazolam"]).names_treatment(
            f.message
        )


def test_the_open_report_withholds_it_and_the_closed_report_shows_it(
    hostile_reports: tuple[RenderedReports, object],
) -> None:
    rendered, _ = hostile_reports
    open_text = _text(rendered.open)
    for term in (DRUG_TERM, LABEL_TERM, CONTROL_TERM):
        assert term not in open_text
    assert WITHHELD_TEXT in " ".join(open_text.split())
    assert "Free-text entries withheld" in open_text  # the synopsis counts them
    assert rendered.closed is not None
    closed_text = " ".join(_text(rendered.closed, DEMO_PASSWORD).split())
    assert DRUG_TERM in closed_text


def test_values_of_a_dose_column_never_reach_the_open_report(
    hostile_reports: tuple[RenderedReports, object],
) -> None:
    rendered, validation = hostile_reports
    dose_findings = [f for f in validation.findings if f.column == "EXDOSE"]  # type: ignore[attr-defined]
    assert len(dose_findings) > 40  # one per subject: each quotes its cell in the findings file
    open_text = " ".join(_text(rendered.open).split())
    for dose in DOSES.values():  # once, in the protocol's design sentence; never per subject
        assert open_text.count(dose) == 1, dose
    assert "[value withheld]" in open_text


def test_the_pooled_results_withhold_it_too(
    hostile_reports: tuple[RenderedReports, object],
) -> None:
    rendered, _ = hostile_reports
    assert rendered.pooled_results is not None
    pooled = rendered.pooled_results.decode()
    assert DRUG_TERM not in pooled and "0.5 mg/kg" not in pooled
    assert WITHHELD_TEXT in pooled


def test_ordinary_medical_words_do_not_stop_a_report(demo: DemoFiles, tmp_path: Path) -> None:
    """'Group B' with arm codes A/B and 'Pain in arm' with numeric codes 1/2 are not arms."""
    data = edited(
        demo.data,
        tmp_path / "data.xlsx",
        lambda wb: (
            set_cell(wb, "AE", SAE_ROW, "AETERM", "Group B streptococcal infection"),
            set_cell(wb, "AE", 2, "AETERM", "Pain in arm"),
            set_cell(wb, "AE", 4, "AETERM", "Group A strep pharyngitis"),
        ),
    )
    _, rendered, _ = _render(demo, data, demo.key)
    text = " ".join(_text(rendered.open).split())
    assert "Group B streptococcal infection" in text

    def numeric(wb: Workbook) -> None:
        for sheet in ("RAND", "ARMS"):
            for row in wb[sheet].iter_rows(min_row=2):
                for cell in row:
                    if cell.value in ("A", "B"):
                        cell.value = {"A": "1", "B": "2"}[cell.value]

    key = edited(key_workbook(demo), tmp_path / "key.xlsx", numeric)
    _, rendered_numeric, _ = _render(demo, data, key)
    assert "Pain in arm" in " ".join(_text(rendered_numeric.open).split())


def test_the_open_report_is_the_same_bytes_with_any_key_or_none(
    demo: DemoFiles, tmp_path: Path
) -> None:
    def spare_slots(wb: Workbook) -> None:
        for i in range(1, 6):  # the unblinded statistician's list runs ahead of enrollment
            wb["RAND"].append([f"999-{i:04d}", "AB"[i % 2]])
        wb["RAND"].cell(row=1, column=3, value="BLOCK")  # a column the contract does not know
        wb["RAND"].cell(row=2, column=3, value=4)

    plain_key = edited(key_workbook(demo), tmp_path / "clean.xlsx")
    spare_key = edited(key_workbook(demo), tmp_path / "spare.xlsx", spare_slots)
    runs = {name: _render(demo, demo.data, key) for name, key in [
        ("no key", None), ("clean key", plain_key), ("encrypted key", demo.key),
        ("spare slots", spare_key),
    ]}  # fmt: skip
    opens = {name: r[1].open for name, r in runs.items()}
    pooled = {name: r[1].pooled_results for name, r in runs.items()}
    assert len(set(opens.values())) == 1, {k: len(v) for k, v in opens.items()}
    assert len(set(pooled.values())) == 1
    spare_validation = runs["spare slots"][2]
    assert any(f.code == "KEY_SUBJECT_NOT_IN_DM" for f in spare_validation.key_findings)  # type: ignore[attr-defined]


def test_a_word_only_the_key_knows_stops_the_report_with_its_page_and_data_location(
    demo: DemoFiles, tmp_path: Path
) -> None:
    """The protocol does not list the key's label word, so nothing withheld the text: the final
    scan stops the report (exit 2) and says where the text stands in the data."""
    data = edited(
        demo.data, tmp_path / "data.xlsx",
        lambda wb: set_cell(wb, "AE", SAE_ROW, "AETERM", "Rash after Zorbacil"),
    )  # fmt: skip

    def relabel(wb: Workbook) -> None:
        for row in wb["ARMS"].iter_rows(min_row=2):
            if row[0].value == "A":
                row[1].value = "Zorbacil 20 mg"

    key = edited(key_workbook(demo), tmp_path / "key.xlsx", relabel)
    with pytest.raises(BlindingLeakError) as caught:
        _render(demo, data, key)
    err = caught.value
    assert isinstance(err, UnusableInputError)
    assert "Zorbacil" in err.message and "page" in err.message
    assert err.location.sheet == "AE" and err.location.row == SAE_ROW
    # the CLI: exit 2, nothing written
    out = tmp_path / "open.pdf"
    rc = main([
        "report", "--protocol", str(demo.protocol), "--data", str(data), "--key", str(key),
        "--open", str(out), "--cutoff", demo.cutoff.isoformat(),
    ])  # fmt: skip
    assert rc == 2 and not out.exists()
    # without the key the same data render (the open report cannot depend on the key)
    _render(demo, data, None)


def test_an_ordinary_word_of_an_arm_label_does_not_stop_the_report(
    demo: DemoFiles, tmp_path: Path
) -> None:
    """The tool's own wording says "no previous results file was given"; a label holding
    "given" is no reason to stop (its words are looked for in values from the data only)."""

    def relabel(wb: Workbook) -> None:
        for row in wb["ARMS"].iter_rows(min_row=2):
            if row[0].value == "A":
                row[1].value = "Study drug given early"

    key = edited(key_workbook(demo), tmp_path / "key.xlsx", relabel)
    _, rendered, _ = _render(demo, demo.data, key)
    assert "was given" in " ".join(_text(rendered.open).split())


def test_columns_outside_the_contract_are_checked_and_their_headers_withheld(
    demo: DemoFiles, tmp_path: Path
) -> None:
    """A comment column, and a column headed by a drug's name, in a 'blinded' export."""

    def edit(wb: Workbook) -> None:
        ws = wb["AE"]
        c = ws.max_column + 1
        ws.cell(1, c, "AECOMMENT")
        ws.cell(4, c, "site nurse: given Ketalar by mistake")
        ws.cell(5, c, "no comment")
        ex = wb["EX"]
        ex.cell(1, ex.max_column + 1, "KETAMINE_LEVEL")
        ex.cell(2, ex.max_column, 1.5)

    data = edited(demo.data, tmp_path / "data.xlsx", edit)
    loaded = load_study(demo.protocol, data, cutoff=demo.cutoff)
    validation = run_validation(loaded)
    hits = [f for f in validation.findings if f.code == "TREATMENT_NAME_IN_TEXT"]
    assert [(f.sheet, f.excel_row, f.column) for f in hits] == [("AE", 4, "AECOMMENT")]
    assert hits[0].subject  # located on its row's subject
    from dmc_report.report.common import open_finding_message

    header = next(
        f for f in validation.findings if f.code == "EXTRA_COLUMN" and f.column == "KETAMINE_LEVEL"
    )
    assert "KETAMINE" in header.message  # the findings workbook names it for the data manager
    assert open_finding_message(header, loaded.study.protocol) == WITHHELD_TEXT


def test_vocabulary_words_and_boundaries() -> None:
    v = TreatmentVocabulary.of(["Ketamine 0.5 mg/kg IV", "Placebo infusion"], ["Ketalar"])
    assert v.words == ("ketalar", "ketamine", "placebo")
    assert v.names_treatment("KETAMINE-induced dissociation")
    assert v.names_treatment("reaction to ketalar")
    assert not v.names_treatment("ketaminergic")  # not a word of the vocabulary
    assert v.names_treatment("KETAMINE_LEVEL")  # an underscore separates words in a header
    assert not v.names_treatment("Infusion site pain")  # a generic word of a name is not a name
    assert not TreatmentVocabulary().names_treatment("anything")


def test_validate_with_a_key_lists_and_exports_the_keys_findings_too(
    demo: DemoFiles, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The statistician's own listing: data and key findings together, as the counts are."""

    def spare(wb: Workbook) -> None:
        wb["RAND"].append(["999-0001", "A"])

    key = edited(key_workbook(demo), tmp_path / "key.xlsx", spare)
    out = tmp_path / "findings.csv"
    rc = main([
        "validate", "--protocol", str(demo.protocol), "--data", str(demo.data),
        "--key", str(key), "--findings", str(out),
    ])  # fmt: skip
    assert rc == 1
    assert "KEY_SUBJECT_NOT_IN_DM" in out.read_text(encoding="utf-8-sig")
    assert "KEY_SUBJECT_NOT_IN_DM" in capsys.readouterr().out


def test_an_arm_label_in_the_documents_metadata_is_found() -> None:
    """The scan reads the document information too (title, subject, keywords), with the
    drawn pages' text given as the renderer keeps it."""
    import io

    import pikepdf

    from dmc_report.report.guard import scan_pdf

    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.docinfo["/Title"] = "Interim report"
    pdf.docinfo["/Keywords"] = "ketamine 0.5 mg/kg"
    buf = io.BytesIO()
    pdf.save(buf)
    labels = {"A": "Ketamine 0.5 mg/kg", "B": "Midazolam 0.025 mg/kg"}
    leaks = scan_pdf(buf.getvalue(), labels, page_texts=["Nothing here"])
    assert [(leak.page, leak.found.lower()) for leak in leaks] == [(None, "ketamine 0.5 mg/kg")]
    clean = scan_pdf(buf.getvalue(), {"A": "Placebo", "B": "Active"}, page_texts=["Nothing here"])
    assert clean == []
