"""Screenshots of each step of the desktop app, grabbed offscreen, for the README.

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/make_screenshots.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from dmc_report.gui.main_window import MainWindow

OUT = Path(__file__).parent / "img"


def wait(signal: object, ms: int = 120_000) -> None:
    loop = QEventLoop()
    signal.connect(loop.quit)  # type: ignore[attr-defined]
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def settle() -> None:
    for _ in range(5):
        QApplication.processEvents()


def main() -> None:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory() as tmp:
        w = MainWindow(demo_folder=Path(tmp) / "demo")
        w.resize(1280, 820)
        w.show()
        w.open_demo()
        wait(w.study_loaded)
        for i, name in enumerate(["study", "data", "validation", "summaries"]):
            w.steps.setCurrentRow(i)
            settle()
            w.grab().save(str(OUT / f"gui-{i + 1}-{name}.png"))
        QMessageBox.question = lambda *a, **k: QMessageBox.StandardButton.Yes  # type: ignore[method-assign]
        w.confirm_unblinded()
        w.summary_tabs.setCurrentIndex(1)
        settle()
        w.grab().save(str(OUT / "gui-4b-unblinded.png"))
        w.steps.setCurrentRow(4)
        w.password1.setText("demo")
        w.password2.setText("demo")
        w.out_dir.setText(tmp)
        w.generate_reports()
        wait(w.reports_written)
        loop = QEventLoop()
        QTimer.singleShot(2000, loop.quit)  # the preview renders its pages in the background
        loop.exec()
        settle()
        w.grab().save(str(OUT / "gui-5-reports.png"))
        w.close()
    app.quit()
    print("screenshots written to", OUT)


if __name__ == "__main__":
    main()
