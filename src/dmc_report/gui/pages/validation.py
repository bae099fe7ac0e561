"""Step 3, Validation: every finding with its sheet, Excel row and column; the visit compliance."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from dmc_report.gui.controller import Controller
from dmc_report.gui.models import FindingsTableModel, RowsTableModel
from dmc_report.gui.pages.common import table_view

MAX_COLUMN_WIDTH = 160  # the findings' columns before the Message (logical pixels)

COMPLIANCE_HEADER = [
    "Visit",
    "Randomized",
    "Due",
    "In window",
    "Out of window",
    "Missed",
    "Not yet due",
    "Not expected",
]


class ValidationPage(QWidget):
    def __init__(self, controller: Controller, last_dir: Callable[[], str]) -> None:
        super().__init__()
        self.controller = controller
        self._last_dir = last_dir
        v = QVBoxLayout(self)
        v.addWidget(
            QLabel("<h2>Validation</h2>Every finding with its sheet, Excel row and column.")
        )
        self.validation_counts = QLabel("")
        v.addWidget(self.validation_counts)
        filters = QHBoxLayout()
        self.severity_box = QComboBox()
        self.severity_box.addItems(["All", "Error", "Warning", "Info"])
        self.severity_box.setAccessibleName("Filter by severity")
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter by code, sheet, subject or visit")
        self.filter_edit.setAccessibleName("Filter findings")
        self.btn_export = QPushButton("Export findings...")
        self.btn_export.setAccessibleName("Export findings to a workbook")
        self.btn_export.setToolTip("Export every finding to a workbook (Ctrl+E)")
        self.btn_export.clicked.connect(self.export_findings)
        filters.addWidget(QLabel("Severity"))
        filters.addWidget(self.severity_box)
        filters.addWidget(self.filter_edit, 1)
        self.shown_label = QLabel("")  # "n of N shown", or no matches
        self.shown_label.setAccessibleName("Findings shown")
        filters.addWidget(self.shown_label)
        filters.addWidget(self.btn_export)
        v.addLayout(filters)
        self.findings_model = FindingsTableModel()
        self.severity_box.currentTextChanged.connect(self.findings_model.set_severity)
        self.filter_edit.textChanged.connect(self.findings_model.set_text)
        self.findings_view = table_view(self.findings_model)
        self.findings_model.modelReset.connect(self._show_shown)
        self.compliance_model = RowsTableModel(COMPLIANCE_HEADER)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.findings_view)
        box = QGroupBox("Visit compliance")
        bl = QVBoxLayout(box)
        self.compliance_view = table_view(self.compliance_model)
        bl.addWidget(self.compliance_view)
        split.addWidget(box)
        v.addWidget(split, 1)
        controller.validated.connect(self._show_counts)
        controller.findings_ready.connect(self._show_findings)
        controller.discarded.connect(self._clear)

    def export_findings(self) -> None:
        why = self.controller.export_refusal()  # told before a name is asked for, not after
        if why is not None:
            self.controller.failed.emit(why, "", "")
            return
        path, _ = QFileDialog.getSaveFileName(
            self,
            "Export findings",
            str(Path(self._last_dir()) / "findings.xlsx"),
            "Excel workbook (*.xlsx);;CSV (*.csv)",
        )
        if path:
            self.controller.export_findings(path)

    def _show_counts(self, counts: dict[str, int], compliance: list[list[Any]]) -> None:
        self.validation_counts.setText(
            f"<b>{counts['error']}</b> errors, <b>{counts['warning']}</b> warnings, "
            f"<b>{counts['info']}</b> info"
        )
        self.compliance_model.set_rows(compliance)
        self.compliance_view.resizeColumnsToContents()

    def _show_shown(self) -> None:
        """How many findings the filter shows, and when it hides them all, that it does."""
        shown, total = len(self.findings_model.rows), len(self.findings_model.all_rows)
        if total and not shown:
            self.shown_label.setText(f"<b>No matches</b> (0 of {total}): change the filter")
        else:
            self.shown_label.setText(f"{shown} of {total} shown" if total else "")

    def _clear(self) -> None:
        self.validation_counts.setText("")
        self.compliance_model.set_rows([])
        self.findings_model.set_rows([])

    def _show_findings(self, rows: list[list[Any]]) -> None:
        self.findings_model.set_rows(rows)
        view = self.findings_view
        view.resizeColumnsToContents()
        # no column so wide that the Message column (the last, stretched) starts off screen
        for column in range(self.findings_model.columnCount() - 1):
            view.setColumnWidth(column, min(view.columnWidth(column), MAX_COLUMN_WIDTH))
