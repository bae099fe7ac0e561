"""The report's figures, shown in the app as images.

They are drawn by :func:`dmc_report.report.figures.summary_images` (the same figure functions as
the PDF's) in a child process, so drawing never stalls the window; here they become widgets.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QLabel


def image_label(png: bytes, scale: float = 1.0) -> QLabel:
    """A figure drawn at ``scale`` times 96 dpi (the screen's device pixel ratio, so that it is
    sharp at 150 % and on Retina screens), shown at its size in logical pixels."""
    label = QLabel()
    pix = QPixmap()
    pix.loadFromData(png, "PNG")
    pix.setDevicePixelRatio(max(1.0, scale))
    label.setPixmap(pix)
    label.setAlignment(Qt.AlignmentFlag.AlignLeft)
    return label
