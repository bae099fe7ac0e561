"""The study's report history: every report run of its log (``<study>-report-log.jsonl`` beside
the open reports), as a table, with the chain checked as ``dmc-report audit verify`` checks it.

The log is read and verified in a job (gui/cycle.py ``read_history``); this dialog only shows
what came back. A broken chain is said across the top, naming the line, and that line's row is
marked: what it says now is not what was recorded.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from dmc_report.gui.colours import ALERT, ColourBar, severity_colour
from dmc_report.gui.models import Index, RowsTableModel
from dmc_report.gui.pages.common import table_view

HEADER = [
    "Line",
    "Time (UTC)",
    "User",
    "Version",
    "Cutoff",
    "Data SHA-256",
    "Open SHA-256",
    "Closed",
    "Dry run",
    "Copies",
]
SHORT = 12  # hex digits of a SHA-256 shown (the whole one in the tooltip)


def history_rows(history: Any) -> list[list[Any]]:
    """The table's rows, one per run of the log (``pipeline.ReportHistory``)."""
    return [
        [
            r.line,
            r.time.replace("T", " ").removesuffix("+00:00"),
            r.user,
            r.software.removeprefix("dmc-report "),
            r.cutoff + (" (final)" if r.final else ""),
            r.data_sha256[:SHORT],
            r.open_sha256[:SHORT],
            "yes" if r.closed else "no",
            f"seed {r.dry_run_seed}" if r.dry_run_seed is not None else "no",
            r.copies or "",
        ]
        for r in history.runs
    ]


def chain_text(history: Any) -> str:
    """One sentence on the log: where it is, how many runs, whether the chain holds."""
    if not history.exists:
        return (
            f"No report log yet at {history.path}: the first Generate into this folder starts it."
        )
    n = history.held
    runs = f"{n} record{'s' if n != 1 else ''}"
    if history.broken_line is None:
        return f"{history.path}: {runs}, the chain holds (no record was edited, removed or moved)."
    before = (
        "No record before it holds"
        if n == 0
        else f"The {runs} before it hold{'s' if n == 1 else ''}"
    )
    return (
        f"The chain is BROKEN at line {history.broken_line}: {history.broken_why}. {before}; "
        "that line and those after it may not be what was recorded. Keep the log for review; a "
        "Generate into this folder is refused until it is moved aside."
    )


class HistoryModel(RowsTableModel):
    """The runs, the broken line's row in the alert colour."""

    def __init__(self, history: Any, parent: Any = None) -> None:
        super().__init__(HEADER, history_rows(history), parent)
        self.broken_line = history.broken_line
        self.full = {r.line: r for r in history.runs}

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        broken = self.broken_line is not None and row[0] >= self.broken_line
        if role == Qt.ItemDataRole.ForegroundRole and broken:
            # the error colour, readable on the table's rows (light or dark)
            return severity_colour("error", QGuiApplication.palette())
        if role == Qt.ItemDataRole.ToolTipRole:
            run = self.full.get(row[0])
            if run is not None and index.column() in (5, 6):
                return run.data_sha256 if index.column() == 5 else run.open_sha256
            if broken:
                return "After the break: not what was recorded"
        return super().data(index, role)


class HistoryDialog(QDialog):
    """The study's report runs, and whether its log's chain holds."""

    def __init__(self, history: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Report history")
        self.history = history
        v = QVBoxLayout(self)
        self.broken_bar = ColourBar(ALERT)
        self.chain = QLabel(chain_text(history))
        self.chain.setWordWrap(True)
        self.chain.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        if history.broken_line is not None:
            self.broken_bar.set_text(chain_text(history))
            self.broken_bar.setVisible(True)
            self.chain.setText(str(history.path))
        v.addWidget(self.broken_bar)
        v.addWidget(self.chain)
        self.model = HistoryModel(history, self)
        self.view = table_view(self.model)
        self.view.setAccessibleName("Report runs")
        self.view.resizeColumnsToContents()
        v.addWidget(self.view, 1)
        note = QLabel(
            "One row per report run (the app's and the command line's). SHA-256 values are "
            "shortened; point at one for the whole value. Closed: a closed report, or numbered "
            "copies (Copies), was written; the log holds the SHA-256 of its decrypted content. "
            "Dry run: the closed report was built from scrambled arms with that seed."
        )
        note.setWordWrap(True)
        v.addWidget(note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        v.addWidget(buttons)
        self.resize(1040, 420)

    @property
    def broken(self) -> bool:
        return self.history.broken_line is not None
