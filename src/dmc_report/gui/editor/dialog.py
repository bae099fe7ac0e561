"""The protocol editor: a new study set up from an export, or an existing protocol edited,
without a text editor (issue 17).

The export is read in a background job (gui/workers.py); the mapping assistant
(io/mapping_assist.py) proposes where it holds each contract sheet, column and code, and the
statistician settles the rest in the forms. Every change is checked by the protocol model itself
(the command line's), its refusals listed by key beside the form and marked on the field; Save
stays disabled until there are none. Saving writes a commented TOML file (io/protocol_writer.py)
in a background job, never over the export, and offers to open it as the current study.
"""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from dmc_report.gui.colours import AlertLabel, mark_invalid, show_as_alert
from dmc_report.gui.datefield import DateField
from dmc_report.gui.editor.forms import (
    EndpointsForm,
    Form,
    InterimForm,
    SettingsForm,
    StudyForm,
    VisitsForm,
)
from dmc_report.gui.editor.mapping import MappingPage
from dmc_report.gui.editor.tables import TableEditor
from dmc_report.gui.screen import scrolled
from dmc_report.gui.workers import Job, start

PREFERRED = (1180, 760)
CHECK_DELAY_MS = 150  # the model is asked once typing pauses
OPTIONAL_SHEETS = {"VS": "vital_signs", "FU": "follow_up", "QS": "questionnaires", "EX": "exposure"}


