"""Step 2, Data: the EDC export, the randomization key (optional) and the data cutoff."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from dmc_report.gui.controller import Controller
from dmc_report.gui.datefield import DateField


class DataPage(QWidget):
    def __init__(self, controller: Controller, last_dir: Callable[[], str]) -> None:
        super().__init__()
        self.controller = controller
        self._last_dir = last_dir
        v = QVBoxLayout(self)
        v.addWidget(
            QLabel(
                "<h2>Data</h2>The EDC export and, for the closed report only, the randomization key."
            )
        )
        form = QFormLayout()
        self.data_edit = QLineEdit()
        self.data_edit.setAccessibleName("Data workbook")
        self.key_edit = QLineEdit()
        self.key_edit.setAccessibleName("Key workbook")
        for edit, label, slot in (
            (self.data_edit, "Data workbook (xlsx)", self.choose_data),
            (self.key_edit, "Key workbook (optional)", self.choose_key),
        ):
            row = QHBoxLayout()
            row.addWidget(edit, 1)
            b = QPushButton("Browse...")
            b.setAccessibleName(f"Browse for {label}")
            b.clicked.connect(slot)
            row.addWidget(b)
            form.addRow(label, row)
        self.cutoff_edit = DateField("Data cutoff")
        self.cutoff_default = QCheckBox("Latest date in the data")
        self.cutoff_default.setChecked(True)
        self.cutoff_default.toggled.connect(lambda on: self.cutoff_edit.setEnabled(not on))
        self.cutoff_edit.setEnabled(False)
        crow = QHBoxLayout()
        crow.addWidget(self.cutoff_edit)
        crow.addWidget(self.cutoff_default, 0, Qt.AlignmentFlag.AlignTop)
        crow.addStretch(1)
        form.addRow("Data cutoff", crow)
        v.addLayout(form)
        self.btn_load = QPushButton("Read and check the data")
        self.btn_load.setAccessibleName("Read and check the data")
        self.btn_load.clicked.connect(self.load)
        v.addWidget(self.btn_load, 0, Qt.AlignmentFlag.AlignLeft)
        self.data_info = QLabel("")
        self.data_info.setWordWrap(True)
        v.addWidget(self.data_info)
        v.addStretch(1)
        controller.demo_written.connect(self._take_demo)
        controller.study_read.connect(self._show_read)
        controller.password_refused.connect(
            lambda which: self.data_info.setText(
                f"The {which} workbook was not read: no password was given. Press "
                "'Read and check the data' to enter it."
            )
        )
        controller.busy.connect(lambda busy: self.btn_load.setEnabled(not busy))

    def choose_data(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Data workbook", self._last_dir(), "Excel workbook (*.xlsx)"
        )
        if path:
            self.data_edit.setText(path)
            self.controller.set_password("data", None)  # a workbook chosen again: asked again

    def choose_key(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Key workbook", self._last_dir(), "Excel workbook (*.xlsx)"
        )
        if path:
            self.key_edit.setText(path)
            self.controller.set_password("key", None)  # a workbook chosen again: asked again

    def take_workbook(self, path: Path) -> None:
        """A workbook dropped on the window: the key if its name says so, else the data."""
        key = any(w in path.name.lower() for w in ("key", "rand"))
        (self.key_edit if key else self.data_edit).setText(str(path))
        self.controller.set_password("key" if key else "data", None)

    def load(self) -> None:
        """Read, validate and analyse the workbooks named here, at the cutoff chosen here."""
        cutoff = None if self.cutoff_default.isChecked() else self.cutoff_edit.date()
        if cutoff is None and not self.cutoff_default.isChecked():  # never a guess at the date
            self.controller.failed.emit(
                "The data cutoff is not a date: "
                + (self.cutoff_edit.problem_text() or "type it as YYYY-MM-DD.")
                + " Or tick 'Latest date in the data'.",
                "Data cutoff",
                "",
            )
            return
        # the figures are drawn for the window's screen: sharp at 150 %, and on Retina
        scale = self.window().devicePixelRatioF()
        self.controller.load(self.data_edit.text(), self.key_edit.text(), cutoff, scale)

    def _take_demo(self, files: Any) -> None:
        self.data_edit.setText(str(files.data))
        self.key_edit.setText(str(files.key))

    def _show_read(self, loaded: Any) -> None:
        self.cutoff_edit.set_date(loaded.cutoff)
        rows = loaded.study.data.provenance.sheet_rows
        self.data_info.setText(
            f"Read {loaded.study.data.provenance.file}: "
            + ", ".join(f"{k} {n}" for k, n in rows.items())
            + (
                f". Key: {loaded.key.provenance.file}, {len(loaded.key.assignments)} subjects."
                if loaded.key
                else ". No key: blinded only."
            )
        )
