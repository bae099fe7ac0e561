"""Step 1, Study: open the protocol file (or the demo study) and see its visit schedule."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from dmc_report.gui.controller import Controller
from dmc_report.gui.editor import open_editor
from dmc_report.gui.models import RowsTableModel
from dmc_report.gui.pages.common import table_view


class StudyPage(QWidget):
    def __init__(self, controller: Controller, last_dir: Callable[[], str]) -> None:
        super().__init__()
        self.controller = controller
        self._last_dir = last_dir
        v = QVBoxLayout(self)
        title = QLabel(
            "<h2>Study</h2>Open the study's protocol file or the demo study, or set up a new study from an export."
        )
        self.btn_protocol = QPushButton("Open protocol file...")
        self.btn_protocol.setAccessibleName("Open protocol file")
        self.btn_protocol.clicked.connect(self.choose_protocol)
        self.btn_demo = QPushButton("Open demo study")
        self.btn_demo.setAccessibleName("Open demo study")
        self.btn_demo.clicked.connect(controller.open_demo)
        self.btn_new = QPushButton("New study from an export...")
        self.btn_new.setAccessibleName("New study from an export")
        self.btn_new.clicked.connect(lambda: open_editor(self.window(), controller))
        row = QHBoxLayout()
        row.addWidget(self.btn_protocol)
        row.addWidget(self.btn_demo)
        row.addWidget(self.btn_new)
        row.addStretch(1)
        self.study_info = QLabel("No protocol loaded.")
        self.study_info.setWordWrap(True)
        self.schedule_model = RowsTableModel(
            ["Visit", "Label", "Day", "Window", "Phase", "Assessments"]
        )
        v.addWidget(title)
        v.addLayout(row)
        v.addWidget(self.study_info)
        self.schedule_view = table_view(self.schedule_model)
        v.addWidget(self.schedule_view, 1)
        controller.protocol_read.connect(self._show_protocol)
        controller.busy.connect(self._set_busy)

    def choose_protocol(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Protocol file", self._last_dir(), "Protocol (*.toml)"
        )
        if path:
            self.controller.set_protocol(Path(path))

    def _show_protocol(self, _path: Path, p: Any) -> None:
        self.study_info.setText(
            f"<b>{p.study.id}</b> - {p.study.title}<br>{p.study.design}<br>Target enrollment {p.study.target_enrollment}."
        )
        self.schedule_model.set_rows(
            [
                [
                    v.code,
                    v.label,
                    v.day,
                    f"-{v.window_before}/+{v.window_after}",
                    v.phase,
                    ", ".join(v.assessments),
                ]
                for v in p.visits
            ]
        )
        self.schedule_view.resizeColumnsToContents()  # labels and phases whole, not elided

    def _set_busy(self, busy: bool) -> None:
        for b in (self.btn_demo, self.btn_protocol):
            b.setEnabled(not busy)
