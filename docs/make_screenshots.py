"""Screenshots of each step of the desktop app, for the README: the whole screen, so that what
does not fit would show.

On a real X server (Xvfb) at the two sizes the app must fit (issue 17):

    Xvfb :58 -screen 0 1280x720x24 &
    DISPLAY=:58 .venv/bin/python docs/make_screenshots.py                # docs/img/gui-*.png
    Xvfb :59 -screen 0 1440x900x24 &
    DISPLAY=:59 QT_SCALE_FACTOR=1.5 .venv/bin/python docs/make_screenshots.py --prefix gui-150

(QT_QPA_PLATFORM=offscreen works too, grabbing the window alone.)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

OUT = Path(__file__).parent / "img"
PASSWORD = "demo-password"  # a closed report's password has 8 characters or more


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--prefix", default="gui", help="file names' start (gui: gui-1-study.png)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["XDG_CONFIG_HOME"] = str(Path(tmp) / "config")  # a first run: no settings
        shoot(Path(tmp), args.prefix)
    sys.stdout.write(f"screenshots written to {OUT}\n")


def shoot(tmp: Path, prefix: str) -> None:
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication, QMessageBox

    from dmc_report.gui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("dmc-report")
    app.setOrganizationName("dmc-report")

    def wait(signal: object, ms: int = 120_000) -> None:
        loop = QEventLoop()
        signal.connect(loop.quit)  # type: ignore[attr-defined]
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def pause(ms: int) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def save(name: str) -> None:
        pause(300)
        # the screen: the window as placed on it (first run: from the screen's available area)
        offscreen = QGuiApplication.platformName() == "offscreen"
        image = w.grab() if offscreen else QGuiApplication.primaryScreen().grabWindow(0)
        image.save(str(OUT / f"{prefix}-{name}.png"))

    w = MainWindow(demo_folder=tmp / "demo")
    w.show()
    w.controller.closed_confirmed = True  # asked once per run; shown in the unblinded view
    save("0-start")
    w.open_demo()
    wait(w.study_loaded)
    for i, name in enumerate(["study", "data", "validation", "summaries"]):
        w.steps.setCurrentRow(i)
        save(f"{i + 1}-{name}")
    QMessageBox.question = lambda *a, **k: QMessageBox.StandardButton.Yes  # type: ignore[method-assign]
    w.confirm_unblinded()
    w.summary_tabs.setCurrentIndex(1)
    save("4b-unblinded")
    w.controller.hide_unblinded()
    w.steps.setCurrentRow(4)
    w.password1.setText(PASSWORD)
    w.password2.setText(PASSWORD)
    out = tmp / "reports"
    out.mkdir()
    w.out_dir.setText(str(out))
    w.generate_reports()
    wait(w.reports_written)
    pause(2000)  # the preview renders its pages in the background
    save("5-reports")
    w.close()
    app.quit()


if __name__ == "__main__":
    main()
