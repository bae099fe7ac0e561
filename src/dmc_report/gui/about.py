"""The window's icon, and the About dialog: the version and every bundled component's licence."""

from __future__ import annotations

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from dmc_report import __version__


def resource_icon() -> QIcon:
    from importlib import resources

    icons = resources.files("dmc_report._resources").joinpath("icons")
    icon = QIcon()
    # every size drawn from the SVG by packaging/make_icons.py (sharp at any scale, and no need
    # for Qt's SVG image plugin in the bundle); the SVG itself as the fallback
    for size in (16, 32, 48, 64, 128, 256, 512):
        ref = icons.joinpath(f"dmc-report-{size}.png")
        if ref.is_file():
            icon.addFile(str(ref))
    if icon.isNull() and icons.joinpath("dmc-report.svg").is_file():
        icon.addFile(str(icons.joinpath("dmc-report.svg")))
    return icon


def about_dialog(parent: QWidget) -> QDialog:
    """Version, and every bundled component with its licence (read from the packages)."""
    from dmc_report.licences import components

    comps = components()
    dlg = QDialog(parent)
    dlg.setWindowTitle("About dmc-report")
    v = QVBoxLayout(dlg)
    intro = QLabel(
        f"<b>dmc-report {__version__}</b><br>Interim reports for Data Monitoring "
        "Committees: validated, blinded and unblinded, from Excel exports to PDF.<br><br>"
        "It bundles the components below. Qt is used under the LGPL-3.0, dynamically "
        "linked; its source is at download.qt.io and on request from the distributor. "
        "The licence texts are in THIRD_PARTY_NOTICES.txt in the application folder."
    )
    intro.setWordWrap(True)
    v.addWidget(intro)
    table = QTableWidget(len(comps), 3)
    table.setAccessibleName("Bundled components and their licences")
    table.setHorizontalHeaderLabels(["Component", "Version", "Licence"])
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 6)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    for i, c in enumerate(comps):
        for j, text in enumerate((c.name, c.version, c.licence)):
            table.setItem(i, j, QTableWidgetItem(text))
    table.resizeColumnsToContents()
    table.horizontalHeader().setStretchLastSection(True)
    v.addWidget(table, 1)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dlg.reject)
    v.addWidget(buttons)
    dlg.resize(720, 560)
    return dlg
