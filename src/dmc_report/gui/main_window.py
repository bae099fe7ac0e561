"""The main window: Study -> Data -> Validation -> Summaries -> Reports.

Every computation runs in a background job calling the same pipeline functions as the command
line; the GUI thread only updates widgets. Heavy libraries load on first use, not at start-up.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, QSettings, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from dmc_report import __version__
from dmc_report.gui.colours import AlertLabel
from dmc_report.gui.figures import image_label
from dmc_report.gui.models import FindingsTableModel, RowsTableModel
from dmc_report.gui.workers import Job, start

STEPS = ["1  Study", "2  Data", "3  Validation", "4  Summaries", "5  Reports"]
ORG, APP = "dmc-report", "dmc-report"


@dataclass
class Session:
    protocol: Path | None = None
    data: Path | None = None
    key: Path | None = None
    data_password: str | None = None
    key_password: str | None = None
    cutoff: dt.date | None = None
    loaded: Any = None
    validation: Any = None
    results: Any = None
    open_data: Any = None
    unblinded_confirmed: bool = False
    reports: dict[str, Path] = field(default_factory=dict)


def _resource_icon() -> QIcon:
    from importlib import resources

    icons = resources.files("dmc_report._resources").joinpath("icons")
    icon = QIcon()
    # every size drawn from the SVG by packaging/make_icons.py (sharp at any scale, and no need
    # for Qt's SVG image plugin in the bundle); the SVG itself as the fallback
    for size in (16, 32, 48, 64, 128, 256, 512):
        ref = icons.joinpath(f"dmc-report-{size}.png")
        if ref.is_file():
            icon.addFile(str(ref))
    if icon.isNull() and icons.joinpath("dmc-report.svg").is_file():
        icon.addFile(str(icons.joinpath("dmc-report.svg")))
    return icon


def _table(model: Any, stretch_last: bool = True) -> QTableView:
    view = QTableView()
    view.setModel(model)
    # no sort column before sorting is enabled: enabling it sorts at once by the indicator,
    # which Qt starts at the first column, descending (looks 3, 2, 1; arms in reverse)
    view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # the given order
    view.setSortingEnabled(True)
    view.setAlternatingRowColors(True)
    view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    view.verticalHeader().setVisible(False)
    view.horizontalHeader().setStretchLastSection(stretch_last)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    view.horizontalHeader().setResizeContentsPrecision(60)  # size columns from a sample of rows
    view.resizeColumnsToContents()
    return view


class MainWindow(QMainWindow):
    job_started = Signal()
    study_loaded = Signal()
    reports_written = Signal()
    error_shown = Signal(str)

    def __init__(self, demo_folder: Path | None = None) -> None:
        super().__init__()
        self.session = Session()
        self.demo_folder = demo_folder
        self.job: Job | None = None
        self._last_job: tuple[Any, Any, str] | None = None  # what "Retry" runs again
        self.settings = QSettings(ORG, APP)
        self.setWindowTitle("dmc-report")
        self.setWindowIcon(_resource_icon())
        self.setAcceptDrops(True)
        self._build_menus()
        self._build_pages()
        self.statusBar().showMessage("No study loaded")
        geometry = self.settings.value("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1180, 780)

    # --- layout ----------------------------------------------------------------------------
    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.act_open = QAction("&Open protocol...", self)
        self.act_open.setShortcut(QKeySequence.StandardKey.Open)
        self.act_open.triggered.connect(self.choose_protocol)
        self.act_demo = QAction("Open &demo study", self)
        self.act_demo.setShortcut(QKeySequence("Ctrl+D"))
        self.act_demo.triggered.connect(self.open_demo)
        self.recent_menu = file_menu.addMenu("Recent studies")
        self.act_quit = QAction("&Quit", self)
        self.act_quit.setShortcut(QKeySequence.StandardKey.Quit)
        self.act_quit.triggered.connect(self.close)
        file_menu.addAction(self.act_open)
        file_menu.addAction(self.act_demo)
        file_menu.addSeparator()
        file_menu.addAction(self.act_quit)
        help_menu = self.menuBar().addMenu("&Help")
        about = QAction("&About dmc-report", self)
        about.triggered.connect(self.show_about)
        help_menu.addAction(about)
        self._refresh_recent()

    def _build_pages(self) -> None:
        self.steps = QListWidget()
        self.steps.addItems(STEPS)
        self.steps.setFixedWidth(170)
        self.steps.setAccessibleName("Workflow steps")
        self.stack = QStackedWidget()
        self.stack.addWidget(self._study_page())
        self.stack.addWidget(self._data_page())
        self.stack.addWidget(self._validation_page())
        self.stack.addWidget(self._summaries_page())
        self.stack.addWidget(self._reports_page())
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
        outer = QWidget()
        v = QVBoxLayout(outer)
        v.addWidget(body, 1)
        v.addLayout(bar)
        self.setCentralWidget(outer)
        self._set_steps_enabled(False)

    def _set_steps_enabled(self, loaded: bool) -> None:
        for i in range(2, 5):
            item = self.steps.item(i)
            flags = item.flags()
            item.setFlags(
                flags | Qt.ItemFlag.ItemIsEnabled if loaded else flags & ~Qt.ItemFlag.ItemIsEnabled
            )

    def _study_page(self) -> QWidget:
        page = QWidget()
        v = QVBoxLayout(page)
        title = QLabel("<h2>Study</h2>Open the study's protocol file, or the demo study.")
        self.btn_protocol = QPushButton("Open protocol file...")
        self.btn_protocol.setAccessibleName("Open protocol file")
        self.btn_protocol.clicked.connect(self.choose_protocol)
        self.btn_demo = QPushButton("Open demo study")
        self.btn_demo.setAccessibleName("Open demo study")
        self.btn_demo.clicked.connect(self.open_demo)
        row = QHBoxLayout()
        row.addWidget(self.btn_protocol)
        row.addWidget(self.btn_demo)
        row.addStretch(1)
        self.study_info = QLabel("No protocol loaded.")
        self.study_info.setWordWrap(True)
        self.schedule_model = RowsTableModel(
            ["Visit", "Label", "Day", "Window", "Phase", "Assessments"]
        )
        v.addWidget(title)
        v.addLayout(row)
        v.addWidget(self.study_info)
        v.addWidget(_table(self.schedule_model), 1)
        return page

    def _data_page(self) -> QWidget:
        page = QWidget()
        v = QVBoxLayout(page)
        v.addWidget(
            QLabel(
                "<h2>Data</h2>The EDC export and, for the closed report only, the randomization key."
            )
        )
        form = QFormLayout()
        self.data_edit = QLineEdit()
        self.data_edit.setAccessibleName("Data workbook")
        self.key_edit = QLineEdit()
        self.key_edit.setAccessibleName("Key workbook")
        for edit, label, slot in (
            (self.data_edit, "Data workbook (xlsx)", self.choose_data),
            (self.key_edit, "Key workbook (optional)", self.choose_key),
        ):
            row = QHBoxLayout()
            row.addWidget(edit, 1)
            b = QPushButton("Browse...")
            b.setAccessibleName(f"Browse for {label}")
            b.clicked.connect(slot)
            row.addWidget(b)
            form.addRow(label, row)
        self.cutoff_edit = QDateEdit()
        self.cutoff_edit.setCalendarPopup(True)
        self.cutoff_edit.setDisplayFormat("yyyy-MM-dd")
        self.cutoff_edit.setAccessibleName("Data cutoff")
        self.cutoff_default = QCheckBox("Latest date in the data")
        self.cutoff_default.setChecked(True)
        self.cutoff_default.toggled.connect(lambda on: self.cutoff_edit.setEnabled(not on))
        self.cutoff_edit.setEnabled(False)
        crow = QHBoxLayout()
        crow.addWidget(self.cutoff_edit)
        crow.addWidget(self.cutoff_default)
        crow.addStretch(1)
        form.addRow("Data cutoff", crow)
        v.addLayout(form)
        self.btn_load = QPushButton("Read and check the data")
        self.btn_load.setAccessibleName("Read and check the data")
        self.btn_load.clicked.connect(self.load_data)
        v.addWidget(self.btn_load, 0, Qt.AlignmentFlag.AlignLeft)
        self.data_info = QLabel("")
        self.data_info.setWordWrap(True)
        v.addWidget(self.data_info)
        v.addStretch(1)
        return page

    def _validation_page(self) -> QWidget:
        page = QWidget()
        v = QVBoxLayout(page)
        v.addWidget(
            QLabel("<h2>Validation</h2>Every finding with its sheet, Excel row and column.")
        )
        self.validation_counts = QLabel("")
        v.addWidget(self.validation_counts)
        filters = QHBoxLayout()
        self.severity_box = QComboBox()
        self.severity_box.addItems(["All", "Error", "Warning", "Info"])
        self.severity_box.setAccessibleName("Filter by severity")
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter by code, sheet, subject or visit")
        self.filter_edit.setAccessibleName("Filter findings")
        self.btn_export = QPushButton("Export findings...")
        self.btn_export.setAccessibleName("Export findings to a workbook")
        self.btn_export.clicked.connect(self.export_findings)
        filters.addWidget(QLabel("Severity"))
        filters.addWidget(self.severity_box)
        filters.addWidget(self.filter_edit, 1)
        filters.addWidget(self.btn_export)
        v.addLayout(filters)
        self.findings_model = FindingsTableModel()
        self.severity_box.currentTextChanged.connect(self.findings_model.set_severity)
        self.filter_edit.textChanged.connect(self.findings_model.set_text)
        self.findings_view = _table(self.findings_model)
        self.compliance_model = RowsTableModel(
            [
                "Visit",
                "Randomized",
                "Due",
                "In window",
                "Out of window",
                "Missed",
                "Not yet due",
                "Not expected",
            ]
        )
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.findings_view)
        box = QGroupBox("Visit compliance")
        bl = QVBoxLayout(box)
        self.compliance_view = _table(self.compliance_model)
        bl.addWidget(self.compliance_view)
        split.addWidget(box)
        v.addWidget(split, 1)
        return page

    def _summaries_page(self) -> QWidget:
        self.summary_tabs = QTabWidget()
        self.blinded_area = QScrollArea()
        self.blinded_area.setWidgetResizable(True)
        self.summary_tabs.addTab(self.blinded_area, "Blinded (pooled)")
        unblinded = QWidget()
        uv = QVBoxLayout(unblinded)
        self.unblinded_note = QLabel("Load a randomization key to see results by arm.")
        self.btn_unblind = QPushButton("Show unblinded results...")
        self.btn_unblind.setAccessibleName("Show unblinded results")
        self.btn_unblind.setEnabled(False)
        self.btn_unblind.clicked.connect(self.confirm_unblinded)
        self.unblinded_area = QScrollArea()
        self.unblinded_area.setWidgetResizable(True)
        uv.addWidget(self.unblinded_note)
        uv.addWidget(self.btn_unblind, 0, Qt.AlignmentFlag.AlignLeft)
        uv.addWidget(self.unblinded_area, 1)
        self.summary_tabs.addTab(unblinded, "Unblinded (by arm)")
        page = QWidget()
        v = QVBoxLayout(page)
        v.addWidget(QLabel("<h2>Summaries</h2>The numbers and figures of the reports."))
        v.addWidget(self.summary_tabs, 1)
        return page

    def _reports_page(self) -> QWidget:
        page = QWidget()
        v = QVBoxLayout(page)
        v.addWidget(
            QLabel(
                "<h2>Reports</h2>The OPEN report (pooled) and the CLOSED report (by arm, encrypted)."
            )
        )
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
        form.addRow("Output folder", orow)
        form.addRow("Previous results", prow)
        form.addRow("", self.chk_save_results)
        v.addLayout(form)
        buttons = QHBoxLayout()
        self.btn_generate = QPushButton("Generate")
        self.btn_generate.setAccessibleName("Generate reports")
        self.btn_generate.clicked.connect(self.generate_reports)
        self.btn_show = QPushButton("Show in folder")
        self.btn_show.setEnabled(False)
        self.btn_show.clicked.connect(self.show_in_folder)
        self.btn_view_open = QPushButton("Open the open report")
        self.btn_view_open.setEnabled(False)
        self.btn_view_open.clicked.connect(
            lambda: self._open_file(self.session.reports.get("open"))
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
        return page

    # --- actions -------------------------------------------------------------------------
    def choose_protocol(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Protocol file", self._last_dir(), "Protocol (*.toml)"
        )
        if path:
            self.set_protocol(Path(path))

    def choose_data(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Data workbook", self._last_dir(), "Excel workbook (*.xlsx)"
        )
        if path:
            self.data_edit.setText(path)

    def choose_key(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Key workbook", self._last_dir(), "Excel workbook (*.xlsx)"
        )
        if path:
            self.key_edit.setText(path)

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

    def _last_dir(self) -> str:
        return str(self.settings.value("last_dir", str(Path.home())))

    def set_protocol(self, path: Path) -> None:
        """Read the protocol (small, fast) and show its schedule."""
        from dmc_report.domain.errors import UnusableInputError
        from dmc_report.pipeline import read_protocol

        try:
            p = read_protocol(path)
        except UnusableInputError as exc:
            self.show_error(str(exc), "")
            return
        self.session.protocol = path
        self.settings.setValue("last_dir", str(path.parent))
        self.study_info.setText(
            f"<b>{p.study.id}</b> - {p.study.title}<br>{p.study.design}<br>Target enrollment {p.study.target_enrollment}."
        )
        self.schedule_model.set_rows(
            [
                [
                    v.code,
                    v.label,
                    v.day,
                    f"-{v.window_before}/+{v.window_after}",
                    v.phase,
                    ", ".join(v.assessments),
                ]
                for v in p.visits
            ]
        )
        self.statusBar().showMessage(f"Study {p.study.id}: choose the data")
        self._remember(path)

    def open_demo(self) -> None:
        folder = self.demo_folder or Path(tempfile.mkdtemp(prefix="dmc-demo-"))

        def work(progress: Any) -> Any:
            from dmc_report.pipeline import make_demo

            progress.update(0.1, "Writing the demo study")
            return make_demo(folder)

        self._run(work, self._demo_written, "Writing the demo study")

    def _demo_written(self, files: Any) -> None:
        from dmc_report.demo.writer import DEMO_PASSWORD

        self.set_protocol(files.protocol)
        self.data_edit.setText(str(files.data))
        self.key_edit.setText(str(files.key))
        self.session.key_password = DEMO_PASSWORD
        self.out_dir.setText(str(files.folder))
        self.load_data()

    def load_data(self) -> None:
        if self.session.protocol is None:
            self.show_error("Open a protocol file first.", "")
            return
        data = Path(self.data_edit.text()) if self.data_edit.text().strip() else None
        if data is None:
            self.show_error("Choose the data workbook.", "")
            return
        key = Path(self.key_edit.text()) if self.key_edit.text().strip() else None
        s = self.session
        s.data, s.key = data, key
        cutoff: dt.date | None = (
            None if self.cutoff_default.isChecked() else _pydate(self.cutoff_edit.date())
        )
        protocol = s.protocol
        assert protocol is not None
        scale = self.devicePixelRatioF()  # figures drawn for this screen: sharp at 150 %, Retina

        def work(progress: Any) -> Any:
            from dmc_report.pipeline import (
                load_study,
                run_analysis,
                run_validation,
                summary_data,
                summary_images,
            )

            loaded = load_study(
                protocol, data, key=key, data_password=s.data_password, key_password=s.key_password,
                cutoff=cutoff, progress=progress,
            )  # fmt: skip
            progress.update(0.6, "Validating")
            validation = run_validation(loaded)
            progress.update(0.8, "Analysing")
            results = run_analysis(loaded, validation)
            open_data = summary_data(loaded, validation, results)
            progress.update(0.9, "Drawing the figures")
            from dmc_report.isolated import call_in_child

            # matplotlib holds the interpreter lock while it draws: a child process draws
            images = call_in_child(
                summary_images, open_data, results, scale=scale, progress=progress
            )
            # the tables' rows and counts are made here too, so the GUI thread only shows them
            shown = {
                "scale": scale,
                "findings": FindingsTableModel.rows_for(validation.findings),
                # the data's findings: the key's go to the unblinded view only
                "counts": {
                    v: sum(1 for f in validation.findings if f.severity is _sev(v))
                    for v in ("error", "warning", "info")
                },
                "compliance": [
                    [r["VISIT"], r["randomized"], r["due"], r["in_window"], r["out_of_window"], r["missed"], r["not_yet_due"], r["not_expected"]]
                    for r in validation.compliance.to_dict("records")
                ],
            }  # fmt: skip
            return loaded, validation, results, open_data, images, shown

        self._run(work, self._loaded, "Reading, validating and analysing")

    def _loaded(self, value: Any) -> None:
        loaded, validation, results, open_data, images, shown = value
        self.images = images
        self.images_scale = float(shown.get("scale", 1.0))
        s = self.session
        s.loaded, s.validation, s.results, s.open_data = loaded, validation, results, open_data
        s.cutoff = loaded.cutoff
        s.unblinded_confirmed = False
        self.cutoff_edit.setDate(QDate(loaded.cutoff.year, loaded.cutoff.month, loaded.cutoff.day))
        rows = loaded.study.data.provenance.sheet_rows
        self.data_info.setText(
            f"Read {loaded.study.data.provenance.file}: "
            + ", ".join(f"{k} {n}" for k, n in rows.items())
            + (
                f". Key: {loaded.key.provenance.file}, {len(loaded.key.assignments)} subjects."
                if loaded.key
                else ". No key: blinded only."
            )
        )
        counts = shown["counts"]
        self.validation_counts.setText(
            f"<b>{counts['error']}</b> errors, <b>{counts['warning']}</b> warnings, "
            f"<b>{counts['info']}</b> info"
        )
        self.compliance_model.set_rows(shown["compliance"])
        self.compliance_view.resizeColumnsToContents()
        # the findings table and the summaries are filled on later turns of the event loop, so
        # that each turn of the GUI thread stays short even for a 20,000-subject study
        QTimer.singleShot(0, lambda: self._loaded_findings(shown["findings"]))

    def _loaded_findings(self, rows: list[list[Any]]) -> None:
        self.findings_model.set_rows(rows)
        self.findings_view.resizeColumnsToContents()
        QTimer.singleShot(0, self._loaded_summaries)

    def _loaded_summaries(self) -> None:
        self._show_blinded()
        loaded = self.session.loaded
        has_key = loaded.key is not None
        self.btn_unblind.setEnabled(has_key)
        self.chk_closed.setEnabled(has_key)
        self.chk_closed.setChecked(has_key)
        self.unblinded_note.setText(
            "Results by arm are hidden until you confirm."
            if has_key
            else "Load a randomization key to see results by arm."
        )
        self._clear(self.unblinded_area)
        self._set_steps_enabled(True)
        self._update_status()
        self.steps.setCurrentRow(2)
        self.study_loaded.emit()

    def _show_blinded(self) -> None:
        d = self.session.open_data
        b = d.blinded.payload
        box = QWidget()
        grid = QGridLayout(box)
        from dmc_report.presenters import blinded_facts

        facts = blinded_facts(b)
        for i, (k, val) in enumerate(facts):
            grid.addWidget(QLabel(k), i, 0)
            lab = QLabel(f"<b>{val}</b>")
            lab.setAccessibleName(k)
            grid.addWidget(lab, i, 1)
        row = len(facts)
        for name in ("enrollment", "relapse", "craving"):
            grid.addWidget(image_label(self.images[name], self.images_scale), row, 0, 1, 2)
            row += 1
        self.blinded_area.setWidget(box)

    def confirm_unblinded(self) -> None:
        answer = QMessageBox.question(
            self,
            "Show unblinded results?",
            "The next view shows results BY TREATMENT ARM. Continue only if you are the unblinded "
            "statistician and nobody else can see this screen.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.session.unblinded_confirmed = True
        self._show_unblinded()
        self._update_status()

    def _show_unblinded(self) -> None:
        from dmc_report import presenters

        u = self.session.results.unblinded.payload
        arm_rows = presenters.arm_rows(u)
        model = RowsTableModel(arm_rows.header, arm_rows.rows)
        box = QWidget()
        v = QVBoxLayout(box)
        # in the alert colour, readable on a light or a dark palette (gui/colours.py)
        banner = AlertLabel("UNBLINDED - by arm. DMC closed session only.")
        v.addWidget(banner)
        view = _table(model)
        view.setMinimumHeight(90)
        v.addWidget(view)
        for line in presenters.comparison_lines(u):  # each experimental arm vs the control
            v.addWidget(QLabel(line))
        shown = presenters.monitoring(u.get("monitoring"))
        if shown is not None:
            sentence, by_look = shown
            v.addWidget(QLabel(sentence))
            looks = RowsTableModel(by_look.header, by_look.rows)
            lv = _table(looks)
            lv.setMinimumHeight(110)
            v.addWidget(lv)
            if "monitoring" in self.images:
                v.addWidget(image_label(self.images["monitoring"], self.images_scale))
        key_findings = self.session.validation.key_findings if self.session.validation else ()
        v.addWidget(QLabel(f"Randomization key findings: {len(key_findings)}"))
        if key_findings:
            kv = _table(
                RowsTableModel(FindingsTableModel.HEADER, FindingsTableModel.rows_for(key_findings))
            )
            kv.setMinimumHeight(110)
            v.addWidget(kv)
        self.unblinded_area.setWidget(box)
        self.unblinded_note.setText("Showing results by arm.")

    def export_findings(self) -> None:
        if self.session.validation is None:
            return
        path, _ = QFileDialog.getSaveFileName(
            self,
            "Export findings",
            str(Path(self._last_dir()) / "findings.xlsx"),
            "Excel workbook (*.xlsx);;CSV (*.csv)",
        )
        if not path:
            return
        findings, loaded = self.session.validation.findings, self.session.loaded

        def work(progress: Any) -> Any:
            from dmc_report.pipeline import export_findings

            export_findings(loaded, path, findings)  # never over an input
            return path

        self._run(
            work,
            lambda p: self.statusBar().showMessage(f"Findings written to {p}", 8000),
            "Writing findings",
        )

    def generate_reports(self) -> None:
        s = self.session
        if s.results is None:
            self.show_error("Read the data first.", "")
            return
        want_closed = self.chk_closed.isChecked()
        if want_closed:
            if s.loaded.key is None:
                self.show_error("The closed report needs the randomization key.", "")
                return
            if not self.password1.text() or self.password1.text() != self.password2.text():
                self.show_error(
                    "Enter the closed report's password twice (the two entries must match).", ""
                )
                return
            from dmc_report.pipeline import closed_password_problem

            problem = closed_password_problem(self.password1.text())
            if problem is not None:
                self.show_error(problem[0].upper() + problem[1:] + ".", "")
                return
        if not self.chk_open.isChecked():
            self.show_error(
                "The open report is always produced with the closed one; tick 'Open report'.", ""
            )
            return
        from dmc_report.pipeline import report_paths

        open_path, closed_path, pooled_path = report_paths(
            s.loaded, Path(self.out_dir.text()), closed=want_closed,
            pooled_results=self.chk_save_results.isChecked(),
        )  # fmt: skip
        password = self.password1.text() if want_closed else None
        report_date, meeting_date = (
            _pydate(self.report_date.date()),
            _pydate(self.meeting_date.date()),
        )
        recipient = self.recipient.text() or None
        previous = Path(self.previous_edit.text()) if self.previous_edit.text().strip() else None
        from dmc_report.domain.settings import ReportSettings

        settings = ReportSettings(
            report_date=report_date,
            meeting_date=meeting_date,
            recipient=recipient,
            previous_results=previous,
        )
        loaded, validation, results = s.loaded, s.validation, s.results
        from dmc_report.domain.errors import UnusableInputError
        from dmc_report.pipeline import check_report_outputs

        try:  # no report may replace an input or another report; told before any rendering
            check_report_outputs(
                loaded, settings, open_path=open_path, closed_path=closed_path,
                pooled_results_path=pooled_path,
            )  # fmt: skip
        except UnusableInputError as exc:
            self.show_error(exc.message, exc.location.describe())
            return

        def work(progress: Any) -> Any:
            # rendered in a child process: reportlab, matplotlib and pikepdf hold the
            # interpreter lock for long stretches, which would freeze this window
            from dmc_report.isolated import render_reports_in_child

            return render_reports_in_child(
                loaded, validation, results, settings, open_path=open_path,
                closed_path=closed_path, closed_password=password,
                pooled_results_path=pooled_path, progress=progress,
            )  # fmt: skip

        self._release_preview()  # nothing of this window holds a report while it is replaced
        self._run(work, self._reports_done, "Generating reports")

    def _reports_done(self, written: Any) -> None:
        self.session.reports = {"open": written.open}
        if written.closed:
            self.session.reports["closed"] = written.closed
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
        self.reports_written.emit()

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
        path = self.session.reports.get("open")
        if path:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(path).parent)))

    def _open_file(self, path: Path | None) -> None:
        if path:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))

    # --- jobs ----------------------------------------------------------------------------
    def _run(self, fn: Any, on_done: Any, label: str) -> None:
        if self.job is not None:
            return
        self._last_job = (fn, on_done, label)  # what "Retry" runs again
        self.job = Job(fn)
        self.job.signals.progress.connect(self._on_progress)
        self._on_done = on_done
        self.job.signals.finished.connect(self._job_finished)
        self.job.signals.failed.connect(self._job_failed)
        self.job.signals.cancelled.connect(self._job_cancelled)
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.cancel_button.setVisible(True)
        self.progress_label.setText(label)
        for b in (self.btn_load, self.btn_generate, self.btn_demo, self.btn_protocol):
            b.setEnabled(False)
        # started once the window has repainted with its progress bar: painting calls into
        # Python, and while a job runs each of those calls would wait for the interpreter lock
        QTimer.singleShot(50, lambda job=self.job: start(job))
        self.job_started.emit()

    def _job_finished(self, result: Any) -> None:
        self._job_over()
        self._on_done(result)

    def _job_failed(self, exc: BaseException, tb: str) -> None:
        self._job_over()
        self._failed(exc, tb)

    def _job_cancelled(self) -> None:
        self._job_over()
        self.statusBar().showMessage("Cancelled: nothing was written", 8000)

    def cancel_job(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.progress_label.setText("Cancelling...")

    def _on_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(1000 * max(0.0, min(1.0, fraction))))
        self.progress_label.setText(message)

    def _job_over(self) -> None:
        self.job = None
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)
        self.progress_label.setText("")
        for b in (self.btn_load, self.btn_generate, self.btn_demo, self.btn_protocol):
            b.setEnabled(True)

    def _failed(self, exc: BaseException, tb: str) -> None:
        from dmc_report.domain.errors import OutputInUseError, UnusableInputError

        if isinstance(exc, UnusableInputError) and "password-protected" in exc.message:
            which = "key" if "key workbook" in exc.message else "data"
            text, ok = QInputDialog.getText(
                self,
                "Password",
                f"The {which} workbook is password-protected. Password:",
                QLineEdit.EchoMode.Password,
            )
            if ok and text:
                setattr(self.session, f"{which}_password", text)
                self.load_data()
            return
        if isinstance(exc, OutputInUseError):  # a viewer or Excel holds it: close it, retry
            box = QMessageBox(self)
            box.setIcon(QMessageBox.Icon.Warning)
            box.setWindowTitle("dmc-report")
            box.setText(exc.message)
            box.setInformativeText(f"Where: {exc.location.describe()}")
            box.setStandardButtons(
                QMessageBox.StandardButton.Retry | QMessageBox.StandardButton.Cancel
            )
            if box.exec() == QMessageBox.StandardButton.Retry and self._last_job is not None:
                self._run(*self._last_job)
            return
        if isinstance(exc, UnusableInputError):
            self.show_error(exc.message, exc.location.describe())
            return
        from dmc_report.pipeline import log_internal_error  # the command line's log

        log = log_internal_error(exc)
        tb = getattr(exc, "child_traceback", None) or tb  # where it failed in the renderer
        self.show_error(
            f"Internal error: {type(exc).__name__}: {exc}",
            "",
            details=f"The details are in {log}\n\n{tb}",
        )

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

    # --- conventions ---------------------------------------------------------------------
    def _update_status(self) -> None:
        s = self.session
        if s.loaded is None:
            return
        mode = (
            "UNBLINDED view open"
            if s.unblinded_confirmed
            else ("key loaded (blinded view)" if s.loaded.key else "blinded")
        )
        self.statusBar().showMessage(
            f"Study {s.loaded.study.protocol.study.id}  |  data cutoff {s.loaded.cutoff.isoformat()}  |  {mode}"
        )

    def _remember(self, path: Path) -> None:
        recent = [p for p in self._recent() if p != str(path)]
        self.settings.setValue("recent", [str(path), *recent][:8])
        self._refresh_recent()

    def _refresh_recent(self) -> None:
        self.recent_menu.clear()
        for p in self._recent():
            act = self.recent_menu.addAction(p)
            act.triggered.connect(lambda _=False, p=p: self.set_protocol(Path(p)))

    def _recent(self) -> list[str]:
        value = self.settings.value("recent", [])
        if isinstance(value, str):
            return [value]
        return [str(v) for v in value] if isinstance(value, list) else []

    def show_about(self) -> None:
        """Version, and every bundled component with its licence (read from the packages)."""
        from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTableWidget, QTableWidgetItem

        from dmc_report.licences import components

        comps = components()
        dlg = QDialog(self)
        dlg.setWindowTitle("About dmc-report")
        v = QVBoxLayout(dlg)
        intro = QLabel(
            f"<b>dmc-report {__version__}</b><br>Interim reports for Data Monitoring "
            "Committees: validated, blinded and unblinded, from Excel exports to PDF.<br><br>"
            "It bundles the components below. Qt is used under the LGPL-3.0, dynamically "
            "linked; its source is at download.qt.io and on request from the distributor. "
            "The licence texts are in THIRD_PARTY_NOTICES.txt in the application folder."
        )
        intro.setWordWrap(True)
        v.addWidget(intro)
        table = QTableWidget(len(comps), 3)
        table.setAccessibleName("Bundled components and their licences")
        table.setHorizontalHeaderLabels(["Component", "Version", "Licence"])
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 6)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for i, c in enumerate(comps):
            for j, text in enumerate((c.name, c.version, c.licence)):
                table.setItem(i, j, QTableWidgetItem(text))
        table.resizeColumnsToContents()
        table.horizontalHeader().setStretchLastSection(True)
        v.addWidget(table, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(dlg.reject)
        v.addWidget(buttons)
        dlg.resize(720, 560)
        self._about = dlg  # reachable from tests
        dlg.open()

    def dragEnterEvent(self, event: Any) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: Any) -> None:
        for url in event.mimeData().urls():
            p = Path(url.toLocalFile())
            if p.suffix.lower() == ".toml":
                self.set_protocol(p)
            elif p.suffix.lower() == ".xlsx":
                target = (
                    self.key_edit
                    if any(w in p.name.lower() for w in ("key", "rand"))
                    else self.data_edit
                )
                target.setText(str(p))
                self.steps.setCurrentRow(1)

    def closeEvent(self, event: Any) -> None:
        self.settings.setValue("geometry", self.saveGeometry())
        if self.job is not None:
            self.job.cancel()
        super().closeEvent(event)

    @staticmethod
    def _clear(area: QScrollArea) -> None:
        old = area.takeWidget()
        if old is not None:
            old.deleteLater()


def _sev(name: str) -> Any:
    from dmc_report.domain.findings import Severity

    return Severity(name)


def _pydate(d: QDate) -> dt.date:
    return dt.date(d.year(), d.month(), d.day())
