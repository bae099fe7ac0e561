"""The protocol editor's forms: the study, the visit schedule, the endpoints, the interim
monitoring plan, and the trial's other settings (domains, blinding, the urine panel).

Each form mirrors a part of the protocol model (domain/protocol.py): ``raw()`` gives that part
as the TOML file would hold it (what the user typed, unjudged), ``load()`` shows a protocol's,
and ``keyed`` names the widget of each key so that the model's refusals can be shown beside it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from dmc_report.domain.protocol import ASSESSMENTS
from dmc_report.gui.datefield import DateField
from dmc_report.gui.editor.tables import TableEditor, TextTable, number, words

NONE = "(none)"


def _text(w: QLineEdit | QPlainTextEdit) -> str:
    return (w.text() if isinstance(w, QLineEdit) else w.toPlainText()).strip()


def _put(raw: dict[str, Any], key: str, value: object) -> None:
    """``value`` under ``key`` unless the field was left empty (the model's default, or its
    "required" when there is none)."""
    if value not in ("", None, []):
        raw[key] = value


def _lines(w: QPlainTextEdit) -> list[str]:
    return [ln.strip() for ln in w.toPlainText().splitlines() if ln.strip()]


def _date(field: DateField) -> object:
    return field.date() or field.edit.text().strip()


def _date_cell(text: str) -> object:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        return text.strip()


def _num_text(value: object) -> str:
    return "" if value is None else str(value)


class Form(QWidget):
    """A form of the editor: ``edited`` when the user changes anything."""

    edited = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.keyed: dict[str, QWidget] = {}  # protocol key -> its widget

    def _line(self, key: str, name: str, placeholder: str = "") -> QLineEdit:
        w = QLineEdit()
        w.setAccessibleName(name)
        w.setPlaceholderText(placeholder)
        w.textChanged.connect(self.edited)
        self.keyed[key] = w
        return w

    def _plain(self, key: str, name: str, height: int = 64) -> QPlainTextEdit:
        w = QPlainTextEdit()
        w.setAccessibleName(name)
        w.setTabChangesFocus(True)
        w.setFixedHeight(height)
        w.textChanged.connect(self.edited)
        self.keyed[key] = w
        return w

    def _combo(self, key: str, name: str, items: list[str]) -> QComboBox:
        w = QComboBox()
        w.setAccessibleName(name)
        w.addItems(items)
        w.currentTextChanged.connect(self.edited)
        self.keyed[key] = w
        return w

    def _table(self, key: str, model: TextTable, name: str, **kw: Any) -> TableEditor:
        editor = TableEditor(model, name, **kw)
        model.edited.connect(self.edited)
        self.keyed[key] = editor
        return editor


class StudyForm(Form):
    """[study]: what the title page and the synopsis say, enrollment, sites."""

    def __init__(self) -> None:
        super().__init__()
        self.id = self._line("study.id", "Study id", "e.g. KETCOC-01")
        self.title = self._line("study.title", "Study title")
        self.sponsor = self._line("study.sponsor", "Sponsor")
        self.phase = self._line("study.phase", "Phase", "e.g. Phase 2")
        self.design = self._plain("study.design", "Design sentence")
        self.treatments = self._plain("study.treatments", "Treatments, one per line")
        self.target = self._line("study.target_enrollment", "Target enrollment", "subjects")
        self.start = DateField("Planned enrollment start")
        self.end = DateField("Planned enrollment end")
        for key, f in (
            ("study.planned_enrollment_start", self.start),
            ("study.planned_enrollment_end", self.end),
        ):
            f.changed.connect(self.edited)
            self.keyed[key] = f
        self.sites = TextTable(["Site id", "Name in the reports"], ["id", "name"], {})
        form = QFormLayout(self)
        form.addRow("Study id", self.id)
        form.addRow("Title", self.title)
        form.addRow("Sponsor", self.sponsor)
        form.addRow("Phase", self.phase)
        form.addRow("Design (a sentence)", self.design)
        form.addRow("Treatments\n(experimental first,\none per line)", self.treatments)
        form.addRow("Target enrollment", self.target)
        form.addRow("Planned enrollment start", self.start)
        form.addRow("Planned enrollment end", self.end)
        form.addRow("Sites", self._table("study.sites", self.sites, "Sites"))

    def raw(self) -> dict[str, Any]:
        raw: dict[str, Any] = {}
        for key, w in (
            ("id", self.id),
            ("title", self.title),
            ("sponsor", self.sponsor),
            ("phase", self.phase),
            ("design", self.design),
        ):
            _put(raw, key, _text(w))
        _put(raw, "treatments", _lines(self.treatments))
        _put(raw, "target_enrollment", number(self.target.text()) if _text(self.target) else "")
        _put(raw, "planned_enrollment_start", _date(self.start))
        _put(raw, "planned_enrollment_end", _date(self.end))
        sites = {r[0].strip(): r[1].strip() for r in self.sites.rows() if r[0].strip()}
        _put(raw, "sites", sites or None)
        return raw

    def load(self, s: Any) -> None:
        for w, v in (
            (self.id, s.id),
            (self.title, s.title),
            (self.sponsor, s.sponsor),
            (self.phase, s.phase),
            (self.target, str(s.target_enrollment)),
        ):
            w.setText(v)
        self.design.setPlainText(s.design)
        self.treatments.setPlainText("\n".join(s.treatments))
        self.start.set_date(s.planned_enrollment_start)
        self.end.set_date(s.planned_enrollment_end)
        self.sites.set_rows([[k, v] for k, v in s.sites.items()])


VISIT_KEYS = ["code", "label", "day", "window_before", "window_after", "phase", "assessments"]


class VisitsForm(Form):
    """[[visits]]: the schedule as a table; rows pasted from the protocol's schedule of
    assessments, or started from the visit codes the export holds."""

    def __init__(self) -> None:
        super().__init__()
        self.model = TextTable(
            ["Code", "Label", "Day", "Days before", "Days after", "Phase", "Assessments"],
            VISIT_KEYS,
            {"day": number, "window_before": number, "window_after": number, "assessments": words},
        )
        self.btn_from_export = QPushButton("Add the export's visit codes")
        self.btn_from_export.setToolTip(
            "Add a row for each visit code the export holds that the table lacks, with its "
            "typical study day in the records and the assessments whose sheets hold it; check "
            "them, and fill in the window and phase"
        )
        self.btn_sort = QPushButton("Sort by day")
        self.btn_sort.clicked.connect(self.sort_by_day)
        self.table = self._table(
            "visits", self.model, "Visit schedule", extra=[self.btn_from_export, self.btn_sort]
        )
        hint = QLabel(
            "One row per visit code the export uses (from the export: its code, its typical "
            "study day in the records and the forms found for it; check them). Day: the target "
            "study day (day 1 = randomization; no day 0). Days before/after: the window. Phase: e.g. screening, "
            f"inpatient, outpatient, follow-up. Assessments: the forms due ({', '.join(ASSESSMENTS)})."
        )
        hint.setWordWrap(True)
        v = QVBoxLayout(self)
        v.addWidget(hint)
        v.addWidget(self.table, 1)

    def codes(self) -> list[str]:
        return [r[0].strip().upper() for r in self.model.rows() if r[0].strip()]

    def raw(self) -> list[dict[str, Any]]:
        return self.model.records()

    def load(self, visits: Any) -> None:
        self.model.set_rows(
            [
                [
                    v.code,
                    v.label,
                    v.day,
                    v.window_before,
                    v.window_after,
                    v.phase,
                    ", ".join(v.assessments),
                ]
                for v in visits
            ]
        )

    def add_found(
        self, codes: Any, assessments: dict[str, tuple[str, ...]], days: dict[str, int]
    ) -> None:
        """A row for each visit code of the export the table lacks: its typical study day in
        the records and the assessments whose sheets hold it (to be checked), in day order."""
        have = set(self.codes())
        rows: list[list[object]] = [
            [c, "", days.get(c, ""), "", "", "", ", ".join(assessments.get(c, ()))]
            for c in codes
            if c not in have
        ]
        if rows:
            self.model.insert(self.model.rowCount(), rows)

    def sort_by_day(self) -> None:
        def day(row: list[str]) -> tuple[int, float]:
            d = number(row[2])
            return (0, float(d)) if isinstance(d, int | float) else (1, 0.0)

        rows: list[list[object]] = [list(r) for r in sorted(self.model.rows(), key=day)]
        self.model.set_rows(rows)

    def show_problem(self, key: str, message: str, problems: dict[tuple[int, int], str]) -> None:
        """``visits[3].day`` -> the cell; ``visits[3]`` -> its code cell."""
        if not key.startswith("visits["):
            return
        row = int(key[len("visits[") : key.index("]")])
        field = key[key.index("]") + 2 :].split(".")[0] if "]." in key else "code"
        col = VISIT_KEYS.index(field) if field in VISIT_KEYS else 0
        problems[(row, col)] = message


class VisitChecks(QListWidget):
    """The schedule's visits, each with a tick: the visits of one endpoint."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.setAccessibleName(name)
        self.setMinimumHeight(110)

    def set_codes(self, codes: list[str]) -> None:
        ticked = set(self.ticked())
        self.blockSignals(True)
        self.clear()
        for c in codes:
            item = QListWidgetItem(c)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if c in ticked else Qt.CheckState.Unchecked)
            self.addItem(item)
        self.blockSignals(False)

    def ticked(self) -> list[str]:
        return [
            self.item(i).text()
            for i in range(self.count())
            if self.item(i).checkState() == Qt.CheckState.Checked
        ]

    def tick(self, codes: list[str]) -> None:
        wanted = set(codes)
        for i in range(self.count()):
            item = self.item(i)
            item.setCheckState(
                Qt.CheckState.Checked if item.text() in wanted else Qt.CheckState.Unchecked
            )
        # a code ticked but not (yet) in the schedule stays, so that the model can name it
        for c in sorted(wanted - {self.item(i).text() for i in range(self.count())}):
            item = QListWidgetItem(c)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            self.addItem(item)


