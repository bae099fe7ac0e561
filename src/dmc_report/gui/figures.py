"""The report's figures, shown in the app as images.

They are drawn by :func:`dmc_report.report.figures.summary_images` (the same figure functions as
the PDF's) in a child process, so drawing never stalls the window; here they become widgets.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QLabel


def image_label(png: bytes) -> QLabel:
    label = QLabel()
    pix = QPixmap()
    pix.loadFromData(png, "PNG")
    label.setPixmap(pix)
    label.setAlignment(Qt.AlignmentFlag.AlignLeft)
    return label
