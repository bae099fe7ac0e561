"""Every error recoverable in place (issue 17): a wrong password asks again, a failed step leaves
no stale results behind, the blinding state stays on screen until hidden."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox

from dmc_report.gui.main_window import MainWindow
from tests.gui.conftest import TIMEOUT, open_demo


def answers(monkeypatch: pytest.MonkeyPatch, *replies: tuple[str, bool]) -> list[str]:
    """The password prompt answers ``replies`` in turn; returns the prompts' texts."""
    asked: list[str] = []
    queue = list(replies)

    def get_text(_parent: Any, _title: str, label: str, *a: Any, **k: Any) -> tuple[str, bool]:
        asked.append(label)
        return queue.pop(0) if queue else ("", False)

    monkeypatch.setattr(QInputDialog, "getText", get_text)
    return asked


def test_a_wrong_key_password_asks_again_and_the_right_one_then_works(
    qtbot: Any, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dmc_report.demo.writer import DEMO_PASSWORD

    w = window
    open_demo(qtbot, w)
    w.session.key_password = "not-the-password"  # as a user typed it
    asked = answers(monkeypatch, ("still-wrong", True), (DEMO_PASSWORD, True))
    errors: list[str] = []
    w.error_shown.connect(errors.append)
    with qtbot.waitSignal(w.study_loaded, timeout=TIMEOUT):
        qtbot.mouseClick(w.btn_load, Qt.MouseButton.LeftButton)
    assert len(asked) == 2 and all("Wrong password" in a and "key workbook" in a for a in asked)
    assert not errors and w.session.loaded.key is not None


def test_re_choosing_the_key_asks_for_its_password_again(
    qtbot: Any, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dmc_report.demo.writer import DEMO_PASSWORD

    w = window
    open_demo(qtbot, w)
    key = w.key_edit.text()
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (key, ""))
    w.data_page.choose_key()
    assert w.session.key_password is None
    asked = answers(monkeypatch, (DEMO_PASSWORD, True))
    with qtbot.waitSignal(w.study_loaded, timeout=TIMEOUT):
        qtbot.mouseClick(w.btn_load, Qt.MouseButton.LeftButton)
    assert len(asked) == 1 and "password-protected" in asked[0]


def test_cancelling_the_password_prompt_says_what_was_not_read(
    qtbot: Any, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = window
    open_demo(qtbot, w)
    w.session.key_password = None
    asked = answers(monkeypatch, ("", False))
    qtbot.mouseClick(w.btn_load, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(asked) and w.job is None, timeout=TIMEOUT)
    assert "key workbook was not read" in w.statusBar().currentMessage()
    assert "key workbook was not read" in w.data_page.data_info.text()


def fail_a_reread(qtbot: Any, w: MainWindow, tmp_path: Path) -> None:
    bad = tmp_path / "new-export.xlsx"
    bad.write_text("SUBJID,SITEID\n101-0001,101\n")
    w.data_edit.setText(str(bad))
    with qtbot.waitSignal(w.error_shown, timeout=TIMEOUT):
        qtbot.mouseClick(w.btn_load, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.job is None, timeout=TIMEOUT)


def test_a_failed_re_read_marks_the_results_stale_and_generate_refuses(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    w = window
    open_demo(qtbot, w)
    fail_a_reread(qtbot, w, tmp_path)
    banner = w.stale_bar
    assert banner.isVisible() and "results are from the previous data" in banner.text().lower()
    w.steps.setCurrentRow(4)
    out = tmp_path / "reports"
    out.mkdir()
    w.out_dir.setText(str(out))
    w.password1.setText("pw-stale-123")
    w.password2.setText("pw-stale-123")
    assert not w.btn_generate.isEnabled()
    with qtbot.waitSignal(w.error_shown, timeout=5000) as sig:
        w.generate_reports()  # asked anyway (a shortcut, a script): refused with the reason
    assert "previous data" in sig.args[0] and w.job is None
    assert list(out.iterdir()) == []


def test_discarding_stale_results_clears_the_later_steps(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    w = window
    open_demo(qtbot, w)
    fail_a_reread(qtbot, w, tmp_path)
    w.stale_bar.button("Discard").click()
    assert w.session.loaded is None and w.session.results is None
    assert not w.stale_bar.isVisible()
    assert w.findings_model.rowCount() == 0 and w.blinded_area.widget() is None
    assert not any(w.steps.item(i).flags() & Qt.ItemFlag.ItemIsEnabled for i in (2, 3, 4))
    assert w.steps.currentRow() == 1


def test_reloading_stale_results_reads_the_inputs_again(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    w = window
    open_demo(qtbot, w)
    demo_data = w.data_edit.text()
    fail_a_reread(qtbot, w, tmp_path)
    w.data_edit.setText(demo_data)
    with qtbot.waitSignal(w.study_loaded, timeout=TIMEOUT):
        w.stale_bar.button("Reload").click()
    assert not w.stale_bar.isVisible() and w.btn_generate.isEnabled()


def test_a_cancelled_generate_does_not_show_the_previous_run_as_current(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    w = window
    open_demo(qtbot, w)
    w.steps.setCurrentRow(4)
    w.chk_closed.setChecked(False)
    w.out_dir.setText(str(tmp_path / "first"))
    (tmp_path / "first").mkdir()
    with qtbot.waitSignal(w.reports_written, timeout=TIMEOUT):
        w.generate_reports()
    page = w.reports_page
    assert "first" in page.reports_info.text() and page.btn_view_open.isEnabled()
    (tmp_path / "second").mkdir()
    w.out_dir.setText(str(tmp_path / "second"))
    w.generate_reports()
    w.cancel_job()
    qtbot.waitUntil(lambda: w.job is None, timeout=TIMEOUT)
    assert "first" not in page.reports_info.text() and "cancelled" in page.reports_info.text()
    assert not page.btn_view_open.isEnabled() and not page.btn_show.isEnabled()
    assert w.session.reports == {} and w.preview_holder.itemAt(0).widget() is None


def test_the_unblinded_view_shows_a_bar_until_it_is_hidden(
    qtbot: Any, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = window
    open_demo(qtbot, w)
    w.steps.setCurrentRow(3)
    assert not w.unblinded_bar.isVisible()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    qtbot.mouseClick(w.btn_unblind, Qt.MouseButton.LeftButton)
    assert w.unblinded_bar.isVisible() and "UNBLINDED" in w.unblinded_bar.text()
    # a timed message (findings written, cancelled) does not take the blinding state away
    w.statusBar().showMessage("Findings written to x.xlsx", 1)
    qtbot.wait(50)
    assert w.unblinded_bar.isVisible()
    w.steps.setCurrentRow(2)  # on every page
    assert w.unblinded_bar.isVisible()
    w.act_hide_unblinded.trigger()
    assert not w.unblinded_bar.isVisible() and not w.session.unblinded_confirmed
    assert w.unblinded_area.widget() is None and w.summary_tabs.currentIndex() == 0
    assert "UNBLINDED" not in w.statusBar().currentMessage()
    assert not w.act_hide_unblinded.isEnabled()


def test_reading_the_data_again_closes_the_unblinded_view_and_its_bar(
    qtbot: Any, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = window
    open_demo(qtbot, w)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    w.confirm_unblinded()
    assert w.unblinded_bar.isVisible()
    with qtbot.waitSignal(w.study_loaded, timeout=TIMEOUT):
        w.load_data()
    assert not w.session.unblinded_confirmed and w.unblinded_area.widget() is None
    assert not w.unblinded_bar.isVisible() and not w.act_hide_unblinded.isEnabled()


def test_the_closed_report_asks_for_confirmation_once_per_run(
    qtbot: Any, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = window
    w.controller.closed_confirmed = False  # a fresh run (the fixture gives the confirmation)
    open_demo(qtbot, w)
    w.steps.setCurrentRow(4)
    w.out_dir.setText(str(tmp_path))
    w.password1.setText("pw-confirm-1")
    w.password2.setText("pw-confirm-1")
    asked: list[str] = []

    def no(_parent: Any, title: str, *a: Any, **k: Any) -> QMessageBox.StandardButton:
        asked.append(title)
        return QMessageBox.StandardButton.No

    monkeypatch.setattr(QMessageBox, "question", no)
    w.generate_reports()
    assert len(asked) == 1 and "closed" in asked[0].lower() and w.job is None
    assert list(tmp_path.glob("*.pdf")) == []

    def yes(_parent: Any, title: str, *a: Any, **k: Any) -> QMessageBox.StandardButton:
        asked.append(title)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", yes)
    with qtbot.waitSignal(w.reports_written, timeout=TIMEOUT):
        w.generate_reports()
    assert len(asked) == 2
    # once per run: the next closed report (here into another folder) is not asked again
    (tmp_path / "again").mkdir()
    w.out_dir.setText(str(tmp_path / "again"))
    with qtbot.waitSignal(w.reports_written, timeout=TIMEOUT):
        w.generate_reports()
    assert len(asked) == 2
