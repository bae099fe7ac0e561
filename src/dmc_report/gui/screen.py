"""The window on any screen (issue 17): a first-run size taken from the screen's available
geometry (never larger), a saved geometry brought back onto the screen it now opens on, and each
page in a scroll area, so that the window's minimum size fits 1280x720 at 100 % and 1440x900 at
150 % with the status bar, the progress bar and Cancel on screen."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRect, QSize
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFrame, QMainWindow, QScrollArea, QWidget

PREFERRED = QSize(1180, 780)  # on a screen with room for it
TITLE_BAR = 40  # room left for the window manager's title bar (logical pixels)
MARGIN = 16  # and around the window


def first_size(available: QSize) -> QSize:
    """The window's size on first run: the preferred size, shrunk to the screen's available
    area less a title bar and a margin (never larger than the screen)."""
    return QSize(
        min(PREFERRED.width(), available.width() - 2 * MARGIN),
        min(PREFERRED.height(), available.height() - TITLE_BAR - 2 * MARGIN),
    )


def fitted(frame: QRect, available: QRect) -> QRect:
    """``frame`` moved (and shrunk if need be) into ``available``, title bar included."""
    width = min(frame.width(), available.width())
    height = min(frame.height(), available.height() - TITLE_BAR)
    x = min(max(frame.x(), available.x()), available.right() + 1 - width)
    y = min(max(frame.y(), available.y() + TITLE_BAR), available.bottom() + 1 - height)
    return QRect(x, y, width, height)


def place(window: QMainWindow, geometry: Any) -> None:
    """The saved geometry if there is one, brought onto the screen; else the first-run size,
    centred on the screen's available area."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    available = screen.availableGeometry()
    if geometry is not None and window.restoreGeometry(geometry):
        if not window.isMaximized():
            window.setGeometry(fitted(window.geometry(), available))
        return
    size = first_size(available.size())
    window.resize(size)
    window.move(
        available.x() + (available.width() - size.width()) // 2,
        available.y() + max(TITLE_BAR, (available.height() - size.height()) // 2),
    )


def scrolled(page: QWidget) -> QScrollArea:
    """``page`` in a frameless scroll area: it fills the window when there is room and scrolls
    when the screen is smaller than the page's minimum."""
    area = QScrollArea()
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidgetResizable(True)
    area.setWidget(page)
    area.setAccessibleName(page.accessibleName() or type(page).__name__)
    return area
