"""The editor's two entries in the window's File menu: New study... and Edit protocol..."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from dmc_report.gui.editor import open_editor


def install(window: Any, menu: QMenu) -> None:
    """Add "New study..." (Ctrl+N) and "Edit protocol..." to ``menu``; the second edits the
    protocol now open (enabled once one is)."""
    window.act_new_study = QAction("&New study...", window)
    window.act_new_study.setShortcut(QKeySequence.StandardKey.New)
    window.act_new_study.setStatusTip("Set up a new study's protocol from an export workbook")
    window.act_new_study.triggered.connect(lambda: open_editor(window, window.controller))
    window.act_edit_protocol = QAction("&Edit protocol...", window)
    window.act_edit_protocol.setEnabled(False)
    window.act_edit_protocol.triggered.connect(
        lambda: open_editor(window, window.controller, window.controller.session.protocol)
    )
    window.controller.protocol_read.connect(lambda *_: window.act_edit_protocol.setEnabled(True))
    menu.addAction(window.act_new_study)
    menu.addAction(window.act_edit_protocol)
