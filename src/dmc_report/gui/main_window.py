"""The main window: Study -> Data -> Validation -> Summaries -> Reports.

The window is the chrome around the five pages (gui/pages/): the menus, the list of steps, the
pages' stack, the progress bar and status bar, the dialogs, and the settings it remembers. The
study and its background jobs belong to the controller (gui/controller.py); the window wires the
controller's signals to the status bar and dialogs, and the pages wire themselves to it. Heavy
libraries load on first use, not at start-up.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt, QThreadPool, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from dmc_report.gui import demos, shortcuts
from dmc_report.gui.about import resource_icon
from dmc_report.gui.colours import ALERT, STALE, ColourBar
from dmc_report.gui.controller import Controller
from dmc_report.gui.editor import menu as editor_menu
from dmc_report.gui.memory import RecentStudies
from dmc_report.gui.pages import DataPage, ReportsPage, StudyPage, SummariesPage, ValidationPage
from dmc_report.gui.screen import place, scrolled
from dmc_report.gui.steps import StepMarks

STEPS = ["1  Study", "2  Data", "3  Validation", "4  Summaries", "5  Reports"]
ORG, APP = "dmc-report", "dmc-report"


class _Forwarded:
    """An attribute of a page or of the controller, reachable from the window under the name it
    had before the pages were split out: the tests, app.py's self-test, bench/bench_gui.py and
    docs/make_screenshots.py drive the app through these names."""

    def __init__(self, part: str, name: str | None = None) -> None:
        self.part, self.name = part, name

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = self.name or name

    def __get__(self, window: Any, owner: type | None = None) -> Any:
        if window is None:
            return self
        return getattr(getattr(window, self.part), str(self.name))


class MainWindow(QMainWindow):
    job_started = Signal()
    study_loaded = Signal()
    reports_written = Signal()
    error_shown = Signal(str)

    session = _Forwarded("controller")
    job = _Forwarded("controller")
    images = _Forwarded("controller")
    set_protocol = _Forwarded("controller")
    open_demo = _Forwarded("controller")
    btn_protocol = _Forwarded("study_page")
    btn_demo = _Forwarded("study_page")
    data_edit = _Forwarded("data_page")
    key_edit = _Forwarded("data_page")
    btn_load = _Forwarded("data_page")
    load_data = _Forwarded("data_page", "load")
    findings_model = _Forwarded("validation_page")
    findings_view = _Forwarded("validation_page")
    compliance_model = _Forwarded("validation_page")
    severity_box = _Forwarded("validation_page")
    filter_edit = _Forwarded("validation_page")
    summary_tabs = _Forwarded("summaries_page")
    blinded_area = _Forwarded("summaries_page")
    unblinded_area = _Forwarded("summaries_page")
    btn_unblind = _Forwarded("summaries_page")
    confirm_unblinded = _Forwarded("summaries_page")
    chk_closed = _Forwarded("reports_page")
    password1 = _Forwarded("reports_page")
    password2 = _Forwarded("reports_page")
    out_dir = _Forwarded("reports_page")
    previous_edit = _Forwarded("reports_page")
    btn_generate = _Forwarded("reports_page")
    chk_final = _Forwarded("reports_page")
    preview_holder = _Forwarded("reports_page")
    _preview_doc = _Forwarded("reports_page")
    generate_reports = _Forwarded("reports_page", "generate")

    def __init__(self, demo_folder: Path | None = None) -> None:
        super().__init__()
        self.controller = Controller(demo_folder, parent=self)
        self.settings = QSettings(ORG, APP)
        self.setWindowTitle("dmc-report")
        self.setWindowIcon(resource_icon())
        self.setAcceptDrops(True)
        self._build_menus()
        self._build_pages()
        self._wire()
        self.study_id = ""  # the protocol's, once one is read
        self.recent = RecentStudies(self)  # after the pages: fills their fields
        self.marks = StepMarks(self, STEPS)
        self.keys = shortcuts.install(self, STEPS)  # Ctrl+1..5, Ctrl+G, Ctrl+E, F1
        self.statusBar().showMessage("No study loaded")
        place(self, self.settings.value("geometry"))  # on this screen, never larger than it

    # --- layout ----------------------------------------------------------------------------
    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.act_open = QAction("&Open protocol...", self)
        self.act_open.setShortcut(QKeySequence.StandardKey.Open)
        self.act_open.triggered.connect(self.choose_protocol)
        self.act_demo = QAction("Open &demo study", self)
        self.act_demo.setShortcut(QKeySequence("Ctrl+D"))
        self.act_demo.triggered.connect(self.controller.open_demo)
        self.recent_menu = file_menu.addMenu("Recent studies")
        self.act_quit = QAction("&Quit", self)
        self.act_quit.setShortcut(QKeySequence.StandardKey.Quit)
        self.act_quit.triggered.connect(self.close)
        editor_menu.install(self, file_menu)  # New study..., Edit protocol...
        file_menu.addAction(self.act_open)
        file_menu.addAction(self.act_demo)
        file_menu.addSeparator()
        file_menu.addAction(self.act_quit)
        view_menu = self.menuBar().addMenu("&View")
        self.act_hide_unblinded = QAction("&Hide unblinded view", self)
        self.act_hide_unblinded.setShortcut(QKeySequence("Ctrl+Shift+H"))
        self.act_hide_unblinded.setEnabled(False)
        self.act_hide_unblinded.triggered.connect(self.controller.hide_unblinded)
        view_menu.addAction(self.act_hide_unblinded)
        self.act_history = QAction("Report &history...", self)
        self.act_history.triggered.connect(lambda: self.reports_page.show_history())
        view_menu.addAction(self.act_history)
        help_menu = self.menuBar().addMenu("&Help")
        about = QAction("&About dmc-report", self)
        about.triggered.connect(self.show_about)
        help_menu.addAction(about)

    def _build_pages(self) -> None:
        self.steps = QListWidget()
        self.steps.addItems(STEPS)
        self.steps.setFixedWidth(150)
        self.steps.setAccessibleName("Workflow steps")
        c = self.controller
        self.study_page = StudyPage(c, self._last_dir)
        self.data_page = DataPage(c, self._last_dir)
        self.validation_page = ValidationPage(c, self._last_dir)
        self.summaries_page = SummariesPage(c)
        self.reports_page = ReportsPage(c)
        self.stack = QStackedWidget()
        for page in (
            self.study_page,
            self.data_page,
            self.validation_page,
            self.summaries_page,
            self.reports_page,
        ):
            self.stack.addWidget(scrolled(page))  # scrolls on a screen shorter than the page
        self.steps.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.steps.setCurrentRow(0)
        body = QWidget()
        lay = QHBoxLayout(body)
        lay.addWidget(self.steps)
        lay.addWidget(self.stack, 1)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setVisible(False)
        self.progress_label = QLabel("")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAccessibleName("Cancel the running job")
        self.cancel_button.clicked.connect(self.cancel_job)
        self.cancel_button.setVisible(False)
        bar = QHBoxLayout()
        bar.addWidget(self.progress_label, 1)
        bar.addWidget(self.progress, 2)
        bar.addWidget(self.cancel_button)
        # states that must not be missed, across the top of every page until they end
        self.unblinded_bar = ColourBar(ALERT, ("Hide unblinded view",))
        self.unblinded_bar.set_text(
            "UNBLINDED view open: results by treatment arm are on screen. DMC closed session only."
        )
        self.unblinded_bar.button("Hide unblinded view").clicked.connect(
            self.controller.hide_unblinded
        )
        self.stale_bar = ColourBar(STALE, ("Reload", "Discard"))
        self.stale_bar.set_text(
            "The results are from the previous data: reload or discard. "
            "No report is written from them."
        )
        self.stale_bar.button("Reload").clicked.connect(lambda: self.load_data())
        self.stale_bar.button("Discard").clicked.connect(self.controller.discard)
        outer = QWidget()
        v = QVBoxLayout(outer)
        v.addWidget(self.unblinded_bar)
        v.addWidget(self.stale_bar)
        v.addWidget(body, 1)
        v.addLayout(bar)
        self.setCentralWidget(outer)
        self._set_steps_enabled(False)

    def _wire(self) -> None:
        """The controller's news to the window (after the pages, which connected first)."""
        c = self.controller
        c.protocol_read.connect(self._protocol_read)
        c.demo_written.connect(lambda _files: self.load_data())
        c.analysed.connect(self._analysed)
        c.unblinded_opened.connect(lambda: self._show_unblinded(True))
        c.unblinded_hidden.connect(lambda: self._show_unblinded(False))
        c.stale_changed.connect(self.stale_bar.setVisible)
        c.discarded.connect(self._discarded)
        c.password_refused.connect(self._password_refused)
        c.replace_asked.connect(self._confirm_replace)
        c.reports_written.connect(lambda _written: self.reports_written.emit())
        c.findings_exported.connect(
            lambda path: self.statusBar().showMessage(f"Findings written to {path}", 8000)
        )
        c.busy.connect(self._set_busy)
        c.job_started.connect(self._job_started)
        c.job_progress.connect(self._on_progress)
        c.job_cancelled.connect(
            lambda: self.statusBar().showMessage("Cancelled: nothing was written", 8000)
        )
        c.failed.connect(self.show_error)
        c.password_needed.connect(self._ask_password)
        c.output_in_use.connect(self._offer_retry)

    def _set_steps_enabled(self, loaded: bool) -> None:
        for i in range(2, 5):
            item = self.steps.item(i)
            flags = item.flags()
            item.setFlags(
                flags | Qt.ItemFlag.ItemIsEnabled if loaded else flags & ~Qt.ItemFlag.ItemIsEnabled
            )

    # --- the controller's news ---------------------------------------------------------------
    def choose_protocol(self) -> None:
        self.study_page.choose_protocol()

    def _protocol_read(self, path: Path, protocol: Any) -> None:
        self.settings.setValue("last_dir", str(path.parent))
        self.study_id = protocol.study.id
        self.statusBar().showMessage(f"Study {protocol.study.id}: choose the data")

    def _analysed(self) -> None:
        self._set_steps_enabled(True)
        self._show_status()
        self.steps.setCurrentRow(2)
        self.study_loaded.emit()

    def _show_status(self) -> None:
        line = self.controller.status_line()
        if line is not None:
            self.statusBar().showMessage(line)

    def _show_unblinded(self, shown: bool) -> None:
        self.unblinded_bar.setVisible(shown)
        self.act_hide_unblinded.setEnabled(shown)
        self._show_status()

    def _discarded(self) -> None:
        self._set_steps_enabled(False)
        self.steps.setCurrentRow(1)
        self.statusBar().showMessage("Results discarded: read the data to see results again")

    def _confirm_replace(self, existing: list[Path], request: Any) -> None:
        """Generate would replace reports written before: named, and replaced only if agreed."""
        names = "\n".join(p.name for p in existing)
        answer = QMessageBox.question(
            self,
            "Replace the existing files?",
            f"These files already exist in {existing[0].parent}:\n\n{names}\n\n"
            "Replace them with the reports of this run?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.controller.write_reports(request, replace=True)
        else:
            self.statusBar().showMessage("Not generated: the existing files were kept", 8000)

    def _set_busy(self, busy: bool) -> None:
        if busy:
            self.progress.setValue(0)
        else:
            self.progress_label.setText("")
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)

    def _job_started(self, label: str) -> None:
        self.progress_label.setText(label)
        self.job_started.emit()

    def _on_progress(self, fraction: float, message: str) -> None:
        # never backwards within a job (its stages report their own fractions)
        value = int(1000 * max(0.0, min(1.0, fraction)))
        self.progress.setValue(max(value, self.progress.value()))
        self.progress_label.setText(message)

    def cancel_job(self) -> None:
        if self.controller.cancel():
            self.progress_label.setText("Cancelling...")

    def _ask_password(self, which: str, reason: str) -> None:
        what = "previous closed report" if which == "previous closed" else f"{which} workbook"
        text, ok = QInputDialog.getText(
            self, f"Password of the {what}", reason, QLineEdit.EchoMode.Password
        )
        if ok and text:
            self.controller.set_password(which, text)
            if which == "previous closed":
                self.controller.retry_reports()
            else:
                self.load_data()
        else:
            self.controller.password_not_given(which)

    def _password_refused(self, which: str) -> None:
        self.statusBar().showMessage(
            f"The {which} workbook was not read: no password was given. "
            "Read the data again to enter it."
        )

    def _offer_retry(self, message: str, where: str) -> None:
        """Another program (a viewer, Excel) holds an output open: close it, then Retry."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("dmc-report")
        box.setText(message)
        box.setInformativeText(f"Where: {where}")
        box.setStandardButtons(QMessageBox.StandardButton.Retry | QMessageBox.StandardButton.Cancel)
        if box.exec() == QMessageBox.StandardButton.Retry:
            self.controller.retry()

    def show_error(self, cause: str, where: str, details: str = "") -> None:
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("dmc-report")
        box.setText(cause)
        if where:
            box.setInformativeText(f"Where: {where}")
        if details:
            box.setDetailedText(details)
        self.error_shown.emit(cause)
        box.open()
        self._last_error_box = box

    # --- settings ----------------------------------------------------------------------------
    def _last_dir(self) -> str:
        return str(self.settings.value("last_dir", str(Path.home())))

    # --- the rest of the chrome --------------------------------------------------------------
    def show_about(self) -> None:
        """Version, and every bundled component with its licence (read from the packages)."""
        from dmc_report.gui.about import about_dialog

        self._about = about_dialog(self)  # reachable from tests
        self._about.open()

    def dragEnterEvent(self, event: Any) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: Any) -> None:
        for url in event.mimeData().urls():
            p = Path(url.toLocalFile())
            if p.suffix.lower() == ".toml":
                self.controller.set_protocol(p)
            elif p.suffix.lower() == ".xlsx":
                self.data_page.take_workbook(p)
                self.steps.setCurrentRow(1)

    def closeEvent(self, event: Any) -> None:
        self.settings.setValue("geometry", self.saveGeometry())
        job = self.controller.job
        if job is not None:  # cancel it, and wait for its thread (and its child) to stop
            for name in ("progress", "finished", "failed", "cancelled"):
                getattr(job.signals, name).disconnect()  # nothing is left to receive them
            job.cancel()
            QThreadPool.globalInstance().waitForDone(15_000)
        demos.clean_up(self)  # the demo folders written in the temporary directory
        super().closeEvent(event)
