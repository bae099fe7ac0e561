"""Demo folders (issue 17): a demo written in the temporary directory is removed on exit, unless
reports were written into it and the user keeps it."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6")

from PySide6.QtWidgets import QMessageBox

from dmc_report.gui.main_window import MainWindow
from tests.gui.conftest import TIMEOUT, open_demo


def demo_window(qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> MainWindow:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    w = MainWindow()  # the demo in the temporary directory, as in use
    qtbot.addWidget(w)
    w.show()
    w.controller.closed_confirmed = True
    open_demo(qtbot, w)
    return w


def test_a_demo_folder_is_removed_on_exit(
    qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = demo_window(qtbot, tmp_path, monkeypatch)
    (folder,) = w.controller.temp_demos
    assert folder.parent == tmp_path and (folder / "protocol.toml").is_file()
    w.close()
    assert not folder.exists()


@pytest.mark.parametrize("keep", [True, False])
def test_a_demo_folder_with_reports_is_kept_if_the_user_says_so(
    qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keep: bool
) -> None:
    w = demo_window(qtbot, tmp_path, monkeypatch)
    (folder,) = w.controller.temp_demos
    w.steps.setCurrentRow(4)
    w.chk_closed.setChecked(False)
    assert w.out_dir.text() == str(folder)  # the demo's reports go to its folder
    with qtbot.waitSignal(w.reports_written, timeout=TIMEOUT):
        w.generate_reports()
    asked: list[str] = []

    def question(_parent: Any, _title: str, text: str, *a: Any, **k: Any) -> Any:
        asked.append(text)
        return QMessageBox.StandardButton.No if keep else QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", question)
    w.close()
    assert len(asked) == 1 and "open" in asked[0]  # the open report named
    assert folder.exists() == keep
