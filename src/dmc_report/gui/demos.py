"""The demo studies the app wrote in the temporary directory are removed when it closes (issue
17), unless reports were written into one and the user keeps it."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMessageBox

if TYPE_CHECKING:
    from dmc_report.gui.main_window import MainWindow


def added(folder: Path, demo_files: set[str]) -> list[str]:
    """What is in ``folder`` that the demo did not write there (reports, their log...)."""
    try:
        return sorted(p.name for p in folder.iterdir() if p.name not in demo_files)
    except OSError:
        return []


def clean_up(window: MainWindow) -> None:
    """Remove each demo folder of this run; one holding files written since (reports) only once
    the user agreed (the answer "Keep" leaves it, and says where it is)."""
    for folder, demo_files in window.controller.temp_demos.items():
        if not folder.is_dir():
            continue
        extra = added(folder, demo_files)
        if extra and not _delete_asked(window, folder, extra):
            continue
        shutil.rmtree(folder, ignore_errors=True)
    window.controller.temp_demos.clear()


def _delete_asked(window: MainWindow, folder: Path, extra: list[str]) -> bool:
    shown = "\n".join(extra[:8]) + ("\n..." if len(extra) > 8 else "")
    answer = QMessageBox.question(
        window,
        "Delete the demo study's folder?",
        f"The demo study's folder in the temporary directory holds files written since:\n\n"
        f"{shown}\n\nDelete the folder {folder} with them? (No keeps it where it is.)",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.Yes,
    )
    return answer == QMessageBox.StandardButton.Yes
