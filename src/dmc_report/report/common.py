"""Pieces both reports share: numbering, the title page, provenance, findings, pooled tables."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from dmc_report.domain import blinding
from dmc_report.domain.findings import CODES, Finding
from dmc_report.domain.protocol import Protocol
from dmc_report.report import fmt
from dmc_report.report.data import OpenReportData
from dmc_report.report.model import Block, Figure, Section, Table, Text, TitlePage


class Numbering:
    """Assigns table and figure numbers in document order."""

    def __init__(self) -> None:
        self.tables = 0
        self.figures = 0

    def table(self, **kw: Any) -> Table:
        self.tables += 1
        return Table(number=self.tables, **kw)

    def figure(self, **kw: Any) -> Figure:
        self.figures += 1
        return Figure(number=self.figures, **kw)


def population(label: str, n: int, d: OpenReportData) -> str:
    return f"Population: {label} (N = {n}). Data cutoff {d.cutoff.isoformat()}."


def title_page(
    d: OpenReportData, heading: str, extra: list[tuple[str, str]], notice: str
) -> TitlePage:
    p = d.protocol.study
    s = d.settings
    lines = [
        ("Study", f"{p.id} ({p.phase})" if p.phase else p.id),
        ("Sponsor", p.sponsor or "-"),
        ("DMC meeting", s.meeting_date.isoformat() if s.meeting_date else "not given"),
        ("Analysis", "Final analysis" if s.final else "Interim analysis"),
        ("Data cutoff", d.cutoff.isoformat()),
        ("Report date", s.report_date.isoformat()),
        ("Report version", s.version),
        ("Prepared by", s.prepared_by or "Independent statistical group"),
        ("Software", f"dmc-report {d.software_version}"),
        *extra,
    ]
    if s.distribution:
        lines.append(("Distribution", "; ".join(s.distribution)))
    return TitlePage(
        heading=heading, study_title=p.title, study_id=p.id, lines=lines, notice=notice
    )


def provenance_table(
    num: Numbering, d: OpenReportData, extra: Sequence[tuple[str, Any]] = ()
) -> Table:
    rows: list[list[Any]] = []
    for role, prov in [*d.inputs.items(), *extra]:
        rows.append([role, prov.file, f"{prov.size:,}", prov.sha256])
    return num.table(
        title="Inputs of this report",
        population="Files read for this report; any change to a file changes its SHA-256.",
        header=[["Input", "File", "Bytes", "SHA-256"]],
        rows=rows,
        col_widths=[0.9, 1.6, 0.9, 6.2],
        align=["L", "L", "R", "L"],
        footnotes=[
            f"Software: dmc-report {d.software_version}. Data cutoff {d.cutoff.isoformat()}; "
            f"missing urine samples counted as {d.protocol.endpoints.missing.value}."
        ],
    )


def findings_summary(num: Numbering, d: OpenReportData) -> Table:
    counts = Counter((f.severity.value, f.code) for f in d.findings)
    order = {"error": 0, "warning": 1, "info": 2}
    rows = [
        [sev, code, n, CODES[code][1] if code in CODES else ""]
        for (sev, code), n in sorted(counts.items(), key=lambda kv: (order[kv[0][0]], kv[0][1]))
    ]
    return num.table(
        title="Validation findings by code",
        population=f"All findings in the data as exported (data cutoff {d.cutoff.isoformat()}).",
        header=[["Severity", "Code", "n", "Meaning"]],
        rows=rows,
        col_widths=[1.0, 2.6, 0.6, 5.5],
        align=["L", "L", "R", "L"],
        footnotes=["The appendix lists every finding with its sheet, Excel row and column."],
    )


MAX_LISTED_FINDINGS = 500  # beyond errors; a 20,000-subject study has ~15,000 findings


def open_finding_message(f: Finding, protocol: Protocol) -> str:
    """A finding's message as the open report prints it (:func:`blinding.open_finding_message`)."""
    return blinding.open_finding_message(
        f, protocol.treatment_vocabulary, protocol.revealing_columns
    )


def findings_listing(
    num: Numbering,
    d: OpenReportData,
    findings: Sequence[Finding] | None = None,
    *,
    closed: bool = False,
) -> Table:
    """Every error, then warnings and info up to a readable length; the rest are counted and
    point to the findings workbook (``dmc-report validate --findings F.xlsx``).

    The open report lists the data's findings with :func:`open_finding_message`; the closed
    report (``closed``) lists ``findings`` (the data's and the key's) as they are."""
    ordered = sorted(d.findings if findings is None else findings, key=Finding.sort_key)
    errors = [f for f in ordered if f.severity.value == "error"]
    others = [f for f in ordered if f.severity.value != "error"]
    shown = errors + others[:MAX_LISTED_FINDINGS]
    message = (lambda f: f.message) if closed else (lambda f: open_finding_message(f, d.protocol))
    rows = [
        [f.severity.value, f.code, f.sheet, f.excel_row, f.column, f.subject, f.visit, message(f)]
        for f in shown
    ]
    notes = []
    if len(shown) < len(ordered):
        notes.append(
            f"{len(ordered) - len(shown)} further warnings and info findings are not listed here; all "
            f"{len(ordered)} findings, with their locations, are in the findings workbook "
            "(dmc-report validate --findings findings.xlsx) and in the results JSON."
        )
    return num.table(
        title="Validation findings with their locations",
        population=f"All findings (N = {len(ordered)}); listed: {len(shown)}. Row = the Excel row (header = row 1).",
        header=[["Severity", "Code", "Sheet", "Row", "Column", "Subject", "Visit", "Message"]],
        rows=rows,
        col_widths=[0.9, 2.2, 0.6, 0.6, 0.9, 0.9, 0.7, 5.6],
        align=["L", "L", "L", "R", "L", "L", "L", "L"],
        footnotes=notes,
        landscape=True,
    )


def compliance_table(num: Numbering, d: OpenReportData) -> Table:
    c = d.compliance
    rows = [
        [
            r["VISIT"],
            r["due"],
            fmt.n_pct(r["in_window"], r["due"]),
            fmt.n_pct(r["out_of_window"], r["due"]),
            fmt.n_pct(r["missed"], r["due"]),
            r["not_yet_due"],
            r["not_expected"],
        ]
        for r in c.to_dict("records")
    ]
    n = int(c["randomized"].max()) if len(c) else 0
    return num.table(
        title="Visit compliance by scheduled visit",
        population=population("randomized subjects", n, d),
        header=[
            [
                "Visit",
                "Due",
                "Done in window",
                "Done out of window",
                "Missed",
                "Not yet due",
                "Not expected",
            ]
        ],
        rows=rows,
        col_widths=[1.0, 0.7, 1.5, 1.6, 1.3, 1.0, 1.1],
        align=["L", "R", "R", "R", "R", "R", "R"],
        footnotes=[
            "Due: the visit's window closed by the cutoff (or the visit was done). Not expected: the subject "
            "left the study before the visit's target date. Percentages are of due visits."
        ],
    )


def sections_text(text: str) -> Text:
    from dmc_report.report.render import esc

    return Text(esc(text))


def section(title: str, *blocks: Block | None, subsections: list[Section] | None = None) -> Section:
    """A section of the blocks given (None: a table of a domain the trial does not have)."""
    return Section(title, [b for b in blocks if b is not None], subsections or [])


def present(sections: list[Section]) -> list[Section]:
    """The sections that hold something: a domain the trial does not have leaves no empty one."""
    return [s for s in sections if s.blocks or s.subsections]
