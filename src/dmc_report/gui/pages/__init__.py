"""The window's five pages, one per step: each builds its own widgets, asks the controller to do
things and shows what the controller's signals tell it."""

from dmc_report.gui.pages.data import DataPage
from dmc_report.gui.pages.reports import ReportsPage
from dmc_report.gui.pages.study import StudyPage
from dmc_report.gui.pages.summaries import SummariesPage
from dmc_report.gui.pages.validation import ValidationPage

__all__ = ["DataPage", "ReportsPage", "StudyPage", "SummariesPage", "ValidationPage"]
