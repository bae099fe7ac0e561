"""The report sections: one function per section (or table), each taking the report's context and
a sequence of groups, so that the open report (one group, all subjects) and the closed report
(the arms, and their total where it belongs) are written by the same code.

- :mod:`.base`: :class:`~.base.Context` (the report being built) and the table helpers;
- :mod:`.front`: synopsis, changes since the previous report, closed summary, CONSORT,
  consistency, appendix;
- :mod:`.conduct`: enrollment, baseline, disposition, exposure, compliance, data quality;
- :mod:`.efficacy`: abstinence, relapse, dropout, craving, follow-up;
- :mod:`.safety`: AE overview, AEs by organ class and term, severity, listings, vital signs;
- :mod:`.monitoring`: the open report's information and the closed report's boundaries.
"""
