"""Start the desktop application."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any


def run_gui(
    protocol: Path | None = None,
    data: Path | None = None,
    key: Path | None = None,
    *,
    demo: bool = False,
    self_test: Path | None = None,
) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from dmc_report.gui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("dmc-report")
    app.setOrganizationName("dmc-report")
    window = MainWindow()
    # the demo folders in the temporary directory go also when the app quits without closing
    # the window (the self-test, a session's end)
    from dmc_report.gui import demos

    app.aboutToQuit.connect(lambda: demos.clean_up(window))
    if os.environ.get("DMC_REPORT_STARTUP_PROBE") == "1":
        _quit_after_first_paint(app, window)
    window.show()
    if protocol:
        window.set_protocol(protocol)
        if data:
            window.data_page.data_edit.setText(str(data))
            if key:
                window.data_page.key_edit.setText(str(key))
            QTimer.singleShot(0, window.load_data)
    elif demo or self_test is not None:
        QTimer.singleShot(0, window.open_demo)
    if self_test is not None:
        _self_test(app, window, self_test)
    return int(app.exec())


def _self_test(app: Any, window: Any, folder: Path) -> None:
    """Drive the whole workflow on the demo study through the window, write both reports into
    ``folder`` and quit: exit 0 when both are written, 1 on any error. Used to smoke-test a
    frozen build on each platform (the report rendering runs in the app's child process)."""

    def generate() -> None:
        folder.mkdir(parents=True, exist_ok=True)
        page = window.reports_page
        page.out_dir.setText(str(folder))
        page.password1.setText("self-test")
        page.password2.setText("self-test")
        page.generate()

    def written() -> None:
        if sys.stdout is not None:  # a windowed executable has no standard output
            sys.stdout.write(
                "".join(f"written: {p}\n" for p in window.controller.session.reports.values())
            )
            sys.stdout.flush()
        app.exit(0)

    def failed(cause: str) -> None:
        if sys.stderr is not None:
            sys.stderr.write(f"self-test failed: {cause}\n")
        app.exit(1)

    # unattended: the closed report confirmed, and a previous self-test's reports replaced
    window.controller.closed_confirmed = True
    window.controller.replace_asked.disconnect()
    window.controller.replace_asked.connect(
        lambda _existing, request: window.controller.write_reports(request, replace=True)
    )
    window.study_loaded.connect(generate)
    window.reports_written.connect(written)
    window.error_shown.connect(failed)


def _quit_after_first_paint(app: Any, window: Any) -> None:
    """For bench/bench_frozen.py: say "painted" once the window has drawn itself, and quit."""
    from PySide6.QtCore import QEvent, QObject

    class Probe(QObject):
        def eventFilter(self, obj: Any, event: Any) -> bool:
            if event.type() == QEvent.Type.Paint:
                if sys.stdout is not None:
                    sys.stdout.write("painted\n")
                    sys.stdout.flush()
                app.quit()
            return False

    window._startup_probe = probe = Probe(window)
    window.installEventFilter(probe)
