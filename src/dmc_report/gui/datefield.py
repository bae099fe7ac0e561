"""A date typed as YYYY-MM-DD, or picked from a calendar: what is typed is what is used.

A QDateEdit edits a date section by section: typing a whole date over a selected one was read
section by section and could leave the old year (2014-09-30 typed over 2016-12-14 gave
2016-09-30, and the study was analysed at that cutoff). Here the text is the date: it is checked
as it is typed, an impossible or partial date is named below the field, and nothing is corrected
behind the user's back.
"""

from __future__ import annotations

import datetime as dt
import re

from PySide6.QtCore import QDate, QEvent, QPoint, QRegularExpression, Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QCalendarWidget,
    QHBoxLayout,
    QLineEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from dmc_report.gui.colours import AlertLabel

# what may stand in the field while a date is typed: digits and the two dashes, no more
PARTIAL = r"\d{0,4}(-\d{0,2}(-\d{0,2})?)?"
COMPLETE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse(text: str) -> tuple[dt.date | None, str]:
    """The date ``text`` names, or None and why not ("" for an empty field)."""
    text = text.strip()
    if not text:
        return None, ""
    if not COMPLETE.fullmatch(text):
        return None, f"'{text}' is not complete: type the date as YYYY-MM-DD (e.g. 2014-09-30)."
    try:
        return dt.date.fromisoformat(text), ""
    except ValueError:
        return None, f"{text} is not a date in the calendar."


class DateField(QWidget):
    """A line edit for an ISO date, a calendar button beside it, and the reason below it when
    the text is not a date."""

    changed = Signal()

    def __init__(self, accessible_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit()
        self.edit.setAccessibleName(accessible_name)
        self.edit.setPlaceholderText("YYYY-MM-DD")
        self.edit.setValidator(QRegularExpressionValidator(QRegularExpression(PARTIAL), self))
        self.edit.setMaxLength(10)
        self.edit.setMinimumWidth(self.edit.fontMetrics().horizontalAdvance("0000-00-00") + 24)
        self.edit.textChanged.connect(self._check)
        self.button = QToolButton()
        self.button.setText("Calendar...")
        self.button.setAccessibleName(f"Pick the {accessible_name.lower()} from a calendar")
        self.button.clicked.connect(self.show_calendar)
        self.problem = AlertLabel("")
        self.problem.setWordWrap(True)
        self.problem.setVisible(False)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit)
        row.addWidget(self.button)
        v = QVBoxLayout(self)
        v.setContentsMargins(0, 0, 0, 0)
        v.addLayout(row)
        v.addWidget(self.problem)
        self.calendar: QCalendarWidget | None = None

    def date(self) -> dt.date | None:
        """The date typed or picked; None when the field holds no complete, real date."""
        return parse(self.edit.text())[0]

    def problem_text(self) -> str:
        return parse(self.edit.text())[1]

    def set_date(self, date: dt.date) -> None:
        self.edit.setText(date.isoformat())

    def show_calendar(self) -> None:
        """A calendar under the field, at the date typed (or today); a click picks the date."""
        cal = QCalendarWidget()
        cal.setWindowFlags(Qt.WindowType.Popup)
        cal.setGridVisible(True)
        cal.setAccessibleName("Calendar")
        current = self.date() or dt.date.today()
        cal.setSelectedDate(QDate(current.year, current.month, current.day))
        cal.clicked.connect(self._picked)
        cal.activated.connect(self._picked)
        cal.move(self.edit.mapToGlobal(QPoint(0, self.edit.height())))
        self.calendar = cal
        cal.show()

    def _picked(self, date: QDate) -> None:
        self.edit.setText(date.toString("yyyy-MM-dd"))
        if self.calendar is not None:
            self.calendar.close()
            self.calendar.deleteLater()
            self.calendar = None

    def _check(self) -> None:
        why = self.problem_text()
        self.problem.set_plain(why)
        self.problem.setVisible(bool(why) and self.isEnabled())
        self.changed.emit()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.EnabledChange:  # no reason shown for a disabled field
            self.problem.setVisible(bool(self.problem_text()) and self.isEnabled())
