"""The OPEN and CLOSED reports: results -> report model -> PDF bytes (nothing written here)."""

from __future__ import annotations

from collections.abc import Mapping

from dmc_report.domain.progress import NO_PROGRESS, Progress, checkpoint
from dmc_report.report.closed_report import build_closed_report
from dmc_report.report.common import open_finding_message
from dmc_report.report.consistency import check_consistency
from dmc_report.report.data import ClosedReportData, OpenReportData
from dmc_report.report.guard import assert_blinded
from dmc_report.report.model import Report
from dmc_report.report.open_report import build_open_report
from dmc_report.report.render import render_pdf
from dmc_report.report.secure import finalize


def render_open_report(
    data: OpenReportData,
    *,
    arm_labels: Mapping[str, str] | None = None,
    progress: Progress = NO_PROGRESS,
) -> bytes:
    """The open report's PDF bytes, after the blinding scan (``arm_labels`` when a key is loaded)."""
    checkpoint(progress, 0.05, "Building the open report")
    report = build_open_report(data)
    checkpoint(progress, 0.2, "Rendering the open report")
    rendered = render_pdf(report)
    pdf = finalize(
        rendered.pdf,
        created=data.settings.report_date,
        title=report.metadata_title,
        subject=report.metadata_subject,
    )
    checkpoint(progress, 0.9, "Scanning the open report for arm information")
    p = data.protocol.study
    # Page text is what the layout drew (extracting it back from the PDF took seconds for a large
    # report; the PDF's pages are still counted against it); the figures' texts come from the
    # figures themselves (parsing their vector paths back out of the PDF would only slow the scan).
    generated, from_data = split_texts(report, data)
    assert_blinded(
        rendered.layout_pdf,
        arm_labels,
        protocol_texts=[p.title, p.design],
        generated_texts=[*generated, *rendered.figure_texts],
        data_texts=from_data,
        column_headings=report.header_texts(),
        metadata_pdf=pdf,
        page_texts=rendered.page_texts,
    )
    return pdf


def split_texts(report: Report, data: OpenReportData) -> tuple[list[str], list[str]]:
    """The report's strings that the tool wrote (titles, labels, notes: where the blinding
    guard looks for arm codes in context), and the values it prints from the pooled results
    (AE terms, organ classes, subject and site IDs: where it looks for the arm labels' words).
    Finding messages are in neither: they mix the tool's wording with quoted values, so only a
    whole arm label is looked for there (as everywhere on the pages)."""
    values: set[str] = set()

    def collect(o: object) -> None:
        if isinstance(o, Mapping):
            for v in o.values():
                collect(v)
        elif isinstance(o, list | tuple):
            for v in o:
                collect(v)
        elif isinstance(o, str):
            values.add(o)

    collect(data.blinded.to_json())
    findings: set[str] = set()
    for f in data.findings:
        findings.update(x for x in (f.sheet, f.column, f.subject, f.visit, f.message) if x)
        findings.add(open_finding_message(f, data.protocol))
    texts = report.texts()  # a value may stand indented (a term under its organ class)
    generated = [t for t in texts if t.strip() not in values and t not in findings]
    return generated, [t for t in texts if t.strip() in values]


def render_closed_report(
    data: ClosedReportData, password: str, *, progress: Progress = NO_PROGRESS
) -> bytes:
    """The closed report's PDF bytes, AES-256 encrypted with ``password`` (never plain on disk)."""
    return render_closed_report_with_digest(data, password, progress=progress)[0]


def render_closed_report_with_digest(
    data: ClosedReportData,
    password: str,
    *,
    progress: Progress = NO_PROGRESS,
    attachment: tuple[str, bytes] | None = None,
) -> tuple[bytes, str]:
    """:func:`render_closed_report`, and the SHA-256 of the report as it would be unencrypted
    (the audit trail's record of its content: the encrypted bytes differ with every salt)."""
    import hashlib

    if not password:
        raise ValueError("the closed report needs a password")
    checkpoint(progress, 0.05, "Checking pooled totals against the arms")
    check_consistency(data.open.blinded, data.unblinded)
    checkpoint(progress, 0.1, "Building the closed report")
    report = build_closed_report(data)
    checkpoint(progress, 0.2, "Rendering the closed report")
    rendered = render_pdf(report)
    checkpoint(progress, 0.9, "Encrypting the closed report")
    info = {
        "created": data.open.settings.report_date,
        "title": report.metadata_title,
        "subject": report.metadata_subject,
        "copy_id": report.copy_id,
        "attachment": attachment,
    }
    plain = finalize(rendered.pdf, **info)  # type: ignore[arg-type]
    return finalize(rendered.pdf, **info, password=password), hashlib.sha256(plain).hexdigest()  # type: ignore[arg-type]


__all__ = ["render_closed_report", "render_closed_report_with_digest", "render_open_report"]
