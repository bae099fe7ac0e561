"""Start the desktop application."""

from __future__ import annotations

import sys
from pathlib import Path


def run_gui(
    protocol: Path | None = None,
    data: Path | None = None,
    key: Path | None = None,
    *,
    demo: bool = False,
) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from dmc_report.gui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("dmc-report")
    app.setOrganizationName("dmc-report")
    window = MainWindow()
    window.show()
    if protocol:
        window.set_protocol(protocol)
        if data:
            window.data_edit.setText(str(data))
            if key:
                window.key_edit.setText(str(key))
            QTimer.singleShot(0, window.load_data)
    elif demo:
        QTimer.singleShot(0, window.open_demo)
    return int(app.exec())
