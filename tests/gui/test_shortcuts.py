"""Shortcuts and help (issue 17): Ctrl+1..5 for the steps, Ctrl+G Generate, Ctrl+E Export
findings, F1 the bundled offline manual; the findings table says how many it shows."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices, QKeySequence
from PySide6.QtWidgets import QFileDialog

from dmc_report.gui.main_window import MainWindow
from dmc_report.gui.shortcuts import manual_path
from tests.gui.conftest import TIMEOUT, open_demo

ROOT = Path(__file__).resolve().parents[2]


def test_the_shortcuts(qtbot: Any, window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    w = window
    keys = w.keys
    assert [a.shortcut() for a in keys.steps] == [QKeySequence(f"Ctrl+{i}") for i in range(1, 6)]
    assert keys.generate.shortcut() == QKeySequence("Ctrl+G")
    assert keys.export.shortcut() == QKeySequence("Ctrl+E")
    assert keys.manual.shortcut() == QKeySequence("F1")
    keys.steps[1].trigger()
    assert w.steps.currentRow() == 1
    keys.steps[3].trigger()  # nothing to show before the data are read: said so
    assert w.steps.currentRow() == 1 and "Read the data first" in w.statusBar().currentMessage()
    with qtbot.waitSignal(w.error_shown) as refused:
        keys.generate.trigger()
    assert "Read the data first" in refused.args[0]
    with qtbot.waitSignal(w.error_shown) as refused:
        keys.export.trigger()
    assert "Read the data first" in refused.args[0]
    open_demo(qtbot, w)
    keys.steps[3].trigger()
    assert w.steps.currentRow() == 3
    asked: list[Any] = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: asked.append(a) or ("", ""))
    keys.export.trigger()  # the findings' export asks for a name, on the Validation step
    assert len(asked) == 1 and w.steps.currentRow() == 2
    w.out_dir.setText("")  # Generate from anywhere: on the Reports step, with its answer
    with qtbot.waitSignal(w.error_shown, timeout=TIMEOUT):
        keys.generate.trigger()
    assert w.steps.currentRow() == 4


def test_f1_opens_the_bundled_manual_from_the_local_file(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    window.keys.manual.trigger()
    (url,) = opened
    assert url.isLocalFile() and Path(url.toLocalFile()) == manual_path()
    html = manual_path().read_text(encoding="utf-8")
    for step in ("Study", "Data", "Validation", "Summaries", "Reports"):
        assert re.search(rf"<h2[^>]*>\d\. {step} ", html), step
    assert "http" not in html  # offline: nothing fetched from anywhere
    assert "manual" in window.statusBar().currentMessage()


def test_the_manual_is_bundled_with_the_app() -> None:
    """The PyInstaller spec ships resources/ whole as dmc_report/_resources, help/ with it."""
    spec = (ROOT / "packaging" / "dmc-report.spec").read_text(encoding="utf-8")
    assert '(str(ROOT / "resources"), "dmc_report/_resources")' in spec
    assert manual_path() == ROOT / "resources" / "help" / "index.html"


def test_no_program_for_the_manual_is_said(
    qtbot: Any, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: False)
    with qtbot.waitSignal(window.error_shown) as shown:
        window.keys.manual.trigger()
    assert str(manual_path()) in shown.args[0]


def test_the_findings_table_says_how_many_it_shows(qtbot: Any, window: MainWindow) -> None:
    w = window
    open_demo(qtbot, w)
    label = w.validation_page.shown_label
    total = len(w.findings_model.all_rows)
    assert total > 0 and label.text() == f"{total} of {total} shown"
    w.filter_edit.setText("no-such-code-or-subject")
    assert w.findings_model.rowCount() == 0 and "No matches" in label.text()
    w.filter_edit.setText("")
    w.severity_box.setCurrentText("Warning")
    shown = w.findings_model.rowCount()
    assert label.text() == f"{shown} of {total} shown"