class EndpointsForm(Form):
    """[endpoints] and [endpoints.labels]: which visits each endpoint uses, and its words."""

    def __init__(self) -> None:
        super().__init__()
        self.abstinence = VisitChecks("Abstinence visits (the primary window)")
        self.relapse = VisitChecks("Relapse visits")
        self.craving = VisitChecks("Craving visits")
        lists = QHBoxLayout()
        for key, w, title in (
            ("endpoints.abstinence_visits", self.abstinence, "Abstinence (primary window)"),
            ("endpoints.relapse_visits", self.relapse, "Relapse"),
            ("endpoints.craving_visits", self.craving, "Craving"),
        ):
            w.itemChanged.connect(self.edited)
            self.keyed[key] = w
            box = QGroupBox(title)
            QVBoxLayout(box).addWidget(w)
            lists.addWidget(box)
        self.missing = self._combo(
            "endpoints.missing", "A missing sample counts as", ["positive", "ignore"]
        )
        self.eot = self._line("endpoints.end_of_treatment_day", "End of treatment day", "e.g. 35")
        self.baseline = self._combo(
            "endpoints.craving_baseline_visit", "Craving baseline visit", [NONE]
        )
        self.infusion = self._combo("endpoints.infusion_visit", "Single dosing visit", [NONE])
        self.analyte = self._line("endpoints.labels.analyte", "Analyte", "the substance")
        self.window_label = self._line(
            "endpoints.labels.window", "Primary window in words", "default: the window's visits"
        )
        self.craving_label = self._line(
            "endpoints.labels.craving", "Craving measure", "Craving (VAS 0-100)"
        )
        self.follow_up = self._line(
            "endpoints.labels.follow_up", "Follow-up contact", "the follow-up contact"
        )
        form = QFormLayout()
        form.addRow("A missing sample counts as", self.missing)
        form.addRow("End of treatment (study day)", self.eot)
        form.addRow("Craving baseline visit", self.baseline)
        form.addRow("Single dosing visit (if any)", self.infusion)
        form.addRow("The urine test is for", self.analyte)
        form.addRow("Primary window, in words", self.window_label)
        form.addRow("Craving measure", self.craving_label)
        form.addRow("Follow-up contact", self.follow_up)
        v = QVBoxLayout(self)
        v.addWidget(QLabel("Tick the visits of each endpoint (dmc-sap.md)."))
        v.addLayout(lists, 1)
        v.addLayout(form)

    def set_codes(self, codes: list[str]) -> None:
        for w in (self.abstinence, self.relapse, self.craving):
            w.set_codes(codes)
        for box in (self.baseline, self.infusion):
            current = box.currentText()
            box.blockSignals(True)
            box.clear()
            box.addItems([NONE, *codes])
            box.setCurrentIndex(max(box.findText(current), 0))
            box.blockSignals(False)

    def raw(self) -> dict[str, Any]:
        raw: dict[str, Any] = {"missing": self.missing.currentText()}
        _put(raw, "abstinence_visits", self.abstinence.ticked())
        _put(raw, "relapse_visits", self.relapse.ticked())
        _put(raw, "craving_visits", self.craving.ticked())
        _put(raw, "end_of_treatment_day", number(self.eot.text()) if _text(self.eot) else "")
        for key, box in (
            ("craving_baseline_visit", self.baseline),
            ("infusion_visit", self.infusion),
        ):
            if box.currentText() != NONE:
                raw[key] = box.currentText()
        labels: dict[str, Any] = {}
        for key, w in (
            ("analyte", self.analyte),
            ("window", self.window_label),
            ("craving", self.craving_label),
            ("follow_up", self.follow_up),
        ):
            _put(labels, key, _text(w))
        _put(raw, "labels", labels or None)
        return raw

    def load(self, e: Any) -> None:
        self.missing.setCurrentText(e.missing.value)
        self.abstinence.tick(list(e.abstinence_visits))
        self.relapse.tick(list(e.relapse_visits))
        self.craving.tick(list(e.craving_visits))
        self.eot.setText(str(e.end_of_treatment_day))
        for box, code in (
            (self.baseline, e.craving_baseline_visit),
            (self.infusion, e.infusion_visit),
        ):
            if code and box.findText(code) < 0:
                box.addItem(code)
            box.setCurrentText(code or NONE)
        lab = e.labels
        self.analyte.setText(lab.analyte)
        self.window_label.setText(lab.window or "")
        self.craving_label.setText(lab.craving)
        self.follow_up.setText(lab.follow_up)


