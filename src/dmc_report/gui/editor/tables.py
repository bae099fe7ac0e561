"""Editable tables of the protocol editor: the visit schedule, sites, the urine panel, previous
looks. Cells hold the text the user typed; the protocol model decides what it means, and a cell
it refuses is tinted with the reason as its tooltip. Rows can be pasted from Excel or Word
(tab-separated lines), so a schedule of assessments is entered in one go."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from dmc_report.gui.colours import invalid_cell_brush

Index = QModelIndex | QPersistentModelIndex
MIN_COLUMN = 90  # pixels: room to type a day or a label before the column is fitted again
Convert = Callable[[str], object]


def number(text: str) -> object:
    """An int or float typed in a cell; other text as it is (the model names what is wrong)."""
    t = text.strip()
    for kind in (int, float):
        try:
            return kind(t)
        except ValueError:
            continue
    return t


def words(text: str) -> list[str]:
    """A list typed as ``UDS, VAS QS`` (commas or spaces)."""
    return [w for w in text.replace(",", " ").replace(";", " ").split() if w]


class TextTable(QAbstractTableModel):
    """Rows of cell texts under a header; ``rows()`` gives the texts, ``records()`` the rows as
    the protocol table wants them (empty cells left out)."""

    edited = Signal()

    def __init__(self, header: list[str], keys: list[str], converters: dict[str, Convert]) -> None:
        super().__init__()
        self.header, self.keys, self.converters = header, keys, converters
        self._rows: list[list[str]] = []
        self.problems: dict[tuple[int, int], str] = {}  # (row, column) -> why it is refused

    # --- Qt ----------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.header)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self.header[section]
        return section + 1

    def data(self, index: Index, role: int = 0) -> Any:
        if not index.isValid():
            return None
        r, c = index.row(), index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return self._rows[r][c]
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.problems.get((r, c))
        if role == Qt.ItemDataRole.BackgroundRole and (r, c) in self.problems:
            return invalid_cell_brush()
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        return super().flags(index) | Qt.ItemFlag.ItemIsEditable

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or role != Qt.ItemDataRole.EditRole:
            return False
        self._rows[index.row()][index.column()] = "" if value is None else str(value)
        self.dataChanged.emit(index, index)
        self.edited.emit()
        return True

    # --- rows --------------------------------------------------------------------------------
    def set_rows(self, rows: list[list[object]]) -> None:
        self.beginResetModel()
        self._rows = [self._padded(r) for r in rows]
        self.problems = {}
        self.endResetModel()
        self.edited.emit()

    def _padded(self, row: list[object]) -> list[str]:
        cells = ["" if v is None else str(v) for v in row][: len(self.header)]
        return cells + [""] * (len(self.header) - len(cells))

    def rows(self) -> list[list[str]]:
        return [list(r) for r in self._rows]

    def insert(self, at: int, rows: list[list[object]]) -> None:
        self.beginInsertRows(QModelIndex(), at, at + len(rows) - 1)
        self._rows[at:at] = [self._padded(r) for r in rows]
        self.endInsertRows()
        self.edited.emit()

    def remove(self, rows: list[int]) -> None:
        for r in sorted(set(rows), reverse=True):
            self.beginRemoveRows(QModelIndex(), r, r)
            del self._rows[r]
            self.endRemoveRows()
        self.edited.emit()

    def paste(self, text: str, at: int, column: int = 0) -> int:
        """Tab-separated lines (copied from Excel or Word) into the cells from row ``at`` and
        ``column`` on, as Excel pastes a block; rows are added as needed, and a header line
        naming the columns is skipped. The rows pasted."""
        lines = [ln.split("\t") for ln in text.replace("\r\n", "\n").split("\n") if ln.strip()]
        if lines and [c.strip().lower() for c in lines[0]] == [h.lower() for h in self.header]:
            lines = lines[1:]
        for i, cells in enumerate(lines):
            row = at + i
            if row >= len(self._rows):
                self.insert(len(self._rows), [[]])
            for j, cell in enumerate(cells[: len(self.header) - column]):
                self._rows[row][column + j] = cell.strip()
        if lines:
            self.dataChanged.emit(self.index(at, 0),
                                  self.index(at + len(lines) - 1, len(self.header) - 1))  # fmt: skip
            self.edited.emit()
        return len(lines)

    def fill(self, cells: list[tuple[int, int]], value: str) -> None:
        """One value into every cell of a selection (a phase for twenty visits at once)."""
        for r, c in cells:
            self._rows[r][c] = value.strip()
        if cells:
            self.dataChanged.emit(self.index(0, 0),
                                  self.index(len(self._rows) - 1, len(self.header) - 1))  # fmt: skip
            self.edited.emit()

    def records(self) -> list[dict[str, object]]:
        """Each row as a protocol table: key -> value, empty cells left out."""
        out = []
        for row in self._rows:
            rec: dict[str, object] = {}
            for key, text in zip(self.keys, row, strict=True):
                if text.strip():
                    rec[key] = self.converters.get(key, str.strip)(text)
            out.append(rec)
        return out

    def set_problems(self, problems: dict[tuple[int, int], str]) -> None:
        self.problems = problems
        if self._rows:
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self._rows) - 1, len(self.header) - 1)
            )


class TableEditor(QWidget):
    """A :class:`TextTable` in a view, with Add row, Remove rows and Paste rows."""

    def __init__(self, model: TextTable, name: str, extra: list[QPushButton] | None = None) -> None:
        super().__init__()
        self.model = model
        model.setParent(self)  # owned by its editor: deleted with it, once
        self.view = QTableView()
        self.view.setModel(model)
        self.view.setAccessibleName(name)
        self.view.setAlternatingRowColors(True)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.view.horizontalHeader().setMinimumSectionSize(MIN_COLUMN)
        model.modelReset.connect(self.fit_columns)
        model.rowsInserted.connect(self.fit_columns)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.setMinimumHeight(120)
        self.btn_add = QPushButton("Add row")
        self.btn_add.clicked.connect(self.add_row)
        self.btn_remove = QPushButton("Remove selected rows")
        self.btn_remove.clicked.connect(self.remove_selected)
        self.btn_paste = QPushButton("Paste rows")
        self.btn_paste.setToolTip(
            "Paste cells copied from Excel or Word (Ctrl+V) at the current cell; one value "
            "pasted over several selected cells fills them all"
        )
        self.btn_paste.clicked.connect(self.paste)
        row = QHBoxLayout()
        for b in (self.btn_add, self.btn_remove, self.btn_paste, *(extra or [])):
            row.addWidget(b)
        row.addStretch(1)
        v = QVBoxLayout(self)
        v.setContentsMargins(0, 0, 0, 0)
        v.addWidget(self.view, 1)
        v.addLayout(row)

    def fit_columns(self) -> None:
        """Each column as wide as its header and cells, a column to type in never narrower
        than :data:`MIN_COLUMN` (the last takes the room left)."""
        self.view.resizeColumnsToContents()

    def add_row(self) -> None:
        self.model.insert(self.model.rowCount(), [[]])
        self.view.setCurrentIndex(self.model.index(self.model.rowCount() - 1, 0))

    def remove_selected(self) -> None:
        self.model.remove([i.row() for i in self.view.selectionModel().selectedIndexes()])

    def paste(self) -> None:
        """The clipboard at the current cell: a block as Excel pastes it, or one value into
        every selected cell."""
        text = QGuiApplication.clipboard().text()
        selected = [(i.row(), i.column()) for i in self.view.selectionModel().selectedIndexes()]
        if "\t" not in text.strip() and "\n" not in text.strip() and selected:
            self.model.fill(selected, text)
            return
        current = self.view.currentIndex()
        if current.isValid():
            self.model.paste(text, current.row(), current.column())
        else:
            self.model.paste(text, self.model.rowCount())

    def keyPressEvent(self, event: Any) -> None:
        if event.matches(QKeySequence.StandardKey.Paste):
            self.paste()
            return
        super().keyPressEvent(event)
