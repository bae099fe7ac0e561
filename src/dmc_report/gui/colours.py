"""Colours that stay readable in light and in dark mode.

The app draws in the system's palette (Windows and macOS switch it to dark). A colour meant to
stand out (an error in the findings, the UNBLINDED banner) keeps its hue but is made light or
dark enough for a contrast of at least 4.5:1 against the palette's background: WCAG 2's
minimum for text (the fixed colours gave 1.9 to 2.8:1 on a dark palette).
"""

from __future__ import annotations

import html
from functools import lru_cache
from typing import Any

from PySide6.QtCore import QEvent
from PySide6.QtGui import QBrush, QColor, QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

MIN_CONTRAST = 4.5  # WCAG 2.x, level AA, normal text

ALERT = "#B00020"  # the UNBLINDED banner, errors
STALE = "#8A5A00"  # the bar over results from the previous data
BAR_TEXT = "#FFFFFF"  # on either bar: 7.3:1 on ALERT, 5.9:1 on STALE
SEVERITY = {"error": "#B00020", "warning": "#8A5A00", "info": "#5A5A5A"}


def luminance(colour: QColor) -> float:
    """WCAG relative luminance of an sRGB colour (0 black, 1 white)."""

    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * linear(colour.redF())
        + 0.7152 * linear(colour.greenF())
        + 0.0722 * linear(colour.blueF())
    )


def contrast(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio of two colours, from 1 (the same) to 21 (black on white)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def readable(colour: QColor, *backgrounds: QColor, minimum: float = MIN_CONTRAST) -> QColor:
    """``colour``, or the nearest colour of its hue made lighter (on dark backgrounds) or darker
    (on light ones), with at least ``minimum`` contrast against every one of ``backgrounds``."""
    return QColor.fromRgba(_readable(colour.rgba(), tuple(b.rgba() for b in backgrounds), minimum))


@lru_cache(maxsize=256)
def _readable(rgba: int, backgrounds: tuple[int, ...], minimum: float) -> int:
    colour = QColor.fromRgba(rgba)
    grounds = [QColor.fromRgba(b) for b in backgrounds]

    def enough(c: QColor) -> bool:
        return all(contrast(c, g) >= minimum for g in grounds)

    if not grounds or enough(colour):
        return rgba
    white, black = QColor("white"), QColor("black")
    # lighter where white would stand out more than black, that is on a dark background
    lighter = sum(contrast(g, white) - contrast(g, black) for g in grounds) > 0
    hue = max(colour.hslHueF(), 0.0)  # -1 for a grey
    saturation, lightness, alpha = colour.hslSaturationF(), colour.lightnessF(), colour.alphaF()
    steps = 100
    for i in range(1, steps + 1):
        target = lightness + (1 - lightness) * i / steps if lighter else lightness * (1 - i / steps)
        # as the 8-bit colour it will be drawn in (rounding can cost a little contrast)
        candidate = QColor.fromRgba(QColor.fromHslF(hue, saturation, target, alpha).rgba())
        if enough(candidate):
            return int(candidate.rgba())
    return int((white if lighter else black).rgba())


def severity_colour(severity: str, palette: QPalette) -> QColor | None:
    """A finding's severity colour, readable on the table's rows (plain and alternate)."""
    base = SEVERITY.get(severity)
    if base is None:
        return None
    return readable(
        QColor(base),
        palette.color(QPalette.ColorRole.Base),
        palette.color(QPalette.ColorRole.AlternateBase),
    )


class AlertLabel(QLabel):
    """Bold text in the alert colour, readable on the window (and on a scroll area's base),
    recoloured when the palette changes (the system switched between light and dark)."""

    def __init__(self, text: str, colour: str = ALERT, parent: Any = None) -> None:
        super().__init__(parent)
        self._plain = text
        self._colour = QColor(colour)
        self.setAccessibleName(text)
        self._paint()

    def colour(self) -> QColor:
        palette = self.palette()
        return readable(
            self._colour,
            palette.color(QPalette.ColorRole.Window),
            palette.color(QPalette.ColorRole.Base),
        )

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._paint()

    def set_plain(self, text: str) -> None:
        """Show ``text`` instead (in the same colour)."""
        self._plain = text
        self.setAccessibleName(text)
        self._paint()

    def _paint(self) -> None:
        self.setText(f"<b style='color:{self.colour().name()}'>{html.escape(self._plain)}</b>")


class ColourBar(QFrame):
    """A strip across the window in a fixed colour with white text and a few buttons: a state
    that must not be missed (the unblinded view open, results from the previous data). Its own
    background, so it reads the same on a light or a dark palette; hidden until shown."""

    def __init__(self, colour: str, buttons: tuple[str, ...] = (), parent: Any = None) -> None:
        super().__init__(parent)
        self.setAutoFillBackground(True)
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Window, QColor(colour))
        palette.setColor(QPalette.ColorRole.WindowText, QColor(BAR_TEXT))
        self.setPalette(palette)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(10, 4, 6, 4)
        self._label = QLabel()
        self._label.setWordWrap(True)
        lay.addWidget(self._label, 1)
        self._buttons: dict[str, QPushButton] = {}
        for name in buttons:
            b = QPushButton(name)
            b.setPalette(QLabel().palette())  # buttons in the app's own colours
            lay.addWidget(b)
            self._buttons[name] = b
        self.setVisible(False)

    def set_text(self, text: str) -> None:
        self._label.setText(f"<b>{html.escape(text)}</b>")
        self.setAccessibleName(text)

    def text(self) -> str:
        return self.accessibleName()

    def button(self, name: str) -> QPushButton:
        return self._buttons[name]


def show_as_alert(widget: QWidget, alert: bool) -> None:
    """A widget's text in bold, in the alert colour made readable on its palette, or plain again
    (the protocol editor's status line: a problem, or "ready to save")."""
    palette = widget.palette()
    colour = readable(
        QColor(ALERT),
        palette.color(QPalette.ColorRole.Window),
        palette.color(QPalette.ColorRole.Base),
    )
    widget.setStyleSheet(f"color: {colour.name()}; font-weight: bold;" if alert else "")


def mark_invalid(widget: QWidget, invalid: bool) -> None:
    """A field a model refuses framed in the alert colour (its tooltip says why), or unframed."""
    name = type(widget).__name__
    widget.setStyleSheet(f"{name} {{ border: 2px solid {ALERT}; }}" if invalid else "")


@lru_cache(maxsize=1)
def invalid_cell_brush() -> QBrush:
    """The background of a table cell a model refuses: the alert colour, faint, so the cell's
    own text stays readable on it."""
    colour = QColor(ALERT)
    colour.setAlpha(60)
    return QBrush(colour)
