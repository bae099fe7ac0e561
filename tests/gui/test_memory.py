"""Study memory (issue 17): a recent study restores its protocol, data, key, cutoff and output
folder (paths only, never a password); the title names the study and cutoff; the step list marks
each step done, needing attention or not yet; opening a protocol moves on to the data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6")

from dmc_report.demo.writer import DEMO_PASSWORD
from dmc_report.gui.main_window import MainWindow
from dmc_report.gui.steps import ATTENTION, DONE, NOT_YET, STATE_ROLE
from tests.gui.conftest import TIMEOUT, open_demo


def marks(w: MainWindow) -> list[str]:
    return [w.steps.item(i).data(STATE_ROLE) for i in range(5)]


def test_a_recent_study_restores_all_its_paths_and_no_password(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    w = window
    assert marks(w) == [NOT_YET] * 5 and w.windowTitle() == "dmc-report"
    open_demo(qtbot, w)
    demo = tmp_path / "demo"
    cutoff = w.session.cutoff - dt.timedelta(days=30)
    w.data_page.cutoff_default.setChecked(False)
    w.data_page.cutoff_edit.set_date(cutoff)
    with qtbot.waitSignal(w.study_loaded, timeout=TIMEOUT):
        w.load_data()
    assert w.windowTitle() == f"KETCOC-01 - data cutoff {cutoff.isoformat()} - dmc-report"
    assert marks(w)[:2] == [DONE, DONE] and marks(w)[3:] == [DONE, NOT_YET]
    assert marks(w)[2] == (ATTENTION if w.marks.errors else DONE)
    out = tmp_path / "reports"
    out.mkdir()
    w.steps.setCurrentRow(4)
    w.chk_closed.setChecked(False)
    w.out_dir.setText(str(out))
    with qtbot.waitSignal(w.reports_written, timeout=TIMEOUT):
        w.generate_reports()
    assert marks(w)[4] == DONE
    w.settings.sync()
    stored = Path(w.settings.fileName()).read_text(encoding="utf-8")
    assert DEMO_PASSWORD not in stored and "password" not in stored.lower()

    # the next run: the study from the recent menu fills every field
    w2 = MainWindow(demo_folder=tmp_path / "other")
    qtbot.addWidget(w2)
    w2.show()
    (action,) = [a for a in w2.recent_menu.actions() if a.text() == str(demo / "protocol.toml")]
    action.trigger()
    assert w2.session.protocol == demo / "protocol.toml"
    assert w2.data_edit.text() == str(w.session.data)
    assert w2.key_edit.text() == str(w.session.key)
    assert not w2.data_page.cutoff_default.isChecked()
    assert w2.data_page.cutoff_edit.date() == cutoff
    assert w2.out_dir.text() == str(out)
    assert w2.session.key_password is None and w2.session.data_password is None
    assert w2.steps.currentRow() == 1  # opening a protocol moves on to the data
    assert w2.windowTitle() == "KETCOC-01 - dmc-report"
    assert marks(w2) == [DONE, NOT_YET, NOT_YET, NOT_YET, NOT_YET]


def test_stale_results_mark_the_data_step(qtbot: Any, window: MainWindow) -> None:
    w = window
    open_demo(qtbot, w)
    w.data_edit.setText(str(Path(w.data_edit.text()).with_name("missing.xlsx")))
    with qtbot.waitSignal(w.error_shown, timeout=TIMEOUT):
        w.load_data()
    assert w.session.stale and marks(w)[1] == ATTENTION and marks(w)[3] == ATTENTION
    assert "previous data" in w.windowTitle()


def test_reading_the_same_protocol_again_keeps_the_fields_and_passwords(
    qtbot: Any, window: MainWindow
) -> None:
    w = window
    open_demo(qtbot, w)
    assert w.session.key_password == DEMO_PASSWORD
    w.set_protocol(w.session.protocol)  # (edited and read again)
    assert w.session.key_password == DEMO_PASSWORD
    with qtbot.waitSignal(w.study_loaded, timeout=TIMEOUT):
        w.load_data()  # no password asked
