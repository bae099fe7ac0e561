"""Qt table models over the core's results (display only: no computation)."""

from __future__ import annotations

from typing import Any, ClassVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor

Index = QModelIndex | QPersistentModelIndex

SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}
SEVERITY_COLOURS = {
    "error": QColor("#B00020"),
    "warning": QColor("#8A5A00"),
    "info": QColor("#5A5A5A"),
}


class RowsTableModel(QAbstractTableModel):
    """A read-only table of rows (lists) with a header."""

    def __init__(
        self, header: list[str], rows: list[list[Any]] | None = None, parent: Any = None
    ) -> None:
        super().__init__(parent)
        self.header = header
        self.rows = rows or []

    def set_rows(self, rows: list[list[Any]]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

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
        if role == Qt.ItemDataRole.UserRole:  # for sorting
            return value if value is not None else ""
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

    def set_findings(self, findings: Any) -> None:
        self.set_rows(
            [[r[0], r[1], *r[3:]] for r in (f.as_row() for f in findings)]
        )  # without the file

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and index.isValid() and index.column() == 0:
            return SEVERITY_COLOURS.get(self.rows[index.row()][0])
        if role == Qt.ItemDataRole.UserRole and index.isValid() and index.column() == 0:
            return SEVERITY_RANK.get(self.rows[index.row()][0], 9)  # errors sort first
        return super().data(index, role)


class FindingsFilter(QSortFilterProxyModel):
    """Filter by severity and by text in code, subject or sheet."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.severity = ""
        self.text = ""
        self.setSortRole(Qt.ItemDataRole.UserRole)

    def set_severity(self, severity: str) -> None:
        self.severity = "" if severity == "All" else severity.lower()
        self.invalidateRowsFilter()

    def set_text(self, text: str) -> None:
        self.text = text.strip().lower()
        self.invalidateRowsFilter()

    def filterAcceptsRow(self, row: int, parent: Index) -> bool:
        model = self.sourceModel()
        values = model.rows[row]  # type: ignore[attr-defined]
        if self.severity and values[0] != self.severity:
            return False
        if self.text:
            hay = " ".join(
                str(v) for v in (values[1], values[2], values[5], values[6]) if v is not None
            ).lower()
            return self.text in hay
        return True
