"""The summary figures are vector drawings (issue 17): sharp at any scaling, as wide as the window
gives them, their proportions kept, and the number at risk readable."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from dmc_report.gui.figures import MAX_ENLARGEMENT, FigureView
from dmc_report.gui.main_window import MainWindow
from tests.gui.conftest import open_demo

NAMES = ("enrollment", "relapse", "craving")


def shown(window: MainWindow) -> list[FigureView]:
    window.steps.setCurrentRow(3)  # Summaries
    QApplication.processEvents()
    return window.blinded_area.findChildren(FigureView)


def test_figures_are_vectors(qtbot: Any, window: MainWindow) -> None:
    open_demo(qtbot, window)
    for name in NAMES:
        assert window.images[name].lstrip().startswith(b"<?xml"), name
        assert b"<svg" in window.images[name][:1000], name
    views = shown(window)
    assert [v.objectName() for v in views] == [f"figure-{n}" for n in NAMES]
    for view in views:
        assert view.renderer.isValid(), view.objectName()


def test_figures_follow_the_window_width_and_keep_their_proportions(
    qtbot: Any, window: MainWindow
) -> None:
    open_demo(qtbot, window)
    views = shown(window)
    window.resize(1000, 700)
    qtbot.waitUntil(lambda: views[0].width() < 800)
    narrow = [(v.width(), v.height()) for v in views]
    window.resize(1260, 700)
    qtbot.waitUntil(lambda: views[0].width() > narrow[0][0] + 100)
    for view, (w0, _) in zip(views, narrow, strict=True):
        w1, h1 = view.width(), view.height()
        assert w1 > w0 + 100, view.objectName()  # wider with the window
        drawn = view.drawn_width()
        assert view.printed.width() <= drawn <= view.printed.width() * MAX_ENLARGEMENT
        # the height follows the width: the figure is drawn whole, not stretched
        assert h1 == pytest.approx(drawn * view.aspect(), abs=2), view.objectName()


def digit_height(view: FigureView) -> int:
    """The height in pixels of the number-at-risk digits as drawn (the curve's colour, in the
    figure's bottom eighth, where the at-risk table is)."""
    import numpy as np

    image = view.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    h, w = image.height(), image.width()
    rgb = np.frombuffer(image.constBits(), np.uint8).reshape(h, image.bytesPerLine())
    rgb = rgb[:, : w * 3].reshape(h, w, 3).astype(int)
    bottom = rgb[h - h // 8 :]
    inked = (bottom[..., 2] - bottom[..., 0] > 60).any(axis=1)  # the first palette colour: blue
    rows = np.flatnonzero(inked)
    return int(rows.max() - rows.min() + 1) if len(rows) else 0


def test_the_number_at_risk_is_readable_at_the_narrowest(qtbot: Any, window: MainWindow) -> None:
    open_demo(qtbot, window)
    relapse = shown(window)[1]
    window.resize(700, 500)  # narrower than the figure: the page scrolls, the figure stays
    QApplication.processEvents()
    assert relapse.drawn_width() == relapse.printed.width()
    assert digit_height(relapse) >= 9  # was ~7 px in the 96-dpi bitmap


def test_figures_are_drawn_at_the_screens_device_pixel_ratio(
    qtbot: Any, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(FigureView, "devicePixelRatioF", lambda self: 1.5)  # 150 %
    open_demo(qtbot, window)
    views = shown(window)
    for view in views:
        view.grab()  # painted: drawn from its vectors into pixels of the screen
        w = view.drawn_width()
        assert view._cache.width() == round(w * 1.5), view.objectName()
        assert view._cache.devicePixelRatio() == 1.5


def test_the_unblinded_monitoring_figure_is_a_vector_too(qtbot: Any, window: MainWindow) -> None:
    from PySide6.QtWidgets import QMessageBox

    open_demo(qtbot, window)
    if "monitoring" not in window.images:
        pytest.skip("the demo's protocol has no interim monitoring")
    monkey = QMessageBox.question
    QMessageBox.question = lambda *a, **k: QMessageBox.StandardButton.Yes  # type: ignore[method-assign]
    try:
        window.confirm_unblinded()
    finally:
        QMessageBox.question = monkey  # type: ignore[method-assign]
    views = window.unblinded_area.findChildren(FigureView)
    assert [v.objectName() for v in views] == ["figure-monitoring"]
