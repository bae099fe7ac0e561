"""Step 4, Summaries: the reports' numbers and figures, pooled; by arm only once confirmed."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from dmc_report.gui.colours import AlertLabel
from dmc_report.gui.controller import Controller
from dmc_report.gui.figures import figure_widget
from dmc_report.gui.models import FindingsTableModel, RowsTableModel
from dmc_report.gui.pages.common import clear, fit_rows, table_view


def _wrapped(text: str) -> QLabel:
    """A sentence that wraps at the page's width (a long one was cut off at the right)."""
    label = QLabel(text)
    label.setWordWrap(True)
    return label


class SummariesPage(QWidget):
    def __init__(self, controller: Controller) -> None:
        super().__init__()
        self.controller = controller
        self.summary_tabs = QTabWidget()
        self.blinded_area = QScrollArea()
        self.blinded_area.setWidgetResizable(True)
        self.summary_tabs.addTab(self.blinded_area, "Blinded (pooled)")
        unblinded = QWidget()
        uv = QVBoxLayout(unblinded)
        self.unblinded_note = QLabel("Load a randomization key to see results by arm.")
        self.btn_unblind = QPushButton("Show unblinded results...")
        self.btn_unblind.setAccessibleName("Show unblinded results")
        self.btn_unblind.setEnabled(False)
        self.btn_unblind.clicked.connect(self.confirm_unblinded)
        self.unblinded_area = QScrollArea()
        self.unblinded_area.setWidgetResizable(True)
        uv.addWidget(self.unblinded_note)
        uv.addWidget(self.btn_unblind, 0, Qt.AlignmentFlag.AlignLeft)
        uv.addWidget(self.unblinded_area, 1)
        self.summary_tabs.addTab(unblinded, "Unblinded (by arm)")
        v = QVBoxLayout(self)
        v.addWidget(QLabel("<h2>Summaries</h2>The numbers and figures of the reports."))
        v.addWidget(self.summary_tabs, 1)
        controller.analysed.connect(self._show_study)
        controller.unblinded_opened.connect(self._show_unblinded)
        controller.unblinded_hidden.connect(self._hide_unblinded)
        controller.discarded.connect(self._clear)

    def confirm_unblinded(self) -> None:
        answer = QMessageBox.question(
            self,
            "Show unblinded results?",
            "The next view shows results BY TREATMENT ARM. Continue only if you are the unblinded "
            "statistician and nobody else can see this screen.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.controller.confirm_unblinded()

    def _show_study(self) -> None:
        """A study was loaded: its pooled view; the view by arm hidden until confirmed."""
        self._show_blinded()
        has_key = self.controller.session.loaded.key is not None
        self.btn_unblind.setEnabled(has_key)
        self.unblinded_note.setText(
            "Results by arm are hidden until you confirm."
            if has_key
            else "Load a randomization key to see results by arm."
        )
        clear(self.unblinded_area)

    def _hide_unblinded(self) -> None:
        """Back to the pooled view: the results by arm leave the screen."""
        clear(self.unblinded_area)
        self.unblinded_note.setText("Results by arm are hidden until you confirm.")
        self.summary_tabs.setCurrentIndex(0)

    def _clear(self) -> None:
        clear(self.unblinded_area)
        clear(self.blinded_area)
        self.btn_unblind.setEnabled(False)
        self.unblinded_note.setText("Load a randomization key to see results by arm.")

    def _show_blinded(self) -> None:
        from dmc_report.presenters import blinded_facts

        c = self.controller
        box = QWidget()
        grid = QGridLayout(box)
        facts = blinded_facts(c.session.open_data.blinded)
        for i, (k, val) in enumerate(facts):
            grid.addWidget(QLabel(k), i, 0)
            lab = QLabel(f"<b>{val}</b>")
            lab.setAccessibleName(k)
            grid.addWidget(lab, i, 1)
        row = len(facts)
        for name in ("enrollment", "relapse", "craving"):
            grid.addWidget(figure_widget(c.images[name], name, c.images_scale), row, 0, 1, 2)
            row += 1
        self.blinded_area.setWidget(box)

    def _show_unblinded(self) -> None:
        from dmc_report import presenters

        c = self.controller
        u = c.session.results.unblinded
        arm_rows = presenters.arm_rows(u)
        model = RowsTableModel(arm_rows.header, arm_rows.rows)
        box = QWidget()
        v = QVBoxLayout(box)
        # in the alert colour, readable on a light or a dark palette (gui/colours.py)
        banner = AlertLabel("UNBLINDED - by arm. DMC closed session only.")
        v.addWidget(banner)
        view = table_view(model)
        fit_rows(view)
        v.addWidget(view)
        for line in presenters.comparison_lines(u):  # each experimental arm vs the control
            v.addWidget(_wrapped(line))
        shown = presenters.monitoring(u.monitoring)
        if shown is not None:
            sentence, by_look = shown
            v.addWidget(_wrapped(sentence))
            looks = RowsTableModel(by_look.header, by_look.rows)
            lv = table_view(looks)
            fit_rows(lv)
            v.addWidget(lv)
            if "monitoring" in c.images:
                v.addWidget(figure_widget(c.images["monitoring"], "monitoring", c.images_scale))
        key_findings = c.session.validation.key_findings if c.session.validation else ()
        v.addWidget(QLabel(f"Randomization key findings: {len(key_findings)}"))
        if key_findings:
            kv = table_view(
                RowsTableModel(FindingsTableModel.HEADER, FindingsTableModel.rows_for(key_findings))
            )
            kv.setMinimumHeight(110)
            v.addWidget(kv)
        self.unblinded_area.setWidget(box)
        self.unblinded_note.setText("Showing results by arm.")
