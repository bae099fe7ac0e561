"""The mapping page: for each contract sheet, the export's sheet; for each contract column, the
export's column (drop-downs, the assistant's proposal chosen, how it was found beside it); for a
coded column, the codes the export holds and the contract code each stands for."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from dmc_report.domain.contract import DATA_SHEETS, Kind
from dmc_report.domain.contract import Sheet as ContractSheet

NOT_IN_EXPORT = "(not in export)"
AS_IS = "(as is: no code)"
SHEETS = {s.name: s for s in DATA_SHEETS}


def _norm(name: object) -> str:
    return str(name or "").strip().upper()


def _combo(items: list[str], current: str | None, editable: bool, name: str) -> QComboBox:
    box = QComboBox()
    box.setEditable(editable)
    box.addItems(items)
    box.setAccessibleName(name)
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
    if current is not None:
        i = box.findText(current)
        if i < 0:
            box.addItem(current)
            i = box.count() - 1
        box.setCurrentIndex(i)
    return box


class MappingPage(QWidget):
    """Where the export holds each contract sheet, column and code, as the user settles it."""

    edited = Signal()

    def __init__(self, visit_codes: Callable[[], list[str]]) -> None:
        super().__init__()
        self.visit_codes = visit_codes
        self.summary: Any = None  # ExportSummary of the export read, or None
        self.sheet_choice: dict[str, str | None] = {s: s for s in SHEETS}
        self.column_choice: dict[str, dict[str, str | None]] = {
            s.name: {c.name: c.name for c in s.columns} for s in DATA_SHEETS
        }
        self.found: dict[str, str] = {}  # "SHEET" or "SHEET.COLUMN" -> how the assistant found it
        # contract sheet -> contract column -> export code -> contract code ("" = as is)
        self.codes: dict[str, dict[str, dict[str, str]]] = {}
        self._current: str = "DM"
        self._code_column: str | None = None
        self._build()
        self.sheets_list.setCurrentRow(0)

    # --- layout ------------------------------------------------------------------------------
    def _build(self) -> None:
        self.sheets_list = QListWidget()
        self.sheets_list.setAccessibleName("Contract sheets")
        self.sheets_list.setMinimumWidth(150)
        self.sheets_list.currentRowChanged.connect(self._show_sheet)
        self.sheet_label = QLabel()
        self.sheet_box = QComboBox()
        self.sheet_box.setAccessibleName("Export sheet")
        self.sheet_box.setMinimumWidth(160)
        self.sheet_box.currentTextChanged.connect(self._sheet_chosen)
        self.sheet_found = QLabel()
        self.sheet_about = QLabel()
        self.sheet_about.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.sheet_label)
        top.addWidget(self.sheet_box, 1)
        self.columns = QTableWidget(0, 4)
        self.columns.setHorizontalHeaderLabels(
            ["Contract column", "Needed", "Export column", "Found as"]
        )
        self.columns.setAccessibleName("Contract columns and the export's")
        self.columns.verticalHeader().setVisible(False)
        self.columns.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.columns.horizontalHeader().setStretchLastSection(True)
        self.columns.currentCellChanged.connect(lambda r, *_: self._show_codes_of_row(r))
        self.codes_box = QGroupBox("Codes")
        self.codes_table = QTableWidget(0, 2)
        self.codes_table.setHorizontalHeaderLabels(["Export code", "Contract code"])
        self.codes_table.setAccessibleName("Codes found and the contract's")
        self.codes_table.verticalHeader().setVisible(False)
        self.codes_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.codes_hint = QLabel("Select a coded column to map the codes the export holds.")
        self.codes_hint.setWordWrap(True)
        cv = QVBoxLayout(self.codes_box)
        cv.addWidget(self.codes_hint)
        cv.addWidget(self.codes_table, 1)
        middle = QWidget()
        mv = QVBoxLayout(middle)
        mv.setContentsMargins(0, 0, 0, 0)
        mv.addLayout(top)
        mv.addWidget(self.sheet_found)
        mv.addWidget(self.sheet_about)
        mv.addWidget(self.columns, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.setChildrenCollapsible(False)
        split.addWidget(self.sheets_list)
        split.addWidget(middle)
        split.addWidget(self.codes_box)
        split.setStretchFactor(1, 3)
        split.setStretchFactor(2, 2)
        split.setSizes([150, 500, 330])
        v = QVBoxLayout(self)
        v.setContentsMargins(0, 0, 0, 0)
        v.addWidget(split)
        self._fill_sheet_list()

    def _fill_sheet_list(self) -> None:
        row = self.sheets_list.currentRow()
        self.sheets_list.blockSignals(True)
        self.sheets_list.clear()
        for spec in DATA_SHEETS:
            self.sheets_list.addItem(self._sheet_line(spec))
        self.sheets_list.setCurrentRow(max(row, 0))
        self.sheets_list.blockSignals(False)

    def _sheet_line(self, spec: ContractSheet) -> str:
        export = self.sheet_choice.get(spec.name)
        if export is None:
            return f"{spec.name}: not in the export" + (" (!)" if spec.required else "")
        missing = [c for c in self.missing_required() if c.startswith(spec.name + ".")]
        return f"{'!' if missing else '✓'} {spec.name} = {export}"

    # --- showing one sheet -------------------------------------------------------------------
    def _export_names(self) -> list[str] | None:
        return list(self.summary.sheet_names) if self.summary is not None else None

    def _show_sheet(self, row: int) -> None:
        if row < 0:
            return
        spec = DATA_SHEETS[row]
        self._current = spec.name
        self.sheet_label.setText(f"Export sheet for <b>{spec.name}</b>:")
        self.sheet_about.setText(
            f"{spec.name}: {spec.description} ({'required' if spec.required else 'optional'}). "
            "Choose the export's column for each contract column; a coded column's codes are "
            "mapped on the right."
        )
        names = self._export_names()
        self.sheet_box.blockSignals(True)
        self.sheet_box.clear()
        self.sheet_box.setEditable(names is None)
        self.sheet_box.addItems([NOT_IN_EXPORT, *(names or [])])
        current = self.sheet_choice.get(spec.name)
        text = NOT_IN_EXPORT if current is None else current
        if self.sheet_box.findText(text) < 0:
            self.sheet_box.addItem(text)
        self.sheet_box.setCurrentIndex(self.sheet_box.findText(text))
        self.sheet_box.blockSignals(False)
        self.sheet_found.setText(self._found_text(spec.name))
        self._show_columns(spec)

    def _found_text(self, key: str) -> str:
        how = self.found.get(key)
        return f"Proposed by the assistant: <i>{how}</i>." if how else ""

    def _export_columns(self, sheet: str) -> list[str] | None:
        if self.summary is None:
            return None
        export = self.summary.sheet(self.sheet_choice.get(sheet))
        return [c.name for c in export.columns] if export is not None else []

    def _show_columns(self, spec: ContractSheet) -> None:
        names = self._export_columns(spec.name)
        self.columns.setRowCount(len(spec.columns))
        for r, col in enumerate(spec.columns):
            item = QTableWidgetItem(col.name + (" (coded)" if col.kind is Kind.CODE else ""))
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.columns.setItem(r, 0, item)
            need = QTableWidgetItem("required" if col.required else "optional")
            need.setFlags(need.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.columns.setItem(r, 1, need)
            current = self.column_choice[spec.name].get(col.name)
            box = _combo(
                [NOT_IN_EXPORT, *(names or [])],
                NOT_IN_EXPORT if current is None else current,
                names is None,
                f"Export column for {spec.name}.{col.name}",
            )
            box.currentTextChanged.connect(
                lambda text, s=spec.name, c=col.name: self._column_chosen(s, c, text)
            )
            self.columns.setCellWidget(r, 2, box)
            how = self.found.get(f"{spec.name}.{col.name}", "")
            if current is None and col.required:
                how = "required: choose the export's column"
            found = QTableWidgetItem(how)
            found.setFlags(found.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.columns.setItem(r, 3, found)
        self.columns.resizeColumnsToContents()
        self._show_codes_of_row(self.columns.currentRow())

    # --- the user's choices ------------------------------------------------------------------
    def _sheet_chosen(self, text: str) -> None:
        sheet = self._current
        self.sheet_choice[sheet] = None if text in (NOT_IN_EXPORT, "") else text
        self.found.pop(sheet, None)
        if self.summary is not None:  # the new sheet's columns, proposed afresh
            self._propose_columns(sheet)
        self.sheet_found.setText("")
        self._show_columns(SHEETS[sheet])
        self._fill_sheet_list()
        self.edited.emit()

    def _column_chosen(self, sheet: str, column: str, text: str) -> None:
        self.column_choice[sheet][column] = None if text in (NOT_IN_EXPORT, "") else text
        self.found.pop(f"{sheet}.{column}", None)
        if self.summary is not None:
            self._propose_codes(sheet, column)
        self._show_codes_of_row(self.columns.currentRow())
        self._fill_sheet_list()
        self.edited.emit()

    # --- codes -------------------------------------------------------------------------------
    def _allowed(self, sheet: str, column: str) -> tuple[str, ...]:
        if column == "VISIT":
            return tuple(self.visit_codes())
        col = next(c for c in SHEETS[sheet].columns if c.name == column)
        return col.codes or ()

    def _values(self, sheet: str, column: str) -> list[str]:
        if self.summary is None:
            return []
        export = self.summary.sheet(self.sheet_choice.get(sheet))
        col = export.column(self.column_choice[sheet].get(column)) if export else None
        return list(col.values) if col is not None else []

    def _show_codes_of_row(self, row: int) -> None:
        spec = SHEETS[self._current]
        if row < 0 or row >= len(spec.columns) or spec.columns[row].kind is not Kind.CODE:
            self._code_column = None
            self.codes_box.setTitle("Codes")
            self.codes_hint.setText("Select a coded column to map the codes the export holds.")
            self.codes_table.setRowCount(0)
            return
        column = spec.columns[row].name
        self._code_column = column
        self.codes_box.setTitle(f"Codes of {spec.name}.{column}")
        allowed = self._allowed(spec.name, column)
        mapped = self.codes.get(spec.name, {}).get(column, {})
        values = self._values(spec.name, column) or list(mapped)
        self.codes_hint.setText(
            f"Each code the export holds here stands for a contract code "
            f"({', '.join(allowed) or 'a visit of the schedule'}); one left as is is read as "
            "written (a finding if it is none)."
            if values
            else "No codes found: read the export (or choose its column) first."
        )
        self.codes_table.setRowCount(len(values))
        for r, value in enumerate(values):
            item = QTableWidgetItem(value)
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.codes_table.setItem(r, 0, item)
            current = mapped.get(value) or (_norm(value) if _norm(value) in allowed else AS_IS)
            box = _combo([AS_IS, *allowed], current, False, f"Contract code for {value}")
            box.currentTextChanged.connect(
                lambda text, s=spec.name, c=column, v=value: self._code_chosen(s, c, v, text)
            )
            self.codes_table.setCellWidget(r, 1, box)

    def _code_chosen(self, sheet: str, column: str, value: str, text: str) -> None:
        codes = self.codes.setdefault(sheet, {}).setdefault(column, {})
        codes[value] = "" if text == AS_IS else text
        self.edited.emit()

    # --- the assistant's proposals -----------------------------------------------------------
    def set_export(self, summary: Any, proposal: Any, keep: bool) -> None:
        """An export was read: its names in the drop-downs, and for each sheet and column the
        choice already made if the export has it (``keep``: an opened protocol's), else the
        assistant's proposal."""
        from dmc_report.study_setup import propose_columns

        self.summary = summary
        for sp in proposal.sheets:
            if not (keep and summary.sheet(self.sheet_choice.get(sp.contract)) is not None):
                self.sheet_choice[sp.contract] = sp.export
                self.found[sp.contract] = sp.found.value
            export = summary.sheet(self.sheet_choice[sp.contract])
            columns = sp.columns
            if export is not None and export.name != sp.export:  # the protocol's sheet kept
                columns = propose_columns(SHEETS[sp.contract], export)
            for cp in columns:
                chosen = self.column_choice[sp.contract].get(cp.contract)
                if keep and export is not None and export.column(chosen) is not None:
                    continue
                self.column_choice[sp.contract][cp.contract] = cp.export
                self.found[f"{sp.contract}.{cp.contract}"] = cp.found.value
        for spec in DATA_SHEETS:
            for col in spec.columns:
                if col.kind is Kind.CODE:
                    self._propose_codes(spec.name, col.name, keep=keep)
        self._fill_sheet_list()
        self._show_sheet(max(self.sheets_list.currentRow(), 0))
        self.edited.emit()

    def _propose_columns(self, sheet: str) -> None:
        from dmc_report.study_setup import propose_columns

        export = self.summary.sheet(self.sheet_choice.get(sheet))
        for cp in propose_columns(SHEETS[sheet], export) if export is not None else ():
            self.column_choice[sheet][cp.contract] = cp.export
            self.found[f"{sheet}.{cp.contract}"] = cp.found.value
        if export is None:
            self.column_choice[sheet] = dict.fromkeys(self.column_choice[sheet])

    def _propose_codes(self, sheet: str, column: str, keep: bool = False) -> None:
        from dmc_report.study_setup import propose_codes

        values = self._values(sheet, column)
        before = self.codes.get(sheet, {}).get(column, {})
        proposed = propose_codes(values, self._allowed(sheet, column), guess=column != "VISIT")
        codes = dict(before) if keep else {}  # an opened protocol's codes stay
        for v in values:
            codes.setdefault(v, proposed[v] or "")
        self.codes.setdefault(sheet, {})[column] = codes

    # --- the protocol's [mapping] ------------------------------------------------------------
    def missing_required(self) -> list[str]:
        """Required contract columns of sheets in the export that no export column is chosen
        for (``check-protocol`` would stop on them)."""
        out = []
        for spec in DATA_SHEETS:
            if self.sheet_choice.get(spec.name) is None:
                continue
            out += [
                f"{spec.name}.{c.name}"
                for c in spec.columns
                if c.required and self.column_choice[spec.name].get(c.name) is None
            ]
        return out

    def present(self, sheet: str) -> bool:
        return self.sheet_choice.get(sheet) is not None

    def raw(self) -> dict[str, Any]:
        """The ``[mapping]`` table: only what differs from the contract's names and codes."""
        sheets = {s: e for s, e in self.sheet_choice.items() if e is not None and _norm(e) != s}
        columns: dict[str, dict[str, str]] = {}
        codes: dict[str, dict[str, dict[str, str]]] = {}
        for s, cols in self.column_choice.items():
            if self.sheet_choice.get(s) is None:
                continue
            differ = {c: e for c, e in cols.items() if e is not None and _norm(e) != c}
            if differ:
                columns[s] = differ
            for c, m in self.codes.get(s, {}).items():
                kept = {k: v for k, v in m.items() if v and _norm(k) != v}
                if kept and cols.get(c) is not None:
                    codes.setdefault(s, {})[c] = kept
        out: dict[str, Any] = {}
        for key, value in (("sheets", sheets), ("columns", columns), ("codes", codes)):
            if value:
                out[key] = value
        return out

    def load(self, mapping: Any) -> None:
        """An opened protocol's [mapping] (no export read yet: the names as it gives them)."""
        self.summary = None
        self.found = {}
        for spec in DATA_SHEETS:
            self.sheet_choice[spec.name] = mapping.sheet_name(spec.name)
            self.column_choice[spec.name] = {
                c.name: mapping.column_name(spec.name, c.name) for c in spec.columns
            }
        self.codes = {s: {c: dict(m) for c, m in cols.items()} for s, cols in mapping.codes.items()}
        self._fill_sheet_list()
        self._show_sheet(max(self.sheets_list.currentRow(), 0))

    def show_key(self, key: str) -> None:
        """Bring the sheet a key of [mapping] names (``mapping.codes.UDS.COCAINE``) forward."""
        parts = key.split(".")
        for p in parts[2:3]:
            if p.upper() in SHEETS:
                self.sheets_list.setCurrentRow(list(SHEETS).index(p.upper()))
