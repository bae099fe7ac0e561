"""Step 5, Reports: the OPEN report (pooled) and the CLOSED report (by arm, encrypted), written
by the controller; the open report previewed here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QDateEdit,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from dmc_report.gui.controller import Controller, ReportRequest
from dmc_report.gui.pages.common import pydate


class ReportsPage(QWidget):
    def __init__(self, controller: Controller) -> None:
        super().__init__()
        self.controller = controller
        v = QVBoxLayout(self)
        v.addWidget(
            QLabel(
                "<h2>Reports</h2>The OPEN report (pooled) and the CLOSED report (by arm, encrypted)."
            )
        )
        v.addLayout(self._build_form())
        buttons = QHBoxLayout()
        self.btn_generate = QPushButton("Generate")
        self.btn_generate.setAccessibleName("Generate reports")
        self.btn_generate.clicked.connect(self.generate)
        self.btn_show = QPushButton("Show in folder")
        self.btn_show.setEnabled(False)
        self.btn_show.clicked.connect(self.show_in_folder)
        self.btn_view_open = QPushButton("Open the open report")
        self.btn_view_open.setEnabled(False)
        self.btn_view_open.clicked.connect(
            lambda: self._open_file(self.controller.session.reports.get("open"))
        )
        buttons.addWidget(self.btn_generate)
        buttons.addWidget(self.btn_show)
        buttons.addWidget(self.btn_view_open)
        buttons.addStretch(1)
        v.addLayout(buttons)
        self.reports_info = QLabel("")
        self.reports_info.setWordWrap(True)
        v.addWidget(self.reports_info)
        self.preview_holder = QVBoxLayout()
        self.preview_holder.addStretch(1)  # until there is a preview: keeps the page top-aligned
        self._preview_doc: Any = None  # the preview's QPdfDocument, read from memory
        v.addLayout(self.preview_holder, 1)  # the preview takes the rest of the page
        controller.demo_written.connect(lambda files: self.out_dir.setText(str(files.folder)))
        controller.analysed.connect(self._show_study)
        controller.reports_starting.connect(self._release_preview)
        controller.reports_written.connect(self._show_written)
        controller.busy.connect(lambda busy: self.btn_generate.setEnabled(not busy))

    def _build_form(self) -> QFormLayout:
        form = QFormLayout()
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
        self.chk_final = QCheckBox("Final analysis (the last look: spends all remaining alpha)")
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
        self.chk_save_results = QCheckBox(
            "Save the pooled results beside the open report (for the next report's comparison)"
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
            from PySide6.QtPdfWidgets import QPdfView
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
        view = QPdfView()
        view.setAccessibleName("Preview of the open report")
        view.setPageMode(QPdfView.PageMode.MultiPage)
        view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        view.setDocument(doc)
        self.preview_holder.addWidget(view)

    def _release_preview(self, placeholder: bool = True) -> None:
        """Remove the preview and close its document (before a Generate, or a new preview)."""
        while self.preview_holder.count():
            item = self.preview_holder.takeAt(0)
            w = item.widget() if item is not None else None
            if w is not None:
                w.deleteLater()
        if placeholder:
            self.preview_holder.addStretch(1)
        doc, self._preview_doc = self._preview_doc, None
        if doc is not None:
            doc.close()
            doc.deleteLater()

    def show_in_folder(self) -> None:
        path = self.controller.session.reports.get("open")
        if path:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(path).parent)))

    def _open_file(self, path: Path | None) -> None:
        if path:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
