"""The report's figures, shown in the app as vector drawings.

They are drawn by :func:`dmc_report.report.figures.summary_images` (the same figure functions as
the PDF's) as SVG in a child process, so drawing never stalls the window; here they become
widgets that fill the width they are given, keep their proportions, and stay sharp at any
scaling (150 %, Retina), because they are drawn from their vectors at the size shown.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QEvent, QObject, QRectF, QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QPixmap, QShowEvent
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QLabel, QScrollArea, QSizePolicy, QWidget

# A figure is never shown smaller than its printed size on a 96-dpi screen: the smallest text
# of the figures, the number at risk at 7 pt, is then at least 9.3 pixels high.
SCREEN_DPI = 96
# nor wider than this many times that size: a wide window shows it larger, not a wall of it
MAX_ENLARGEMENT = 1.6


class FigureView(QWidget):
    """One figure from its SVG, as high as its proportions ask and as wide as its place allows:
    no wider than its page's visible height lets it be seen whole, and at least its printed size,
    at most :data:`MAX_ENLARGEMENT` times it."""

    def __init__(self, svg: bytes, name: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.renderer = QSvgRenderer(QByteArray(svg), self)
        box = self.renderer.viewBoxF()  # in points: matplotlib writes the figure's size in pt
        self.printed = QSize(
            round(box.width() * SCREEN_DPI / 72), round(box.height() * SCREEN_DPI / 72)
        )
        self._cache = QPixmap()
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self.setMinimumWidth(self.printed.width())
        self.setObjectName(f"figure-{name}" if name else "figure")
        self.setAccessibleName(f"Figure: {name}" if name else "Figure")

    def aspect(self) -> float:
        """Height over width."""
        return self.printed.height() / max(1, self.printed.width())

    def drawn_width(self, width: int | None = None) -> int:
        """The width the figure is drawn at in a widget ``width`` wide (default: this one's)."""
        w = self.width() if width is None else width
        area = self._area()
        if area is not None:  # seen whole in the page's visible height
            w = min(w, round(area.viewport().height() / self.aspect()))
        return max(self.printed.width(), min(w, round(self.printed.width() * MAX_ENLARGEMENT)))

    def _area(self) -> QScrollArea | None:
        parent = self.parentWidget()
        while parent is not None and not isinstance(parent, QScrollArea):
            parent = parent.parentWidget()
        return parent

    def showEvent(self, event: QShowEvent) -> None:
        area = self._area()
        if area is not None:  # a taller or shorter page: the figure's size follows
            area.viewport().installEventFilter(self)
        super().showEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.updateGeometry()
            self.update()
        return False

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return round(self.drawn_width(width) * self.aspect())

    def sizeHint(self) -> QSize:
        return self.printed

    def minimumSizeHint(self) -> QSize:
        return self.printed

    def paintEvent(self, event: QPaintEvent) -> None:
        w = self.drawn_width()
        target = QRectF(0, 0, w, w * self.aspect())
        ratio = self.devicePixelRatioF()
        pixels = QSize(round(target.width() * ratio), round(target.height() * ratio))
        if self._cache.size() != pixels:  # drawn from the vectors once per size, not per paint
            self._cache = QPixmap(pixels)
            self._cache.fill(Qt.GlobalColor.white)
            self._cache.setDevicePixelRatio(ratio)
            painter = QPainter(self._cache)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            self.renderer.render(painter, target)
            painter.end()
        painter = QPainter(self)
        painter.drawPixmap(0, 0, self._cache)
        painter.end()


def is_svg(data: bytes) -> bool:
    head = data[:200].lstrip()
    return head.startswith((b"<?xml", b"<svg"))


def figure_widget(data: bytes, name: str = "", scale: float = 1.0) -> QWidget:
    """The widget for a figure: a :class:`FigureView` for SVG; an image at ``scale`` for PNG."""
    if is_svg(data):
        return FigureView(data, name)
    return image_label(data, scale)


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