INTERIM_NUMBERS = (
    "planned_information",
    "looks",
    "gamma",
    "alpha",
    "futility_z",
    "assumed_experimental",
    "assumed_control",
)


class InterimForm(Form):
    """[interim]: the group-sequential plan, and the looks already taken."""

    def __init__(self) -> None:
        super().__init__()
        self.box = QGroupBox("An interim monitoring plan (group-sequential boundaries)")
        self.box.setCheckable(True)
        self.box.setChecked(False)
        self.box.toggled.connect(self.edited)
        self.keyed["interim"] = self.box
        self.fields = {
            "planned_information": self._line(
                "interim.planned_information", "Planned information", "evaluable subjects"
            ),
            "looks": self._line("interim.looks", "Looks", "the final analysis included"),
            "information_rates": self._line(
                "interim.information_rates", "Information rates", "e.g. 0.5, 1.0"
            ),
            "gamma": self._line("interim.gamma", "Gamma (HSD only)"),
            "alpha": self._line("interim.alpha", "Alpha", "0.05"),
            "futility_z": self._line("interim.futility_z", "Futility Z (optional)"),
            "assumed_experimental": self._line(
                "interim.assumed_experimental", "Assumed abstinence, experimental"
            ),
            "assumed_control": self._line("interim.assumed_control", "Assumed abstinence, control"),
        }
        self.spending = self._combo(
            "interim.spending", "Spending function", ["OBF", "POCOCK", "HSD"]
        )
        self.sided = self._combo("interim.sided", "Sided", ["2", "1"])
        self.looks = TextTable(
            ["Date", "Information fraction", "Observed Z"],
            ["date", "information_fraction", "observed_z"],
            {"date": _date_cell, "information_fraction": number, "observed_z": number},
        )
        form = QFormLayout(self.box)
        f = self.fields
        form.addRow("Planned information (evaluable subjects)", f["planned_information"])
        form.addRow("Looks (the final included)", f["looks"])
        form.addRow("Information rates", f["information_rates"])
        form.addRow("Spending function", self.spending)
        form.addRow("Gamma (HSD)", f["gamma"])
        form.addRow("Alpha", f["alpha"])
        form.addRow("Sided", self.sided)
        form.addRow("Futility Z (non-binding)", f["futility_z"])
        form.addRow("Assumed abstinence, experimental", f["assumed_experimental"])
        form.addRow("Assumed abstinence, control", f["assumed_control"])
        self.looks_editor = self._table("interim.previous_looks", self.looks, "Previous looks")
        form.addRow("Looks already taken", self.looks_editor)
        v = QVBoxLayout(self)
        v.addWidget(self.box)

    def raw(self) -> dict[str, Any] | None:
        if not self.box.isChecked():
            return None
        raw: dict[str, Any] = {
            "endpoint": "abstinence",
            "spending": self.spending.currentText(),
            "sided": int(self.sided.currentText()),
        }
        for key in INTERIM_NUMBERS:
            text = self.fields[key].text()
            _put(raw, key, number(text) if text.strip() else "")
        rates = self.fields["information_rates"].text()
        _put(raw, "information_rates", [number(r) for r in words(rates)])
        _put(raw, "previous_looks", self.looks.records())
        return raw

    def load(self, i: Any) -> None:
        self.box.setChecked(i is not None)
        if i is None:
            return
        for key in INTERIM_NUMBERS:
            self.fields[key].setText(_num_text(getattr(i, key)))
        self.fields["information_rates"].setText(", ".join(str(r) for r in i.information_rates))
        self.spending.setCurrentText(i.spending.value)
        self.sided.setCurrentText(str(i.sided))
        self.looks.set_rows(
            [
                [p.date.isoformat(), p.information_fraction, _num_text(p.observed_z)]
                for p in i.previous_looks
            ]
        )


