"""The Reports step's form is read without scrolling sideways, on a laptop at 100 % and at 150 %
(1440x900 at 150 % is 960x600 logical pixels): the preview's side is hidden until there is a
preview, and the form's rows are narrow enough to sit beside one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("PySide6.QtPdf")

from PySide6.QtCore import QSize

from dmc_report.gui.main_window import MainWindow
from dmc_report.gui.screen import first_size
from tests.gui.conftest import open_demo
from tests.gui.test_fits import SCREENS


def one_page_pdf(path: Path) -> Path:
    from reportlab.pdfgen.canvas import Canvas

    c = Canvas(str(path))
    c.drawString(72, 720, "a page")
    c.showPage()
    c.save()
    return path


def sideways(w: MainWindow) -> int:
    """How far the form scrolls sideways (0: it is seen whole in its width)."""
    return int(w.reports_page._form_area.horizontalScrollBar().maximum())


@pytest.mark.parametrize("screen", SCREENS.values(), ids=SCREENS.keys())
def test_the_form_never_scrolls_sideways(
    qtbot: Any, window: MainWindow, screen: QSize, tmp_path: Path
) -> None:
    w = window
    page = w.reports_page
    open_demo(qtbot, w)
    w.resize(first_size(screen))
    w.steps.setCurrentRow(4)
    qtbot.wait(50)
    # no preview yet: its side is hidden and the form has the page's width
    assert not page.preview_pane.isVisible()
    assert sideways(w) == 0
    assert page._form_area.width() > w.width() // 2
    # a report previewed: beside the form, which still shows whole in its width
    page._preview(one_page_pdf(tmp_path / "open.pdf"))
    qtbot.waitUntil(lambda: page.preview_pane.isVisible())
    qtbot.wait(50)
    assert page.preview_pane.width() >= 200
    assert sideways(w) == 0, (page._form_area.width(), page._form_box.minimumSizeHint())
    # the preview released (a new Generate, a discarded study): the form takes the width again
    page._release_preview()
    qtbot.wait(50)
    assert not page.preview_pane.isVisible()
    assert sideways(w) == 0


def test_the_handle_the_user_moved_stays_where_it_was_put(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    w = window
    page = w.reports_page
    open_demo(qtbot, w)
    w.resize(first_size(SCREENS["1280x720 at 100%"]))
    w.steps.setCurrentRow(4)
    page._preview(one_page_pdf(tmp_path / "a.pdf"))
    qtbot.waitUntil(lambda: page.preview_pane.isVisible())
    total = sum(page.splitter.sizes())
    page.splitter.setSizes([total - 300, 300])
    qtbot.wait(20)
    page._preview(one_page_pdf(tmp_path / "b.pdf"))  # the next Generate's preview
    qtbot.wait(20)
    assert abs(page.splitter.sizes()[1] - 300) <= 10  # (the handle's own pixels)
