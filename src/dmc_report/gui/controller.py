"""The app's state and its background jobs, between the pages and the pipeline.

The controller owns the study the user has opened (:class:`Session`: the paths and passwords, and
what the pipeline returned for them) and runs every computation as a background job
(gui/workers.py) calling the same pipeline functions as the command line; the GUI thread only
starts a job and hands its result on. The pages ask the controller to do things and show what
its signals tell them; they never talk to each other. It shows nothing itself: the window turns
its errors, questions and progress into dialogs and the status bar.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from dmc_report.gui.models import FindingsTableModel
from dmc_report.gui.workers import Job, start


@dataclass
class Session:
    protocol: Path | None = None
    data: Path | None = None
    key: Path | None = None
    data_password: str | None = None
    key_password: str | None = None
    cutoff: dt.date | None = None
    # the previous closed report's password, when it is not this closed report's (asked)
    previous_closed_password: str | None = None
    loaded: Any = None
    validation: Any = None
    results: Any = None
    open_data: Any = None
    unblinded_confirmed: bool = False
    reports: dict[str, Path] = field(default_factory=dict)
    # the results are from inputs other than those now chosen (a re-read failed or was cancelled,
    # another protocol was opened): shown as such, and no report is written from them
    stale: bool = False


@dataclass(frozen=True)
class ReportRequest:
    """What the reports page asks for, as the user left its fields."""

    open_report: bool
    closed_report: bool
    password: str
    password_again: str
    folder: Path
    pooled_results: bool
    settings: Any  # ReportSettings (domain.settings, imported when reports are asked for)
    # a dry run: the closed report from scrambled arms (the key's ARMS sheet read again, never
    # its assignments), with this seed (None: the command line's default, from the data)
    dry_run: bool = False
    dry_run_seed: int | None = None
    # numbered copies: one closed report per (name, password) row instead of one closed report;
    # a blank password is generated (None: no numbered copies)
    recipients: tuple[tuple[str, str], ...] | None = None
    recipients_file: Path | None = None  # the CSV the list was read from: no output replaces it


class Controller(QObject):
    protocol_read = Signal(object, object)  # its path, the Protocol
    demo_written = Signal(object)  # the demo's files (DemoFiles), to be loaded next
    # what a load made reaches the pages over three turns of the event loop, so that each turn of
    # the GUI thread stays short even for a 20,000-subject study
    study_read = Signal(object)  # the LoadedStudy
    validated = Signal(object, object)  # counts of the data's findings by severity, compliance rows
    findings_ready = Signal(object)  # the findings table's rows (the next turn)
    analysed = Signal()  # the results and figures are in (the last turn)
    unblinded_opened = Signal()  # the user confirmed the view by arm
    unblinded_hidden = Signal()  # the view by arm was closed: back to the pooled view
    stale_changed = Signal(bool)  # the results are (True) or are no longer (False) stale
    discarded = Signal()  # the results were dropped: the later steps are empty again
    replace_asked = Signal(object, object)  # existing files a Generate would replace, the request
    reports_starting = Signal()  # reports are about to be replaced: let go of any preview
    reports_written = Signal(object)  # gui.cycle.Written
    # Generate wrote nothing and why, told on the Reports page (not a dialog): a password not given
    reports_refused = Signal(str)
    history_read = Signal(object)  # the study's report log (pipeline.ReportHistory)
    recipients_read = Signal(object)  # the recipients file's rows (pipeline Recipient)
    findings_exported = Signal(str)  # where
    job_started = Signal(str)  # what it does
    job_progress = Signal(float, str)
    busy = Signal(bool)  # a job started (True) or is over (False, before its result is shown)
    job_cancelled = Signal()
    # a job failed, or a request was refused: cause, where, details
    failed = Signal(str, str, str)
    # "data", "key" or "previous closed": that file needs a password (or another one), and why
    password_needed = Signal(str, str)
    password_refused = Signal(str)  # "data" or "key": the user gave no password
    output_in_use = Signal(str, str)  # another program holds an output open: the message, where

    def __init__(self, demo_folder: Path | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = Session()
        self.demo_folder = demo_folder
        self.job: Job | None = None
        self._on_done: Callable[[Any], None] | None = None
        self._last_job: tuple[Any, Any, str] | None = None  # what "Retry" runs again
        self._last_request: ReportRequest | None = None  # the last Generate (asked a password)
        self.study_id: str | None = None  # the protocol's (the report log is named after it)
        self.images: dict[str, bytes] = {}  # the summary figures (PNG) of the loaded study
        self.images_scale = 1.0  # the device pixel ratio they were drawn for
        # the user confirmed once in this run that they may see results by arm (the view or the
        # closed report): the closed report's generation does not ask again
        self.closed_confirmed = False
        # the demo studies written in the temporary directory in this run, with their files
        self.temp_demos: dict[Path, set[str]] = {}

    # --- requests ------------------------------------------------------------------------
    def set_protocol(self, path: Path) -> None:
        """Read the protocol (small, fast: on the GUI thread)."""
        from dmc_report.domain.errors import UnusableInputError
        from dmc_report.pipeline import read_protocol

        try:
            protocol = read_protocol(path)
        except UnusableInputError as exc:
            self.failed.emit(str(exc), "", "")
            return
        changed = self.session.protocol != path
        self.session.protocol = path
        self.study_id = protocol.study.id
        self.protocol_read.emit(path, protocol)
        if changed and self.session.loaded is not None:
            self._set_stale(True)  # the results are from the other protocol

    def open_demo(self) -> None:
        folder = self.demo_folder
        if folder is None:  # in the temporary directory: removed on exit (gui/demos.py)
            folder = Path(tempfile.mkdtemp(prefix="dmc-demo-"))
            self.temp_demos[folder] = set()
        self._run(partial(_write_demo, folder), self._demo_written, "Writing the demo study")

    def _demo_written(self, files: Any) -> None:
        from dmc_report.demo.writer import DEMO_PASSWORD

        if files.folder in self.temp_demos:  # what the demo wrote (the rest the user did)
            self.temp_demos[files.folder] = {p.name for p in Path(files.folder).iterdir()}
        self.set_protocol(files.protocol)
        self.session.key_password = DEMO_PASSWORD
        self.demo_written.emit(files)

    def set_password(self, which: str, password: str | None) -> None:
        """The password of the "data" or the "key" workbook, for the next load, or of the
        "previous closed" report, for the next Generate (None: ask)."""
        setattr(self.session, f"{which.replace(' ', '_')}_password", password)

    def password_not_given(self, which: str) -> None:
        """The user cancelled the password prompt of the "data" or "key" workbook, or of the
        previous closed report (then nothing was generated, and the Reports page says why)."""
        if which == "previous closed":
            self.reports_refused.emit(
                "Not generated: no password was given for the previous closed report."
            )
            return
        self.password_refused.emit(which)

    def retry_reports(self) -> None:
        """Generate again as last asked (the previous closed report's password now given)."""
        if self._last_request is not None:
            self.write_reports(self._last_request, replace=True)

    def load(self, data_text: str, key_text: str, cutoff: dt.date | None, scale: float) -> None:
        """Read, validate and analyse the workbooks named (the key's may be blank) at ``cutoff``
        (None: the latest date in the data); the figures are drawn for a device pixel ratio of
        ``scale`` (the screen's: sharp at 150 % and on Retina)."""
        s = self.session
        if s.protocol is None:
            self.failed.emit("Open a protocol file first.", "", "")
            return
        data = Path(data_text) if data_text.strip() else None
        if data is None:
            self.failed.emit("Choose the data workbook.", "", "")
            return
        key = Path(key_text) if key_text.strip() else None
        s.data, s.key = data, key
        work = partial(
            _read_validate_analyse, s.protocol, data, key, s.data_password, s.key_password,
            cutoff, scale,
        )  # fmt: skip
        self._run(work, self._loaded, "Reading, validating and analysing")

    def _loaded(self, value: Any) -> None:
        loaded, validation, results, open_data, images, shown = value
        self._set_stale(False)
        self.images = images
        self.images_scale = float(shown.get("scale", 1.0))
        s = self.session
        s.loaded, s.validation, s.results, s.open_data = loaded, validation, results, open_data
        s.cutoff = loaded.cutoff
        self.hide_unblinded()  # new results: the view by arm is asked for again
        self.study_read.emit(loaded)
        self.validated.emit(shown["counts"], shown["compliance"])
        QTimer.singleShot(0, lambda: self._loaded_findings(shown["findings"]))

    def _loaded_findings(self, rows: list[list[Any]]) -> None:
        self.findings_ready.emit(rows)
        QTimer.singleShot(0, self._loaded_summaries)

    def _loaded_summaries(self) -> None:
        self.analysed.emit()

    def confirm_unblinded(self) -> None:
        """The user confirmed that they may see the results by arm."""
        self.session.unblinded_confirmed = True
        self.closed_confirmed = True
        self.unblinded_opened.emit()

    def hide_unblinded(self) -> None:
        """Close the view by arm: back to the pooled view (opening it again asks again)."""
        if self.session.unblinded_confirmed:
            self.session.unblinded_confirmed = False
            self.unblinded_hidden.emit()

    def _set_stale(self, stale: bool) -> None:
        if self.session.stale != stale:
            self.session.stale = stale
            self.stale_changed.emit(stale)

    def discard(self) -> None:
        """Drop the loaded study's results (stale ones): the later steps are empty again."""
        if self.job is not None:
            return
        self.hide_unblinded()
        s = self.session
        s.loaded = s.validation = s.results = s.open_data = None
        s.reports = {}
        self.images = {}
        self._set_stale(False)
        self.discarded.emit()

    def refusal_while_busy(self) -> str | None:
        """Why a new job cannot start now (one is running), or None."""
        if self.job is None:
            return None
        return "Wait for the running job to finish, or cancel it, and try again."

    def export_refusal(self) -> str | None:
        """Why the findings cannot be exported now, or None."""
        if self.session.validation is None:
            return "Read the data first: there are no findings to export yet."
        return self.refusal_while_busy()

    def export_findings(self, path: str) -> None:
        why = self.export_refusal()
        if why is not None:
            self.failed.emit(why, "", "")
            return
        findings, loaded = self.session.validation.findings, self.session.loaded
        work = partial(_export_findings, loaded, path, findings)
        self._run(work, self.findings_exported.emit, "Writing findings")

    def write_reports(self, request: ReportRequest, replace: bool = False) -> None:
        """Write the reports asked for; existing files are replaced only with ``replace`` (else
        :attr:`replace_asked` names them, and the window asks)."""
        s = self.session
        why = self._report_refusal(request)
        if why is not None:
            self.failed.emit(why, "", "")
            return
        from dataclasses import replace as with_

        from dmc_report.domain.errors import UnusableInputError

        self._last_request = request
        settings = request.settings
        if settings.previous_closed is not None and settings.previous_closed_password is None:
            settings = with_(settings, previous_closed_password=s.previous_closed_password)
        # the use case's checks, as the command line makes them (the key and a password of 8
        # characters for a closed report, no report replacing an input or another report, the
        # recipients checked): told before any rendering; the previous results and the previous
        # closed report are read in the job, not here
        try:
            plan, outputs = self._plan(request, settings)
        except UnusableInputError as exc:
            self.failed.emit(
                exc.message[:1].upper() + exc.message[1:] + ".", exc.location.describe(), ""
            )
            return
        existing = [p for p in outputs if p.exists()]
        if existing and not replace:
            self.replace_asked.emit(existing, request)
            return
        from dmc_report.gui import cycle

        s.reports = {}  # the previous run's reports are not this run's
        self.reports_starting.emit()  # nothing of the app holds a report while it is replaced
        label = "Generating a DRY RUN (arms scrambled)" if plan.dry_run else "Generating reports"
        self._run(partial(cycle.write_reports, plan), self._reports_done, label)

    def _report_refusal(self, request: ReportRequest) -> str | None:
        """Why this Generate cannot start, in the app's words (None: it may)."""
        s = self.session
        if s.results is None:
            return "Read the data first."
        if s.stale:
            return (
                "The results are from the previous data: the inputs chosen since could not be "
                "read. Read the data again, or discard the results, before generating reports."
            )
        busy = self.refusal_while_busy()
        if busy is not None:
            return busy
        copies = request.recipients is not None
        if (
            request.closed_report
            and not copies
            and (not request.password or request.password != request.password_again)
        ):
            return "Enter the closed report's password twice (the two entries must match)."
        if not request.open_report:
            return "The open report is always produced with the closed one; tick 'Open report'."
        if (request.dry_run or copies) and not request.closed_report:
            what = "A dry run" if request.dry_run else "Numbered copies"
            return f"{what} is a closed report: tick 'Closed report'."
        if request.dry_run and (s.loaded.key is None or s.key is None):
            return (
                "A dry run needs the key workbook for its arm list (only its ARMS sheet is "
                "read): name it on the Data step and read the data again."
            )
        if request.dry_run and request.settings.previous_closed is not None:
            return (
                "A dry run shows no changes by arm: the previous closed report's numbers are "
                "real. Clear 'Previous closed report', or untick 'Dry run'."
            )
        if copies and not request.recipients:
            return "Add the recipients of the numbered copies (a name on each row)."
        return None

    def _plan(self, request: ReportRequest, settings: Any) -> tuple[Any, list[Path]]:
        """The job's plan and every file it will write (checked: none replaces an input)."""
        from dmc_report import pipeline
        from dmc_report.domain.errors import UnusableInputError
        from dmc_report.gui.cycle import DryRun, ReportPlan

        s = self.session
        pooled = request.pooled_results and not request.dry_run  # the same as a real run's
        open_path, closed_path, pooled_path = pipeline.report_paths(
            s.loaded, request.folder, closed=request.closed_report, pooled_results=pooled,
            dry_run=request.dry_run,
        )  # fmt: skip
        inputs: dict[str, Path | None] = {**pipeline.input_paths(s.loaded, settings)}
        inputs["recipients file"] = request.recipients_file
        recipients = None
        if request.recipients is not None:
            assert closed_path is not None
            recipients = pipeline.recipients_from_rows(request.recipients)
            pipeline.check_report_request(
                pipeline.ReportRequest(open_path, None, None, pooled_path),
                key_given=s.loaded.key is not None, inputs=inputs,
            )  # fmt: skip
            if s.loaded.key is None:
                raise UnusableInputError(pipeline.CLOSED_NEEDS_KEY)
            outputs = pipeline.numbered_copy_paths(open_path, closed_path, recipients)
            if pooled_path is not None:
                outputs["pooled results file"] = pooled_path
            pipeline.check_new_outputs(outputs, inputs)
            files = list(outputs.values())
        else:
            pipeline.check_report_request(
                pipeline.ReportRequest(
                    open_path, closed_path, request.password if request.closed_report else None,
                    pooled_path,
                ),
                key_given=s.loaded.key is not None,
                inputs=inputs,
            )  # fmt: skip
            files = [p for p in (open_path, closed_path, pooled_path) if p is not None]
        dry = None
        if request.dry_run:
            assert s.protocol is not None and s.data is not None and s.key is not None
            dry = DryRun(
                s.protocol, s.data, s.key, s.data_password, s.key_password, s.loaded.cutoff,
                request.dry_run_seed,
            )  # fmt: skip
        plan = ReportPlan(
            s.loaded, s.validation, s.results, settings, open_path, closed_path,
            None if recipients is not None else request.password or None, pooled_path,
            dry, recipients,
        )  # fmt: skip
        return plan, files

    def _reports_done(self, written: Any) -> None:
        self.session.reports = {"open": written.open}
        if written.closed:
            self.session.reports["closed"] = written.closed
        self.reports_written.emit(written)

    def default_dry_run_seed(self) -> int | None:
        """The dry run's seed when none is typed (the command line's default), once loaded."""
        loaded = self.session.loaded
        if loaded is None:  # (the pipeline is not imported before a study is: start-up stays fast)
            return None
        from dmc_report.pipeline import default_dry_run_seed

        return default_dry_run_seed(loaded.study)

    def read_recipients(self, path: Path) -> None:
        """Read a recipients file (CSV: name, optional password) in a job: :attr:`recipients_read`."""
        from dmc_report.gui import cycle

        self._run(
            partial(cycle.read_recipients, path), self.recipients_read.emit,
            "Reading the recipients file",
        )  # fmt: skip

    def history_folder_refusal(self) -> str | None:
        """Why the report history cannot be shown now, or None."""
        if self.study_id is None:
            return "Open a study first: the report log is named after its study id."
        return self.refusal_while_busy()

    def read_history(self, folder: Path) -> None:
        """Read the study's report log in ``folder`` (the output folder) in a job, its chain
        verified: :attr:`history_read`."""
        why = self.history_folder_refusal()
        if why is not None:
            self.failed.emit(why, "", "")
            return
        from dmc_report.gui import cycle

        assert self.study_id is not None
        self._run(
            partial(cycle.read_history, folder, self.study_id), self.history_read.emit,
            "Reading the report log",
        )  # fmt: skip

    def status_line(self) -> str | None:
        """The status bar's line for the loaded study (None before one is loaded)."""
        s = self.session
        if s.loaded is None:
            return None
        mode = (
            "UNBLINDED view open"
            if s.unblinded_confirmed
            else ("key loaded (blinded view)" if s.loaded.key else "blinded")
        )
        return f"Study {s.loaded.study.protocol.study.id}  |  data cutoff {s.loaded.cutoff.isoformat()}  |  {mode}"

    # --- jobs ----------------------------------------------------------------------------
    def _run(self, fn: Any, on_done: Any, label: str) -> None:
        busy = self.refusal_while_busy()
        if busy is not None:  # one job at a time; refused aloud, never silently dropped
            self.failed.emit(busy, "", "")
            return
        self._last_job = (fn, on_done, label)  # what "Retry" runs again
        self.job = Job(fn)
        self.job.signals.progress.connect(self.job_progress)
        self._on_done = on_done
        self.job.signals.finished.connect(self._job_finished)
        self.job.signals.failed.connect(self._job_failed)
        self.job.signals.cancelled.connect(self._job_cancelled)
        self.busy.emit(True)
        # started once the window has repainted with its progress bar: painting calls into
        # Python, and while a job runs each of those calls would wait for the interpreter lock
        QTimer.singleShot(50, lambda job=self.job: start(job))
        self.job_started.emit(label)

    def retry(self) -> None:
        """Run the last job again (after the user closed the file another program held)."""
        if self._last_job is not None:
            self._run(*self._last_job)

    def cancel(self) -> bool:
        """Ask the running job to stop; False when none runs."""
        if self.job is None:
            return False
        self.job.cancel()
        return True

    def _job_finished(self, result: Any) -> None:
        on_done = self._on_done
        self._job_over()
        assert on_done is not None
        on_done(result)

    def _job_failed(self, exc: BaseException, tb: str) -> None:
        self._job_over()
        self._input_not_read()
        self._failed(exc, tb)

    def _job_cancelled(self) -> None:
        self._job_over()
        self._input_not_read()
        self.job_cancelled.emit()

    def _input_not_read(self) -> None:
        """A read of the inputs failed or was cancelled: earlier results are now stale."""
        last = self._last_job
        if last is not None and last[1] == self._loaded and self.session.loaded is not None:
            self._set_stale(True)

    def _job_over(self) -> None:
        self.job = None
        self.busy.emit(False)

    def _failed(self, exc: BaseException, tb: str) -> None:
        from dmc_report.domain.errors import OutputInUseError, UnusableInputError

        if isinstance(exc, UnusableInputError) and _previous_closed_password(exc.message):
            # none given yet: this closed report's password was tried (the command line's rule)
            tried = self.session.previous_closed_password is not None
            self.session.previous_closed_password = None  # never tried again
            self.password_needed.emit(
                "previous closed",
                "Wrong password for the previous closed report. Try again:"
                if tried and exc.message.startswith("wrong password")
                else "The previous closed report does not open with this closed report's "
                "password (or there is none: numbered copies). Its password:",
            )
        elif isinstance(exc, UnusableInputError) and (
            "password-protected" in exc.message or exc.message.startswith("wrong password")
        ):
            which = "key" if "key workbook" in exc.message else "data"
            wrong = exc.message.startswith("wrong password")
            setattr(self.session, f"{which}_password", None)  # never tried again
            self.password_needed.emit(
                which,
                f"Wrong password for the {which} workbook. Try again:"
                if wrong
                else f"The {which} workbook is password-protected. Its password:",
            )
        elif isinstance(exc, OutputInUseError):  # a viewer or Excel holds it: close it, retry
            self.output_in_use.emit(exc.message, exc.location.describe())
        elif isinstance(exc, UnusableInputError):
            self.failed.emit(exc.message, exc.location.describe(), "")
        else:
            from dmc_report.pipeline import log_internal_error  # the command line's log

            log = log_internal_error(exc)
            tb = getattr(exc, "child_traceback", None) or tb  # where it failed in the renderer
            self.failed.emit(
                f"Internal error: {type(exc).__name__}: {exc}",
                "",
                f"The details are in {log}\n\n{tb}",
            )


# --- the jobs' work: run on a worker thread ----------------------------------------------------
def _write_demo(folder: Path, progress: Any) -> Any:
    from dmc_report.pipeline import make_demo

    progress.update(0.1, "Writing the demo study")
    return make_demo(folder)


def _read_validate_analyse(
    protocol: Path,
    data: Path,
    key: Path | None,
    data_password: str | None,
    key_password: str | None,
    cutoff: dt.date | None,
    scale: float,
    progress: Any,
) -> Any:
    from dmc_report.gui.cycle import Forward
    from dmc_report.pipeline import (
        analyse_as_suggested,
        load_study,
        run_validation,
        summary_data,
        summary_images,
    )

    # reading the data and then the key each report 0..1: mapped onto 0..0.6, never backwards
    progress = Forward(progress)
    loaded = load_study(
        protocol, data, key=key, data_password=data_password, key_password=key_password,
        cutoff=cutoff, progress=progress.stage(0.0, 0.6),
    )  # fmt: skip
    progress.update(0.6, "Validating")
    validation = run_validation(loaded)
    progress.update(0.8, "Analysing")
    # as the final analysis where the tool suggests it (the Reports page ticks it too)
    results = analyse_as_suggested(loaded, validation)
    open_data = summary_data(loaded, validation, results)
    progress.update(0.9, "Drawing the figures")
    from dmc_report.isolated import call_in_child

    # matplotlib holds the interpreter lock while it draws: a child process draws
    images = call_in_child(summary_images, open_data, results, scale=scale, progress=progress)
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


def _export_findings(loaded: Any, path: str, findings: Any, progress: Any) -> str:
    from dmc_report.pipeline import export_findings

    export_findings(loaded, path, findings)  # never over an input
    return path


def _sev(name: str) -> Any:
    from dmc_report.domain.findings import Severity

    return Severity(name)


def _previous_closed_password(message: str) -> bool:
    """The previous closed report could not be read for its password (wrong, or none given)."""
    return message == "wrong password for the previous closed report" or message.startswith(
        "the previous closed report's password is needed"
    )
