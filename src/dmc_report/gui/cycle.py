"""The DMC cycle's background work: a dry run, numbered copies, the previous closed report and
the report history (issue 19), each a plain function ``fn(..., progress)`` that the controller
runs as a job (gui/workers.py). They call the pipeline functions the command line calls
(``load_study(dry_run=True)``, ``render_numbered_copies``, ``report_history``); nothing here
computes a number or writes a file itself.

A dry run's study (its key scrambled) and results live only inside its job: they go into the
dry run's closed report, which says DRY RUN on every page, and never into the app's session. The
view by arm (step 4) therefore always shows the real allocation, labelled as such, and a dry
run's scrambled numbers are never on screen as real ones.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class Forward:
    """A job's progress that never goes backwards: each stage reports 0..1 on its own, and is
    mapped onto its slice of the job (:meth:`stage`); a stage that starts again at 0 (reading
    the key after the data) holds the bar where it is."""

    def __init__(self, parent: Any) -> None:
        self.parent = parent
        self.done = 0.0

    def update(self, fraction: float, message: str) -> None:
        self.done = max(self.done, min(1.0, float(fraction)))
        self.parent.update(self.done, message)

    def cancelled(self) -> bool:
        return bool(self.parent.cancelled())

    def stage(self, start: float, span: float) -> _Stage:
        return _Stage(self, start, span)


class _Stage:
    def __init__(self, whole: Forward, start: float, span: float) -> None:
        self.whole, self.start, self.span = whole, start, span

    def update(self, fraction: float, message: str) -> None:
        self.whole.update(self.start + self.span * max(0.0, min(1.0, fraction)), message)

    def cancelled(self) -> bool:
        return self.whole.cancelled()


@dataclass(frozen=True)
class DryRun:
    """What a dry run reads again: the inputs of the loaded study, its key's ARMS sheet only."""

    protocol: Path
    data: Path
    key: Path
    data_password: str | None
    key_password: str | None
    cutoff: dt.date
    seed: int | None  # None: from the data workbook's SHA-256, as the command line's default


@dataclass(frozen=True)
class ReportPlan:
    """One Generate, settled by the controller (paths checked, recipients read)."""

    loaded: Any  # LoadedStudy
    validation: Any
    results: Any
    settings: Any  # ReportSettings
    open_path: Path
    closed_path: Path | None
    password: str | None
    pooled_path: Path | None
    dry_run: DryRun | None = None
    recipients: tuple[Any, ...] | None = None  # Recipient: numbered copies instead of one closed


@dataclass(frozen=True)
class Written:
    """What a Generate wrote, as the Reports page lists it."""

    open: Path
    closed: Path | None = None
    pooled_results: Path | None = None
    copies: tuple[Path, ...] = ()
    passwords: Path | None = None  # the generated passwords (owner-only)
    dry_run_seed: int | None = None
    files: tuple[Path, ...] = field(default=())


def write_reports(plan: ReportPlan, progress: Any) -> Written:
    """The reports of ``plan``: a dry run reads the study again with its key's arms only and
    scrambles them (as ``report --dry-run``); numbered copies as ``report --recipients``."""
    from dmc_report import pipeline

    whole = Forward(progress)
    loaded, validation, results = plan.loaded, plan.validation, plan.results
    render_from = 0.0
    if plan.dry_run is not None:
        d = plan.dry_run
        loaded = pipeline.load_study(
            d.protocol, d.data, key=d.key, data_password=d.data_password,
            key_password=d.key_password, cutoff=d.cutoff, dry_run=True, dry_run_seed=d.seed,
            progress=whole.stage(0.0, 0.15),
        )  # fmt: skip
        whole.update(0.15, "Dry run: validating with the scrambled arms")
        validation = pipeline.run_validation(loaded)
        whole.update(0.2, "Dry run: analysing with the scrambled arms")
        results = pipeline.run_analysis(loaded, validation, final=plan.settings.final)
        render_from = 0.25
    whole.update(render_from, "Reading the previous closed report")
    # a wrong password or another study's report is told now, not after the rendering
    pipeline.check_previous_closed(loaded, plan.settings, plan.password)
    rendering = whole.stage(render_from, 1.0 - render_from)
    seed = loaded.key.dry_run_seed if loaded.key is not None else None
    if plan.recipients is not None:
        return _numbered_copies(plan, loaded, validation, results, rendering, seed)
    from dmc_report.isolated import render_reports_in_child

    done = render_reports_in_child(
        loaded, validation, results, plan.settings, open_path=plan.open_path,
        closed_path=plan.closed_path, closed_password=plan.password,
        pooled_results_path=plan.pooled_path, progress=rendering,
    )  # fmt: skip
    files = tuple(p for p in (done.open, done.closed, done.pooled_results) if p is not None)
    return Written(done.open, done.closed, done.pooled_results, dry_run_seed=seed, files=files)


def _numbered_copies(
    plan: ReportPlan, loaded: Any, validation: Any, results: Any, progress: Any, seed: int | None
) -> Written:
    from dmc_report import pipeline

    assert plan.closed_path is not None and plan.recipients is not None
    paths = pipeline.render_numbered_copies(
        loaded, validation, results, plan.settings, open_path=plan.open_path,
        closed_path=plan.closed_path, recipients=plan.recipients, progress=progress,
        render=render_in_child,
    )  # fmt: skip
    pooled = None
    if plan.pooled_path is not None:  # for the next report's comparison, as a Generate saves it
        pipeline.write_results(results.pooled(), plan.pooled_path)
        pooled = plan.pooled_path
    copies = tuple(p for p in paths[1:] if p.suffix == ".pdf")
    passwords = next((p for p in paths[1:] if p.suffix == ".csv"), None)
    files = (*paths, *((pooled,) if pooled else ()))
    return Written(paths[0], None, pooled, copies, passwords, seed, files)


def render_in_child(
    inputs: Any, validation: Any, results: Any, settings: Any, *, progress: Any, **kw: Any
) -> Any:
    """:func:`dmc_report.pipeline.render_from_inputs` in a child process (reportlab and pikepdf
    hold the interpreter lock for long stretches), fed results and findings, never the data."""
    from dmc_report.isolated import call_in_child
    from dmc_report.pipeline import render_from_inputs

    return call_in_child(
        render_from_inputs, inputs, validation.for_reports(), results, settings,
        progress=progress, pass_progress=True, **kw,
    )  # fmt: skip


def read_history(folder: Path, study_id: str, progress: Any) -> Any:
    """The study's report log in ``folder``, its chain verified (``audit verify``)."""
    from dmc_report.pipeline import report_history

    progress.update(0.2, "Reading the report log")
    return report_history(folder, study_id)


def read_recipients(path: Path, progress: Any) -> Any:
    """The recipients file's rows, checked (its problems located: row and column)."""
    from dmc_report.pipeline import read_recipients as read

    progress.update(0.2, "Reading the recipients file")
    return read(path)
