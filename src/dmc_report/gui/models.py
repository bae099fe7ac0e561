"""Qt table models over the core's results (display only: no computation)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QGuiApplication

from dmc_report.gui.colours import severity_colour

Index = QModelIndex | QPersistentModelIndex

SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}


class RowsTableModel(QAbstractTableModel):
    """A read-only table of rows (lists) with a header."""

    def __init__(
        self, header: list[str], rows: list[list[Any]] | None = None, parent: Any = None
    ) -> None:
        super().__init__(parent)
        self.header = header
        self.rows = rows or []
        self._order: tuple[int, Qt.SortOrder] | None = None

    def set_rows(self, rows: list[list[Any]]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def sort_key(self, column: int) -> Callable[[list[Any]], tuple[int, float, str]]:
        def key(row: list[Any]) -> tuple[int, float, str]:
            v = row[column]
            if v is None:
                return (2, 0.0, "")
            if isinstance(v, int | float):
                return (0, float(v), "")
            return (1, 0.0, str(v).lower())

        return key

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sorting in the model (a stable Python sort): no proxy calling back into Python."""
        self._order = (column, order) if column >= 0 else None
        self.layoutAboutToBeChanged.emit()
        self.rows = self._ordered(self.rows)
        self.layoutChanged.emit()

    def _ordered(self, rows: list[list[Any]]) -> list[list[Any]]:
        """``rows`` in the order last asked for (as given when none was)."""
        if self._order is None:
            return rows
        column, order = self._order
        return sorted(
            rows, key=self.sort_key(column), reverse=order == Qt.SortOrder.DescendingOrder
        )

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.header)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        value = self.rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return "" if value is None else str(value)
        if role == Qt.ItemDataRole.TextAlignmentRole and isinstance(value, int | float):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.header[section]
        return None


class FindingsTableModel(RowsTableModel):
    """The findings, filtered by severity and by text in code, sheet, subject or visit.

    Filtering and sorting are done here on plain lists: a QSortFilterProxyModel would call back
    into Python once per row, which for 15,000 findings held the GUI thread for ~0.1 s.
    """

    HEADER: ClassVar[list[str]] = [
        "Severity",
        "Code",
        "Sheet",
        "Row",
        "Column",
        "Subject",
        "Visit",
        "Message",
    ]

    def __init__(self, parent: Any = None) -> None:
        super().__init__(self.HEADER, [], parent)
        self.all_rows: list[list[Any]] = []
        self.severity = ""
        self.text = ""
        self._haystack: list[str] | None = None

    @staticmethod
    def rows_for(findings: Any) -> list[list[Any]]:
        """The table's rows (without the file); made in the worker, shown by the GUI thread."""
        return [[r[0], r[1], *r[3:]] for r in (f.as_row() for f in findings)]

    def set_rows(self, rows: list[list[Any]]) -> None:
        self.all_rows, self._haystack = rows, None
        self._apply()

    def set_severity(self, severity: str) -> None:
        self.severity = "" if severity == "All" else severity.lower()
        self._apply()

    def set_text(self, text: str) -> None:
        self.text = text.strip().lower()
        self._apply()

    def sort_key(self, column: int) -> Callable[[list[Any]], tuple[int, float, str]]:
        if column == 0:  # errors first
            return lambda row: (SEVERITY_RANK.get(row[0], 9), 0.0, "")
        return super().sort_key(column)

    def _apply(self) -> None:
        severity, text = self.severity, self.text
        if text and self._haystack is None:  # code, sheet, subject and visit, made once
            self._haystack = [
                " ".join(str(v) for v in (r[1], r[2], r[5], r[6]) if v is not None).lower()
                for r in self.all_rows
            ]
        hay = self._haystack if text else None
        rows = [
            r
            for i, r in enumerate(self.all_rows)
            if (not severity or r[0] == severity) and (hay is None or text in hay[i])
        ]
        self.beginResetModel()
        self.rows = self._ordered(rows)
        self.endResetModel()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and index.isValid() and index.column() == 0:
            # readable on the palette's rows, light or dark (gui/colours.py)
            return severity_colour(self.rows[index.row()][0], QGuiApplication.palette())
        if role == Qt.ItemDataRole.ToolTipRole and index.isValid():  # a long message, whole
            value = self.rows[index.row()][index.column()]
            return None if value is None else str(value)
        return super().data(index, role)
