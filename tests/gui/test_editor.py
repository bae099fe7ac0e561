"""The protocol editor with its mapping assistant (issue 17): a new study set up from an export
without a text editor. From the demo export and only what an export cannot say, typed into the
editor's fields, it saves the demo's own protocol (equal in meaning to the bundled file); the
protocol model's refusals disable Save and are shown where they are; the saved file opens with
the same settings; and the export is never written over."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox

from dmc_report.demo.writer import DemoFiles
from dmc_report.domain.protocol import Protocol
from dmc_report.gui.editor.dialog import ProtocolEditor
from dmc_report.gui.main_window import MainWindow
from dmc_report.io.protocol_loader import bundled_protocol_text, load_protocol, parse_protocol
from dmc_report.io.protocol_writer import check_protocol_table
from dmc_report.pipeline import make_demo
from tests.gui.conftest import TIMEOUT

TEMPLATES = Path(__file__).parents[2] / "templates" / "protocols"


@pytest.fixture
def demo(tmp_path: Path) -> DemoFiles:
    return make_demo(tmp_path / "export")


@pytest.fixture
def bundled() -> Protocol:
    return parse_protocol(bundled_protocol_text("ketamine-mbrp.toml"), "ketamine-mbrp.toml")


@pytest.fixture
def editor(qtbot: Any, window: MainWindow) -> Any:
    window.act_new_study.trigger()  # File > New study...
    ed: ProtocolEditor = window.protocol_editor
    qtbot.addWidget(ed)
    yield ed
    ed.dirty = False  # closed by the test run: no "discard the changes?" question


def read(qtbot: Any, ed: ProtocolEditor, path: Path) -> None:
    with qtbot.waitSignal(ed.export_read, timeout=TIMEOUT):
        ed.read_export(path)  # as chosen in the file dialog


def type_in(qtbot: Any, widget: Any, text: str) -> None:
    widget.setFocus()
    widget.clear()
    qtbot.keyClicks(widget, text)


def schedule_as_copied(p: Protocol) -> str:
    """The schedule of assessments as a statistician copies it from the protocol's table."""
    return "\n".join(
        "\t".join(
            [
                v.code,
                v.label,
                str(v.day),
                str(v.window_before),
                str(v.window_after),
                v.phase,
                ", ".join(v.assessments),
            ]
        )
        for v in p.visits
    )


def paste_at(qtbot: Any, table: Any, row: int, column: int, text: str) -> None:
    table.view.clearSelection()
    table.view.setCurrentIndex(table.model.index(row, column))
    QGuiApplication.clipboard().setText(text)
    qtbot.mouseClick(table.btn_paste, Qt.MouseButton.LeftButton)


def fill(qtbot: Any, table: Any, rows: range, column: int, value: str) -> None:
    """Select a column's cells and paste one value over them."""
    from PySide6.QtCore import QItemSelection, QItemSelectionModel

    table.view.clearSelection()
    m = table.model
    selection = QItemSelection(m.index(rows.start, column), m.index(rows.stop - 1, column))
    table.view.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.Select)
    QGuiApplication.clipboard().setText(value)
    qtbot.mouseClick(table.btn_paste, Qt.MouseButton.LeftButton)


def complete_the_schedule(qtbot: Any, ed: ProtocolEditor, p: Protocol) -> None:
    """The rows the export suggested (codes, typical days, forms found) kept; what it cannot
    know added: the unknown visit W6V1 removed, labels, windows and phases, the screening
    visit's target day, and the follow-up contact (no visit column in its sheet)."""
    table, model = ed.visits.table, ed.visits.model
    unknown = ed.visits.codes().index("W6V1")
    table.view.selectRow(unknown)
    qtbot.mouseClick(table.btn_remove, Qt.MouseButton.LeftButton)
    assert ed.visits.codes() == [v.code for v in p.visits[:-1]]  # in the schedule's order
    proposed = [(r[2], r[6]) for r in model.rows()]
    assert proposed[1:] == [(str(v.day), ", ".join(v.assessments)) for v in p.visits[1:-1]]
    paste_at(qtbot, table, 0, 1, "\n".join(v.label for v in p.visits[:-1]))  # the labels
    model.setData(model.index(0, 2), str(p.visits[0].day))  # typed: SCR is day -14
    paste_at(qtbot, table, 0, 3, f"{p.visits[0].window_before}\t{p.visits[0].window_after}")
    paste_at(qtbot, table, 6, 3, "\n".join(["1\t1"] * 8))  # the outpatient visits' windows
    fill(qtbot, table, range(1), 5, "screening")
    fill(qtbot, table, range(1, 6), 5, "inpatient")
    fill(qtbot, table, range(6, 14), 5, "outpatient")
    qtbot.mouseClick(table.btn_add, Qt.MouseButton.LeftButton)
    paste_at(qtbot, table, 14, 0, schedule_as_copied(p).splitlines()[-1])  # FU6M


