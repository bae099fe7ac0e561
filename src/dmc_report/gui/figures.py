"""Show the report's own figure functions in the app (the same code draws the PDF figures)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QSizePolicy, QWidget


def figure_widget(fig: Any, parent: QWidget | None = None) -> QWidget:
    """A Qt canvas for a matplotlib Figure made by :mod:`dmc_report.report.figures`."""
    from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg

    canvas = FigureCanvasQTAgg(fig)
    canvas.setParent(parent)
    canvas.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
    w, h = fig.get_size_inches()
    canvas.setMinimumSize(int(w * 72), int(h * 72))
    return canvas
