"""The step list's marks and the window's title (issue 17): each step done, needing attention or
not yet; the title names the study and its data cutoff."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt

if TYPE_CHECKING:
    from dmc_report.gui.main_window import MainWindow

DONE, ATTENTION, NOT_YET = "done", "needs attention", "not yet"
MARK = {DONE: "\u2713", ATTENTION: "!", NOT_YET: "\u2009\u00b7"}
STATE_ROLE = Qt.ItemDataRole.UserRole


class StepMarks(QObject):
    def __init__(self, window: MainWindow, names: list[str]) -> None:
        super().__init__(window)
        self.window, self.names = window, names
        self.errors = 0  # the data's error findings, of the last read
        c = window.controller
        c.protocol_read.connect(self._protocol_read)
        c.validated.connect(self._validated)
        for signal in (c.analysed, c.discarded, c.reports_written, c.reports_starting):
            signal.connect(lambda *_: self.refresh())
        c.stale_changed.connect(lambda _stale: self.refresh())
        self.refresh()

    def _protocol_read(self, _path: Any, _protocol: Any) -> None:
        self.refresh()
        if self.window.steps.currentRow() == 0:
            self.window.steps.setCurrentRow(1)  # opened: on to the data

    def _validated(self, counts: dict[str, int], _compliance: Any) -> None:
        self.errors = counts.get("error", 0)

    def states(self) -> list[tuple[str, str]]:
        """Each step's state, and why."""
        s = self.window.controller.session
        loaded, stale = s.loaded is not None, s.stale
        study = (DONE, "protocol read") if s.protocol else (NOT_YET, "open a protocol")
        if stale:
            data = (ATTENTION, "the results are from the previous data: reload or discard")
        elif loaded:
            data = (DONE, "read and checked")
        else:
            data = (NOT_YET, "read the data")
        if not loaded:
            validation = summaries = (NOT_YET, "read the data first")
        else:
            validation = (
                (ATTENTION, f"{self.errors} errors to look at")
                if self.errors
                else (DONE, "no errors")
            )
            summaries = (ATTENTION, "from the previous data") if stale else (DONE, "shown")
        reports = (DONE, "written") if s.reports and not stale else (NOT_YET, "generate them")
        return [study, data, validation, summaries, reports]

    def refresh(self) -> None:
        w = self.window
        for row, ((state, why), name) in enumerate(zip(self.states(), self.names, strict=True)):
            item = w.steps.item(row)
            item.setText(f"{MARK[state]}  {name}")
            item.setData(STATE_ROLE, state)
            item.setToolTip(f"{name.split(maxsplit=1)[-1]}: {state} ({why})")
        w.setWindowTitle(self.title())

    def title(self) -> str:
        """ "<study> - data cutoff <date> - dmc-report" (what is known of it)."""
        s = self.window.controller.session
        parts = []
        if s.loaded is not None:
            parts.append(s.loaded.study.protocol.study.id)
            parts.append(f"data cutoff {s.loaded.cutoff.isoformat()}")
            if s.stale:
                parts.append("previous data")
        elif self.window.study_id:
            parts.append(self.window.study_id)
        return " - ".join([*parts, "dmc-report"])