def enter_what_the_export_cannot_say(qtbot: Any, ed: ProtocolEditor, p: Protocol) -> None:
    s = ed.study
    type_in(qtbot, s.title, p.study.title)
    type_in(qtbot, s.sponsor, p.study.sponsor)
    type_in(qtbot, s.phase, p.study.phase)
    type_in(qtbot, s.design, p.study.design)
    s.treatments.setFocus()
    for name in p.study.treatments:
        qtbot.keyClicks(s.treatments, name)
        qtbot.keyClick(s.treatments, Qt.Key.Key_Return)
    type_in(qtbot, s.target, str(p.study.target_enrollment))
    type_in(qtbot, s.start.edit, p.study.planned_enrollment_start.isoformat())
    type_in(qtbot, s.end.edit, p.study.planned_enrollment_end.isoformat())
    complete_the_schedule(qtbot, ed, p)
    e, ep = ed.endpoints, p.endpoints
    for checks, codes in (
        (e.abstinence, ep.abstinence_visits),
        (e.relapse, ep.relapse_visits),
        (e.craving, ep.craving_visits),
    ):
        for i in range(checks.count()):
            if checks.item(i).text() in codes:
                checks.item(i).setCheckState(Qt.CheckState.Checked)
    type_in(qtbot, e.eot, str(ep.end_of_treatment_day))
    e.baseline.setCurrentText(str(ep.craving_baseline_visit))
    e.infusion.setCurrentText(str(ep.infusion_visit))
    type_in(qtbot, e.analyte, ep.labels.analyte)
    type_in(qtbot, e.window_label, str(ep.labels.window))
    type_in(qtbot, e.follow_up, ep.labels.follow_up)
    i, pi = ed.interim, p.interim
    assert pi is not None
    i.box.setChecked(True)
    type_in(qtbot, i.fields["planned_information"], str(pi.planned_information))
    type_in(qtbot, i.fields["assumed_experimental"], str(pi.assumed_experimental))
    type_in(qtbot, i.fields["assumed_control"], str(pi.assumed_control))
    look = pi.previous_looks[0]
    QGuiApplication.clipboard().setText(
        f"{look.date}\t{look.information_fraction}\t{look.observed_z}"
    )
    i.looks_editor.view.setFocus()
    qtbot.keyClick(i.looks_editor.view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    ed.settings.terms.setFocus()
    for term in p.blinding.terms:
        qtbot.keyClicks(ed.settings.terms, term)
        qtbot.keyClick(ed.settings.terms, Qt.Key.Key_Return)


def save(qtbot: Any, ed: ProtocolEditor, path: Path) -> None:
    with qtbot.waitSignal(ed.saved, timeout=TIMEOUT):
        ed.save_to(path)  # as chosen in the Save as dialog


def test_the_editor_builds_the_demo_protocol_from_the_demo_export(
    qtbot: Any,
    window: MainWindow,
    editor: ProtocolEditor,
    demo: DemoFiles,
    bundled: Protocol,
    tmp_path: Path,
) -> None:
    read(qtbot, editor, demo.data)
    # what the assistant could tell from the export, proposed and left as proposed
    assert editor.mapping.raw() == {}  # the demo's export uses the contract's names
    assert editor.study.id.text() == "KETCOC-01"
    assert editor.study.sites.rows() == [
        ["101", "Site 101"],
        ["102", "Site 102"],
        ["103", "Site 103"],
    ]
    assert all(box.isChecked() for box in editor.settings.domains.values())
    assert editor.visits.codes()[:3] == ["SCR", "D1", "D2"]
    assert editor.visits.model.rows()[1] == ["D1", "", "1", "", "", "", "UDS, VAS, QS"]
    assert not editor.btn_save_as.isEnabled()  # the title, the days, ... are still missing
    enter_what_the_export_cannot_say(qtbot, editor, bundled)
    editor.check_now()
    assert [(p.key, p.message) for p in editor.problems] == []
    assert editor.btn_save_as.isEnabled()
    out = tmp_path / "KETCOC-01.toml"
    save(qtbot, editor, out)
    assert load_protocol(out).protocol == bundled  # the bundled protocol, in meaning
    # offered as the current study
    assert editor.open_box is not None
    with qtbot.waitSignal(window.controller.protocol_read, timeout=TIMEOUT) as opened:
        editor.open_box.done(QMessageBox.StandardButton.Yes)
    assert opened.args[0] == out and window.controller.session.protocol == out


def test_invalid_input_disables_save_and_says_where(
    qtbot: Any, editor: ProtocolEditor, bundled: Protocol
) -> None:
    editor.load(bundled)
    assert editor.problems == () and editor.btn_save_as.isEnabled()
    model = editor.visits.model
    model.setData(model.index(2, 2), "0")  # D2 typed as study day 0
    type_in(qtbot, editor.study.target, "sixty")
    editor.check_now()
    assert not editor.btn_save_as.isEnabled() and not editor.btn_save.isEnabled()
    lines = [editor.problem_list.item(i).text() for i in range(editor.problem_list.count())]
    assert any(line.startswith("visits[2].day: study day 0 does not exist") for line in lines)
    assert any(
        line.startswith("study.target_enrollment: Input should be a valid integer")
        for line in lines
    )
    # marked where it is: the cell, and the field (with the reason as its tooltip)
    assert "study day 0" in model.data(model.index(2, 2), Qt.ItemDataRole.ToolTipRole)
    assert "valid integer" in editor.study.target.toolTip()
    assert "B00020" in editor.study.target.styleSheet()
    # a problem found only once the fields are valid: the schedule out of order
    model.setData(model.index(2, 2), "50")
    type_in(qtbot, editor.study.target, "60")
    editor.check_now()
    assert [(p.key, p.message) for p in editor.problems] == [
        ("visits", "[[visits]] must be listed in order of their target day")
    ]
    assert not editor.btn_save_as.isEnabled()
    qtbot.mouseClick(editor.visits.btn_sort, Qt.MouseButton.LeftButton)  # Sort by day
    editor.check_now()
    assert editor.btn_save_as.isEnabled()


def test_the_saved_file_opens_with_the_same_settings(
    qtbot: Any, window: MainWindow, editor: ProtocolEditor, tmp_path: Path
) -> None:
    template = load_protocol(TEMPLATES / "stimulant-12wk.toml").protocol  # with a [mapping]
    editor.load(template)
    out = tmp_path / "stim.toml"
    save(qtbot, editor, out)
    assert editor.open_box is not None
    editor.open_box.done(QMessageBox.StandardButton.No)
    again = ProtocolEditor(window.controller, window)
    qtbot.addWidget(again)
    assert again.open_file(out)
    assert not again.dirty  # nothing changed yet: closing asks nothing
    assert check_protocol_table(again.raw()) == template == load_protocol(out).protocol
    assert again.raw() == editor.raw()  # every field as it was
    assert again.study.title.text() == template.study.title
    assert again.visits.model.rows() == editor.visits.model.rows()
    assert again.endpoints.abstinence.ticked() == list(template.endpoints.abstinence_visits)
    assert again.settings.panel.rows() == [
        ["THC", "Cannabinoids"],
        ["OPI", "Opiates"],
        ["BZO", "Benzodiazepines"],
    ]
    assert again.mapping.raw()["codes"]["DM"]["SEX"] == {"Male": "M", "Female": "F", "Unknown": "U"}
    assert again.windowTitle().startswith("stim.toml")


def test_the_rave_export_is_mapped_by_the_assistant(
    qtbot: Any, editor: ProtocolEditor, tmp_path: Path
) -> None:
    """The second template's Rave-style export: every sheet, column and code the template maps
    is proposed as it maps it (the export holds no "Unknown" sex, so no code for it)."""
    template = load_protocol(TEMPLATES / "stimulant-12wk.toml")
    files = make_demo(tmp_path / "rave", protocol=template.provenance.path)
    read(qtbot, editor, files.data)
    mapping = template.protocol.mapping
    raw = editor.mapping.raw()
    assert raw["sheets"] == mapping.sheets and raw["columns"] == mapping.columns
    expected = {s: {c: dict(m) for c, m in cols.items()} for s, cols in mapping.codes.items()}
    del expected["DM"]["SEX"]["Unknown"]
    assert raw["codes"] == expected
    assert not editor.settings.domains["vital_signs"].isChecked()  # no VS sheet
    assert editor.settings.panel.rows() == [
        ["THC", "Cannabinoids"],
        ["OPI", "Opiates"],
        ["BZO", "Benzodiazepines"],
    ]
    # the codes of the urine result, as the page shows them
    editor.mapping.sheets_list.setCurrentRow(1)  # UDS
    editor.mapping.columns.setCurrentCell(3, 0)  # COCAINE
    table = editor.mapping.codes_table
    shown = {
        table.item(r, 0).text(): table.cellWidget(r, 1).currentText()
        for r in range(table.rowCount())
    }
    assert shown == {"Negative": "NEG", "Positive": "POS", "INCONCL": "(as is: no code)"}


def test_saving_over_the_export_is_refused(
    qtbot: Any, editor: ProtocolEditor, demo: DemoFiles, bundled: Protocol
) -> None:
    read(qtbot, editor, demo.data)
    editor.load(bundled)
    before = demo.data.read_bytes()
    with qtbot.waitSignal(editor.failed, timeout=TIMEOUT) as refused:
        editor.save_to(demo.data)
    assert "never written over a workbook" in refused.args[0]
    assert "never written over a workbook" in editor.status.text()
    assert demo.data.read_bytes() == before
    assert not list(demo.data.parent.glob("*.toml.*"))
    # and an export under another name (not a workbook) is still its input
    odd = demo.data.with_name("export.toml")
    odd.write_bytes(before)
    editor.export = odd
    with qtbot.waitSignal(editor.failed, timeout=TIMEOUT) as refused:
        editor.save_to(odd)
    assert "would replace the export workbook" in refused.args[0]
    assert odd.read_bytes() == before


def test_a_password_protected_export_asks_again_until_right(
    qtbot: Any, editor: ProtocolEditor, demo: DemoFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QInputDialog

    from dmc_report.demo.writer import encrypt_xlsx

    locked = demo.data.with_name("locked.xlsx")
    locked.write_bytes(encrypt_xlsx(demo.data.read_bytes(), "right one"))
    answers = iter([("wrong one", True), ("right one", True)])
    asked: list[str] = []

    def answer(_parent: Any, _title: str, reason: str, *_a: Any) -> tuple[str, bool]:
        asked.append(reason)
        return next(answers)

    monkeypatch.setattr(QInputDialog, "getText", answer)
    read(qtbot, editor, locked)
    assert asked == [
        "The export is password-protected. Its password:",
        "Wrong password for the export. Try again:",
    ]
    assert editor.study.id.text() == "KETCOC-01" and editor.mapping.raw() == {}


def test_edit_protocol_opens_the_loaded_one_and_the_study_page_offers_a_new_one(
    qtbot: Any, window: MainWindow, demo: DemoFiles, bundled: Protocol
) -> None:
    assert not window.act_edit_protocol.isEnabled()  # no protocol open yet
    window.controller.set_protocol(demo.protocol)
    assert window.act_edit_protocol.isEnabled()
    window.act_edit_protocol.trigger()
    ed = window.protocol_editor
    qtbot.addWidget(ed)
    assert ed.path == demo.protocol and ed.protocol == bundled and not ed.dirty
    assert ed.windowTitle().startswith("protocol.toml")
    qtbot.mouseClick(window.study_page.btn_new, Qt.MouseButton.LeftButton)
    new = window.protocol_editor
    qtbot.addWidget(new)
    assert new is not ed and new.path is None and new.isVisible()
    assert not new.btn_save_as.isEnabled()  # an empty form is no protocol


def test_an_export_that_is_no_workbook_is_named_and_refused(
    qtbot: Any, editor: ProtocolEditor, tmp_path: Path
) -> None:
    csv = tmp_path / "export.xlsx"
    csv.write_text("SUBJID,VISIT\n101-0001,D1\n", encoding="utf-8")
    with qtbot.waitSignal(editor.failed, timeout=TIMEOUT) as refused:
        editor.read_export(csv)
    assert "not an xlsx workbook (a text file (it looks like CSV))" in refused.args[0]
    assert str(csv) in refused.args[0] and "Traceback" not in editor.export_status.text()
    assert editor.btn_export.isEnabled() and editor.job is None  # another can be read


def test_cells_are_pasted_as_excel_pastes_them(
    qtbot: Any, editor: ProtocolEditor, bundled: Protocol
) -> None:
    from PySide6.QtCore import QItemSelection, QItemSelectionModel

    editor.load(bundled)
    table, model = editor.visits.table, editor.visits.model
    # one value over a selection fills every selected cell (the phase of eight visits)
    selection = QItemSelection(model.index(6, 5), model.index(13, 5))
    table.view.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.Select)
    QGuiApplication.clipboard().setText("clinic")
    table.view.setFocus()
    qtbot.keyClick(table.view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert [r[5] for r in model.rows()[5:15]] == ["inpatient", *["clinic"] * 8, "follow-up"]
    # a block goes where the current cell is, as in Excel
    table.view.clearSelection()
    table.view.setCurrentIndex(model.index(1, 1))
    QGuiApplication.clipboard().setText("Admission\t1\nInfusion day\t2")
    qtbot.mouseClick(table.btn_paste, Qt.MouseButton.LeftButton)
    assert [r[:3] for r in model.rows()[1:3]] == [
        ["D1", "Admission", "1"],
        ["D2", "Infusion day", "2"],
    ]
    editor.check_now()
    assert editor.problems == ()
