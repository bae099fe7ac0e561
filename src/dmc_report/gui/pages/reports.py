"""Step 5, Reports: the OPEN report (pooled) and the CLOSED report (by arm, encrypted), written
by the controller; the open report previewed here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QDateEdit,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from dmc_report.gui.controller import Controller, ReportRequest
from dmc_report.gui.pages.common import pydate


class ReportsPage(QWidget):
    def __init__(self, controller: Controller) -> None:
        super().__init__()
        self.controller = controller
        # the form and its buttons on the left (scrolling when the screen is short), the preview
        # on the right, as tall as the window
        formbox = QWidget()
        v = QVBoxLayout(formbox)
        v.setContentsMargins(0, 0, 6, 0)
        head = QLabel(
            "<h2>Reports</h2>The OPEN report (pooled) and the CLOSED report (by arm, encrypted)."
        )
        head.setWordWrap(True)
        v.addWidget(head)
        v.addLayout(self._build_form())
        v.addStretch(1)
        form_area = QScrollArea()
        form_area.setFrameShape(QFrame.Shape.NoFrame)
        form_area.setWidgetResizable(True)
        form_area.setWidget(formbox)
        form_area.setMinimumWidth(260)
        buttons = QHBoxLayout()
        self.btn_generate = QPushButton("Generate")
        self.btn_generate.setAccessibleName("Generate reports")
        self.btn_generate.setToolTip("Generate the reports (Ctrl+G)")
        self.btn_generate.clicked.connect(self.generate)
        self.btn_show = QPushButton("Show in folder")
        self.btn_show.setEnabled(False)
        self.btn_show.clicked.connect(lambda: self.show_in_folder())
        self.btn_view_open = QPushButton("Open report")
        self.btn_view_open.setAccessibleName("Open the open report")
        self.btn_view_open.setToolTip("Open the open report in the system's PDF viewer")
        self.btn_view_open.setEnabled(False)
        self.btn_view_open.clicked.connect(
            lambda: self._open_file(self.controller.session.reports.get("open"))
        )
        buttons.addWidget(self.btn_generate)
        buttons.addWidget(self.btn_show)
        buttons.addWidget(self.btn_view_open)
        buttons.addStretch(1)
        self.reports_info = QLabel("")
        self.reports_info.setWordWrap(True)
        self.reports_info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # the buttons and what Generate wrote stay in view below the (scrolling) form
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addWidget(form_area, 1)
        lv.addLayout(buttons)
        lv.addWidget(self.reports_info)
        right = QWidget()
        self.preview_holder = QVBoxLayout(right)
        self.preview_holder.setContentsMargins(6, 0, 0, 0)
        self.preview_holder.addStretch(1)  # until there is a preview
        self._preview_doc: Any = None  # the preview's QPdfDocument, read from memory
        self.preview: Any = None  # the PdfPreview showing it
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self._form_area, self._form_box = form_area, formbox
        self._split = False  # the form's width set, once the page is first shown
        page = QVBoxLayout(self)
        page.addWidget(self.splitter)
        controller.demo_written.connect(lambda files: self.out_dir.setText(str(files.folder)))
        controller.analysed.connect(self._show_study)
        controller.reports_starting.connect(self._starting)
        controller.reports_written.connect(self._show_written)
        controller.job_cancelled.connect(lambda: self._not_written("cancelled"))
        controller.failed.connect(lambda *_: self._not_written("failed"))
        controller.output_in_use.connect(lambda *_: self._not_written("failed"))
        controller.busy.connect(lambda _busy: self._update_generate())
        controller.stale_changed.connect(lambda _stale: self._update_generate())
        controller.discarded.connect(self._discarded)
        self._generating = False  # a Generate is running: its end is this page's news

    def showEvent(self, event: Any) -> None:
        """First shown: the form as wide as it wants, up to half the page, the preview the rest;
        the user may move the handle after."""
        super().showEvent(event)
        if not self._split:
            self._split = True
            total = sum(self.splitter.sizes())
            form = self._form_box.sizeHint().width() + 20  # and its scroll bar
            # no more than half the page if the preview would be narrower than the form
            form = min(form, max(total // 2, total - form), total - 200)
            form = max(form, self._form_area.minimumWidth())
            self.splitter.setSizes([form, total - form])

    def _update_generate(self) -> None:
        """Generate only while no job runs and the results are from the inputs chosen."""
        c = self.controller
        self.btn_generate.setEnabled(c.job is None and not c.session.stale)

    def _starting(self) -> None:
        """A Generate starts: the previous run's paths and preview are not this run's."""
        self._generating = True
        self._release_preview()
        self.btn_show.setEnabled(False)
        self.btn_view_open.setEnabled(False)
        self.reports_info.setText("Generating the reports...")

    def _not_written(self, how: str) -> None:
        if self._generating and self.controller.job is None:  # (not a refusal meanwhile)
            self._generating = False
            self.reports_info.setText(
                f"Generation {how}: no report was written in this run "
                "(files written earlier were left as they were)."
            )

    def _discarded(self) -> None:
        self._generating = False
        self._release_preview()
        self.btn_show.setEnabled(False)
        self.btn_view_open.setEnabled(False)
        self.reports_info.setText("")

    def _build_form(self) -> QFormLayout:
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)  # narrow: label above
        self.chk_open = QCheckBox("Open report")
        self.chk_open.setChecked(True)
        self.chk_closed = QCheckBox("Closed report (needs the key)")
        self.report_date = QDateEdit(QDate.currentDate())
        self.report_date.setDisplayFormat("yyyy-MM-dd")
        self.report_date.setAccessibleName("Report date")
        self.meeting_date = QDateEdit(QDate.currentDate())
        self.meeting_date.setDisplayFormat("yyyy-MM-dd")
        self.meeting_date.setAccessibleName("DMC meeting date")
        self.password1 = QLineEdit()
        self.password1.setEchoMode(QLineEdit.EchoMode.Password)
        self.password1.setAccessibleName("Closed report password")
        self.password1.setPlaceholderText("at least 8 characters")
        self.password2 = QLineEdit()
        self.password2.setEchoMode(QLineEdit.EchoMode.Password)
        self.password2.setAccessibleName("Closed report password again")
        self.recipient = QLineEdit()
        self.recipient.setAccessibleName("Recipient")
        self.prepared_by = QLineEdit()
        self.prepared_by.setAccessibleName("Prepared by")
        self.prepared_by.setPlaceholderText("the independent statistician (title pages)")
        self.distribution = QLineEdit()
        self.distribution.setAccessibleName("Distribution")
        self.distribution.setPlaceholderText("names separated by ; (title pages)")
        self.chk_final = QCheckBox("Final analysis (spends all remaining alpha)")
        self.chk_final.setToolTip("The last look: spends all the remaining alpha.")
        self.chk_final.setAccessibleName("Final analysis")
        self.final_hint = QLabel("")
        self.final_hint.setWordWrap(True)
        self.out_dir = QLineEdit(str(Path.home()))
        self.out_dir.setAccessibleName("Output folder")
        pick = QPushButton("Browse...")
        pick.clicked.connect(self.choose_out_dir)
        orow = QHBoxLayout()
        orow.addWidget(self.out_dir, 1)
        orow.addWidget(pick)
        self.previous_edit = QLineEdit()
        self.previous_edit.setPlaceholderText("optional: the previous report's results (.json)")
        self.previous_edit.setAccessibleName("Previous results file")
        self.previous_edit.setToolTip(
            "The results file saved with the previous report. The open report's synopsis then "
            "shows what changed since that report's data cutoff."
        )
        pick_previous = QPushButton("Browse...")
        pick_previous.clicked.connect(self.choose_previous)
        prow = QHBoxLayout()
        prow.addWidget(self.previous_edit, 1)
        prow.addWidget(pick_previous)
        self.chk_save_results = QCheckBox("Save the pooled results (for the next report)")
        self.chk_save_results.setToolTip(
            "Save the pooled results beside the open report, for the next report's comparison."
        )
        self.chk_save_results.setChecked(True)
        which = QHBoxLayout()
        which.addWidget(self.chk_open)
        which.addWidget(self.chk_closed)
        which.addStretch(1)
        form.addRow("Reports", which)
        form.addRow("Report date", self.report_date)
        form.addRow("Meeting date", self.meeting_date)
        form.addRow("Closed report password", self.password1)
        form.addRow("Password again", self.password2)
        form.addRow("Recipient (optional)", self.recipient)
        form.addRow("Prepared by", self.prepared_by)
        form.addRow("Distribution", self.distribution)
        form.addRow("Analysis", self.chk_final)
        form.addRow("", self.final_hint)
        form.addRow("Output folder", orow)
        form.addRow("Previous results", prow)
        form.addRow("", self.chk_save_results)
        return form

    def choose_previous(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Previous results", self.out_dir.text(), "Results (*.json)"
        )
        if path:
            self.previous_edit.setText(path)

    def choose_out_dir(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Output folder", self.out_dir.text())
        if path:
            self.out_dir.setText(path)

    def generate(self) -> None:
        """Ask the controller for the reports as this page's fields say."""
        from dmc_report.domain.settings import ReportSettings

        if self.chk_closed.isChecked() and not self._closed_confirmed():
            self.reports_info.setText("Not generated: the closed report was not confirmed.")
            return

        previous = Path(self.previous_edit.text()) if self.previous_edit.text().strip() else None
        settings = ReportSettings(
            report_date=pydate(self.report_date.date()),
            meeting_date=pydate(self.meeting_date.date()),
            recipient=self.recipient.text() or None,
            previous_results=previous,
            final=self.chk_final.isChecked(),
            prepared_by=self.prepared_by.text().strip() or None,
            distribution=tuple(n.strip() for n in self.distribution.text().split(";") if n.strip()),
        )
        self.controller.write_reports(
            ReportRequest(
                open_report=self.chk_open.isChecked(),
                closed_report=self.chk_closed.isChecked(),
                password=self.password1.text(),
                password_again=self.password2.text(),
                folder=Path(self.out_dir.text()),
                pooled_results=self.chk_save_results.isChecked(),
                settings=settings,
            )
        )

    def _closed_confirmed(self) -> bool:
        """The closed report is by arm: asked once per run (or confirmed with the view)."""
        c = self.controller
        if c.closed_confirmed or c.session.results is None or c.session.stale or c.job:
            return True  # nothing will be written now, and the controller says why
        answer = QMessageBox.question(
            self,
            "Generate the closed report?",
            "The closed report shows results BY TREATMENT ARM. Continue only if you are the "
            "unblinded statistician. (Asked once while the app runs.)",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        c.closed_confirmed = answer == QMessageBox.StandardButton.Yes
        return c.closed_confirmed

    def _show_study(self) -> None:
        """A study was loaded: the closed report is offered when it has a key."""
        from dmc_report.pipeline import suggests_final

        s = self.controller.session
        has_key = s.loaded.key is not None
        self.chk_closed.setEnabled(has_key)
        self.chk_closed.setChecked(has_key)
        # the tool suggests the final analysis (dmc-sap.md); the statistician decides
        why = suggests_final(s.loaded, s.results) if s.results is not None else None
        self.chk_final.setChecked(why is not None)
        self.final_hint.setText(f"Suggested: {why}." if why else "")

    def _show_written(self, written: Any) -> None:
        self._generating = False
        self.reports_info.setText(
            f"Open report: {written.open}"
            + (f"<br>Closed report (encrypted): {written.closed}" if written.closed else "")
            + (
                f"<br>Pooled results (for the next report): {written.pooled_results}"
                if written.pooled_results
                else ""
            )
        )
        self.btn_show.setEnabled(True)
        self.btn_view_open.setEnabled(True)
        self._preview(written.open)

    def _preview(self, path: Path) -> None:
        """In-app preview with QtPdf where this Qt build has it; otherwise the system viewer.

        The document is read once into memory and rendered from there: the preview never holds
        the report file open, so Windows lets the next Generate replace it, and another program
        may move or delete it."""
        try:
            from PySide6.QtCore import QBuffer, QByteArray, QIODevice
            from PySide6.QtPdf import QPdfDocument

            from dmc_report.gui.preview import PdfPreview
        except ImportError:
            return
        self._release_preview(placeholder=False)
        try:
            content = Path(path).read_bytes()
        except OSError:  # moved or deleted meanwhile: no preview, the report is still written
            return
        doc = QPdfDocument(self)
        buffer = QBuffer(doc)  # lives as long as the document that reads from it
        buffer.setData(QByteArray(content))
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        doc.load(buffer)
        self._preview_doc = doc
        self.preview = PdfPreview(doc)
        self.preview_holder.addWidget(self.preview)

    def _release_preview(self, placeholder: bool = True) -> None:
        """Remove the preview and close its document (before a Generate, or a new preview)."""
        from dmc_report.gui.preview import PdfPreview

        while self.preview_holder.count():
            item = self.preview_holder.takeAt(0)
            w = item.widget() if item is not None else None
            if isinstance(w, PdfPreview):
                w.release()  # before its document is closed
            if w is not None:
                w.deleteLater()
        if placeholder:
            self.preview_holder.addStretch(1)
        doc, self._preview_doc, self.preview = self._preview_doc, None, None
        if doc is not None:
            doc.close()
            doc.deleteLater()

    def show_in_folder(self) -> None:
        path = self.controller.session.reports.get("open")
        if path:
            self._open(Path(path).parent, "No file manager could show the folder")

    def _open_file(self, path: Path | None) -> None:
        if path:
            self._open(Path(path), "No program could open the report")

    def _open(self, path: Path, cause: str) -> None:
        """Hand ``path`` to the desktop; say so when nothing there takes it."""
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
            self.controller.failed.emit(
                f"{cause}. Open it from your file manager: it is at {path}.", str(path), ""
            )