DOMAINS = (
    ("vital_signs", "Vital signs (VS)"),
    ("follow_up", "Follow-up contact (FU)"),
    ("questionnaires", "Questionnaires (QS)"),
    ("exposure", "Exposure (EX)"),
)


class SettingsForm(Form):
    """[domains], [blinding], [open_report] and [urine_panel]."""

    def __init__(self) -> None:
        super().__init__()
        domains = QGroupBox("What the trial collects (a domain left out has no report section)")
        dl = QHBoxLayout(domains)
        self.domains: dict[str, QCheckBox] = {}
        for key, label in DOMAINS:
            box = QCheckBox(label)
            box.setChecked(True)
            box.toggled.connect(self.edited)
            self.domains[key] = box
            self.keyed[f"domains.{key}"] = box
            dl.addWidget(box)
        self.terms = self._plain("blinding.terms", "Further words naming a treatment", 60)
        self.revealing = self._line(
            "blinding.revealing_columns", "Revealing columns", "contract columns, e.g. EXDOSE"
        )
        self.pooled = QCheckBox("The open report shows pooled outcomes (only if the DMC asks)")
        self.pooled.toggled.connect(self.edited)
        self.keyed["open_report"] = self.pooled
        self.panel = TextTable(
            ["Column (as the export names it)", "Analyte's name"], ["column", "label"], {}
        )
        blinding = QGroupBox("Blinding: what names a treatment in the data")
        bf = QFormLayout(blinding)
        bf.addRow("Brand names, abbreviations\n(one per line)", self.terms)
        bf.addRow("Columns whose values reveal an arm", self.revealing)
        panel = QGroupBox("The urine panel's other analytes (reported descriptively)")
        QVBoxLayout(panel).addWidget(self._table("urine_panel", self.panel, "Urine panel"))
        v = QVBoxLayout(self)
        v.addWidget(domains)
        v.addWidget(blinding)
        v.addWidget(self.pooled)
        v.addWidget(panel, 1)

    def raw(self) -> dict[str, Any]:
        panel = {r[0].strip(): r[1].strip() for r in self.panel.rows() if r[0].strip()}
        raw: dict[str, Any] = {
            "domains": {k: b.isChecked() for k, b in self.domains.items()},
            "blinding": {"terms": _lines(self.terms)},
        }
        _put(raw["blinding"], "revealing_columns", words(self.revealing.text()))
        if self.pooled.isChecked():
            raw["open_report"] = {"pooled_efficacy": True}
        _put(raw, "urine_panel", panel or None)
        return raw

    def load(self, p: Any) -> None:
        for k, b in self.domains.items():
            b.setChecked(getattr(p.domains, k))
        self.terms.setPlainText("\n".join(p.blinding.terms))
        self.revealing.setText(", ".join(p.blinding.revealing_columns))
        self.pooled.setChecked(p.open_report.pooled_efficacy)
        self.panel.set_rows([[k, v] for k, v in p.urine_panel.items()])
