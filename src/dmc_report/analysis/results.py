"""The result objects, re-exported: they live in :mod:`dmc_report.domain.results` (the seam
between the analysis and the reports, which import them from there)."""

from dmc_report.domain.results import (
    SCHEMA,
    BlindedResults,
    Results,
    SubjectLevel,
    UnblindedResults,
    dumps,
)

__all__ = ["SCHEMA", "BlindedResults", "Results", "SubjectLevel", "UnblindedResults", "dumps"]
