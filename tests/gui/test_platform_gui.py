"""Windows and macOS hazards the desktop app meets, simulated offscreen on this machine."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from dmc_report.gui.main_window import MainWindow
from tests.gui.conftest import TIMEOUT, open_demo


def open_handles(paths: list[Path]) -> list[str]:
    """This process's open file descriptors on any of ``paths`` (Linux: /proc/self/fd)."""
    wanted = {os.path.realpath(p) for p in paths}
    held = []
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = str(fd.readlink())
        except OSError:
            continue
        if target in wanted:
            held.append(f"fd {fd.name} -> {target}")
    return held


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/fd")
def test_the_preview_holds_no_report_open_and_generate_works_twice(
    qtbot: Any, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtPdf import QPdfDocument
    from PySide6.QtPdfWidgets import QPdfView

    w = window
    open_demo(qtbot, w)
    w.steps.setCurrentRow(4)
    out = tmp_path / "reports"
    out.mkdir()
    w.out_dir.setText(str(out))
    w.password1.setText("s3cret-pw")
    w.password2.setText("s3cret-pw")
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    previews = []
    for _ in range(2):  # the same names both times: the second Generate replaces the first pair
        qtbot.waitUntil(lambda: w.job is None, timeout=TIMEOUT)
        with qtbot.waitSignal(w.reports_written, timeout=TIMEOUT):
            qtbot.mouseClick(w.btn_generate, Qt.MouseButton.LeftButton)
        view = w.preview_holder.itemAt(0).widget().view  # the PdfPreview's QPdfView
        assert isinstance(view, QPdfView)
        doc = view.document()
        qtbot.waitUntil(lambda doc=doc: doc.status() == QPdfDocument.Status.Ready, timeout=TIMEOUT)
        assert doc.pageCount() >= 10
        previews.append(doc)
        reports = sorted(out.glob("*.pdf"))
        assert len(reports) == 2
        # the preview is rendered from memory: no descriptor on either report, nor the results
        assert open_handles([*reports, *out.glob("*.json")]) == []
    # one preview at a time: the first one's document was closed and let go
    assert w._preview_doc is previews[1]
    assert w.preview_holder.count() == 1
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary file left


def test_a_new_generate_releases_the_preview_first(
    qtbot: Any, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before a report is replaced, the window lets go of its preview (so Windows, where an open
    file cannot be replaced, has nothing of this app in the way)."""
    w = window
    open_demo(qtbot, w)
    w.out_dir.setText(str(tmp_path))
    w.chk_closed.setChecked(False)
    with qtbot.waitSignal(w.reports_written, timeout=TIMEOUT):
        qtbot.mouseClick(w.btn_generate, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.job is None, timeout=TIMEOUT)
    assert w._preview_doc is not None
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(w.job_started, timeout=TIMEOUT):
        qtbot.mouseClick(w.btn_generate, Qt.MouseButton.LeftButton)
    assert w._preview_doc is None  # released before the job that replaces the report
    qtbot.waitUntil(lambda: w.job is None, timeout=TIMEOUT)


@pytest.mark.parametrize("study_id", ["KET/COC:01", "CON"])
def test_report_names_from_a_study_id_are_valid_on_windows(
    qtbot: Any, window: MainWindow, tmp_path: Path, study_id: str
) -> None:
    """A '/' in the study id made a folder, a ':' an NTFS stream, 'CON' a device."""
    w = window
    open_demo(qtbot, w)
    protocol = w.session.protocol
    assert protocol is not None
    text = protocol.read_text(encoding="utf-8").replace('id = "KETCOC-01"', f'id = "{study_id}"')
    protocol.write_text(text, encoding="utf-8")
    w.set_protocol(protocol)
    with qtbot.waitSignal(w.study_loaded, timeout=TIMEOUT):
        w.load_data()
    assert w.session.loaded.study.protocol.study.id == study_id
    out = tmp_path / "reports"
    out.mkdir()
    w.out_dir.setText(str(out))
    w.chk_closed.setChecked(False)
    with qtbot.waitSignal(w.reports_written, timeout=TIMEOUT):
        qtbot.mouseClick(w.btn_generate, Qt.MouseButton.LeftButton)
    names = sorted(p.name for p in out.iterdir())
    safe = {"KET/COC:01": "KET_COC_01", "CON": "CON_"}[study_id]
    cutoff = w.session.loaded.cutoff.isoformat()
    assert names == [
        f"{safe}-open-report-{cutoff}.pdf",
        f"{safe}-open-results-{cutoff}.json",
        f"{safe}-report-log.jsonl",  # the study's report log (issue 19)
    ]
    assert all(p.is_file() for p in out.iterdir())  # no sub-folder made by a '/'


# --- appearance: readable in dark mode, sharp at 150 % and on Retina --------------------------
def dark_palette() -> Any:
    """A dark palette as Windows 11 and macOS give Qt in dark mode (Fusion's dark colours)."""
    from PySide6.QtGui import QColor, QPalette

    p = QPalette()
    roles = {
        QPalette.ColorRole.Window: "#2b2b2b",
        QPalette.ColorRole.WindowText: "#ffffff",
        QPalette.ColorRole.Base: "#1e1e1e",
        QPalette.ColorRole.AlternateBase: "#353535",
        QPalette.ColorRole.Text: "#ffffff",
        QPalette.ColorRole.Button: "#353535",
        QPalette.ColorRole.ButtonText: "#ffffff",
    }
    for role, colour in roles.items():
        p.setColor(role, QColor(colour))
    return p


def light_palette() -> Any:
    from PySide6.QtGui import QColor, QPalette

    p = QPalette()
    for role, colour in {
        QPalette.ColorRole.Window: "#f0f0f0",
        QPalette.ColorRole.Base: "#ffffff",
        QPalette.ColorRole.AlternateBase: "#f5f5f5",
    }.items():
        p.setColor(role, QColor(colour))
    return p


def test_the_wcag_contrast_ratio() -> None:
    from PySide6.QtGui import QColor

    from dmc_report.gui.colours import contrast

    assert contrast(QColor("black"), QColor("white")) == pytest.approx(21.0)
    assert contrast(QColor("#777777"), QColor("#777777")) == pytest.approx(1.0)
    assert contrast(QColor("#767676"), QColor("white")) == pytest.approx(4.54, abs=0.01)
    # the fixed colours of old on a dark window: 1.9:1 for the UNBLINDED banner
    assert contrast(QColor("#B00020"), QColor("#2b2b2b")) < 2.0


@pytest.mark.parametrize("palette", [dark_palette, light_palette])
def test_severity_colours_are_readable_on_the_palette(qtbot: Any, palette: Any) -> None:
    from PySide6.QtCore import Qt as QtCore_Qt
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QApplication

    from dmc_report.gui.colours import MIN_CONTRAST, contrast
    from dmc_report.gui.models import FindingsTableModel

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = app.palette()
    app.setPalette(palette())
    try:
        model = FindingsTableModel()
        model.set_rows([[s, "CODE", "DM", 2, "A", "101-0001", "D1", "m"] for s in
                        ("error", "warning", "info")])  # fmt: skip
        p = app.palette()
        for row in range(3):
            colour = model.data(model.index(row, 0), QtCore_Qt.ItemDataRole.ForegroundRole)
            for role in (QPalette.ColorRole.Base, QPalette.ColorRole.AlternateBase):
                assert contrast(colour, p.color(role)) >= MIN_CONTRAST, (row, colour.name())
    finally:
        app.setPalette(before)


def test_the_unblinded_banner_is_readable_in_dark_and_light_mode(qtbot: Any) -> None:
    from PySide6.QtGui import QColor, QPalette
    from PySide6.QtWidgets import QWidget

    from dmc_report.gui.colours import ALERT, MIN_CONTRAST, AlertLabel, contrast

    holder = QWidget()
    qtbot.addWidget(holder)
    holder.setPalette(light_palette())
    banner = AlertLabel("UNBLINDED - by arm. DMC closed session only.", parent=holder)
    assert banner.colour() == QColor(ALERT)  # unchanged where it was readable already
    holder.setPalette(dark_palette())  # the system switched to dark mode: the banner follows
    window = banner.palette().color(QPalette.ColorRole.Window)
    base = banner.palette().color(QPalette.ColorRole.Base)
    assert contrast(banner.colour(), window) >= MIN_CONTRAST
    assert contrast(banner.colour(), base) >= MIN_CONTRAST
    assert banner.colour().name() in banner.text() and "UNBLINDED" in banner.text()
    assert banner.colour().red() > banner.colour().green()  # still a red


def test_no_fixed_colour_is_left_in_the_app() -> None:
    import re

    gui = Path(__file__).resolve().parents[2] / "src" / "dmc_report" / "gui"
    paths = sorted(gui.rglob("*.py"))  # the pages too (gui/pages/)
    assert any(p.parent.name == "pages" for p in paths)
    for path in paths:
        if path.name == "colours.py":  # the one place, where each is made readable
            continue
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"#[0-9A-Fa-f]{6}\b|#[0-9A-Fa-f]{3}\b['\";]", text), path.name
        assert "setStyleSheet" not in text and "QColor(" not in text, path.name
