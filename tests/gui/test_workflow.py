"""The desktop app, driven through its real widgets (offscreen)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QMessageBox

from dmc_report.gui.main_window import MainWindow
from tests.gui.conftest import TIMEOUT, open_demo


def test_whole_workflow_on_the_demo(
    qtbot: Any, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = window
    open_demo(qtbot, w)
    # the key was read with its password; findings and compliance are on screen
    assert w.session.loaded.key is not None
    assert w.findings_model.rowCount() > 0 and w.compliance_model.rowCount() == 15
    everything = w.findings_model.rowCount()
    w.severity_box.setCurrentText("Error")
    assert w.findings_model.rowCount() == w.session.validation.errors < everything
    w.severity_box.setCurrentText("All")
    w.filter_edit.setText("VIS")  # text in code, sheet, subject or visit
    shown = [w.findings_model.rows[i] for i in range(w.findings_model.rowCount())]
    assert shown and all(
        "vis" in " ".join(map(str, (r[1], r[2], r[5], r[6]))).lower() for r in shown
    )
    w.filter_edit.setText("")
    w.findings_view.sortByColumn(5, Qt.SortOrder.DescendingOrder)  # by subject
    subjects = [r[5] or "" for r in w.findings_model.rows if r[5]]
    assert subjects == sorted(subjects, key=str.lower, reverse=True)
    w.findings_view.sortByColumn(0, Qt.SortOrder.AscendingOrder)  # errors first
    assert w.findings_model.rows[0][0] == "error"
    assert (
        "KETCOC-01" in w.statusBar().currentMessage()
        and "blinded" in w.statusBar().currentMessage()
    )
    # the unblinded view opens only after an explicit confirmation
    w.steps.setCurrentRow(3)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    qtbot.mouseClick(w.btn_unblind, Qt.MouseButton.LeftButton)
    assert w.unblinded_area.widget() is None and not w.session.unblinded_confirmed
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    qtbot.mouseClick(w.btn_unblind, Qt.MouseButton.LeftButton)
    assert w.unblinded_area.widget() is not None and "UNBLINDED" in w.statusBar().currentMessage()
    # its tables keep the given order until a header is clicked: arms as in the key, looks 1..n
    from PySide6.QtWidgets import QTableView

    models = {v.model().header[0]: v.model() for v in w.unblinded_area.findChildren(QTableView)}
    arm_rows = [r[0] for r in models["Arm"].rows]
    assert [r.split(" (")[0] for r in arm_rows] == [a.label for a in w.session.loaded.key.arms]
    # the demo's final data: shown as the final analysis the tool suggests (no later look)
    m = w.session.results.unblinded.monitoring
    assert m.final and [r[0] for r in models["Look"].rows] == list(range(1, len(m.looks) + 1))
    assert w.chk_final.isChecked()
    # both reports
    w.steps.setCurrentRow(4)
    out = tmp_path / "reports"
    out.mkdir()
    w.out_dir.setText(str(out))
    w.password1.setText("s3cret-pw")
    w.password2.setText("s3cret-pw")
    with qtbot.waitSignal(w.reports_written, timeout=TIMEOUT):
        qtbot.mouseClick(w.btn_generate, Qt.MouseButton.LeftButton)
    pdfs = sorted(p.name for p in out.iterdir() if p.suffix == ".pdf")
    assert (
        len(pdfs) == 2
        and any("open-report" in p for p in pdfs)
        and any("closed-report" in p for p in pdfs)
    )
    assert (out / next(p for p in pdfs if "closed" in p)).read_bytes()[:5] == b"%PDF-"
    # beside them, the pooled results for the next report's comparison: nothing by arm
    (pooled,) = out.glob("KETCOC-01-open-results-*.json")
    doc = json.loads(pooled.read_text())
    assert doc["unblinded"] is None and doc["inputs"]["key"] is None
    assert doc["blinded"]["enrollment"]["randomized"] == 55
    # the open report is previewed in the window (QtPdf), every page of it
    from PySide6.QtPdf import QPdfDocument
    from PySide6.QtPdfWidgets import QPdfView

    view = w.preview_holder.itemAt(0).widget().view  # the PdfPreview's QPdfView
    assert isinstance(view, QPdfView)
    qtbot.waitUntil(lambda: view.document().status() == QPdfDocument.Status.Ready, timeout=TIMEOUT)
    assert view.document().pageCount() >= 10


def test_mismatched_passwords_are_refused(qtbot: Any, window: MainWindow, tmp_path: Path) -> None:
    w = window
    open_demo(qtbot, w)
    w.out_dir.setText(str(tmp_path))
    w.password1.setText("one")
    w.password2.setText("two")
    with qtbot.waitSignal(w.error_shown, timeout=5000) as sig:
        qtbot.mouseClick(w.btn_generate, Qt.MouseButton.LeftButton)
    assert "twice" in sig.args[0] and w.job is None


def test_cancel_during_generation_leaves_no_file(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    w = window
    open_demo(qtbot, w)
    out = tmp_path / "reports"
    out.mkdir()
    w.out_dir.setText(str(out))
    w.password1.setText("pw-cancel-1")
    w.password2.setText("pw-cancel-1")
    qtbot.mouseClick(w.btn_generate, Qt.MouseButton.LeftButton)
    w.cancel_job()
    qtbot.waitUntil(lambda: w.job is None, timeout=TIMEOUT)
    assert "Cancelled" in w.statusBar().currentMessage()
    assert list(out.iterdir()) == []


def test_a_bad_workbook_shows_an_error_and_the_app_stays_usable(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    w = window
    open_demo(qtbot, w)
    bad = tmp_path / "export.xlsx"
    bad.write_text("SUBJID,SITEID\n101-0001,101\n")
    w.data_edit.setText(str(bad))
    w.key_edit.setText("")
    with qtbot.waitSignal(w.error_shown, timeout=TIMEOUT) as sig:
        qtbot.mouseClick(w.btn_load, Qt.MouseButton.LeftButton)
    assert "CSV" in sig.args[0]
    assert (
        w._last_error_box.informativeText().startswith("Where:")
        and "export.xlsx" in w._last_error_box.informativeText()
    )
    assert w.btn_load.isEnabled() and w.job is None
    open_demo(qtbot, w)  # still works
    assert w.session.loaded is not None


def test_the_gui_thread_keeps_ticking_while_a_job_runs(qtbot: Any, window: MainWindow) -> None:
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(20)
    open_demo(qtbot, window)
    timer.stop()
    assert len(ticks) >= 5  # the event loop ran throughout the read, validation and analysis


def test_about_lists_every_bundled_component(qtbot: Any, window: MainWindow) -> None:
    from PySide6.QtWidgets import QTableWidget

    window.show_about()
    table = window._about.findChild(QTableWidget)
    names = [table.item(i, 0).text() for i in range(table.rowCount())]
    licences = [table.item(i, 2).text() for i in range(table.rowCount())]
    assert {"pandas", "reportlab"} <= set(names) and any(n.startswith("Qt 6") for n in names)
    assert all(licences)
    assert not window.windowIcon().isNull()
    window._about.close()


def test_the_open_report_shows_the_changes_since_a_previous_report(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    from pypdf import PdfReader

    w = window
    open_demo(qtbot, w)
    w.steps.setCurrentRow(4)
    w.out_dir.setText(str(tmp_path))
    w.chk_closed.setChecked(False)
    # a previous report's pooled results, from this very cutoff: refused, with the reason
    same = tmp_path / "same.json"
    same.write_text(w.session.results.pooled().to_json())
    w.previous_edit.setText(str(same))
    with qtbot.waitSignal(w.error_shown, timeout=TIMEOUT) as sig:
        qtbot.mouseClick(w.btn_generate, Qt.MouseButton.LeftButton)
    assert "is not before" in " ".join(map(str, sig.args))
    assert not list(tmp_path.glob("*.pdf"))
    # an earlier one: the synopsis compares
    doc = json.loads(same.read_text())
    doc["data_cutoff"] = "2015-06-30"
    doc["blinded"]["enrollment"]["randomized"] = 40
    earlier = tmp_path / "earlier.json"
    earlier.write_text(json.dumps(doc))
    w.previous_edit.setText(str(earlier))
    qtbot.waitUntil(lambda: w.job is None, timeout=TIMEOUT)
    with qtbot.waitSignal(w.reports_written, timeout=TIMEOUT):
        qtbot.mouseClick(w.btn_generate, Qt.MouseButton.LeftButton)
    (pdf,) = tmp_path.glob("*-open-report-*.pdf")
    text = " ".join((page.extract_text() or "") for page in PdfReader(pdf).pages[:4])
    text = " ".join(text.split())
    assert "Changes since the previous report (data cutoff 2015-06-30)" in text
    assert "Randomized 40 55 +15" in text


def test_a_report_held_open_by_another_program_can_be_retried(
    qtbot: Any, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Windows: a viewer holds the old report, so the rename fails; the app says to close it and
    offers Retry, which writes the pair once the file is free."""
    import dmc_report.io.output as output
    from dmc_report.domain.errors import Location, OutputInUseError

    w = window
    open_demo(qtbot, w)
    out = tmp_path / "reports"
    out.mkdir()
    w.out_dir.setText(str(out))
    w.password1.setText("pw-retry-123")
    w.password2.setText("pw-retry-123")
    real, calls = output.write_files_atomic, []

    def held_once(files: Any) -> None:
        calls.append(files)
        if len(calls) == 1:
            raise OutputInUseError(
                "the output cannot be written: close open.pdf in the program that has it open",
                Location(file=str(out / "open.pdf")),
            )
        real(files)

    asked: list[str] = []

    def answer(box: QMessageBox) -> int:
        asked.append(box.text())
        return int(QMessageBox.StandardButton.Retry.value)

    monkeypatch.setattr(output, "write_files_atomic", held_once)
    monkeypatch.setattr(QMessageBox, "exec", answer)
    qtbot.mouseClick(w.btn_generate, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(calls) == 2 and w.job is None, timeout=TIMEOUT)
    assert asked and "close open.pdf" in asked[0]
    # the pair, the pooled results, and the study's report log (issue 19)
    assert sorted(p.suffix for p in out.iterdir()) == [".json", ".jsonl", ".pdf", ".pdf"]


def test_the_app_refuses_a_short_closed_password(
    qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    w = MainWindow(demo_folder=tmp_path / "demo")
    qtbot.addWidget(w)
    w.show()
    w.controller.closed_confirmed = True
    with qtbot.waitSignal(w.study_loaded, timeout=120_000):
        qtbot.mouseClick(w.btn_demo, Qt.MouseButton.LeftButton)
    out = tmp_path / "reports"
    out.mkdir()
    w.out_dir.setText(str(out))
    w.password1.setText("1234567")
    w.password2.setText("1234567")
    with qtbot.waitSignal(w.error_shown, timeout=5000) as sig:
        qtbot.mouseClick(w.btn_generate, Qt.MouseButton.LeftButton)
    assert "at least 8 characters" in sig.args[0] and w.job is None
    assert list(out.iterdir()) == []
