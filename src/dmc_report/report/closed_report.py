"""The CLOSED session report: everything by arm, comparisons, safety by arm, monitoring.

:func:`build_closed_report` lists the sections; :mod:`dmc_report.report.sections` writes them,
with the arms as groups (and their total where it belongs: disposition, baseline, exposure,
safety).
"""

from __future__ import annotations

from dmc_report.domain.dry_run import DRY_RUN_MARK
from dmc_report.report.common import present, section, title_page
from dmc_report.report.data import ClosedReportData
from dmc_report.report.model import Report, Section, Text
from dmc_report.report.sections import conduct, efficacy, front, monitoring, safety, urine
from dmc_report.report.sections.base import Context

HEADING = "CLOSED SESSION REPORT - DMC MEMBERS ONLY"
NOTICE_CLOSED = (
    "CONFIDENTIAL - CONTAINS UNBLINDED COMPARATIVE DATA. For members of the Data Monitoring "
    "Committee only. Do not copy or forward. This file is encrypted; keep the password apart from it."
)
WATERMARK = "CLOSED - DMC MEMBERS ONLY"
DRY_RUN_WATERMARK = "DRY RUN - ARMS SCRAMBLED"


def build_closed_report(c: ClosedReportData) -> Report:
    d = c.open
    ctx = Context(d, closed=c)
    arms = list(c.arms)
    with_total = [*arms, c.total]
    dry = c.dry_run_seed is not None
    warning = [Text(f"{DRY_RUN_MARK}. {dry_run_words(c.dry_run_seed)}")] if dry else []
    key_role = "key (ARMS sheet only: dry run)" if dry else "key"
    sections: list[Section] = [
        section("Closed summary", *warning, *front.closed_summary(ctx, c)),
        section("Changes since the previous report, by arm", *front.closed_changes(ctx, c)),
        section("Subject flow", front.consort(ctx, c)),
        section(
            "Enrollment, disposition, baseline and exposure by arm",
            conduct.sites_by_arm(ctx, with_total),
            conduct.compliance_by_arm(ctx, with_total),
            conduct.disposition_table(ctx, with_total),
            conduct.baseline_table(ctx, with_total),
            conduct.exposure_table(ctx, with_total),
        ),
        section("Efficacy", *efficacy.efficacy(ctx, arms)),
        section("Questionnaires by arm", *efficacy.questionnaire_tables(ctx, arms)),
        section("Other analytes of the urine panel by arm", *urine.panel_table(ctx, with_total)),
        section(
            "Dropout and retention by arm",
            efficacy.dropout_table(ctx, arms),
            conduct.retention_figure(ctx, arms),
        ),
        section("Safety by arm", *safety.safety(ctx, with_total)),
        section(monitoring.title(ctx), *monitoring.closed_blocks(ctx, c.unblinded)),
        section("Consistency with the open report", front.consistency(ctx, c)),
        section("Appendix", *front.appendix(ctx, [(key_role, c.key_input)])),
    ]
    s = d.settings
    extra = [("Contains", "Unblinded comparative data")]
    if dry:
        extra.insert(0, ("DRY RUN", f"{DRY_RUN_MARK}. {dry_run_words(c.dry_run_seed)}"))
    copy = copy_label(s.recipient, s.copy_number, s.copies)
    if s.recipient:
        extra.append(
            ("Recipient", (copy or s.recipient) + (f" (copy ID {s.copy_id})" if s.copy_id else ""))
        )
    p = d.protocol.study
    cutoff = d.cutoff.isoformat()
    return Report(
        kind="closed",
        study_id=p.id,
        header=(DRY_RUN_MARK if dry else HEADING) + (f" | {copy}" if copy else ""),
        cutoff=cutoff,
        report_date=s.report_date.isoformat(),
        title_page=title_page(d, DRY_RUN_MARK if dry else HEADING, extra, NOTICE_CLOSED),
        sections=present(sections),
        metadata_title=("DRY RUN (arms scrambled): " if dry else "")
        + f"{p.id} DMC closed session report, data cutoff {cutoff}",
        metadata_subject="Data Monitoring Committee closed session report"
        + (", dry run with scrambled arms: not real results" if dry else ""),
        watermark=DRY_RUN_WATERMARK if dry else WATERMARK,
        watermark_note=copy,
        copy_id=s.copy_id,
    )


def copy_label(recipient: str | None, number: int | None, copies: int | None) -> str | None:
    """ "Copy 02 of 05 - Dr Ada Lovelace" for a numbered copy; None otherwise."""
    if not recipient or number is None:
        return None
    of = f" of {copies:02d}" if copies else ""
    return f"Copy {number:02d}{of} - {recipient}"


def dry_run_words(seed: int | None) -> str:
    """What a dry run's title page and summary say about its allocation."""
    return (
        f"The arms were allocated at random (permuted blocks within site, seed {seed}); the "
        "randomization key's assignments were not read. Every number by arm is meaningless: "
        "this report shows the closed report's shape only."
    )