class ProtocolEditor(QDialog):
    """The study setup editor; ``controller`` opens the saved protocol as the current study."""

    export_read = Signal()
    checked = Signal(bool)  # the form was checked: valid or not
    saved = Signal(object)  # the path written
    failed = Signal(str)  # why a read or a save did not happen

    def __init__(self, controller: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.path: Path | None = None  # the protocol file being edited (after open or save)
        self.export: Path | None = None
        self.export_password: str | None = None
        self.opened = False  # a protocol was opened: its choices are kept when an export is read
        self.legacy_pooled: bool | None = None  # the first wave's show_pooled_outcomes, kept
        self.job: Job | None = None
        self.protocol: Any = None  # the Protocol the form makes, when it makes one
        self.problems: tuple[Any, ...] = ()
        self.dirty = False
        self.open_box: QMessageBox | None = None
        self.close_box: QMessageBox | None = None
        self.setWindowTitle("New study - dmc-report")
        self.setSizeGripEnabled(True)
        self._build()
        self._timer = QTimer(self, singleShot=True, interval=CHECK_DELAY_MS)
        self._timer.timeout.connect(self.check_now)
        for form in self.forms:
            form.edited.connect(self._edited)
        self.mapping.edited.connect(self._edited)
        self.visits.edited.connect(self._visits_edited)
        self._fit()
        self.check_now()
        self.dirty = False

    # --- layout ------------------------------------------------------------------------------
    def _build(self) -> None:
        self.export_edit = QLineEdit()
        self.export_edit.setReadOnly(True)
        self.export_edit.setPlaceholderText("the EDC export workbook (.xlsx) the protocol maps")
        self.export_edit.setAccessibleName("Export workbook")
        self.btn_export = QPushButton("Read an export...")
        self.btn_export.clicked.connect(self.choose_export)
        self.export_status = QLabel("Read the export first: the assistant proposes its mapping.")
        self.export_status.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(QLabel("Export:"))
        top.addWidget(self.export_edit, 1)
        top.addWidget(self.btn_export)
        self.study = StudyForm()
        self.visits = VisitsForm()
        self.endpoints = EndpointsForm()
        self.interim = InterimForm()
        self.settings = SettingsForm()
        self.mapping = MappingPage(self.visits.codes)
        self.visits.btn_from_export.clicked.connect(self.add_export_visits)
        self.forms: list[Form] = [
            self.study,
            self.visits,
            self.endpoints,
            self.interim,
            self.settings,
        ]
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        for widget, title in (
            (self.mapping, "Export and mapping"),
            (self.study, "Study"),
            (self.visits, "Visits"),
            (self.endpoints, "Endpoints"),
            (self.interim, "Interim monitoring"),
            (self.settings, "Domains and blinding"),
        ):
            self.tabs.addTab(scrolled(widget) if widget is not self.mapping else widget, title)
        self.problem_title = AlertLabel("")
        self.ready_label = QLabel("<b>Ready to save</b>")
        self.ready_label.setWordWrap(True)
        self.problem_list = QListWidget()
        self.problem_list.setAccessibleName("Problems with the protocol")
        self.problem_list.setWordWrap(True)
        self.problem_title.setWordWrap(True)
        self.problem_list.itemActivated.connect(self._go_to_problem)
        self.problem_list.itemClicked.connect(self._go_to_problem)
        problems = QWidget()
        pv = QVBoxLayout(problems)
        pv.setContentsMargins(0, 0, 0, 0)
        pv.addWidget(self.problem_title)
        pv.addWidget(self.ready_label)
        pv.addWidget(self.problem_list, 1)
        split = QSplitter()
        split.setChildrenCollapsible(False)
        split.addWidget(self.tabs)
        split.addWidget(problems)
        split.setStretchFactor(0, 4)
        split.setStretchFactor(1, 1)
        split.setSizes([880, 300])
        problems.setMinimumWidth(200)
        self.btn_save = QPushButton("Save")
        self.btn_save.clicked.connect(self.save)
        self.btn_save_as = QPushButton("Save as...")
        self.btn_save_as.clicked.connect(self.save_as)
        self.btn_close = QPushButton("Close")
        self.btn_close.clicked.connect(self.close)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        for b in (self.btn_save, self.btn_save_as, self.btn_close):
            bottom.addWidget(b)
        v = QVBoxLayout(self)
        v.addLayout(top)
        v.addWidget(self.export_status)
        v.addWidget(split, 1)
        v.addLayout(bottom)

    def _fit(self) -> None:
        """As large as it likes on a large screen, within the screen's available area on a
        small one (1280x720, or 1440x900 at 150 %)."""
        self.setMinimumSize(720, 440)
        screen = self.screen() or QGuiApplication.primaryScreen()
        avail = screen.availableGeometry()
        self.resize(min(PREFERRED[0], avail.width() - 32), min(PREFERRED[1], avail.height() - 72))

    # --- the form and the model --------------------------------------------------------------
    def raw(self) -> dict[str, Any]:
        """The protocol as the TOML file would hold it, from the form as the user left it."""
        raw: dict[str, Any] = {
            "study": self.study.raw(),
            "visits": self.visits.raw(),
            "endpoints": self.endpoints.raw(),
            **self.settings.raw(),
        }
        interim = self.interim.raw()
        if interim is not None:
            raw["interim"] = interim
        mapping = self.mapping.raw()
        if mapping:
            raw["mapping"] = mapping
        if self.legacy_pooled is not None:
            raw["show_pooled_outcomes"] = self.legacy_pooled
        return raw

    def _edited(self) -> None:
        self.dirty = True
        self._timer.start()

    def _visits_edited(self) -> None:
        self.endpoints.set_codes(self.visits.codes())
        self._edited()

    def check_now(self) -> None:
        """Ask the protocol model about the form now; show its answer."""
        from dmc_report.study_setup import check_protocol_table

        self._timer.stop()
        result = check_protocol_table(self.raw())
        if isinstance(result, tuple):
            self.protocol, self.problems = None, result
        else:
            self.protocol, self.problems = result, ()
        self._show_problems()
        self.checked.emit(self.protocol is not None)

    def _show_problems(self) -> None:
        for form in self.forms:
            for w in form.keyed.values():
                _mark(w, "")
        cells: dict[tuple[int, int], str] = {}
        self.problem_list.clear()
        lines = _grouped(self.problems)
        for key, text in lines:
            item = QListWidgetItem(text)
            item.setToolTip(text)
            item.setData(256, key)
            self.problem_list.addItem(item)
        for p in self.problems:
            self.visits.show_problem(p.key, p.message, cells)
            field = self.widget_for(p.key)
            if field is not None:
                _mark(field, p.message)
        self.visits.model.set_problems(cells)
        missing = self.mapping.missing_required()
        for m in missing:
            item = QListWidgetItem(f"mapping: no export column chosen for {m} (required)")
            item.setData(256, "mapping." + m)
            self.problem_list.addItem(item)
        n = len(lines)
        self.problem_title.set_plain(
            f"{n} problem{'s' if n != 1 else ''}: Save is disabled until "
            f"{'they are' if n != 1 else 'it is'} fixed"
        )
        self.problem_title.setVisible(n > 0)
        self.ready_label.setText(
            "<b>Ready to save.</b>"
            + (
                f" {len(missing)} required column(s) are not mapped: check-protocol will say so."
                if missing
                else ""
            )
        )
        self.ready_label.setVisible(n == 0)
        self.btn_save.setEnabled(n == 0 and self.path is not None)
        self.btn_save_as.setEnabled(n == 0)

    def widget_for(self, key: str) -> QWidget | None:
        """The widget of a protocol key: the longest key a form names that ``key`` starts with."""
        best: tuple[int, QWidget | None] = (0, None)
        for form in self.forms:
            for k, w in form.keyed.items():
                if (key == k or key.startswith((k + ".", k + "["))) and len(k) > best[0]:
                    best = (len(k), w)
        return best[1]

    def _go_to_problem(self, item: QListWidgetItem) -> None:
        key = str(item.data(256) or "")
        if key.startswith("mapping"):
            self.tabs.setCurrentWidget(self.mapping)
            self.mapping.show_key(key)
            return
        w = self.widget_for(key) or (self.visits.table if key.startswith("visits") else None)
        for i in range(self.tabs.count()):
            page = self.tabs.widget(i)
            inner = page.widget() if isinstance(page, QScrollArea) else page
            if w is not None and inner is not None and inner.isAncestorOf(w):
                self.tabs.setCurrentIndex(i)
                if isinstance(page, QScrollArea):
                    page.ensureWidgetVisible(w)
                _target(w).setFocus()
                return

    # --- an existing protocol ----------------------------------------------------------------
    def load(self, protocol: Any, path: Path | None = None) -> None:
        """Show ``protocol``'s settings in the form (its file is ``path``)."""
        self.visits.load(protocol.visits)
        self.endpoints.set_codes(self.visits.codes())
        self.study.load(protocol.study)
        self.endpoints.load(protocol.endpoints)
        self.interim.load(protocol.interim)
        self.settings.load(protocol)
        self.mapping.load(protocol.mapping)
        self.legacy_pooled = protocol.show_pooled_outcomes
        self.path, self.opened = path, True
        self.setWindowTitle(f"{path.name if path else protocol.study.id} - dmc-report")
        self.check_now()
        self.dirty = False

    def open_file(self, path: Path) -> bool:
        """Read a protocol file into the form; False (with the reason shown) if it is refused."""
        from dmc_report.domain.errors import UnusableInputError
        from dmc_report.pipeline import read_protocol

        try:
            protocol = read_protocol(path)
        except UnusableInputError as exc:
            self._say(str(exc), error=True)
            return False
        self.load(protocol, Path(path))
        return True

    # --- the export --------------------------------------------------------------------------
    def choose_export(self) -> None:
        start_dir = str(
            self.export.parent if self.export else self.path.parent if self.path else Path.home()
        )
        path, _ = QFileDialog.getOpenFileName(
            self, "The export workbook", start_dir, "Excel workbook (*.xlsx)"
        )
        if path:
            self.read_export(Path(path))

    def read_export(self, path: Path, password: str | None = None) -> None:
        """Read the export in a background job; the proposals follow when it is read."""
        if self.job is not None:
            self._say("The export is still being read.", error=True)
            return
        self.export, self.export_password = path, password
        self.export_edit.setText(str(path))
        self.export_status.setText(f"Reading {path.name}...")
        self.btn_export.setEnabled(False)
        self.job = Job(partial(_read_and_propose, path, password))
        self.job.signals.progress.connect(
            lambda fraction, message: self.export_status.setText(
                f"Reading {path.name}: {message} ({fraction:.0%})"
            )
        )
        self.job.signals.finished.connect(self._export_done)
        self.job.signals.failed.connect(self._export_failed)
        self.job.signals.cancelled.connect(self._job_over)
        start(self.job)

    def _job_over(self) -> None:
        self.job = None
        self.btn_export.setEnabled(True)

    def _export_failed(self, exc: BaseException, _tb: str) -> None:
        from dmc_report.domain.errors import UnusableInputError

        self._job_over()
        message = _why(exc)
        if isinstance(exc, UnusableInputError) and (
            "password-protected" in message or message.startswith("wrong password")
        ):
            reason = (
                "Wrong password for the export. Try again:"
                if message.startswith("wrong password")
                else "The export is password-protected. Its password:"
            )
            text, ok = QInputDialog.getText(
                self, "Password of the export", reason, QLineEdit.EchoMode.Password
            )
            if ok and text and self.export is not None:
                self.read_export(self.export, text)
                return
            message = "not read: no password was given"
        self.export_status.setText(f"The export could not be read: {message}")
        self.failed.emit(message)

    def _export_done(self, value: tuple[Any, Any]) -> None:
        self._job_over()
        summary, proposal = value
        self.mapping.set_export(summary, proposal, keep=self.opened)
        if not self.opened:
            self._propose_study(proposal)
        found = sum(1 for s in proposal.sheets if s.export is not None)
        self.export_status.setText(
            f"{summary.file}: {len(summary.sheets)} sheets; {found} of {len(proposal.sheets)} "
            "contract sheets found. Check the proposals under Export and mapping (how each was "
            "found is beside it), then fill in what an export cannot say."
        )
        self.proposal = proposal
        self.check_now()
        self.export_read.emit()

    def _propose_study(self, proposal: Any) -> None:
        """What the export says of a new study, where the form is still empty."""
        if proposal.study_id and not self.study.id.text().strip():
            self.study.id.setText(proposal.study_id)
        if proposal.sites and not self.study.sites.rows():
            self.study.sites.set_rows([[s, f"Site {s}"] for s in proposal.sites])
        for sheet, key in OPTIONAL_SHEETS.items():
            self.settings.domains[key].setChecked(self.mapping.present(sheet))
        if proposal.panel and not self.settings.panel.rows():
            self.settings.panel.set_rows([[c, name] for c, name in proposal.panel.items()])
        if not self.visits.codes():
            self.visits.add_found(proposal.visit_codes, proposal.assessments, proposal.days)

    def add_export_visits(self) -> None:
        proposal = getattr(self, "proposal", None)
        if proposal is None:
            self._say("Read the export first.", error=True)
            return
        self.visits.add_found(proposal.visit_codes, proposal.assessments, proposal.days)

    # --- saving ------------------------------------------------------------------------------
    def save(self) -> None:
        if self.path is None:
            self.save_as()
        else:
            self.save_to(self.path)

    def save_as(self) -> None:
        folder = (
            self.path.parent if self.path else self.export.parent if self.export else Path.home()
        )
        name = (self.protocol.study.id if self.protocol else "protocol") + ".toml"
        path, _ = QFileDialog.getSaveFileName(
            self, "Save the protocol", str(folder / name), "Protocol (*.toml)"
        )
        if path:
            self.save_to(Path(path))

    def save_to(self, path: Path) -> None:
        """Write the protocol to ``path`` in a background job (refused: not valid, or over the
        export or another workbook)."""
        self.check_now()
        if self.protocol is None:
            self._refuse("Not saved: fix the problems listed first.")
            return
        if self.job is not None:
            self._refuse("Wait until the export is read, then save.")
            return
        if path.suffix == "":
            path = path.with_suffix(".toml")
        inputs = {"export workbook": self.export} if self.export else {}
        self.job = Job(partial(_write, self.protocol, path, inputs))
        self.job.signals.finished.connect(self._saved)
        self.job.signals.failed.connect(self._save_failed)
        self.job.signals.cancelled.connect(self._job_over)
        start(self.job)

    def _saved(self, path: Path) -> None:
        self._job_over()
        self.path, self.dirty = path, False
        self.setWindowTitle(f"{path.name} - dmc-report")
        self._say(f"Saved to {path}")
        self._show_problems()
        self.saved.emit(path)
        if self.controller is not None:
            self._offer_to_open(path)

    def _save_failed(self, exc: BaseException, _tb: str) -> None:
        self._job_over()
        message = _why(exc)
        self._refuse(f"Not saved: {message[:1].upper() + message[1:]}")

    def _refuse(self, message: str) -> None:
        self._say(message, error=True)
        self.failed.emit(message)

    def _offer_to_open(self, path: Path) -> None:
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Open the new protocol?")
        box.setText(f"Saved {path.name}. Open it as the current study?")
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
        box.finished.connect(lambda result: self._open_answer(result, path))
        self.open_box = box
        box.open()

    def _open_answer(self, result: int, path: Path) -> None:
        if result == QMessageBox.StandardButton.Yes:
            self.controller.set_protocol(path)

    def _say(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        show_as_alert(self.status, error)

    def closeEvent(self, event: Any) -> None:
        """Unsaved changes are not lost without a word: the editor stays open and asks."""
        if self.dirty and self.isVisible() and self.close_box is None:
            event.ignore()
            box = QMessageBox(self)
            box.setIcon(QMessageBox.Icon.Question)
            box.setWindowTitle("Close the editor?")
            box.setText("The changes are not saved. Close the editor anyway?")
            box.setStandardButtons(
                QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel
            )
            box.finished.connect(self._close_answer)
            self.close_box = box
            box.open()
            return
        self._drop_job()
        super().closeEvent(event)

    def _drop_job(self) -> None:
        """A read or save still running when the editor closes: cancelled, and its news no
        longer wanted (a read stops at its next sheet; a save, being one rename, completes)."""
        if self.job is None:
            return
        for name in ("finished", "failed", "cancelled"):
            getattr(self.job.signals, name).disconnect()
        self.job.cancel()
        self._job_over()

    def _close_answer(self, result: int) -> None:
        if result == QMessageBox.StandardButton.Discard:
            self.dirty = False
            self.close()
        self.close_box = None


def _why(exc: BaseException) -> str:
    """What the user is told of a failed read or save: an unusable input's own message with
    where it is; for a bug, its log (the command line's) and no traceback."""
    from dmc_report.domain.errors import UnusableInputError

    if isinstance(exc, UnusableInputError):
        where = exc.location.describe()
        return exc.message + (f" ({where})" if where else "")
    from dmc_report.pipeline import log_internal_error

    log = log_internal_error(exc)
    return f"internal error: {type(exc).__name__}: {exc}; the details are in {log}"


def _grouped(problems: tuple[Any, ...]) -> list[tuple[str, str]]:
    """The problems as lines (key, text); the same problem in several visits on one line
    ("visits[*].day: required: fill it in (rows 1, 2, 5)"), rows counted from 1 as shown."""
    rows: dict[tuple[str, str], list[int]] = {}
    first: dict[tuple[str, str], str] = {}
    for p in problems:
        m = re.fullmatch(r"visits\[(\d+)\](.*)", p.key)
        group = (f"visits[*]{m.group(2)}" if m else p.key, p.message)
        first.setdefault(group, p.key)
        if m:
            rows.setdefault(group, []).append(int(m.group(1)) + 1)
    out = []
    for group, key in first.items():
        where, message = group
        listed = rows.get(group, [])
        if len(listed) == 1:
            where = key
        text = f"{where or 'the protocol'}: {message}"
        if len(listed) > 1:
            text += f" (rows {', '.join(map(str, listed))})"
        out.append((key, text))
    return out


def _target(w: QWidget) -> QWidget:
    if isinstance(w, DateField):
        return w.edit
    if isinstance(w, TableEditor):
        return w.view
    return w


def _mark(w: QWidget, message: str) -> None:
    """A field the model refuses: a red frame and the reason as its tooltip."""
    t = _target(w)
    mark_invalid(t, bool(message))
    t.setToolTip(message)


# --- the jobs' work: run on a worker thread ----------------------------------------------------
def _read_and_propose(path: Path, password: str | None, progress: Any) -> tuple[Any, Any]:
    from dmc_report.study_setup import read_and_propose

    return read_and_propose(path, password=password, progress=progress)


def _write(protocol: Any, path: Path, inputs: dict[str, Path], progress: Any) -> Path:
    from dmc_report.study_setup import write_protocol

    return write_protocol(protocol, path, inputs=inputs)
