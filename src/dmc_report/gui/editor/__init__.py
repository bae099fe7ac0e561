"""The protocol editor with its mapping assistant (issue 17): a new study set up from an export,
or the loaded protocol edited, and saved as a protocol file the command line reads unchanged.

Only Qt is imported here; the editor's dialog (and through it the workbook reader) loads when
the user first opens it, not at the app's start."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QWidget


def open_editor(parent: QWidget, controller: Any, protocol: Path | None = None) -> Any:
    """Show the editor (non-modal) for a new study, or for the ``protocol`` file; the editor
    (a :class:`~dmc_report.gui.editor.dialog.ProtocolEditor`) is returned and kept on
    ``parent`` as ``protocol_editor``."""
    from dmc_report.gui.editor.dialog import ProtocolEditor

    editor = ProtocolEditor(controller, parent)
    if protocol is not None and not editor.open_file(protocol):
        editor.setWindowTitle("Edit protocol - dmc-report")
    parent.protocol_editor = editor  # type: ignore[attr-defined]
    editor.show()
    editor.raise_()
    return editor
