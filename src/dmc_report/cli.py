"""The ``dmc-report`` command line (data contract section 2).

Exit status: 0 success (warnings allowed); 1 validation errors; 2 an unusable input (one message
naming file, sheet, row and column, no traceback); 3 an internal error (the traceback goes to a
log file whose path is printed).
"""

from __future__ import annotations

import argparse
import codecs
import datetime as dt
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dmc_report import __version__
from dmc_report.domain.errors import CancelledError, Location, UnusableInputError
from dmc_report.domain.findings import Severity
from dmc_report.io.logs import write_error_log

SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}

EXIT_OK, EXIT_FINDINGS, EXIT_UNUSABLE, EXIT_INTERNAL = 0, 1, 2, 3

EPILOG = """\
examples:
  dmc-report demo --out demo                      write the demo study (and its reports) to ./demo
  dmc-report validate --protocol demo/protocol.toml --data demo/data.xlsx
  dmc-report analyze --protocol P.toml --data data.xlsx --key key.xlsx \\
      --key-password-file key-password.txt --cutoff 2016-06-30 --json results.json
  dmc-report report --protocol P.toml --data data.xlsx --open open.pdf
  dmc-report gui                                  open the desktop application

Passwords come from a file (--data-password-file, --key-password-file, --closed-password-file)
or the environment variables DMC_DATA_PASSWORD / DMC_KEY_PASSWORD / DMC_CLOSED_PASSWORD, never
from the command line itself. A password file holds the password on one line, saved as UTF-8 (a
BOM is fine) or UTF-16; a space at either end, a second line or an empty file is refused. The
closed report's password needs at least 8 characters.
Exit status: 0 ok, 1 validation errors, 2 unusable input, 3 internal error (see the log).
"""


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date in YYYY-MM-DD form: {text!r}") from exc


def _study_args(p: argparse.ArgumentParser, *, key: bool = True) -> None:
    p.add_argument("--protocol", required=True, type=Path, help="protocol file (TOML)")
    p.add_argument("--data", required=True, type=Path, help="data workbook (xlsx)")
    if key:
        p.add_argument("--key", type=Path, help="randomization key workbook (xlsx); unblinded only")
    p.add_argument(
        "--cutoff", type=_date, help="data cutoff YYYY-MM-DD (default: latest date in the data)"
    )
    p.add_argument(
        "--data-password-file", type=Path, help="file holding the data workbook's password"
    )
    if key:
        p.add_argument(
            "--key-password-file", type=Path, help="file holding the key workbook's password"
        )
    p.add_argument(
        "--engine",
        choices=["fastexcel", "openpyxl"],
        default="fastexcel",
        help="workbook reader: fastexcel (fast, default) or openpyxl (reference)",
    )


def _final_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--final",
        action="store_true",
        help="the final analysis: the current look is the last and spends all remaining alpha "
        "(no conditional power); suggested when enrolment has ended and nobody is ongoing",
    )


def _dry_run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="arms scrambled: only the key's ARMS sheet is read (never its assignments) and the "
        "subjects are allocated at random (permuted blocks within site); the closed report says "
        "DRY RUN on every page. To show the closed report's shape before the first real look",
    )
    p.add_argument(
        "--dry-run-seed",
        type=int,
        metavar="N",
        help="the dry run's seed (default: from the data workbook's SHA-256; printed)",
    )


def _suggest_final(loaded: Any, results: Any, final: bool) -> None:
    from dmc_report.pipeline import suggests_final

    why = None if final else suggests_final(loaded, results)
    if why:
        print(f"note: {why} (--final)", file=sys.stderr)


