"""Windows and macOS hazards the desktop app meets, simulated offscreen on this machine."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt

from dmc_report.gui.main_window import MainWindow

TIMEOUT = 120_000


@pytest.fixture
def window(qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> MainWindow:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    w = MainWindow(demo_folder=tmp_path / "demo")
    qtbot.addWidget(w)
    w.show()
    return w


def open_demo(qtbot: Any, w: MainWindow) -> None:
    with qtbot.waitSignal(w.study_loaded, timeout=TIMEOUT):
        qtbot.mouseClick(w.btn_demo, Qt.MouseButton.LeftButton)


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
    qtbot: Any, window: MainWindow, tmp_path: Path
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
    previews = []
    for _ in range(2):  # the same names both times: the second Generate replaces the first pair
        qtbot.waitUntil(lambda: w.job is None, timeout=TIMEOUT)
        with qtbot.waitSignal(w.reports_written, timeout=TIMEOUT):
            qtbot.mouseClick(w.btn_generate, Qt.MouseButton.LeftButton)
        view = w.preview_holder.itemAt(0).widget()
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
    qtbot: Any, window: MainWindow, tmp_path: Path
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
    assert names == [f"{safe}-open-report-{cutoff}.pdf", f"{safe}-open-results-{cutoff}.json"]
    assert all(p.is_file() for p in out.iterdir())  # no sub-folder made by a '/'
