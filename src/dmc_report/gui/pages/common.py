"""What more than one page uses: the app's table view, and a QDate as a date."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QHeaderView, QScrollArea, QTableView


def table_view(model: Any, stretch_last: bool = True) -> QTableView:
    view = QTableView()
    view.setModel(model)
    # no sort column before sorting is enabled: enabling it sorts at once by the indicator,
    # which Qt starts at the first column, descending (looks 3, 2, 1; arms in reverse)
    view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # the given order
    view.setSortingEnabled(True)
    view.setAlternatingRowColors(True)
    view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    view.verticalHeader().setVisible(False)
    view.horizontalHeader().setStretchLastSection(stretch_last)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    view.horizontalHeader().setResizeContentsPrecision(60)  # size columns from a sample of rows
    view.resizeColumnsToContents()
    return view


def fit_rows(view: QTableView, most: int = 12) -> None:
    """A short table as tall as its rows (up to ``most``), not stretched with an empty area
    that pushes what follows it (the comparison sentences) off the screen."""
    rows = min(view.model().rowCount(), most)
    height = view.horizontalHeader().sizeHint().height() + 2 * view.frameWidth()
    height += sum(view.rowHeight(r) for r in range(rows))
    height += view.horizontalScrollBar().sizeHint().height()  # room for one if it is too wide
    view.setFixedHeight(height)


def clear(area: QScrollArea) -> None:
    """Empty a scroll area (its old contents are deleted)."""
    old = area.takeWidget()
    if old is not None:
        old.deleteLater()


def pydate(d: QDate) -> dt.date:
    return dt.date(d.year(), d.month(), d.day())
