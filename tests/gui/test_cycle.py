"""The DMC cycle in the app (issue 19): a dry run from scrambled arms, numbered copies per
member, the previous closed report's changes by arm, and the study's report history with its
chain checked; and a load's progress that never goes backwards."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
import stat
from pathlib import Path
from typing import Any

import pikepdf
import pypdf
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog, QMessageBox

from dmc_report.domain.dry_run import DRY_RUN_MARK
from dmc_report.domain.previous import RESULTS_ATTACHMENT
from dmc_report.gui.main_window import MainWindow
from tests.gui.conftest import TIMEOUT, open_demo

PASSWORD = "cycle-pw-1"
INTERIM = dt.date(2016, 3, 31)


def _yes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)


def _reports_step(w: MainWindow, out: Path, password: str = PASSWORD) -> Any:
    w.steps.setCurrentRow(4)
    out.mkdir(exist_ok=True)
    page = w.reports_page
    page.out_dir.setText(str(out))
    page.password1.setText(password)
    page.password2.setText(password)
    return page


def _generate(qtbot: Any, w: MainWindow) -> Any:
    with qtbot.waitSignal(w.controller.reports_written, timeout=TIMEOUT) as sig:
        qtbot.mouseClick(w.btn_generate, Qt.MouseButton.LeftButton)
    return sig.args[0]


def _pages(path: Path, password: str) -> list[str]:
    reader = pypdf.PdfReader(path)
    assert reader.is_encrypted
    reader.decrypt(password)
    return [re.sub(r"\s+", " ", p.extract_text() or "") for p in reader.pages]


def _carried(path: Path, password: str) -> dict[str, Any]:
    """The results a closed report carries (encrypted with it)."""
    with pikepdf.open(path, password=password) as pdf:
        doc: dict[str, Any] = json.loads(
            pdf.attachments[RESULTS_ATTACHMENT].get_file().read_bytes()
        )
    return doc


def test_a_dry_run_from_the_app_is_marked_on_every_page(
    qtbot: Any, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = window
    open_demo(qtbot, w)
    out = tmp_path / "reports"
    page = _reports_step(w, out)
    real = _generate(qtbot, w)
    assert real.dry_run_seed is None and not page.dry_run_bar.isVisible()
    # the dry run: said in the bar, asked with its seed, named in its files
    page.chk_dry_run.setChecked(True)
    assert page.dry_run_bar.isVisible() and "DRY RUN" in page.dry_run_bar.text()
    assert page.dry_run_seed.placeholderText().startswith(str(w.controller.default_dry_run_seed()))
    page.dry_run_seed.setText("7")
    asked: list[str] = []

    def question(_parent: Any, title: str, text: str, *a: Any) -> Any:
        asked.append(f"{title} {text}")
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", question)
    dry = _generate(qtbot, w)
    assert asked and "DRY RUN" in asked[0] and "seed 7" in asked[0]
    assert dry.dry_run_seed == 7 and "DRY-RUN" in dry.closed.name and "DRY-RUN" in dry.open.name
    assert dry.pooled_results is None  # the same as a real run's: not saved again
    assert "DRY RUN" in page.reports_info.text() and "seed 7" in page.dry_run_bar.text()
    # every page of its closed report carries the marking
    pages = _pages(dry.closed, PASSWORD)
    assert pages and all(DRY_RUN_MARK in t for t in pages)
    assert not any(DRY_RUN_MARK in t for t in _pages(real.closed, PASSWORD))
    # the same subjects in the arms, allocated otherwise: the numbers by arm are not the real ones
    r, d = _carried(real.closed, PASSWORD), _carried(dry.closed, PASSWORD)
    assert d["dry_run"]["seed"] == 7 and "dry_run" not in r
    sizes = lambda doc: {a["code"]: a["n"] for a in doc["unblinded"]["arms"]}  # noqa: E731
    randomized = r["blinded"]["enrollment"]["randomized"]
    assert sum(sizes(d).values()) == sum(sizes(r).values()) == randomized
    assert set(sizes(d)) == set(sizes(r))
    sites = len(r["blinded"]["enrollment"]["by_site"])
    assert abs(sizes(d)["A"] - sizes(d)["B"]) <= 2 * sites  # permuted blocks within site
    by_arm = lambda doc: doc["unblinded"]["abstinence"]["by_arm"]  # noqa: E731
    assert by_arm(d) != by_arm(r)
    assert d["blinded"] == r["blinded"]
    # the app's view by arm keeps the real allocation: the dry run never entered the session
    assert w.session.loaded.key.dry_run_seed is None
    assert w.session.results.dry_run_seed is None


def test_numbered_copies_for_three_members(
    qtbot: Any, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = window
    open_demo(qtbot, w)
    out = tmp_path / "copies"
    page = _reports_step(w, out, password="")
    page.chk_copies.setChecked(True)
    for name in ("Dr Ada Lovelace", "Prof. Grace Hopper", "Dr Émile Borel"):
        page.add_recipient(name, "")
    assert not page.password1.isEnabled()  # each copy has its own password
    info = page.copies_info.text()
    assert "3 copies" in info and "-passwords.csv" in info and "Dr Ada Lovelace" in info
    written = _generate(qtbot, w)
    copies = sorted(out.glob("*-closed-report-*-*.pdf"))
    assert [p.name for p in copies] == sorted(p.name for p in written.copies)
    assert len(copies) == 3 and written.closed is None
    assert [p.name.split("-closed-report-")[1][10:] for p in copies] == [
        "-01-Dr Ada Lovelace.pdf",
        "-02-Prof. Grace Hopper.pdf",
        "-03-Dr Émile Borel.pdf",
    ]
    with written.passwords.open(encoding="utf-8-sig", newline="") as f:
        passwords = {row["file"]: row["password"] for row in csv.DictReader(f)}
    assert sorted(passwords) == [p.name for p in copies]
    assert all(len(p) >= 20 for p in passwords.values())
    if os.name != "nt":  # Windows: the folder's access list decides, not a file mode
        assert stat.S_IMODE(written.passwords.stat().st_mode) == 0o600
    # each copy opens with its own password only, and names its member on every page
    for copy in copies:
        for other, password in passwords.items():
            if other == copy.name:
                number = copy.name.split("-")[-2]
                member = copy.name.rsplit("-", 1)[1].removesuffix(".pdf")
                pages = _pages(copy, password)
                assert all(f"Copy {number} of 03 - {member}" in t for t in pages)
            else:
                with pytest.raises(pikepdf.PasswordError):
                    pikepdf.open(copy, password=password)
    # a second Generate asks before replacing, and names the copies and the passwords file
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    with qtbot.waitSignal(w.controller.replace_asked, timeout=5000) as sig:
        qtbot.mouseClick(w.btn_generate, Qt.MouseButton.LeftButton)
    named = {p.name for p in sig.args[0]}
    assert {p.name for p in copies} | {written.passwords.name} <= named


def test_a_recipient_listed_twice_is_told_in_place(
    qtbot: Any, window: MainWindow, tmp_path: Path
) -> None:
    w = window
    open_demo(qtbot, w)
    page = _reports_step(w, tmp_path / "twice", password="")
    page.chk_copies.setChecked(True)
    page.add_recipient("Dr Ada Lovelace", "")
    page.add_recipient("Dr Ada Lovelace", "")
    assert "listed twice" in page.copies_info.text()
    with qtbot.waitSignal(w.error_shown, timeout=5000) as sig:
        qtbot.mouseClick(w.btn_generate, Qt.MouseButton.LeftButton)
    assert "listed twice" in sig.args[0] and w.job is None
    assert not any((tmp_path / "twice").iterdir())


def _history(qtbot: Any, w: MainWindow) -> Any:
    with qtbot.waitSignal(w.controller.history_read, timeout=TIMEOUT):
        w.act_history.trigger()
    return w.reports_page.history_dialog


def test_the_history_shows_each_run_and_a_broken_chain(
    qtbot: Any, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = window
    open_demo(qtbot, w)
    out = tmp_path / "history"
    page = _reports_step(w, out)
    page.chk_closed.setChecked(False)  # the open report alone: quicker
    assert not _history(qtbot, w).history.exists  # no log before the first Generate
    _yes(monkeypatch)  # the second Generate replaces the first's reports
    first = _generate(qtbot, w)
    _generate(qtbot, w)
    dialog = _history(qtbot, w)
    assert dialog.model.rowCount() == 2 and not dialog.broken
    assert "2 records, the chain holds" in dialog.chain.text()
    row = dialog.model.rows[0]
    assert row[4] == w.session.loaded.cutoff.isoformat() + " (final)"
    assert row[5] == w.session.loaded.study.data.provenance.sha256[:12]
    assert row[7] == "no" and row[8] == "no"
    # the same view from the Reports step's button
    with qtbot.waitSignal(w.controller.history_read, timeout=TIMEOUT):
        qtbot.mouseClick(page.btn_history, Qt.MouseButton.LeftButton)
    # an edited line breaks the chain: the view names it
    (log,) = out.glob("*-report-log.jsonl")
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[0] = lines[0].replace(f'"cutoff":"{row[4][:10]}"', '"cutoff":"2016-01-01"')
    log.write_text("".join(lines), encoding="utf-8")
    dialog = _history(qtbot, w)
    assert dialog.broken and dialog.history.broken_line == 1
    assert dialog.broken_bar.isVisible() and "BROKEN at line 1" in dialog.broken_bar.text()
    assert dialog.model.rows[0][4] == "2016-01-01 (final)"  # what the edited line now says
    assert first.open.exists()


def test_the_previous_closed_report_gives_the_changes_by_arm(
    qtbot: Any, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = window
    open_demo(qtbot, w)
    # the interim look
    w.steps.setCurrentRow(1)
    w.data_page.cutoff_default.setChecked(False)
    w.data_page.cutoff_edit.set_date(INTERIM)
    with qtbot.waitSignal(w.study_loaded, timeout=TIMEOUT):
        qtbot.mouseClick(w.btn_load, Qt.MouseButton.LeftButton)
    out = tmp_path / "looks"
    _reports_step(w, out)
    interim = _generate(qtbot, w)
    assert interim.closed is not None and INTERIM.isoformat() in interim.closed.name
    # the final look, with another password: the previous one is asked for, then used
    w.steps.setCurrentRow(1)
    w.data_page.cutoff_default.setChecked(True)
    with qtbot.waitSignal(w.study_loaded, timeout=TIMEOUT):
        qtbot.mouseClick(w.btn_load, Qt.MouseButton.LeftButton)
    page = _reports_step(w, out, password="final-pw-2")
    page.previous_closed_edit.setText(str(interim.closed))
    prompts: list[str] = []

    def get_text(_parent: Any, title: str, label: str, *a: Any, **k: Any) -> tuple[str, bool]:
        prompts.append(f"{title}: {label}")
        return PASSWORD, True

    monkeypatch.setattr(QInputDialog, "getText", get_text)
    final = _generate(qtbot, w)
    assert len(prompts) == 1 and "previous closed report" in prompts[0]
    text = " ".join(_pages(final.closed, "final-pw-2"))
    assert f"Changes since the previous report (data cutoff {INTERIM.isoformat()})" in text
    before = _carried(interim.closed, PASSWORD)["unblinded"]["abstinence"]["by_arm"]
    now = _carried(final.closed, "final-pw-2")["unblinded"]["abstinence"]["by_arm"]
    for arm in ("A", "B"):
        b, n = before[arm]["evaluable"], now[arm]["evaluable"]
        assert f"{b} -> {n} ({'+' if n >= b else ''}{n - b})" in text


def test_a_dry_run_takes_no_previous_closed_report(
    qtbot: Any, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its changes by arm would put real numbers in a report marked as not real."""
    w = window
    open_demo(qtbot, w)
    page = _reports_step(w, tmp_path / "dry")
    page.chk_dry_run.setChecked(True)
    page.previous_closed_edit.setText(str(tmp_path / "closed-before.pdf"))
    _yes(monkeypatch)
    with qtbot.waitSignal(w.error_shown, timeout=5000) as sig:
        qtbot.mouseClick(w.btn_generate, Qt.MouseButton.LeftButton)
    assert "dry run shows no changes by arm" in sig.args[0] and w.job is None


