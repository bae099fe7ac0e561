"""Keyboard shortcuts and the offline manual (issue 17): Ctrl+1..5 go to a step, Ctrl+G
generates the reports, Ctrl+E exports the findings, F1 opens the manual bundled with the app
(resources/help/index.html) in the system's browser, from the local file: no network."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QMenu

if TYPE_CHECKING:
    from dmc_report.gui.main_window import MainWindow


def manual_path() -> Path:
    """The bundled manual (a real file from source, a wheel's install and the frozen app)."""
    return Path(str(resources.files("dmc_report._resources").joinpath("help", "index.html")))


@dataclass
class Shortcuts:
    steps: list[QAction]
    generate: QAction
    export: QAction
    manual: QAction


def install(window: MainWindow, names: list[str]) -> Shortcuts:
    """The shortcuts, as actions in the window's menus (so they are listed there too)."""
    menus = {a.text().replace("&", ""): cast(QMenu, a.menu()) for a in window.menuBar().actions()}
    go = menus["View"].addMenu("&Go to step")
    steps = []
    for row, name in enumerate(names):
        act = QAction(name.split(maxsplit=1)[-1], window)
        act.setShortcut(QKeySequence(f"Ctrl+{row + 1}"))
        act.triggered.connect(lambda _=False, row=row: go_to(window, row))
        go.addAction(act)
        window.addAction(act)  # works wherever the focus is in the window
        steps.append(act)
    file_menu = menus["File"]
    before_quit = [a for a in file_menu.actions() if a.isSeparator()][-1]
    act_generate = QAction("&Generate reports", window)
    act_generate.setShortcut(QKeySequence("Ctrl+G"))
    act_generate.triggered.connect(lambda: generate(window))
    act_export = QAction("&Export findings...", window)
    act_export.setShortcut(QKeySequence("Ctrl+E"))
    act_export.triggered.connect(lambda: export(window))
    file_menu.insertSeparator(before_quit)
    for act in (act_generate, act_export):
        file_menu.insertAction(before_quit, act)
    help_menu = menus["Help"]
    act_manual = QAction("dmc-report &manual", window)
    act_manual.setShortcut(QKeySequence(QKeySequence.StandardKey.HelpContents))
    if act_manual.shortcut().isEmpty():  # (no platform standard for help: F1)
        act_manual.setShortcut(QKeySequence("F1"))
    act_manual.triggered.connect(lambda: open_manual(window))
    help_menu.insertAction(help_menu.actions()[0], act_manual)  # before About
    return Shortcuts(steps, act_generate, act_export, act_manual)


def go_to(window: MainWindow, row: int) -> None:
    """Step ``row``, or why not (steps 3 to 5 need the data read)."""
    if window.steps.item(row).flags() & Qt.ItemFlag.ItemIsEnabled:
        window.steps.setCurrentRow(row)
    else:
        window.statusBar().showMessage("Read the data first: that step shows its results.", 8000)


def generate(window: MainWindow) -> None:
    go_to(window, 4)
    window.reports_page.generate()


def export(window: MainWindow) -> None:
    go_to(window, 2)
    window.validation_page.export_findings()


def open_manual(window: MainWindow) -> None:
    path = manual_path()
    if not path.is_file() or not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
        window.controller.failed.emit(
            f"No program could open the manual. Open it in a web browser: it is at {path}.",
            str(path),
            "",
        )
    else:
        window.statusBar().showMessage(f"The manual opens in your browser: {path}", 8000)
