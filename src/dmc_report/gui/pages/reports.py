"""Step 5, Reports: the OPEN report (pooled) and the CLOSED report (by arm, encrypted), written
by the controller; the open report previewed here. The DMC cycle's parts are here too: the
previous closed report (changes by arm), a dry run from scrambled arms, numbered copies per
member, and the study's report history."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, QRegularExpression, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QRegularExpressionValidator
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDateEdit,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStyledItemDelegate,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from dmc_report.gui.colours import ALERT, ColourBar
from dmc_report.gui.controller import Controller, ReportRequest
from dmc_report.gui.pages.common import pydate

DRY_RUN_TIP = (
    "A dry run builds the closed report from SCRAMBLED arms, to show the closed report's shape "
    "(to the DMC at its organisational meeting, or to the sponsor) before any real comparison "
    "exists. Only the key's ARMS sheet is read again, never its assignments; the subjects are "
    "allocated at random by permuted blocks within site, with the seed below (blank: from the "
    "data workbook's SHA-256, so the same data give the same dry run). Every page of the "
    "closed report says DRY RUN - ARMS SCRAMBLED - NOT REAL RESULTS, and the files are named "
    "...-DRY-RUN-.... The open report is the same as a real run's. The view by arm (step 4) "
    "keeps showing the real allocation: a dry run's numbers are only in its closed report."
)
COPIES_TIP = (
    "One closed report per DMC member instead of one closed report: each named "
    "<closed name>-NN-<name>.pdf, encrypted with its own password (the one given, or a "
    "generated passphrase), with 'Copy NN of N - name' on every page and a copy ID that "
    "traces a leaked copy. Generated passwords go to <closed name>-passwords.csv beside the "
    "copies, readable by you only: send them by another channel than the reports."
)
PREVIOUS_CLOSED_TIP = (
    "The closed report of the previous look (it carries its results, encrypted). This closed "
    "report then shows what changed by arm since then, and how the primary endpoint's Z moved "
    "against its boundary. Its password is this closed report's; another one is asked for."
)


class _PasswordDelegate(QStyledItemDelegate):
    """A password cell: typed hidden, shown as dots."""

    def createEditor(self, parent: Any, option: Any, index: Any) -> QWidget:
        editor = QLineEdit(parent)
        editor.setEchoMode(QLineEdit.EchoMode.Password)
        return editor

    def displayText(self, value: Any, locale: Any) -> str:
        return "\u2022" * 8 if value else "(generated)"


class ReportsPage(QWidget):
    def __init__(self, controller: Controller) -> None:
        super().__init__()
        self.controller = controller
        # a dry run must not be missed: across the page while it is ticked, and while its
        # reports are the ones shown
        self.dry_run_bar = ColourBar(ALERT)
        self._written_dry_seed: int | None = None  # the reports shown are a dry run's
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
        self.btn_history = QPushButton("History...")
        self.btn_history.setAccessibleName("Report history")
        self.btn_history.setToolTip(
            "The study's report log in the output folder: every report run, its chain checked"
        )
        self.btn_history.clicked.connect(self.show_history)
        buttons.addWidget(self.btn_generate)
        buttons.addWidget(self.btn_show)
        buttons.addWidget(self.btn_view_open)
        buttons.addStretch(1)
        buttons.addWidget(self.btn_history)
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
        # the preview's side is hidden while there is no preview: the form has the page's width
        # (at 150 % on a 1440x900 screen half of it made the form scroll sideways)
        right = QWidget()
        right.setVisible(False)
        self.preview_pane = right
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
        self._split = False  # the form's width set, once a preview is first shown
        page = QVBoxLayout(self)
        page.addWidget(self.dry_run_bar)
        page.addWidget(self.splitter, 1)
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
        controller.reports_refused.connect(self._refused)
        controller.recipients_read.connect(self._take_recipients)
        controller.history_read.connect(self._show_history)
        self.history_dialog: Any = None  # the last history shown
        self.recipients_file: Path | None = None  # the CSV the list was read from (an input)
        controller.password_needed.connect(self._password_asked)
        self._generating = False  # a Generate is running: its end is this page's news

    def _show_preview_pane(self) -> None:
        """The preview's side shown (split now, or when the page is next shown)."""
        self.preview_pane.setVisible(True)
        if self.isVisible():
            self._first_split()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self.preview_pane.isVisibleTo(self):
            self._first_split()

    def _first_split(self) -> None:
        """Once: the form as wide as it wants, up to half the page, the preview the rest; the
        user may move the handle after, and that stays."""
        if self._split:
            return
        self._split = True
        # the splitter's width, not its sizes: the preview's side was hidden until now
        total = self.splitter.width() - self.splitter.handleWidth()
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
        self._written_dry_seed = None
        self._update_cycle()
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
        self._written_dry_seed = None
        self._update_cycle()
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
        self._build_cycle(form)
        return form

    def _build_cycle(self, form: QFormLayout) -> None:
        """The DMC cycle's rows: previous closed report, dry run, numbered copies."""
        self.previous_closed_edit = QLineEdit()
        self.previous_closed_edit.setPlaceholderText("optional: the previous look's closed report")
        self.previous_closed_edit.setAccessibleName("Previous closed report")
        self.previous_closed_edit.setToolTip(PREVIOUS_CLOSED_TIP)
        self.previous_closed_edit.textEdited.connect(
            lambda _t: self.controller.set_password("previous closed", None)
        )
        pick = QPushButton("Browse...")
        pick.setAccessibleName("Browse for the previous closed report")
        pick.clicked.connect(self.choose_previous_closed)
        row = QHBoxLayout()
        row.addWidget(self.previous_closed_edit, 1)
        row.addWidget(pick)
        form.addRow("Previous closed report", row)
        self.chk_dry_run = QCheckBox("Dry run (scrambled arms)")
        self.chk_dry_run.setAccessibleName("Dry run (scrambled arms)")
        self.chk_dry_run.setToolTip(DRY_RUN_TIP)
        self.chk_dry_run.toggled.connect(lambda _on: self._update_cycle())
        self.dry_run_seed = QLineEdit()
        self.dry_run_seed.setAccessibleName("Dry run seed")
        self.dry_run_seed.setToolTip(DRY_RUN_TIP)
        self.dry_run_seed.setValidator(
            QRegularExpressionValidator(QRegularExpression(r"\d{0,10}"), self.dry_run_seed)
        )
        self.dry_run_seed.setMaximumWidth(170)
        self.dry_run_seed.textChanged.connect(lambda _t: self._update_cycle())
        drow = QHBoxLayout()
        drow.addWidget(self.chk_dry_run)
        drow.addWidget(QLabel("seed"))
        drow.addWidget(self.dry_run_seed)
        drow.addStretch(1)
        form.addRow("Dry run", drow)
        self.chk_copies = QCheckBox("Numbered copies for...")
        self.chk_copies.setAccessibleName("Numbered copies")
        self.chk_copies.setToolTip(COPIES_TIP)
        self.chk_copies.toggled.connect(lambda _on: self._update_cycle())
        from_csv = QPushButton("From CSV...")
        from_csv.setAccessibleName("Recipients from a CSV file")
        from_csv.setToolTip("A CSV file with a 'name' column and an optional 'password' column")
        from_csv.clicked.connect(self.choose_recipients)
        add = QPushButton("Add")
        add.setAccessibleName("Add a recipient")
        add.clicked.connect(lambda: self.add_recipient("", ""))
        remove = QPushButton("Remove")
        remove.setAccessibleName("Remove the selected recipient")
        remove.clicked.connect(self.remove_recipient)
        # the list's buttons below it: on one line with the tick box they made the form 420 px
        # wide at least, and it scrolled sideways beside the preview at 150 %
        crow = QHBoxLayout()
        crow.addWidget(from_csv)
        crow.addWidget(add)
        crow.addWidget(remove)
        crow.addStretch(1)
        form.addRow("Copies", self.chk_copies)
        self.recipients = QTableWidget(0, 2)
        self.recipients.setAccessibleName("Recipients")
        self.recipients.setToolTip(COPIES_TIP)
        self.recipients.setHorizontalHeaderLabels(["Name", "Password"])
        self.recipients.setItemDelegateForColumn(1, _PasswordDelegate(self.recipients))
        self.recipients.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.recipients.verticalHeader().setDefaultSectionSize(24)
        self.recipients.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.recipients.setFixedHeight(24 * 4 + 28)
        self.recipients.itemChanged.connect(lambda _i: self._update_cycle())
        form.addRow("", self.recipients)
        form.addRow("", crow)
        self.copies_info = QLabel("")
        self.copies_info.setWordWrap(True)
        self.copies_info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow("", self.copies_info)
        self.out_dir.textChanged.connect(lambda _t: self._update_cycle())
        self._update_cycle()

    # --- the DMC cycle -------------------------------------------------------------------
    def choose_previous_closed(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Previous closed report", self.out_dir.text(), "Closed report (*.pdf)"
        )
        if path:
            self.previous_closed_edit.setText(path)
            self.controller.set_password("previous closed", None)  # chosen again: asked again

    def choose_recipients(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Recipients (CSV: name, password)", self.out_dir.text(), "CSV (*.csv)"
        )
        if path:
            self.recipients_file = Path(path)
            self.controller.read_recipients(Path(path))

    def _take_recipients(self, recipients: Any) -> None:
        """A recipients file was read: its rows replace the list (generated passwords blank)."""
        self.recipients.setRowCount(0)
        for r in recipients:
            self.add_recipient(r.name, "" if r.generated else r.password)
        self.chk_copies.setChecked(True)

    def add_recipient(self, name: str, password: str) -> None:
        row = self.recipients.rowCount()
        self.recipients.insertRow(row)
        item = QTableWidgetItem(name)
        self.recipients.setItem(row, 0, item)
        self.recipients.setItem(row, 1, QTableWidgetItem(password))
        if not name:  # typed in at once
            self.recipients.setCurrentCell(row, 0)
            self.recipients.editItem(item)
        self._update_cycle()

    def remove_recipient(self) -> None:
        rows = sorted({i.row() for i in self.recipients.selectedIndexes()}, reverse=True)
        for row in rows or [self.recipients.rowCount() - 1]:
            if row >= 0:
                self.recipients.removeRow(row)
        self._update_cycle()

    def recipient_rows(self) -> tuple[tuple[str, str], ...]:
        """The list's (name, password) rows, blank rows left out."""
        out = []
        for row in range(self.recipients.rowCount()):
            cells = [self.recipients.item(row, c) for c in (0, 1)]
            name, password = (c.text() if c is not None else "" for c in cells)
            if name.strip() or password:
                out.append((name.strip(), password))
        return tuple(out)

    def seed(self) -> int | None:
        text = self.dry_run_seed.text().strip()
        return int(text) if text else None

    def _update_cycle(self) -> None:
        """The dry-run bar, the fields a mode leaves unused, and what the copies will be."""
        copies, dry = self.chk_copies.isChecked(), self.chk_dry_run.isChecked()
        for w in (self.password1, self.password2, self.recipient):
            w.setEnabled(not copies)
        self.recipients.setEnabled(copies)
        self.chk_save_results.setEnabled(not dry)
        self.chk_save_results.setToolTip(
            "A dry run saves no pooled results: they are the same as a real run's."
            if dry
            else "Save the pooled results beside the open report, for the next report's comparison."
        )
        default = self.controller.default_dry_run_seed()
        self.dry_run_seed.setPlaceholderText(
            f"{default} (from the data)" if default is not None else "from the data"
        )
        seed = self.seed() if self.seed() is not None else default
        if dry:
            self.dry_run_bar.set_text(
                f"DRY RUN (arms scrambled, seed {seed if seed is not None else 'from the data'}): "
                "the closed report will not show real results. The view by arm still shows the "
                "real allocation."
            )
        elif self._written_dry_seed is not None:
            self.dry_run_bar.set_text(
                f"DRY RUN reports shown (arms scrambled, seed {self._written_dry_seed}): "
                "not real results."
            )
        self.dry_run_bar.setVisible(dry or self._written_dry_seed is not None)
        self.copies_info.setText(self._copies_text() if copies else "")

    def _copies_text(self) -> str:
        """How many copies, their names and where the passwords file goes; or what is wrong."""
        rows = self.recipient_rows()
        s = self.controller.session
        if not rows:
            return "Add the members' names (Add, or From CSV...): one copy each."
        if s.loaded is None:
            return f"{len(rows)} cop{'y' if len(rows) == 1 else 'ies'} (read the data first)."
        from dmc_report import pipeline
        from dmc_report.domain.errors import UnusableInputError

        try:
            recipients = pipeline.recipients_from_rows(rows)
        except UnusableInputError as exc:
            return f"<b>These copies cannot be made:</b> {html.escape(str(exc))}"
        open_path, closed, _ = pipeline.report_paths(
            s.loaded, self.out_dir.text(), closed=True, pooled_results=False,
            dry_run=self.chk_dry_run.isChecked(),
        )  # fmt: skip
        assert closed is not None
        paths = pipeline.numbered_copy_paths(open_path, closed, recipients)
        names = [p.name for w, p in paths.items() if w.startswith("copy ")]
        n = len(names)
        text = f"<b>{n} cop{'y' if n == 1 else 'ies'}</b> to {closed.parent}: " + ", ".join(names)
        pw = paths.get("passwords file")
        if pw is not None:
            text += (
                f"<br>Generated passwords go to <b>{pw.name}</b> beside them (readable by you "
                "only): send them by another channel."
            )
        else:
            text += "<br>Every password is given: no passwords file."
        return text

    def _refused(self, why: str) -> None:
        self._generating = False
        self.reports_info.setText(why)

    def _password_asked(self, which: str, _reason: str) -> None:
        if which == "previous closed" and self._generating:
            self.reports_info.setText("Waiting for the previous closed report's password...")

    def show_history(self) -> None:
        """The study's report log in the output folder, read in a job, then shown."""
        self.controller.read_history(Path(self.out_dir.text()))

    def _show_history(self, history: Any) -> None:
        from dmc_report.gui.history import HistoryDialog

        if self.history_dialog is not None:
            self.history_dialog.close()
        self.history_dialog = HistoryDialog(history, self.window())
        self.history_dialog.open()

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

        dry = self.chk_dry_run.isChecked()
        if dry and not self._dry_run_confirmed():
            self.reports_info.setText("Not generated: the dry run was not confirmed.")
            return
        if not dry and self.chk_closed.isChecked() and not self._closed_confirmed():
            self.reports_info.setText("Not generated: the closed report was not confirmed.")
            return

        previous = Path(self.previous_edit.text()) if self.previous_edit.text().strip() else None
        previous_closed = self.previous_closed_edit.text().strip()
        settings = ReportSettings(
            report_date=pydate(self.report_date.date()),
            meeting_date=pydate(self.meeting_date.date()),
            recipient=self.recipient.text() or None,
            previous_results=previous,
            final=self.chk_final.isChecked(),
            prepared_by=self.prepared_by.text().strip() or None,
            distribution=tuple(n.strip() for n in self.distribution.text().split(";") if n.strip()),
            previous_closed=Path(previous_closed) if previous_closed else None,
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
                dry_run=dry,
                dry_run_seed=self.seed(),
                recipients=self.recipient_rows() if self.chk_copies.isChecked() else None,
                recipients_file=self.recipients_file,
            )
        )

    def _dry_run_confirmed(self) -> bool:
        """A dry run is said to be one before anything is written (each time)."""
        c = self.controller
        if c.session.results is None or c.session.stale or c.job:
            return True  # nothing will be written now, and the controller says why
        seed = self.seed() if self.seed() is not None else c.default_dry_run_seed()
        answer = QMessageBox.question(
            self,
            "Generate a DRY RUN?",
            f"DRY RUN: the closed report is built from SCRAMBLED arms (seed {seed}); the key's "
            "assignments are not read. Every page says 'DRY RUN - ARMS SCRAMBLED - NOT REAL "
            "RESULTS' and the files are named ...-DRY-RUN-.... Its numbers by arm are not real "
            "results. Generate it?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

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
        self._update_cycle()

    def _show_written(self, written: Any) -> None:
        self._generating = False
        seed = written.dry_run_seed
        lines = [f"<b>DRY RUN (arms scrambled, seed {seed}): not real results</b>"] if seed else []
        lines.append(f"Open report: {written.open}")
        if written.closed:
            lines.append(f"Closed report (encrypted): {written.closed}")
        if written.copies:
            lines.append(f"{len(written.copies)} numbered copies (each with its own password):")
            lines += [f"&nbsp;&nbsp;{p.name}" for p in written.copies]
        if written.passwords:
            lines.append(f"Generated passwords (readable by you only): {written.passwords}")
        if written.pooled_results:
            lines.append(f"Pooled results (for the next report): {written.pooled_results}")
        self.reports_info.setText("<br>".join(lines))
        self._written_dry_seed = seed
        self._update_cycle()
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
        self._show_preview_pane()  # first, so that the view is laid out at its size
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
            self.preview_pane.setVisible(False)  # nothing to show: the form takes the width
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
