"""The OPEN session report: pooled data on trial conduct, never anything by arm.

:func:`build_open_report` takes :class:`~dmc_report.report.data.OpenReportData` only, which is
built without the randomization key and has no field that could hold an arm. It lists the
sections; :mod:`dmc_report.report.sections` writes them, with one group: all subjects.
"""

from __future__ import annotations

from dmc_report.report.common import present, section, title_page
from dmc_report.report.data import OpenReportData
from dmc_report.report.model import Report, Section
from dmc_report.report.sections import conduct, efficacy, front, monitoring, safety, urine
from dmc_report.report.sections.base import Context

HEADING = "OPEN SESSION REPORT"
NOTICE_OPEN = (
    "Confidential. Prepared for the open session of the Data Monitoring Committee: pooled data on "
    "trial conduct only. Comparative data by treatment group are presented in the closed report."
)


def build_open_report(d: OpenReportData) -> Report:
    ctx = Context(d)
    groups = [d.pooled]
    sections: list[Section] = [
        section("Synopsis", *front.synopsis(ctx)),
        section("Enrollment", *conduct.enrollment(ctx)),
        section("Baseline characteristics", conduct.baseline_table(ctx, groups)),
        section(
            "Disposition",
            conduct.disposition_table(ctx, groups),
            efficacy.dropout_table(ctx, groups),
            conduct.retention_figure(ctx, groups),
        ),
        section("Trial conduct and data quality", *conduct.conduct(ctx)),
        section("Exposure", conduct.exposure_table(ctx, groups)),
        section("Questionnaires", *efficacy.questionnaire_tables(ctx, groups)),
        section("Other analytes of the urine panel", *urine.panel_table(ctx, groups)),
    ]
    if d.protocol.pooled_efficacy:  # off unless the protocol says so (report-contents.md)
        sections.append(section("Pooled outcomes", *efficacy.efficacy(ctx, groups)))
    sections += [
        section("Safety", *safety.safety(ctx, groups)),
        section(monitoring.title(ctx), monitoring.open_text(ctx)),
        section("Appendix", *front.appendix(ctx)),
    ]
    p = d.protocol.study
    cutoff = d.cutoff.isoformat()
    return Report(
        kind="open",
        study_id=p.id,
        header=HEADING,
        cutoff=cutoff,
        report_date=d.settings.report_date.isoformat(),
        title_page=title_page(d, HEADING, [], NOTICE_OPEN),
        sections=present(sections),
        metadata_title=f"{p.id} DMC open session report, data cutoff {cutoff}",
        metadata_subject="Data Monitoring Committee open session report (pooled data)",
    )