def test_a_load_never_moves_the_progress_back(qtbot: Any, window: MainWindow) -> None:
    w = window
    open_demo(qtbot, w)
    seen: list[float] = []
    w.controller.job_progress.connect(lambda fraction, _message: seen.append(fraction))
    w.steps.setCurrentRow(1)
    with qtbot.waitSignal(w.study_loaded, timeout=TIMEOUT):
        qtbot.mouseClick(w.btn_load, Qt.MouseButton.LeftButton)
    assert len(seen) > 3 and seen == sorted(seen) and seen[-1] <= 1.0


def test_recipients_from_a_csv_file_which_no_output_may_replace(
    qtbot: Any, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QFileDialog

    w = window
    open_demo(qtbot, w)
    out = tmp_path / "csv"
    page = _reports_step(w, out, password="")
    # the file is named as the passwords file would be: writing that would replace it
    cutoff = w.session.loaded.cutoff.isoformat()
    members = out / f"KETCOC-01-closed-report-{cutoff}-passwords.csv"
    members.write_text("name,password\nDr A,\nDr B,b-secret-22\n", encoding="utf-8-sig")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(members), ""))
    with qtbot.waitSignal(w.controller.recipients_read, timeout=TIMEOUT):
        page.choose_recipients()
    assert page.chk_copies.isChecked()
    assert page.recipient_rows() == (("Dr A", ""), ("Dr B", "b-secret-22"))
    assert "2 copies" in page.copies_info.text()
    with qtbot.waitSignal(w.error_shown, timeout=5000) as sig:
        qtbot.mouseClick(w.btn_generate, Qt.MouseButton.LeftButton)
    assert "recipients file" in sig.args[0] and w.job is None
    assert sorted(p.name for p in out.iterdir()) == [members.name]
