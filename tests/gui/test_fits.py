"""The window fits a laptop's screen (issue 17): 1280x720 at 100 % and 1440x900 at 150 %
(960x600 logical pixels), with the status bar, the progress bar, Cancel, Export and Generate on
screen, on every step, before and after a study is loaded."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QPoint, QRect, QSize
from PySide6.QtWidgets import QWidget

from dmc_report.gui.main_window import MainWindow
from dmc_report.gui.screen import TITLE_BAR, first_size, fitted
from tests.gui.conftest import open_demo

# the screens' areas for a window, less a task bar (48) and a title bar, in logical pixels
SCREENS = {"1280x720 at 100%": QSize(1280, 720 - 48), "1440x900 at 150%": QSize(960, 600 - 48)}


def fits(size: QSize, screen: QSize) -> bool:
    return size.width() <= screen.width() and size.height() <= screen.height() - TITLE_BAR


@pytest.mark.parametrize("screen", SCREENS.values(), ids=SCREENS.keys())
def test_the_first_run_size_is_never_larger_than_the_screen(screen: QSize) -> None:
    assert fits(first_size(screen), screen)
    assert first_size(QSize(2560, 1440)) == QSize(1180, 780)  # room to spare: the usual size


def test_a_saved_geometry_from_a_larger_screen_is_brought_back_onto_this_one() -> None:
    screen = QRect(0, 0, 960, 552)
    back = fitted(QRect(300, 200, 1770, 1169), screen)
    assert screen.contains(back.adjusted(0, -TITLE_BAR, 0, 0))


def on_screen(w: MainWindow, widget: QWidget) -> bool:
    """``widget`` is shown, and whole inside the window."""
    top_left = widget.mapTo(w, QPoint(0, 0))
    return widget.isVisible() and w.rect().contains(QRect(top_left, widget.size()))


@pytest.mark.parametrize("screen", SCREENS.values(), ids=SCREENS.keys())
def test_the_window_fits_on_every_step(qtbot: Any, window: MainWindow, screen: QSize) -> None:
    w = window
    assert fits(w.sizeHint(), SCREENS["1280x720 at 100%"])
    assert fits(w.minimumSizeHint(), screen)
    open_demo(qtbot, w)
    w.resize(first_size(screen))
    for step in range(5):
        w.steps.setCurrentRow(step)
        qtbot.wait(10)
        assert fits(w.minimumSizeHint(), screen), (step, w.minimumSizeHint())
        assert fits(w.size(), screen), (step, w.size())
        assert on_screen(w, w.statusBar())
    w.controller.busy.emit(True)  # a job's progress bar and Cancel
    qtbot.wait(10)
    assert on_screen(w, w.progress) and on_screen(w, w.cancel_button)
    w.controller.busy.emit(False)
    w.steps.setCurrentRow(2)
    qtbot.wait(10)
    assert on_screen(w, w.validation_page.btn_export)
    header = w.findings_view.horizontalHeader()
    message = header.sectionViewportPosition(7)
    assert 0 <= message < w.findings_view.viewport().width() - 100  # the Message column shows
    w.steps.setCurrentRow(4)
    qtbot.wait(10)
    assert on_screen(w, w.btn_generate)


def test_the_preview_pages_and_zooms(qtbot: Any, window: MainWindow, tmp_path: Any) -> None:
    from PySide6.QtPdf import QPdfDocument

    w = window
    open_demo(qtbot, w)
    w.steps.setCurrentRow(4)
    w.chk_closed.setChecked(False)
    w.out_dir.setText(str(tmp_path))
    with qtbot.waitSignal(w.reports_written, timeout=120_000):
        w.generate_reports()
    preview = w.reports_page.preview
    doc = preview.document
    qtbot.waitUntil(lambda: doc.status() == QPdfDocument.Status.Ready, timeout=120_000)
    assert preview.page_count.text() == f"of {doc.pageCount()}"
    assert preview.view.height() > 400  # as tall as the page, not a strip under the form
    preview.go(1)
    qtbot.waitUntil(lambda: preview.current_page() == 1)
    assert preview.page_box.value() == 2 and preview.btn_previous.isEnabled()
    preview.jump(doc.pageCount() + 5)
    qtbot.waitUntil(lambda: preview.current_page() == doc.pageCount() - 1)
    assert not preview.btn_next.isEnabled()
    preview.zoom(1)
    zoomed = preview.view.zoomFactor()
    preview.zoom(1)
    assert preview.view.zoomFactor() > zoomed and preview.zoom_label.text().endswith("%")
    preview.fit_page()
    assert preview.zoom_label.text() == "page"
