"""The app's window, fresh for each test, and the demo study loaded into it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt

from dmc_report.gui.main_window import MainWindow

TIMEOUT = 120_000


@pytest.fixture
def window(qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> MainWindow:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    w = MainWindow(demo_folder=tmp_path / "demo")
    qtbot.addWidget(w)
    w.show()
    # the closed report's one confirmation per run, given (tests/gui/test_recovery.py asks it)
    w.controller.closed_confirmed = True
    return w


def open_demo(qtbot: Any, w: MainWindow) -> None:
    with qtbot.waitSignal(w.study_loaded, timeout=TIMEOUT):
        qtbot.mouseClick(w.btn_demo, Qt.MouseButton.LeftButton)
