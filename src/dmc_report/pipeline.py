"""The use cases, shared by the command line and the desktop app.

Front ends call these and nothing below them; neither computes a statistic nor formats a table.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from typing import Protocol as TypingProtocol

import pandas as pd

from dmc_report.analysis import analyze
from dmc_report.analysis.results import Results
from dmc_report.demo.generator import apply_cutoff, generate
from dmc_report.demo.writer import DemoFiles, write_demo
from dmc_report.domain.contract import DATA_SHEETS, Kind
from dmc_report.domain.errors import CancelledError, Location, UnusableInputError
from dmc_report.domain.findings import Finding
from dmc_report.domain.previous import RESULTS_ATTACHMENT, PreviousByArm
from dmc_report.domain.progress import NO_PROGRESS, Progress
from dmc_report.domain.protocol import Protocol
from dmc_report.domain.settings import ReportSettings
from dmc_report.domain.study import ROW, DataSet, Provenance, RandomizationKey, Study
from dmc_report.io.engines import Engine
from dmc_report.io.mapping_check import MappingReport
from dmc_report.io.protocol_loader import bundled_protocol_text, load_protocol, parse_protocol
from dmc_report.io.reader import read_key, read_study
from dmc_report.io.recipients import Recipient
from dmc_report.validation import ValidationResult, validate

if TYPE_CHECKING:  # the report package is imported when a report is made, not at start-up
    from typing import Protocol as Interface

    from dmc_report.report.data import OpenReportData
    from dmc_report.report.prepare import ValidationFacts

    class ReportFacts(ValidationFacts, Interface):
        """What a render takes from validation: the findings (the key's apart) and compliance."""

        @property
        def key_findings(self) -> tuple[Finding, ...]: ...


DEMO_PROTOCOL = "ketamine-mbrp.toml"
MIN_DEMO_SUBJECTS = 4

# Refusals that name the thing, not a front end's control: the command line adds its flags, the
# app its fields (each compares the message with these).
CLOSED_NEEDS_KEY = "the closed report needs the randomization key (it is by arm)"
CLOSED_NEEDS_PASSWORD = "the closed report needs a password (it is encrypted)"
DEMO_NEEDS_SUBJECTS = f"the demo needs at least {MIN_DEMO_SUBJECTS} randomized subjects"


@dataclass(frozen=True)
class LoadedStudy:
    study: Study
    key: RandomizationKey | None
    cutoff: dt.date
    cutoff_is_default: bool

    @property
    def dry_run(self) -> bool:
        """The key's assignments are scrambled (a dry run): its RAND sheet was never read."""
        return self.key is not None and self.key.dry_run_seed is not None


def locate_text(data: DataSet, text: str) -> Location | None:
    """The first cell of the data workbook's text columns that contains ``text`` (any case)."""
    needle = text.casefold()
    for spec in DATA_SHEETS:
        if spec.name not in data:
            continue
        table = data[spec.name]
        frame = table.frame
        for col in spec.columns:
            if col.kind is not Kind.TEXT or col.name not in frame:
                continue
            hits = frame[col.name].astype(str).str.casefold().str.contains(needle, regex=False)
            hits = hits.fillna(False).astype(bool)
            if hits.any():
                row = int(frame.loc[hits, ROW].iloc[0])
                letter = table.column_letters.get(col.name)
                return Location(
                    file=data.provenance.file,
                    sheet=table.source_name,
                    row=row,
                    column=f"{col.name} ({letter})" if letter else col.name,
                )
    return None


def latest_date(data: DataSet) -> dt.date | None:
    """The latest date anywhere in the data workbook (the default data cutoff)."""
    latest: pd.Timestamp | None = None
    for spec in DATA_SHEETS:
        if spec.name not in data:
            continue
        frame = data.frame(spec.name)
        for col in spec.columns:
            if col.kind is Kind.DATE and not col.entry_date and col.name in frame:
                m = frame[col.name].max()
                if pd.notna(m) and (latest is None or m > latest):
                    latest = m
    return latest.date() if latest is not None else None


def load_study(
    protocol: str | Path,
    data: str | Path,
    *,
    key: str | Path | None = None,
    data_password: str | None = None,
    key_password: str | None = None,
    cutoff: dt.date | None = None,
    engine: Engine = Engine.FASTEXCEL,
    progress: Progress = NO_PROGRESS,
    dry_run: bool = False,
    dry_run_seed: int | None = None,
) -> LoadedStudy:
    """Read protocol and data (and, only if asked, the key) and settle the data cutoff.

    With ``dry_run``, only the key's arms are read (never its RAND sheet) and the subjects are
    allocated by :func:`~dmc_report.domain.dry_run.scrambled_allocation` with ``dry_run_seed``
    (default: from the data workbook's SHA-256, so the same inputs give the same dry run).
    """
    study = read_study(protocol, data, password=data_password, engine=engine, progress=progress)
    if dry_run and key is None:
        raise UnusableInputError(DRY_RUN_NEEDS_KEY)
    rkey = None
    if key is not None:
        rkey = read_key(
            key, study.protocol, password=key_password, engine=engine, progress=progress,
            arms_only=dry_run,
        )  # fmt: skip
    if dry_run and rkey is not None:
        rkey = scrambled_key(rkey, study, dry_run_seed)
    default = cutoff is None
    if cutoff is None:
        cutoff = latest_date(study.data) or dt.date.today()
    return LoadedStudy(study, rkey, cutoff, default)


DRY_RUN_NEEDS_KEY = (
    "a dry run needs the key workbook for its arm list (only its ARMS sheet is read)"
)


def scrambled_key(key: RandomizationKey, study: Study, seed: int | None) -> RandomizationKey:
    """``key`` (its arms only) with every subject randomized in the data allocated at random:
    permuted blocks within site (:func:`~dmc_report.domain.dry_run.scrambled_allocation`)."""
    from dmc_report.domain.dry_run import scrambled_allocation

    if seed is None:  # the same data give the same dry run
        seed = default_dry_run_seed(study)
    dm = study.data.frame("DM")
    subjects = dm.loc[dm["SUBJID"].notna() & dm["RANDDT"].notna()].drop_duplicates("SUBJID")
    allocated = scrambled_allocation(subjects, [a.code for a in key.arms], seed)
    allocated[ROW] = 0  # no key row: a dry run's allocation is not in the key file
    return dataclasses.replace(key, assignments=allocated, dry_run_seed=seed)


def default_dry_run_seed(study: Study) -> int:
    """A dry run's seed when none is given: the first 32 bits of the data workbook's SHA-256."""
    return int(study.data.provenance.sha256[:8], 16)


def make_demo(
    folder: str | Path,
    *,
    cutoff: dt.date | None = None,
    subjects: int = 55,
    seed: int = 20120705,
    protocol: str | Path | None = None,
) -> DemoFiles:
    """Write the demo study (protocol, data, encrypted key, key password) into ``folder``.

    ``protocol`` is the protocol file the demo trial follows (default: the bundled
    :data:`DEMO_PROTOCOL`); it is copied beside the data as ``protocol.toml``.

    Raises
    ------
    UnusableInputError
        Fewer than :data:`MIN_DEMO_SUBJECTS` subjects (:data:`DEMO_NEEDS_SUBJECTS`), a protocol
        file that cannot be read or is refused, or a folder that holds files the demo did not
        write.
    """
    if subjects < MIN_DEMO_SUBJECTS:
        raise UnusableInputError(DEMO_NEEDS_SUBJECTS)
    if protocol is None:
        text = bundled_protocol_text(DEMO_PROTOCOL)
        trial = parse_protocol(text, DEMO_PROTOCOL)
    else:
        trial = load_protocol(protocol).protocol  # read and checked: errors name the file
        text = Path(protocol).read_text(encoding="utf-8-sig")
    tables = generate(trial, subjects=subjects, seed=seed)
    if cutoff is not None and cutoff < tables.last_date:
        tables = apply_cutoff(tables, cutoff, trial)
    return write_demo(folder, tables, text, trial)


def make_demo_reports(files: DemoFiles, *, progress: Progress = NO_PROGRESS) -> WrittenReports:
    """The demo study's open and closed reports, beside its files (the closed report's password
    is the key's), at the demo's cutoff."""
    from dmc_report.demo.writer import DEMO_PASSWORD, DEMO_REPORTS

    loaded = load_study(
        files.protocol, files.data, key=files.key, key_password=DEMO_PASSWORD, cutoff=files.cutoff
    )
    validation = run_validation(loaded)
    results = run_analysis(loaded, validation)
    # the demo's final data are its final analysis; an interim snapshot is an interim look
    final = suggests_final(loaded, results) is not None
    # a report written two weeks after the cutoff for a meeting two weeks later (synthetic)
    settings = ReportSettings(
        report_date=files.cutoff + dt.timedelta(days=14),
        meeting_date=files.cutoff + dt.timedelta(days=28),
        final=final,
        prepared_by="Demo statistician (synthetic study)",
        distribution=("DMC members", "Independent statistician"),
        previous_results=_demo_previous_results(files, loaded),
    )
    open_name, closed_name = DEMO_REPORTS
    return render_reports(
        loaded, validation, results, settings,
        open_path=files.folder / open_name, closed_path=files.folder / closed_name,
        closed_password=DEMO_PASSWORD, progress=progress,
    )  # fmt: skip


def _demo_previous_results(files: DemoFiles, loaded: LoadedStudy) -> Path | None:
    """The pooled results of the demo's previous look (the protocol's latest earlier look dated
    before the cutoff), written beside the demo as the app saves them beside an open report, so
    that the demo's open synopsis shows the changes since; None without an earlier look."""
    from dmc_report.demo.writer import DEMO_PREVIOUS

    interim = loaded.study.protocol.interim
    dates = [p.date for p in (interim.previous_looks if interim else ()) if p.date < loaded.cutoff]
    if not dates:
        return None
    then = load_study(files.protocol, files.data, cutoff=max(dates))
    path = files.folder / DEMO_PREVIOUS
    write_results(run_analysis(then, run_validation(then)).pooled(), path)
    return path


def run_validation(loaded: LoadedStudy, *, progress: Progress = NO_PROGRESS) -> ValidationResult:
    """Findings and visit compliance for a loaded study at its cutoff."""
    return validate(
        loaded.study.data, loaded.study.protocol, loaded.cutoff, key=loaded.key, progress=progress
    )


def run_analysis(
    loaded: LoadedStudy,
    validation: ValidationResult,
    *,
    final: bool = False,
    progress: Progress = NO_PROGRESS,
) -> Results:
    """The results (blinded; unblinded too when the key was loaded) at the study's cutoff;
    ``final``: as the final analysis (the monitoring's current look is the last)."""
    return analyze(
        loaded.study.data,
        loaded.study.protocol,
        loaded.cutoff,
        validation=validation,
        protocol_provenance=loaded.study.protocol_provenance,
        key=loaded.key,
        final=final,
        progress=progress,
    )


def is_final(results: Results) -> bool:
    """Whether the results were computed as the final analysis (their monitoring says so)."""
    u = results.unblinded
    return bool(u is not None and u.monitoring is not None and u.monitoring.final)


def suggests_final(loaded: LoadedStudy, results: Results) -> str | None:
    """Why this cutoff looks like the final analysis (dmc-sap.md: the planned end of enrolment
    has passed and no randomized subject is ongoing or pending), or None."""
    from dmc_report.analysis.monitoring import suggest_final

    end = loaded.study.protocol.study.planned_enrollment_end
    pooled = results.blinded.pooled
    if not suggest_final(end, loaded.cutoff, pooled.disposition.ongoing, pooled.abstinence.pending):
        return None
    return (
        f"the planned end of enrolment ({end.isoformat()}) has passed and no randomized subject "
        "is ongoing or pending: if this is the final analysis, say so"
    )


def analyse_as_suggested(
    loaded: LoadedStudy, validation: ValidationResult, *, progress: Progress = NO_PROGRESS
) -> Results:
    """The results as the app first shows them: as the final analysis when the tool suggests
    it (:func:`suggests_final`), an interim look otherwise; the report settings decide later
    (:func:`results_as_requested`)."""
    results = run_analysis(loaded, validation, progress=progress)
    if loaded.key is not None and suggests_final(loaded, results) is not None:
        return run_analysis(loaded, validation, final=True, progress=progress)
    return results


def results_as_requested(
    loaded: LoadedStudy, validation: ValidationResult, results: Results, settings: ReportSettings
) -> Results:
    """The results as the report settings ask for them: computed again as the final analysis
    (or as an interim look) when ``settings.final`` says otherwise than ``results``. Final or
    interim changes the monitoring alone: without one (no interim plan, or more than one
    experimental arm) the results are the same either way, and are not computed again."""
    u = results.unblinded
    if u is None or u.monitoring is None or settings.final == is_final(results):
        return results
    if validation.schedule.grid.empty and results.blinded.enrollment.randomized:
        # released for rendering (ValidationResult.for_reports): the analysis needs the grid
        raise RuntimeError("the visit grid was released before the analysis was repeated")
    return run_analysis(loaded, validation, final=settings.final)


@dataclass(frozen=True)
class WrittenReports:
    open: Path
    closed: Path | None
    pooled_results: Path | None = None  # the pooled results JSON, for the next comparison


def render_reports(
    loaded: LoadedStudy,
    validation: ValidationResult,
    results: Results,
    settings: ReportSettings,
    *,
    open_path: str | Path,
    closed_path: str | Path | None = None,
    closed_password: str | None = None,
    progress: Progress = NO_PROGRESS,
    closed_renderer: ClosedRenderer | None = None,
) -> WrittenReports:
    """Render and write the open report (and, with a key and a password, the closed report).

    The open report is built from blinded data alone and scanned for arm information before it
    is written; the closed report is encrypted in memory and only its encrypted bytes are written.
    Each file goes to a temporary name beside its target and is renamed when complete.
    ``closed_renderer``: see :func:`render_from_inputs`.
    """
    rendered = render_report_bytes(
        loaded,
        validation,
        results,
        settings,
        closed=closed_path is not None,
        closed_password=closed_password,
        progress=progress,
        closed_renderer=closed_renderer,
    )
    return write_reports(
        rendered,
        open_path=open_path,
        closed_path=closed_path,
        inputs=input_paths(loaded, settings),
        progress=progress,
        audit=run_facts(loaded, settings),
    )


@dataclass(frozen=True)
class RenderedReports:
    """The reports as bytes: the open report, and the closed report already encrypted; and, when
    asked for, the pooled results JSON (no unblinded section) that goes beside the open report."""

    open: bytes
    closed: bytes | None
    pooled_results: bytes | None = None
    # the SHA-256 of the closed report's content unencrypted (the audit trail's record of it)
    closed_sha256: str | None = None
    # numbered copies of the closed report (encrypted, content SHA-256), in recipients' order
    closed_copies: tuple[tuple[bytes, str], ...] = ()


def input_paths(loaded: LoadedStudy, settings: ReportSettings | None = None) -> dict[str, Path]:
    """The files a loaded study (and a report request) was read from, by what they are: no
    output may replace one (:func:`dmc_report.io.output.check_outputs`)."""
    study = loaded.study
    paths = {
        "protocol file": Path(study.protocol_provenance.path),
        "data workbook": Path(study.data.provenance.path),
    }
    if loaded.key is not None:
        paths["key workbook"] = Path(loaded.key.provenance.path)
    if settings is not None and settings.previous_results is not None:
        paths["previous results file"] = Path(settings.previous_results)
    if settings is not None and settings.previous_closed is not None:
        paths["previous closed report"] = Path(settings.previous_closed)
    return paths


def report_outputs(
    open_path: str | Path,
    closed_path: str | Path | None = None,
    pooled_results_path: str | Path | None = None,
) -> dict[str, Path]:
    """The report files of one request, by what they are."""
    outputs = {"open report": Path(open_path)}
    if closed_path is not None:
        outputs["closed report"] = Path(closed_path)
    if pooled_results_path is not None:
        outputs["pooled results file"] = Path(pooled_results_path)
    return outputs


@dataclass(frozen=True)
class ReportRequest:
    """One request for reports, as a front end takes it: where each report goes and the closed
    report's password (a closed report is asked for by giving its path)."""

    open_path: Path
    closed_path: Path | None = None
    closed_password: str | None = None
    pooled_results_path: Path | None = None

    @property
    def closed(self) -> bool:
        return self.closed_path is not None

    def outputs(self) -> dict[str, Path]:
        """The request's files, by what they are."""
        return report_outputs(self.open_path, self.closed_path, self.pooled_results_path)


def check_report_request(
    request: ReportRequest,
    *,
    key_given: bool,
    inputs: Mapping[str, str | Path | None] = MappingProxyType({}),
) -> None:
    """Refuse, before any work, a report request that cannot succeed.

    ``key_given``: whether the study is (to be) read with its randomization key; ``inputs``
    (what -> path, None for one not given) are files no report may replace.

    Raises
    ------
    UnusableInputError
        A closed report without the key (:data:`CLOSED_NEEDS_KEY`) or without a password
        (:data:`CLOSED_NEEDS_PASSWORD`), or with a password too short
        (:func:`closed_password_problem`); or an output that would replace an input or another
        output, or cannot be written.
    """
    if request.closed:
        if not key_given:
            raise UnusableInputError(CLOSED_NEEDS_KEY)
        if not request.closed_password:
            raise UnusableInputError(CLOSED_NEEDS_PASSWORD)
        problem = closed_password_problem(request.closed_password)
        if problem is not None:
            raise UnusableInputError(problem)
    check_new_outputs(request.outputs(), inputs)


def check_new_outputs(
    outputs: Mapping[str, str | Path | None], inputs: Mapping[str, str | Path | None]
) -> None:
    """Before any work: no output may replace an input or another output, and each must be
    writable (:class:`UnusableInputError` naming both files, or the output and the reason).
    Both map what a file is ("results file", "data workbook") to its path, None when not given.
    """
    from dmc_report.io.output import check_outputs

    check_outputs(
        {what: p for what, p in outputs.items() if p is not None},
        {what: p for what, p in inputs.items() if p is not None},
    )


def check_previous_results(loaded: LoadedStudy, settings: ReportSettings) -> None:
    """Read the previous report's results, if the settings name them, now: a file of another
    study or of a later cutoff is told before the analysis, not after it."""
    if settings.previous_results is None:
        return
    from dmc_report.io.previous import read_previous_results

    read_previous_results(
        settings.previous_results, study_id=loaded.study.protocol.study.id, cutoff=loaded.cutoff
    )


def write_results(results: Results, path: str | Path) -> None:
    """Write the results JSON; with results by arm, readable by its owner only (0600)."""
    from dmc_report.io.output import write_text_atomic

    write_text_atomic(path, results.to_json(), private=results.unblinded is not None)


def write_reports(
    rendered: RenderedReports,
    *,
    open_path: str | Path,
    closed_path: str | Path | None = None,
    pooled_results_path: str | Path | None = None,
    inputs: Mapping[str, str | Path] = MappingProxyType({}),
    progress: Progress = NO_PROGRESS,
    audit: Mapping[str, Any] | None = None,
) -> WrittenReports:
    """Write rendered reports together: each to a temporary name beside its target, then all
    renamed, or none (a failure leaves the previous reports as they were).

    ``inputs`` (what -> path) are the files no report may replace (:func:`check_outputs`).
    ``audit`` (:func:`run_facts`): the run's record, appended with what was written to the
    study's report log beside the open report (:mod:`dmc_report.io.audit`) once all is written.
    """
    from dmc_report.io import audit as trail
    from dmc_report.io.output import OutputFile, check_outputs, write_files_atomic

    if progress.cancelled():
        raise CancelledError("Reports not written")
    files = [OutputFile(Path(open_path), rendered.open)]
    if rendered.closed is not None and closed_path is not None:
        files.append(OutputFile(Path(closed_path), rendered.closed))
    pooled = None
    if rendered.pooled_results is not None and pooled_results_path is not None:
        pooled = Path(pooled_results_path)
        files.append(OutputFile(pooled, rendered.pooled_results))
    check_outputs(report_outputs(open_path, closed_path, pooled_results_path), inputs)
    log = trail.log_path(Path(open_path).parent, audit["study_id"]) if audit else None
    if log is not None:
        trail.check_appendable(log)
    write_files_atomic(files)
    if audit is not None and log is not None:
        _append_log(log, {**audit, "outputs": _written(rendered, files, closed_path)})
    progress.update(1.0, "Reports written")
    return WrittenReports(
        Path(open_path), Path(closed_path) if closed_path is not None else None, pooled
    )


def _log_for(loaded: LoadedStudy, open_path: str | Path) -> Path:
    """The study's report log beside the open report, checked appendable (before any write)."""
    from dmc_report.io import audit as trail

    log = trail.log_path(Path(open_path).parent, loaded.study.protocol.study.id)
    trail.check_appendable(log)
    return log


def _append_log(log: Path, record: Mapping[str, Any]) -> None:
    from dmc_report.io import audit as trail

    try:
        trail.append(log, record)
    except OSError as exc:
        raise UnusableInputError(
            f"the reports were written, but their run could not be added to the report log "
            f"({exc.strerror or exc}); add it by hand or run again",
            Location(file=str(log)),
        ) from exc


def _written(
    rendered: RenderedReports, files: Sequence[Any], closed_path: str | Path | None
) -> dict[str, Any]:
    """What a run wrote, for its audit record: names and SHA-256 (the closed report's content's)."""
    import hashlib

    def entry(f: Any) -> dict[str, str]:
        return {"file": f.path.name, "sha256": hashlib.sha256(f.content).hexdigest()}

    out: dict[str, Any] = {"open": entry(files[0]), "closed": None, "pooled_results": None}
    if rendered.closed is not None and closed_path is not None:
        out["closed"] = {"file": Path(closed_path).name, "content_sha256": rendered.closed_sha256}
    if rendered.pooled_results is not None and len(files) > 1:
        out["pooled_results"] = entry(files[-1])
    return out


def copy_settings(
    loaded: LoadedStudy, settings: ReportSettings, recipients: Sequence[Recipient]
) -> list[tuple[ReportSettings, str]]:
    """Each recipient's settings (name, number of N, a copy ID from the study, cutoff, report
    date, data and copy: the same inputs give the same IDs) and password. The title pages'
    distribution lists every recipient (after any distribution given)."""
    import hashlib

    names = tuple(r.name for r in recipients)
    distribution = settings.distribution + tuple(n for n in names if n not in settings.distribution)
    base = "|".join(
        [loaded.study.protocol.study.id, loaded.cutoff.isoformat(),
         settings.report_date.isoformat(), loaded.study.data.provenance.sha256]
    )  # fmt: skip
    out = []
    for r in recipients:
        copy_id = hashlib.sha256(f"{base}|{r.number}|{r.name}".encode()).hexdigest()[:32]
        one = dataclasses.replace(
            settings, recipient=r.name, copy_number=r.number, copies=len(recipients),
            copy_id=copy_id, distribution=distribution,
        )  # fmt: skip
        out.append((one, r.password))
    return out


def numbered_copy_paths(
    open_path: str | Path, closed_path: str | Path, recipients: Sequence[Recipient]
) -> dict[str, Path]:
    """The files a numbered-copies request writes, by what they are (checked before any work)."""
    closed = Path(closed_path)
    out = {"open report": Path(open_path)}
    out |= {f"copy {r.number:02d}": closed.with_name(r.file_name(closed)) for r in recipients}
    if any(r.generated for r in recipients):
        out["passwords file"] = closed.with_name(f"{closed.stem}-passwords.csv")
    return out


def render_numbered_copies(
    loaded: LoadedStudy,
    validation: ValidationResult,
    results: Results,
    settings: ReportSettings,
    *,
    open_path: str | Path,
    closed_path: str | Path,
    recipients: Sequence[Recipient],
    progress: Progress = NO_PROGRESS,
    inputs: Mapping[str, str | Path] = MappingProxyType({}),
    render: Callable[..., RenderedReports] | None = None,
    closed_renderer: ClosedRenderer | None = None,
) -> list[Path]:
    """The open report and one closed report per recipient (``<closed name>-NN-<name>.pdf``
    beside ``closed_path``, each with its own password, "Copy NN of N - name" on every page),
    and the generated passwords (``<closed name>-passwords.csv``, owner-only), written
    together; the run goes to the report log. Returns the files written.

    ``render``: what renders (default :func:`render_from_inputs`, here; the app passes one that
    renders in a child process, with the same arguments). ``closed_renderer``: see
    :func:`render_from_inputs` (with the default ``render`` only)."""
    from dmc_report.io.output import OutputFile, check_outputs, write_files_atomic
    from dmc_report.io.recipients import passwords_csv

    results = results_as_requested(loaded, validation, results, settings)
    per_copy = copy_settings(loaded, settings, recipients)
    with located_in(loaded):
        extra: dict[str, Any] = {"closed_renderer": closed_renderer} if closed_renderer else {}
        rendered = (render or render_from_inputs)(
            report_inputs(loaded), validation, results, settings, closed=False,
            progress=progress, copies=per_copy, **extra,
        )  # fmt: skip
    closed = Path(closed_path)
    files = [OutputFile(Path(open_path), rendered.open)]
    files += [
        OutputFile(closed.with_name(r.file_name(closed)), pdf)
        for r, (pdf, _) in zip(recipients, rendered.closed_copies, strict=True)
    ]
    if any(r.generated for r in recipients):
        files.append(
            OutputFile(closed.with_name(f"{closed.stem}-passwords.csv"),
                       passwords_csv(tuple(recipients), closed), private=True)
        )  # fmt: skip
    check_outputs(
        {f"output {i + 1}": f.path for i, f in enumerate(files)},
        {**input_paths(loaded, settings), **inputs},
    )
    log = _log_for(loaded, open_path)
    write_files_atomic(files)
    copies = [
        {"copy": r.number, "recipient": r.name, "file": f.path.name, "content_sha256": sha}
        for r, f, (_, sha) in zip(recipients, files[1:], rendered.closed_copies, strict=False)
    ]
    outputs = _written(rendered, files[:1], None) | {"closed": copies}
    _append_log(log, {**run_facts(loaded, settings), "outputs": outputs})
    progress.update(1.0, "Reports written")
    return [f.path for f in files]


def run_facts(loaded: LoadedStudy, settings: ReportSettings) -> dict[str, Any]:
    """A report run's audit record (:mod:`dmc_report.io.audit`), without what it wrote: when, who,
    the software, the inputs' SHA-256, the cutoff and the settings."""
    import getpass
    import hashlib

    from dmc_report import __version__

    study = loaded.study
    try:
        user = getpass.getuser()
    except (OSError, KeyError, ImportError):  # no user name in the environment
        user = "unknown"
    previous = settings.previous_results
    return {
        "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "user": user,
        "software": f"dmc-report {__version__}",
        "study_id": study.protocol.study.id,
        "cutoff": loaded.cutoff.isoformat(),
        "inputs": {
            "protocol": study.protocol_provenance.sha256,
            "data": study.data.provenance.sha256,
            "key": loaded.key.provenance.sha256 if loaded.key is not None else None,
            "previous results": hashlib.sha256(Path(previous).read_bytes()).hexdigest()
            if previous is not None
            else None,
            "previous closed report": hashlib.sha256(
                Path(settings.previous_closed).read_bytes()
            ).hexdigest()
            if settings.previous_closed is not None
            else None,
        },
        "settings": {
            "final": settings.final,
            "report_date": settings.report_date.isoformat(),
            "meeting_date": settings.meeting_date.isoformat() if settings.meeting_date else None,
            "version": settings.version,
            "prepared_by": settings.prepared_by,
            "distribution": list(settings.distribution),
            "dry_run_seed": loaded.key.dry_run_seed if loaded.key is not None else None,
        },
    }


@dataclass(frozen=True)
class ReportInputs:
    """What rendering needs of a loaded study besides the results: the protocol, the cutoff,
    the inputs' provenance and (closed report) the key's arms and assignments. No data: the
    report process receives results, findings and these, never raw data to recompute from."""

    protocol: Protocol
    cutoff: dt.date
    protocol_input: Provenance
    data_input: Provenance
    key: RandomizationKey | None  # without its sheets


def report_inputs(loaded: LoadedStudy) -> ReportInputs:
    from dataclasses import replace

    key = replace(loaded.key, tables={}) if loaded.key is not None else None
    study = loaded.study
    return ReportInputs(
        study.protocol, loaded.cutoff, study.protocol_provenance, study.data.provenance, key
    )


def render_report_bytes(
    loaded: LoadedStudy,
    validation: ValidationResult,
    results: Results,
    settings: ReportSettings,
    *,
    closed: bool,
    closed_password: str | None = None,
    pooled_results: bool = False,
    progress: Progress = NO_PROGRESS,
    closed_renderer: ClosedRenderer | None = None,
) -> RenderedReports:
    """Render the open report (and the closed one, encrypted) in memory; write nothing.
    With ``pooled_results``, also the pooled results JSON (:meth:`Results.pooled`). The results
    are first made as the settings ask (:func:`results_as_requested`: final or interim)."""
    results = results_as_requested(loaded, validation, results, settings)
    with located_in(loaded):
        return render_from_inputs(
            report_inputs(loaded), validation, results, settings, closed=closed,
            closed_password=closed_password, pooled_results=pooled_results, progress=progress,
            closed_renderer=closed_renderer,
        )  # fmt: skip


@contextmanager
def located_in(loaded: LoadedStudy) -> Iterator[None]:
    """A blinding stop raised inside says where in the data workbook its text stands."""
    from dmc_report.report.guard import BlindingLeakError

    try:
        yield
    except BlindingLeakError as exc:
        where = locate_text(loaded.study.data, exc.found) if exc.found else None
        if where is None:
            raise
        raise BlindingLeakError(exc.message, where, exc.found) from None


def render_from_inputs(
    inputs: ReportInputs,
    validation: ReportFacts,
    results: Results,
    settings: ReportSettings,
    *,
    closed: bool,
    closed_password: str | None = None,
    pooled_results: bool = False,
    progress: Progress = NO_PROGRESS,
    copies: Sequence[tuple[ReportSettings, str]] = (),
    closed_renderer: ClosedRenderer | None = None,
) -> RenderedReports:
    """:func:`render_report_bytes` from results, findings and settings alone (what the report
    process runs): nothing is derived or analysed here. ``copies``: numbered copies of the
    closed report, each with its own settings (recipient, number) and password.
    ``closed_renderer``: a process started earlier that renders the closed report(s)
    (:class:`dmc_report.isolated.Prestarted`)."""
    from dmc_report.domain.progress import checkpoint
    from dmc_report.report import render_open_report
    from dmc_report.report.prepare import open_report_data
    from dmc_report.report.render import Beside

    previous = None
    if settings.previous_results is not None:
        from dmc_report.io.previous import read_previous_results

        previous = read_previous_results(
            settings.previous_results, study_id=inputs.protocol.study.id, cutoff=inputs.cutoff
        )
    open_data = open_report_data(
        inputs.data_input, inputs.protocol, inputs.cutoff, validation, results,
        inputs.protocol_input, settings, previous,
    )  # fmt: skip
    key = inputs.key
    labels = {a.code: a.label for a in key.arms} if key else None
    closed_side = None
    if closed or copies:
        if key is None or results.unblinded is None:
            raise UnusableInputError(CLOSED_NEEDS_KEY)
        if closed and not closed_password:
            raise UnusableInputError(CLOSED_NEEDS_PASSWORD)
        # the closed report carries its own results, encrypted with it: a later closed report
        # reads them back for its changes by arm
        attachment = (RESULTS_ATTACHMENT, results.to_json().encode("utf-8"))
        since = _previous_closed(inputs, settings, closed_password)

        job = (
            open_data, results, key, validation.key_findings, since, closed, closed_password or "",
            tuple(copies), attachment,
        )  # fmt: skip
        # the closed report(s) render in another process while this one renders the open report:
        # a prestarted one (the command line starts it before reading, so that its imports are
        # done by now), or else one forked now (Linux), or else here, after the open report
        if closed_renderer is not None:
            closed_side = closed_renderer.submit(render_closed_side, *job)
        else:
            closed_side = Beside(
                functools.partial(render_closed_side, *job), _Scaled(progress, 0.5, 0.5)
            )
    try:
        open_pdf = render_open_report(
            open_data, arm_labels=labels, progress=_Scaled(progress, 0.0, 0.5)
        )
        if closed_side is not None:
            checkpoint(progress, 0.5, "Rendering the closed report")
    except BaseException:
        if closed_side is not None:
            closed_side.cancel()
        raise
    closed_pdf, closed_sha256, numbered = None, None, []
    if closed_side is not None:
        main, numbered = closed_side.result()
        closed_pdf, closed_sha256 = main if main is not None else (None, None)
    pooled = results.pooled().to_json().encode("utf-8") if pooled_results else None
    return RenderedReports(open_pdf, closed_pdf, pooled, closed_sha256, tuple(numbered))


class ClosedSide(TypingProtocol):
    def result(self) -> Any: ...
    def cancel(self) -> None: ...


class ClosedRenderer(TypingProtocol):
    """Renders the closed report(s) in another process: ``submit(fn, *args)`` starts
    ``fn(*args)`` there; the handle's ``result()`` waits for it, ``cancel()`` stops it."""

    def submit(self, fn: Callable[..., Any], *args: Any) -> ClosedSide: ...


def render_closed_side(
    open_data: Any,
    results: Results,
    key: RandomizationKey,
    key_findings: tuple[Finding, ...],
    since: PreviousByArm | None,
    closed: bool,
    closed_password: str,
    copies: Sequence[tuple[ReportSettings, str]],
    attachment: tuple[str, bytes],
    progress: Progress = NO_PROGRESS,
) -> tuple[tuple[bytes, str] | None, list[tuple[bytes, str]]]:
    """The closed report (when ``closed``) and its numbered ``copies``, each encrypted, with the
    SHA-256 of its content (what :func:`render_from_inputs` runs beside the open report)."""
    from dmc_report.report import render_closed_report_with_digest
    from dmc_report.report.prepare import closed_report_data

    main = None
    if closed:
        closed_data = closed_report_data(open_data, results, key, key_findings, previous=since)
        main = render_closed_report_with_digest(
            closed_data, closed_password, progress=_Scaled(progress, 0.0, 0.5),
            attachment=attachment,
        )  # fmt: skip
    numbered = []
    for i, (copy_settings, copy_password) in enumerate(copies):
        copy_data = closed_report_data(
            dataclasses.replace(open_data, settings=copy_settings), results, key, key_findings,
            previous=since,
        )  # fmt: skip
        share = 0.5 / len(copies)
        numbered.append(render_closed_report_with_digest(
            copy_data, copy_password, progress=_Scaled(progress, 0.5 + i * share, share),
            attachment=attachment,
        ))  # fmt: skip
    return main, numbered


def _previous_closed(
    inputs: ReportInputs, settings: ReportSettings, closed_password: str | None
) -> PreviousByArm | None:
    """The previous closed report's counts by arm, when one was given (its password: the one
    given for it, or this closed report's)."""
    if settings.previous_closed is None:
        return None
    from dmc_report.io.previous import read_previous_closed

    password = settings.previous_closed_password or closed_password
    if not password:
        raise UnusableInputError(
            "the previous closed report's password is needed to read it (numbered copies have "
            "no one closed password)",
            Location(file=str(settings.previous_closed)),
        )
    return read_previous_closed(
        settings.previous_closed, password, study_id=inputs.protocol.study.id, cutoff=inputs.cutoff
    )


class _Scaled:
    """A stage's progress mapped onto a slice of the whole."""

    def __init__(self, parent: Progress, start: float, span: float) -> None:
        self.parent, self.start, self.span = parent, start, span

    def update(self, fraction: float, message: str) -> None:
        self.parent.update(self.start + self.span * fraction, message)

    def cancelled(self) -> bool:
        return self.parent.cancelled()


# --- What the desktop app asks of the core (it imports no io, validation, analysis or report) ---


def read_protocol(path: str | Path) -> Protocol:
    """The protocol file, checked (:class:`UnusableInputError` naming the key otherwise)."""
    from dmc_report.io.protocol_loader import load_protocol

    return load_protocol(path).protocol


def closed_password_problem(password: str) -> str | None:
    """Why a closed-report password is refused, or None (the command line's rule)."""
    from dmc_report.io.passwords import closed_password_problem as problem

    return problem(password)


def log_internal_error(exc: BaseException) -> Path | None:
    """Write a bug's traceback to the log the command line uses; its path."""
    from dmc_report.io.logs import write_error_log

    return write_error_log(exc)


def export_findings(loaded: LoadedStudy, path: str | Path, findings: Sequence[Finding]) -> None:
    """Write findings to an xlsx or csv file, which may not replace an input."""
    from dmc_report.io.findings_writer import write_findings
    from dmc_report.io.output import check_outputs

    check_outputs({"findings file": Path(path)}, input_paths(loaded))
    write_findings(path, findings)


def report_paths(
    loaded: LoadedStudy,
    folder: str | Path,
    *,
    closed: bool,
    pooled_results: bool,
    dry_run: bool = False,
) -> tuple[Path, Path | None, Path | None]:
    """The app's names for the open and closed reports and the pooled results in ``folder``
    (study id made safe for any file system, and the cutoff); a dry run's say so
    (``KETCOC-01-closed-report-DRY-RUN-2016-12-14.pdf``)."""
    from dmc_report.io.filenames import report_file_name

    sid, cutoff = loaded.study.protocol.study.id, loaded.cutoff
    out = Path(folder)

    def name(kind: str, suffix: str) -> Path:
        kind = f"{kind}-DRY-RUN" if dry_run else kind
        return out / report_file_name(sid, kind, cutoff, suffix)

    return (
        name("open-report", ".pdf"),
        name("closed-report", ".pdf") if closed else None,
        name("open-results", ".json") if pooled_results else None,
    )


def summary_data(
    loaded: LoadedStudy, validation: ValidationResult, results: Results
) -> OpenReportData:
    """What the app's pooled view draws: the open report's data (no key)."""
    from dmc_report.report.prepare import open_report_data

    return open_report_data(
        loaded.study.data.provenance, loaded.study.protocol, loaded.cutoff, validation, results,
        loaded.study.protocol_provenance, ReportSettings(report_date=loaded.cutoff),
    )  # fmt: skip


def summary_images(
    open_data: OpenReportData, results: Results, *, scale: float = 1.0
) -> dict[str, bytes]:
    """The summary figures as SVG images (the reports' own figure functions; vectors, drawn by the
    app at the size and scaling it shows them at)."""
    from dmc_report.report.figures import summary_images as draw

    return draw(open_data, results, scale=scale)


def check_protocol(
    protocol_path: str | Path, data_path: str | Path, password: str | None = None
) -> MappingReport:
    """Where the data workbook holds each contract sheet and column through the protocol's
    mapping (or the nearest names), and the codes no code map covers: ``check-protocol``."""
    from dmc_report.io.mapping_check import check_protocol as check

    return check(protocol_path, data_path, password)


def check_previous_closed(
    loaded: LoadedStudy, settings: ReportSettings, closed_password: str | None
) -> None:
    """Read the previous closed report, if the settings name one, now: a wrong password or
    another study's report is told before the analysis and the rendering, not after them."""
    if settings.previous_closed is not None:
        _previous_closed(report_inputs(loaded), settings, closed_password)


def recipients_from_rows(rows: Sequence[tuple[str, str]]) -> tuple[Recipient, ...]:
    """The recipients of numbered copies from (name, password) rows as the app's table holds
    them (a blank password is generated), checked as a recipients file is."""
    from dmc_report.io.recipients import recipients_from_rows as checked

    return checked(rows, "the recipients list")


def read_recipients(path: str | Path) -> tuple[Recipient, ...]:
    """The recipients file (CSV: name, optional password), checked; errors name row and column."""
    from dmc_report.io.recipients import read_recipients as read

    return read(path)


@dataclass(frozen=True)
class ReportRun:
    """One record of a study's report log, as the history shows it."""

    line: int  # 1-based line of the log
    time: str
    user: str
    software: str
    cutoff: str
    data_sha256: str
    open_sha256: str
    closed: bool  # a closed report (or numbered copies) was written
    dry_run_seed: int | None
    copies: int  # numbered copies written (0: none)
    final: bool


@dataclass(frozen=True)
class ReportHistory:
    """A study's report log (:mod:`dmc_report.io.audit`): its runs, and whether the chain holds."""

    path: Path
    exists: bool
    runs: tuple[ReportRun, ...]
    held: int  # records that hold, before the break (all of them when there is none)
    broken_line: int | None = None
    broken_why: str | None = None


def report_history(folder: str | Path, study_id: str) -> ReportHistory:
    """The study's report log in ``folder`` (the open reports' folder), its chain verified
    (``dmc-report audit verify``); every line that reads as a record is a run, the broken one
    included, so the history shows what the edited line now says."""
    import json

    from dmc_report.io import audit as trail

    path = trail.log_path(folder, study_id)
    if not path.exists():
        return ReportHistory(path, False, (), 0)
    from dmc_report.io.files import read_input

    text = read_input(path, "report log").content.decode("utf-8", errors="replace")
    held, broken = trail.verify(path)
    runs = []
    for n, line in enumerate(text.splitlines(), start=1):
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict):
            runs.append(_report_run(n, record))
    if broken is None:
        return ReportHistory(path, True, tuple(runs), held)
    return ReportHistory(path, True, tuple(runs), held, broken.line, broken.why)


def _report_run(line: int, record: Mapping[str, Any]) -> ReportRun:
    def part(key: str) -> Mapping[str, Any]:
        value = record.get(key)
        return value if isinstance(value, Mapping) else {}

    outputs, settings = part("outputs"), part("settings")
    closed = outputs.get("closed")
    opened = outputs.get("open")
    seed = settings.get("dry_run_seed")
    return ReportRun(
        line=line,
        time=str(record.get("time", "")),
        user=str(record.get("user", "")),
        software=str(record.get("software", "")),
        cutoff=str(record.get("cutoff", "")),
        data_sha256=str(part("inputs").get("data") or ""),
        open_sha256=str(opened.get("sha256", "")) if isinstance(opened, Mapping) else "",
        closed=bool(closed),
        dry_run_seed=seed if isinstance(seed, int) else None,
        copies=len(closed) if isinstance(closed, list) else 0,
        final=bool(settings.get("final")),
    )
