"""The open report's preview (QtPdf): page by page or all pages, zoom, fit to width or page."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QSpinBox, QToolBar, QVBoxLayout, QWidget

ZOOMS = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0)


class PdfPreview(QWidget):
    """A QPdfView over ``document`` with its controls: previous/next page, the page number (typed
    or stepped), zoom out/in and "Fit width" / "Fit page"."""

    def __init__(self, document: Any, parent: QWidget | None = None) -> None:
        from PySide6.QtPdfWidgets import QPdfView

        super().__init__(parent)
        self.document = document
        self.view = QPdfView()
        self.view.setAccessibleName("Preview of the open report")
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.view.setDocument(document)
        self._mode = QPdfView.ZoomMode
        # a tool bar: what does not fit at the right goes into its ">>" menu (narrow screens)
        bar = QToolBar()
        bar.setAccessibleName("Preview controls")
        self.btn_previous = self._button(bar, "<", "Previous page", lambda: self.go(-1))
        self.page_box = QSpinBox()
        self.page_box.setAccessibleName("Page")
        self.page_box.setRange(1, max(1, document.pageCount()))
        self.page_box.editingFinished.connect(lambda: self.jump(self.page_box.value() - 1))
        bar.addWidget(self.page_box)
        self.page_count = QLabel(f"of {document.pageCount()}")
        bar.addWidget(self.page_count)
        self.btn_next = self._button(bar, ">", "Next page", lambda: self.go(1))
        bar.addSeparator()
        self.btn_zoom_out = self._button(bar, "-", "Zoom out", lambda: self.zoom(-1))
        self.zoom_label = QLabel("")
        self.zoom_label.setMinimumWidth(self.zoom_label.fontMetrics().horizontalAdvance("100%__"))
        bar.addWidget(self.zoom_label)
        self.btn_zoom_in = self._button(bar, "+", "Zoom in", lambda: self.zoom(1))
        self.btn_fit_width = self._button(bar, "Fit width", "Fit the page's width", self.fit_width)
        self.btn_fit_page = self._button(bar, "Fit page", "Fit the whole page", self.fit_page)
        v = QVBoxLayout(self)
        v.setContentsMargins(0, 0, 0, 0)
        v.addWidget(bar)
        v.addWidget(self.view, 1)
        nav = self.view.pageNavigator()
        nav.currentPageChanged.connect(self._page_changed)
        self.view.zoomFactorChanged.connect(lambda _z: self._show_zoom())
        self.view.zoomModeChanged.connect(lambda _m: self._show_zoom())
        document.pageCountChanged.connect(self._count_changed)
        self._count_changed()
        self._show_zoom()

    def _button(self, bar: QToolBar, text: str, name: str, slot: Any) -> QAction:
        act = bar.addAction(text)
        act.setToolTip(name)
        act.triggered.connect(slot)
        button = bar.widgetForAction(act)
        if button is not None:
            button.setAccessibleName(name)
        return act

    def current_page(self) -> int:
        return int(self.view.pageNavigator().currentPage())

    def jump(self, page: int) -> None:
        """Show page ``page`` (0-based), within the document."""
        page = max(0, min(self.document.pageCount() - 1, page))
        nav = self.view.pageNavigator()
        nav.jump(page, QPointF(), nav.currentZoom())

    def go(self, step: int) -> None:
        self.jump(self.current_page() + step)

    def zoom(self, step: int) -> None:
        """The next zoom factor up (1) or down (-1) from the one shown."""
        now = self.view.zoomFactor()
        if self.view.zoomMode() != self._mode.Custom:
            now = self._fitted_factor()
        bigger = [z for z in ZOOMS if z > now + 1e-3]
        smaller = [z for z in ZOOMS if z < now - 1e-3]
        target = (
            (bigger[0] if bigger else ZOOMS[-1])
            if step > 0
            else (smaller[-1] if smaller else ZOOMS[0])
        )
        self.view.setZoomMode(self._mode.Custom)
        self.view.setZoomFactor(target)
        self._show_zoom()

    def _fitted_factor(self) -> float:
        """The zoom factor a fit mode shows now (from the page's width and the view's)."""
        size = self.document.pagePointSize(max(0, self.current_page()))
        width = size.width() * self.logicalDpiX() / 72.0
        return self.view.viewport().width() / width if width > 0 else 1.0

    def fit_width(self) -> None:
        self.view.setZoomMode(self._mode.FitToWidth)

    def fit_page(self) -> None:
        self.view.setZoomMode(self._mode.FitInView)

    def release(self) -> None:
        """Let go of the document (before it is closed): nothing here reads it again."""
        self.document.pageCountChanged.disconnect(self._count_changed)
        self.view.pageNavigator().currentPageChanged.disconnect(self._page_changed)
        self.view.setDocument(None)  # type: ignore[arg-type]

    def _count_changed(self, _count: int = 0) -> None:
        """The document is read (from memory, possibly after the widget was made)."""
        count = self.document.pageCount()
        self.page_box.setRange(1, max(1, count))
        self.page_count.setText(f"of {count}")
        self._page_changed(self.current_page())

    def _page_changed(self, page: int) -> None:
        self.page_box.setValue(page + 1)
        self.btn_previous.setEnabled(page > 0)
        self.btn_next.setEnabled(page < self.document.pageCount() - 1)

    def _show_zoom(self) -> None:
        mode = self.view.zoomMode()
        if mode == self._mode.FitToWidth:
            self.zoom_label.setText("width")
        elif mode == self._mode.FitInView:
            self.zoom_label.setText("page")
        else:
            self.zoom_label.setText(f"{round(self.view.zoomFactor() * 100)}%")
