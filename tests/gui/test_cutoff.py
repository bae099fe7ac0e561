"""The data cutoff field (issue 17): what is typed is the date used, never a year kept from the
date it replaced; a calendar to pick it; an impossible date named, and no read started."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QDate, Qt

from dmc_report.gui.main_window import MainWindow
from tests.gui.conftest import TIMEOUT, open_demo


def field_on_data_page(w: MainWindow) -> Any:
    w.steps.setCurrentRow(1)
    page = w.data_page
    page.cutoff_default.setChecked(False)
    return page.cutoff_edit


@pytest.mark.parametrize("select", ["all", "keyboard", "double-click"])
def test_typing_a_date_over_a_selected_one_gives_the_date_typed(
    qtbot: Any, window: MainWindow, select: str
) -> None:
    field = field_on_data_page(window)
    field.set_date(dt.date(2016, 12, 14))
    field.edit.setFocus()
    if select == "all":
        field.edit.selectAll()
    elif select == "keyboard":
        qtbot.keyClick(field.edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    else:  # a double click selects the year only: the year typed replaces it
        field.edit.setCursorPosition(2)
        qtbot.mouseDClick(field.edit, Qt.MouseButton.LeftButton)
        field.edit.selectAll()
    qtbot.keyClicks(field.edit, "2014-09-30")
    qtbot.keyClick(field.edit, Qt.Key.Key_Tab)
    assert field.date() == dt.date(2014, 9, 30) and field.edit.text() == "2014-09-30"
    assert not field.problem.isVisible()


def test_the_cutoff_typed_is_the_cutoff_analysed(qtbot: Any, window: MainWindow) -> None:
    w = window
    open_demo(qtbot, w)
    field = field_on_data_page(w)
    assert field.date() == w.session.loaded.cutoff  # shows the cutoff used
    field.edit.selectAll()
    qtbot.keyClicks(field.edit, "2015-06-30")
    with qtbot.waitSignal(w.study_loaded, timeout=TIMEOUT):
        qtbot.mouseClick(w.btn_load, Qt.MouseButton.LeftButton)
    assert w.session.loaded.cutoff == dt.date(2015, 6, 30)
    assert "2015-06-30" in w.statusBar().currentMessage()


@pytest.mark.parametrize(
    ("typed", "why"), [("2014-02-30", "not a date in the calendar"), ("2014-9", "not complete")]
)
def test_an_impossible_cutoff_is_named_and_nothing_is_read(
    qtbot: Any, window: MainWindow, typed: str, why: str
) -> None:
    w = window
    field = field_on_data_page(w)
    field.edit.clear()
    qtbot.keyClicks(field.edit, typed)
    assert field.date() is None and field.problem.isVisible() and why in field.problem.text()
    w.data_edit.setText("/nowhere/data.xlsx")
    with qtbot.waitSignal(w.error_shown, timeout=5000) as sig:
        w.load_data()
    assert "cutoff" in sig.args[0] and why in sig.args[0] and w.job is None
    # letters and a third dash are not taken at all
    field.edit.clear()
    qtbot.keyClicks(field.edit, "20x4-01-01-")
    assert field.edit.text() == "204-01-01"
    # ticking "Latest date in the data" hides the reason: the field is not used
    w.data_page.cutoff_default.setChecked(True)
    assert not field.problem.isVisible()


def test_the_calendar_picks_a_date(qtbot: Any, window: MainWindow) -> None:
    field = field_on_data_page(window)
    field.set_date(dt.date(2016, 12, 14))
    qtbot.mouseClick(field.button, Qt.MouseButton.LeftButton)
    cal = field.calendar
    assert cal is not None and cal.isVisible()
    assert cal.selectedDate() == QDate(2016, 12, 14)  # opens at the date in the field
    cal.clicked.emit(QDate(2014, 9, 30))
    assert field.date() == dt.date(2014, 9, 30) and field.calendar is None
