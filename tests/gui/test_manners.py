"""Desktop manners (issue 17): nothing replaced without asking, nothing refused silently, a
progress bar that only moves forward, a clean quit during a job."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6")

from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QMessageBox

from dmc_report.gui.main_window import MainWindow
from tests.gui.conftest import TIMEOUT, open_demo


def open_report_into(qtbot: Any, w: MainWindow, folder: Path) -> None:
    folder.mkdir(exist_ok=True)
    w.steps.setCurrentRow(4)
    w.chk_closed.setChecked(False)
    w.out_dir.setText(str(folder))
    with qtbot.waitSignal(w.reports_written, timeout=TIMEOUT):
        w.generate_reports()


def stamps(folder: Path) -> dict[str, int]:
    """The reports and results in ``folder`` (not the run log, which grows), by modification."""
    return {p.name: p.stat().st_mtime_ns for p in folder.iterdir() if p.suffix in (".pdf", ".json")}


def test_generate_names_the_files_it_would_replace_and_asks(
    qtbot: Any, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = window
    open_demo(qtbot, w)
    out = tmp_path / "out"
    open_report_into(qtbot, w, out)
    before = stamps(out)
    assert len(before) == 2  # the open report and the pooled results
    asked: list[str] = []

    def reply(answer: QMessageBox.StandardButton) -> Any:
        def question(_parent: Any, _title: str, text: str, *a: Any, **k: Any) -> Any:
            asked.append(text)
            return answer

        return question

    monkeypatch.setattr(QMessageBox, "question", reply(QMessageBox.StandardButton.No))
    w.generate_reports()
    assert len(asked) == 1 and all(name in asked[0] for name in before)
    assert w.job is None and "kept" in w.statusBar().currentMessage()
    assert stamps(out) == before
    monkeypatch.setattr(QMessageBox, "question", reply(QMessageBox.StandardButton.Yes))
    with qtbot.waitSignal(w.reports_written, timeout=TIMEOUT):
        w.generate_reports()
    assert len(asked) == 2
    after = stamps(out)
    assert after.keys() == before.keys() and all(after[n] != before[n] for n in before)


def test_export_findings_during_a_job_is_refused_with_a_message(
    qtbot: Any, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = window
    open_demo(qtbot, w)
    named: list[Any] = []
    target = tmp_path / "findings.xlsx"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", lambda *a, **k: named.append(a) or (str(target), "")
    )
    with qtbot.waitSignal(w.job_started, timeout=TIMEOUT):
        w.load_data()  # a second read runs
    with qtbot.waitSignal(w.error_shown, timeout=5000) as sig:
        w.validation_page.btn_export.click()
    assert "Wait for the running job" in sig.args[0] and not named
    qtbot.waitUntil(lambda: w.job is None, timeout=TIMEOUT)
    # once it is over, the export asks for a name and writes
    w._last_error_box.close()
    w.validation_page.btn_export.click()
    qtbot.waitUntil(lambda: target.exists() and w.job is None, timeout=TIMEOUT)
    assert named


def test_open_report_and_show_in_folder_say_when_nothing_opens_them(
    qtbot: Any, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = window
    open_demo(qtbot, w)
    open_report_into(qtbot, w, tmp_path)
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda *a: False)  # no viewer here
    page = w.reports_page
    with qtbot.waitSignal(w.error_shown, timeout=5000) as sig:
        page.btn_view_open.click()
    assert "No program could open the report" in sig.args[0] and str(tmp_path) in sig.args[0]
    with qtbot.waitSignal(w.error_shown, timeout=5000) as sig:
        page.btn_show.click()
    assert "No file manager" in sig.args[0] and str(tmp_path) in sig.args[0]


def test_the_progress_bar_never_goes_backwards_within_a_job(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    w = window
    jobs: list[list[int]] = []
    w.job_started.connect(lambda: jobs.append([]))
    w.controller.job_progress.connect(lambda *_: jobs[-1].append(w.progress.value()))
    open_demo(qtbot, w)
    open_report_into(qtbot, w, tmp_path)
    assert len(jobs) == 3 and all(jobs)  # the demo written, read, reports
    for values in jobs:
        assert values == sorted(values), values
    # what the stages report can go back (reading ends at 0.75, validating starts at 0.6)
    w.controller.busy.emit(True)
    w.controller.job_progress.emit(0.75, "Reading")
    w.controller.job_progress.emit(0.6, "Validating")
    assert w.progress.value() == 750 and w.progress_label.text() == "Validating"
    w.controller.busy.emit(False)


QUIT_DURING_A_JOB = textwrap.dedent(
    """
    import sys
    from pathlib import Path

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from dmc_report.gui.main_window import MainWindow


    def main() -> None:
        app = QApplication(sys.argv[:1])
        folder = Path(sys.argv[1])
        w = MainWindow(demo_folder=folder / "demo")
        w.show()

        def generate() -> None:
            w.chk_closed.setChecked(False)
            w.out_dir.setText(str(folder))
            w.generate_reports()
            QTimer.singleShot(1500, w.close)  # the user quits while the reports are made

        w.study_loaded.connect(generate)
        w.open_demo()
        sys.exit(app.exec())


    if __name__ == "__main__":  # the report renderer's child imports this file too
        main()
    """
)


def test_quitting_during_a_job_cancels_it_and_exits_cleanly(tmp_path: Path) -> None:
    script = tmp_path / "quit.py"
    script.write_text(QUIT_DURING_A_JOB)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path / "c")}
    root = Path(__file__).resolve().parents[2]
    env["PYTHONPATH"] = os.pathsep.join([str(root / "src"), env.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT / 1000,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "Signal source" not in done.stderr, done.stderr
    assert not list(tmp_path.glob("*.pdf"))  # cancelled: nothing written