def _report_parser(sub: Any) -> None:
    """The ``report`` command's options."""
    rep = sub.add_parser("report", help="render the OPEN (and CLOSED) reports")
    _study_args(rep)
    _final_arg(rep)
    _dry_run_args(rep)
    rep.add_argument("--open", type=Path, required=True, help="open report PDF")
    rep.add_argument("--closed", type=Path, help="closed report PDF (needs --key)")
    rep.add_argument(
        "--closed-password-file",
        type=Path,
        help="file holding the closed report's password, 8 characters or more "
        "(or set DMC_CLOSED_PASSWORD)",
    )
    rep.add_argument(
        "--report-date", type=_date, help="date printed on the report (default: the cutoff)"
    )
    rep.add_argument("--meeting-date", type=_date, help="the DMC meeting date")
    rep.add_argument("--report-version", default="1.0", help="report version (default 1.0)")
    rep.add_argument("--recipient", help="closed report: the named recipient")
    rep.add_argument(
        "--recipients",
        type=Path,
        metavar="FILE.csv",
        help="numbered copies: one closed report per row (columns name and optional password), "
        "named <closed name>-NN-<name>.pdf beside --closed, each with its own password; blank "
        "passwords are generated into <closed name>-passwords.csv (owner-only)",
    )
    rep.add_argument(
        "--arms-by-code", action="store_true", help="closed report: show arms by code only"
    )
    rep.add_argument("--prepared-by", help="the independent statistician (title pages)")
    rep.add_argument(
        "--distribution",
        action="append",
        default=[],
        metavar="NAME",
        help="a recipient of the report (repeat for each; listed on the title pages)",
    )
    rep.add_argument(
        "--previous-closed",
        type=Path,
        metavar="CLOSED.pdf",
        help="the previous closed report (it carries its results, encrypted): the closed report "
        "shows the changes by arm since then",
    )
    rep.add_argument(
        "--previous-closed-password-file",
        type=Path,
        metavar="F",
        help="the previous closed report's password (default: this closed report's)",
    )
    rep.add_argument(
        "--previous",
        type=Path,
        metavar="RESULTS.json",
        help="the previous report's results (analyze --json): the open synopsis shows the changes",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dmc-report",
        description="Interim reports for a clinical trial's Data Monitoring Committee: validate the "
        "EDC export against the protocol, compute blinded and unblinded summaries, and render the "
        "OPEN and CLOSED reports. With no command it opens the desktop application.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"dmc-report {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser("demo", help="write the demo study (and its reports) to a folder")
    demo.add_argument(
        "--out", type=Path, default=Path("dmc-demo"), help="folder (default ./dmc-demo)"
    )
    demo.add_argument(
        "--protocol",
        type=Path,
        help="the protocol file the demo trial follows (default: the first bundled template); "
        "copied beside the data",
    )
    demo.add_argument("--cutoff", type=_date, help="an interim snapshot as exported on this date")
    demo.add_argument("--subjects", type=int, default=55, help="randomized subjects (default 55)")
    demo.add_argument("--seed", type=int, default=20120705, help=argparse.SUPPRESS)
    demo.add_argument("--no-reports", action="store_true", help="write the study files only")

    val = sub.add_parser("validate", help="check the inputs against the contract and the schedule")
    _study_args(val)
    val.add_argument("--findings", type=Path, help="write all findings to F.xlsx or F.csv")
    val.add_argument(
        "--json", action="store_true", help="print the results' validation block as JSON"
    )

    chk = sub.add_parser(
        "check-protocol",
        help="show where the data workbook holds each contract sheet and column (the mapping)",
    )
    chk.add_argument("--protocol", required=True, type=Path, help="protocol file (TOML)")
    chk.add_argument("--data", required=True, type=Path, help="data workbook (xlsx)")
    chk.add_argument(
        "--data-password-file", type=Path, help="file holding the data workbook's password"
    )

    ana = sub.add_parser("analyze", help="compute the results JSON")
    _study_args(ana)
    _final_arg(ana)
    _dry_run_args(ana)
    ana.add_argument("--json", type=Path, required=True, help="output file")

    _report_parser(sub)

    aud = sub.add_parser("audit", help="check a study's report log (the audit trail)")
    aud_sub = aud.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    ver = aud_sub.add_parser(
        "verify", help="check that no record of the log was edited, removed or reordered"
    )
    ver.add_argument(
        "log", type=Path, help="the study's <study>-report-log.jsonl (beside its open reports)"
    )

    gui = sub.add_parser("gui", help="open the desktop application")
    gui.add_argument("--protocol", type=Path)
    gui.add_argument("--data", type=Path)
    gui.add_argument("--key", type=Path)
    gui.add_argument("--demo", action="store_true", help="open with the demo study loaded")
    gui.add_argument(
        "--self-test",
        type=Path,
        metavar="DIR",
        help="run the whole workflow on the demo study, write both reports into DIR, and quit "
        "(exit 0 when both are written): a smoke test of an installed or frozen app",
    )
    return parser


def _password(file: Path | None, env: str, what: str) -> str | None:
    """The password from ``file`` (UTF-8 or UTF-16, one line) or the variable ``env``, or None."""
    from dmc_report.io.passwords import password_from

    return password_from(file, env, what)


_INPUT_ARGS = {
    "protocol": "protocol file",
    "data": "data workbook",
    "key": "key workbook",
    "data_password_file": "data password file",
    "key_password_file": "key password file",
    "closed_password_file": "closed-report password file",
    "previous": "previous results file",
    "previous_closed": "previous closed report",
    "previous_closed_password_file": "previous closed-report password file",
    "recipients": "recipients file",
}
CLOSED_PASSWORD_ENV = "DMC_CLOSED_PASSWORD"


def _inputs(args: argparse.Namespace) -> dict[str, Path | None]:
    """The input files the command names, by what they are (None where not given): no output
    may replace one."""
    return {what: getattr(args, name, None) for name, what in _INPUT_ARGS.items()}


def _naming_flag(exc: UnusableInputError, flags: dict[str, str]) -> UnusableInputError:
    """A refusal of the pipeline's with what to give on this command line, when ``flags`` (the
    pipeline's message -> the flag to give) has it; otherwise as it is."""
    flag = flags.get(exc.message)
    return UnusableInputError(f"{exc.message}: give {flag}", exc.location) if flag else exc


def _with_password_source(
    exc: UnusableInputError, password: str | None, file: Path | None
) -> UnusableInputError:
    """A refused closed-report password, with where it came from: the file, or the variable."""
    from dmc_report.pipeline import closed_password_problem

    if password is None or exc.message != closed_password_problem(password):
        return exc
    if file is not None:
        return UnusableInputError(exc.message, Location(file=str(file)))
    return UnusableInputError(
        f"{exc.message} (from the environment variable {CLOSED_PASSWORD_ENV})"
    )


def _load(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from dmc_report.io.engines import Engine
    from dmc_report.pipeline import load_study

    key = getattr(args, "key", None)
    loaded = load_study(
        args.protocol,
        args.data,
        key=key,
        data_password=_password(args.data_password_file, "DMC_DATA_PASSWORD", "data workbook"),
        key_password=_password(
            getattr(args, "key_password_file", None), "DMC_KEY_PASSWORD", "key workbook"
        )
        if key
        else None,
        cutoff=args.cutoff,
        engine=Engine(args.engine),
        dry_run=getattr(args, "dry_run", False),
        dry_run_seed=getattr(args, "dry_run_seed", None),
    )
    how = "latest date in the data" if loaded.cutoff_is_default else "as given"
    print(f"data cutoff: {loaded.cutoff.isoformat()} ({how})", file=sys.stderr)
    if loaded.key is not None and loaded.key.dry_run_seed is not None:
        print(
            f"DRY RUN: arms scrambled with seed {loaded.key.dry_run_seed} (the key's assignments "
            "were not read); the by-arm results are not real",
            file=sys.stderr,
        )
    return loaded


def _cmd_demo(args: argparse.Namespace) -> int:
    from dmc_report.pipeline import DEMO_NEEDS_SUBJECTS, MIN_DEMO_SUBJECTS, make_demo

    try:
        files = make_demo(
            args.out,
            cutoff=args.cutoff,
            subjects=args.subjects,
            seed=args.seed,
            protocol=args.protocol,
        )
    except UnusableInputError as exc:
        flags = {DEMO_NEEDS_SUBJECTS: f"--subjects {MIN_DEMO_SUBJECTS} or more"}
        raise _naming_flag(exc, flags) from None
    print(f"demo study written to {files.folder}")
    for label, path in (
        ("protocol", files.protocol),
        ("data", files.data),
        ("key (encrypted)", files.key),
        ("key password", files.key_password_file),
    ):
        print(f"  {label:16} {path}")
    print(f"  data cutoff      {files.cutoff.isoformat()}")
    if args.no_reports:
        return EXIT_OK
    from dmc_report.pipeline import make_demo_reports

    written = make_demo_reports(files)
    print(f"  open report      {written.open}")
    print(f"  closed report    {written.closed} (password: the key password)")
    return EXIT_OK


def _cmd_validate(args: argparse.Namespace) -> int:
    import json

    from dmc_report.pipeline import check_new_outputs, export_findings, run_validation

    check_new_outputs({"findings file": args.findings}, _inputs(args))
    loaded = _load(args)
    result = run_validation(loaded)
    data = loaded.study.data
    if args.json:
        print(json.dumps(result.as_json(), indent=2, ensure_ascii=False))
    else:
        print(
            f"study {loaded.study.protocol.study.id}: {data.provenance.file} ({data.provenance.engine})"
        )
        rows = ", ".join(f"{k} {n}" for k, n in data.provenance.sheet_rows.items())
        print(f"  rows: {rows}")
        if loaded.key is not None:
            print(f"  key: {loaded.key.provenance.file}: {len(loaded.key.assignments)} subjects")
        print(
            f"findings: {result.count(Severity.ERROR)} errors, "
            f"{result.count(Severity.WARNING)} warnings, {result.count(Severity.INFO)} info"
        )
        for (sev, code), n in sorted(
            result.by_code.items(), key=lambda kv: (SEVERITY_RANK[kv[0][0]], kv[0][1])
        ):
            print(f"  {sev:8} {code:30} {n:6d}")
        shown = result.all_findings[:15]
        if shown:
            print("first findings:")
        for f in shown:
            where = ", ".join(
                x
                for x in (
                    f.sheet,
                    f"row {f.excel_row}" if f.excel_row else None,
                    f.column,
                    f.subject,
                    f.visit,
                )
                if x
            )
            print(f"  {f.severity.value:8} {f.code:28} {where}: {f.message}")
        if len(result.all_findings) > len(shown):
            print(
                f"  ... {len(result.all_findings) - len(shown)} more (write them all with --findings F.xlsx)"
            )
        print(f"visit compliance at {loaded.cutoff.isoformat()} (randomized subjects):")
        print("  " + result.compliance.to_string(index=False).replace("\n", "\n  "))
    if args.findings:
        export_findings(loaded, args.findings, result.all_findings)
        print(
            f"all {len(result.all_findings)} findings written to {args.findings}", file=sys.stderr
        )
    return EXIT_FINDINGS if result.errors else EXIT_OK


def _cmd_audit(args: argparse.Namespace) -> int:
    """``audit verify LOG``: exit 0 when the chain holds, 1 naming the first line that breaks it."""
    from dmc_report.io.audit import verify
    from dmc_report.io.files import read_input

    read_input(args.log, "report log")  # a missing or unreadable file: one clear message, exit 2
    count, broken = verify(args.log)
    if broken is not None:
        held = (
            f"{count} record{'s' if count != 1 else ''} before it hold{'' if count != 1 else 's'}"
        )
        print(f"{args.log}: the chain is broken at {broken} ({held})")
        return EXIT_FINDINGS
    print(f"{args.log}: {count} record{'s' if count != 1 else ''}, the chain holds")
    return EXIT_OK


def _cmd_check_protocol(args: argparse.Namespace) -> int:
    """Exit 0 when every required sheet and column is found, 1 when one is missing."""
    from dmc_report.pipeline import check_protocol

    password = _password(args.data_password_file, "DMC_DATA_PASSWORD", "data workbook")
    report = check_protocol(args.protocol, args.data, password)
    print("\n".join(report.lines()))
    return 0 if report.ok else 1


def _not_yet(what: str) -> int:
    print(f"dmc-report: {what} is not yet available in this version", file=sys.stderr)
    return EXIT_UNUSABLE


def _cmd_analyze(args: argparse.Namespace) -> int:
    from dmc_report.pipeline import check_new_outputs, run_analysis, run_validation, write_results

    check_new_outputs({"results file": args.json}, _inputs(args))
    loaded = _load(args)
    validation = run_validation(loaded)
    results = run_analysis(loaded, validation, final=args.final)
    _suggest_final(loaded, results, args.final)
    write_results(results, args.json)
    en, ab = results.blinded.enrollment, results.blinded.pooled.abstinence
    print(
        f"results for {results.study_id} at {results.data_cutoff} written to {args.json} "
        f"({'blinded and unblinded' if results.unblinded else 'blinded only: no key given'})"
    )
    if results.unblinded is not None:  # results by arm: written owner-only (0600)
        print(
            "  unblinded results: keep the file where only the unblinded team can read it"
            if os.name == "nt"  # Windows: the folder's access list decides, not a file mode
            else "  unblinded results: written readable by you only (mode 0600)"
        )
    print(
        f"  randomized {en.randomized}, abstinence {ab.abstinent}/{ab.evaluable} evaluable "
        f"({ab.pending} pending), relapse events {results.blinded.pooled.relapse.events}, "
        f"validation errors {validation.errors}"
    )
    return EXIT_FINDINGS if validation.errors else EXIT_OK


def _settings(args: argparse.Namespace, loaded: Any) -> Any:
    from dmc_report.domain.settings import ReportSettings

    return ReportSettings(
        report_date=args.report_date or loaded.cutoff,
        meeting_date=args.meeting_date,
        version=args.report_version,
        recipient=args.recipient,
        arms_by_code_only=args.arms_by_code,
        previous_results=args.previous,
        final=args.final,
        prepared_by=args.prepared_by,
        distribution=tuple(args.distribution),
        previous_closed=args.previous_closed,
        previous_closed_password=_password(
            args.previous_closed_password_file, "DMC_PREVIOUS_CLOSED_PASSWORD",
            "previous closed report",
        ) if args.previous_closed is not None else None,
    )  # fmt: skip


def _recipients(args: argparse.Namespace) -> Any:
    """The --recipients file's rows (numbered copies), or None; refused before any work."""
    if args.recipients is None:
        return None
    if args.closed is None:
        raise UnusableInputError(
            "--recipients needs --closed: the copies are named after it and written beside it"
        )
    if args.closed_password_file is not None:
        raise UnusableInputError(
            "--recipients gives each copy its own password: leave out --closed-password-file"
        )
    from dmc_report.io.recipients import read_recipients

    return read_recipients(args.recipients)


def _cmd_report(args: argparse.Namespace) -> int:
    renderer = _closed_renderer(args)
    try:
        return _report(args, renderer)
    finally:
        if renderer is not None:
            renderer.close()


def _closed_renderer(args: argparse.Namespace) -> Any:
    """A process that renders the closed report(s), started before the data are read so that
    its imports overlap the reading and the analysis; then the closed report renders beside the
    open one (on every platform). None where no closed report is asked for, or with one core
    (or ``DMC_REPORT_SERIAL_RENDER=1``, for benchmarks)."""
    wanted = args.key is not None and (args.closed is not None or args.recipients is not None)
    serial = os.environ.get("DMC_REPORT_SERIAL_RENDER") == "1"
    if not wanted or serial or (os.cpu_count() or 1) < 2:
        return None
    from dmc_report.isolated import Prestarted, prepare_renderer

    return Prestarted(prepare_renderer)


def _report(args: argparse.Namespace, renderer: Any) -> int:
    from dmc_report.pipeline import (
        CLOSED_NEEDS_KEY,
        CLOSED_NEEDS_PASSWORD,
        ReportRequest,
        check_previous_results,
        check_report_request,
        render_reports,
        results_as_requested,
        run_analysis,
        run_validation,
    )

    if getattr(args, "dry_run", False) and args.previous_closed is not None:
        # the previous closed report's numbers by arm are real: never in a report marked not real
        raise UnusableInputError(
            "--dry-run shows no changes by arm: the previous closed report's numbers are real; "
            "leave out --previous-closed"
        )
    recipients = _recipients(args)
    # from the file or DMC_CLOSED_PASSWORD; checked with the rest of the request, before any work
    password = (
        _password(args.closed_password_file, CLOSED_PASSWORD_ENV, "closed report")
        if args.closed and recipients is None
        else None
    )
    request = ReportRequest(
        open_path=args.open,
        closed_path=None if recipients else args.closed,
        closed_password=password,
    )
    try:
        check_report_request(request, key_given=args.key is not None, inputs=_inputs(args))
    except UnusableInputError as exc:
        flags = {
            CLOSED_NEEDS_KEY: "--key",
            CLOSED_NEEDS_PASSWORD: "--closed-password-file F, or set the environment variable "
            + CLOSED_PASSWORD_ENV,
        }
        refusal = _with_password_source(exc, password, args.closed_password_file)
        raise _naming_flag(refusal, flags) from None
    if recipients is not None:
        from dmc_report.pipeline import check_new_outputs, numbered_copy_paths

        if args.key is None:
            raise _naming_flag(UnusableInputError(CLOSED_NEEDS_KEY), {CLOSED_NEEDS_KEY: "--key"})
        check_new_outputs(
            numbered_copy_paths(args.open, args.closed, recipients),
            {**_inputs(args), "recipients file": args.recipients},
        )
    loaded = _load(args)
    settings = _settings(args, loaded)
    check_previous_results(loaded, settings)  # a wrong file is told now, not after the analysis
    validation = run_validation(loaded)
    results = run_analysis(loaded, validation, final=settings.final)
    _suggest_final(loaded, results, settings.final)
    # the results are as the settings ask (computed with settings.final): rendering needs the
    # findings, not the visit grid, which is released (34 MB less at the peak, 20,000 subjects)
    results = results_as_requested(loaded, validation, results, settings)
    validation = validation.for_reports()
    if recipients is not None:
        from dmc_report.pipeline import render_numbered_copies

        paths = render_numbered_copies(
            loaded, validation, results, settings, open_path=args.open,
            closed_path=args.closed, recipients=recipients,
            inputs={"recipients file": args.recipients}, closed_renderer=renderer,
        )  # fmt: skip
        print(f"open report:   {paths[0]}")
        for p in paths[1:]:
            kind = "passwords (owner-only; send apart)" if p.suffix == ".csv" else "closed copy"
            print(f"{kind}: {p}")
        return EXIT_FINDINGS if validation.errors else EXIT_OK
    written = render_reports(
        loaded, validation, results, settings,
        open_path=request.open_path, closed_path=request.closed_path, closed_password=password,
        closed_renderer=renderer if request.closed_path is not None else None,
    )  # fmt: skip
    print(f"open report:   {written.open}")
    if written.closed:
        print(f"closed report: {written.closed} (AES-256 encrypted)")
    if validation.errors:
        print(
            f"{validation.errors} validation errors are listed in the reports' appendix",
            file=sys.stderr,
        )
    return EXIT_FINDINGS if validation.errors else EXIT_OK


def _cmd_gui(args: argparse.Namespace) -> int:
    from dmc_report.gui.app import run_gui

    protocol = getattr(args, "protocol", None)
    return run_gui(
        protocol,
        getattr(args, "data", None),
        getattr(args, "key", None),
        demo=getattr(args, "demo", False),
        self_test=getattr(args, "self_test", None),
    )


def _streams_for_any_code_page() -> None:
    """Let every character reach the console or file: a finding quoting '≥300 ng/mL' or a folder
    named 'Łódź-demo' must not end the run with UnicodeEncodeError where the standard streams use
    a legacy code page (Windows: cp1252 and the like when the output is redirected or piped).

    Redirected output (a file, a pipe) is written as UTF-8 unless PYTHONIOENCODING asks for an
    encoding; wherever the encoding stays a legacy one, a character it lacks is printed as '?'."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if stream is None or reconfigure is None:
            continue  # no console at all (a windowed app), or a stream replaced by a test
        try:
            legacy = codecs.lookup(stream.encoding or "ascii").name != "utf-8"
            if legacy and not stream.isatty() and not os.environ.get("PYTHONIOENCODING"):
                reconfigure(encoding="utf-8", errors=stream.errors)  # a file or a pipe
            if (stream.errors or "strict") == "strict":
                reconfigure(errors="replace")
        except (AttributeError, LookupError, OSError, ValueError):
            continue  # a stream that cannot change keeps its settings


def main(argv: Sequence[str] | None = None) -> int:
    _streams_for_any_code_page()
    parser = build_parser()
    args = parser.parse_args(argv)
    commands = {
        "demo": _cmd_demo,
        "validate": _cmd_validate,
        "analyze": _cmd_analyze,
        "check-protocol": _cmd_check_protocol,
        "report": _cmd_report,
        "audit": _cmd_audit,
        "gui": _cmd_gui,
        None: _cmd_gui,
    }
    try:
        return commands[args.command](args)
    except UnusableInputError as exc:
        print(f"dmc-report: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    except CancelledError:
        print("dmc-report: cancelled", file=sys.stderr)
        return EXIT_UNUSABLE
    except KeyboardInterrupt:
        print("dmc-report: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        log = write_error_log(exc)
        where = f"; the details are in {log}" if log else ""
        print(f"dmc-report: internal error ({type(exc).__name__}: {exc}){where}", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
