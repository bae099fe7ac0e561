"""Rendering the reports in a child process: same bytes, progress, errors and cancellation."""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path
from typing import Any

import pytest

from dmc_report.demo.writer import DemoFiles
from dmc_report.domain.errors import CancelledError, Location, UnusableInputError
from dmc_report.isolated import render_reports_in_child
from dmc_report.pipeline import (
    LoadedStudy,
    load_study,
    render_reports,
    run_analysis,
    run_validation,
)

from .test_reports import PASSWORD, SETTINGS, pdf_pages


class Recorder:
    """A Progress that records what it is told and cancels on request."""

    def __init__(self, cancel_after: int | None = None) -> None:
        self.messages: list[tuple[float, str]] = []
        self.cancel_after = cancel_after

    def update(self, fraction: float, message: str) -> None:
        self.messages.append((fraction, message))

    def cancelled(self) -> bool:
        # count only the child's own messages, so a cancel lands while it is rendering
        child = [m for m in self.messages if m[1] != "Starting the report renderer"]
        return self.cancel_after is not None and len(child) >= self.cancel_after


@pytest.fixture(scope="module")
def inputs(demo: DemoFiles, demo_password: str) -> tuple[LoadedStudy, Any, Any]:
    loaded = load_study(demo.protocol, demo.data, key=demo.key, key_password=demo_password)
    validation = run_validation(loaded)
    return loaded, validation, run_analysis(loaded, validation)


def test_the_loaded_study_survives_pickling(inputs: tuple[LoadedStudy, Any, Any]) -> None:
    loaded, _, _ = inputs
    back = pickle.loads(pickle.dumps(loaded))
    assert back.study.data.provenance == loaded.study.data.provenance
    assert back.study.data.frame("UDS").equals(loaded.study.data.frame("UDS"))
    assert dict(back.study.data["DM"].column_letters) == dict(
        loaded.study.data["DM"].column_letters
    )


def test_an_unusable_input_error_keeps_its_location_across_processes() -> None:
    exc = UnusableInputError("no such sheet", Location(file="data.xlsx", sheet="DM", row=3))
    back = pickle.loads(pickle.dumps(exc))
    assert back.message == "no such sheet" and back.location == exc.location
    assert str(back) == str(exc)


def test_the_child_renders_the_same_open_report_as_in_process(
    inputs: tuple[LoadedStudy, Any, Any], tmp_path: Path
) -> None:
    loaded, validation, results = inputs
    here, there = tmp_path / "in-process", tmp_path / "child"
    render_reports(
        loaded, validation, results, SETTINGS,
        open_path=here / "open.pdf", closed_path=here / "closed.pdf", closed_password=PASSWORD,
    )  # fmt: skip
    progress = Recorder()
    written = render_reports_in_child(
        loaded, validation, results, SETTINGS,
        open_path=there / "open.pdf", closed_path=there / "closed.pdf",
        closed_password=PASSWORD, progress=progress,
    )  # fmt: skip
    assert written.open.read_bytes() == (here / "open.pdf").read_bytes()
    assert written.closed is not None
    closed_here = pdf_pages((here / "closed.pdf").read_bytes(), PASSWORD)
    assert pdf_pages(written.closed.read_bytes(), PASSWORD) == closed_here
    fractions = [f for f, _ in progress.messages]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any("closed" in m.lower() for _, m in progress.messages)  # the child's own messages
    # the reports and the study's report log (the audit trail), and no temporary file left
    written_names = sorted(p.name for p in there.iterdir())
    assert written_names == ["KETCOC-01-report-log.jsonl", "closed.pdf", "open.pdf"]


def test_cancelling_while_the_child_renders_leaves_no_file(
    inputs: tuple[LoadedStudy, Any, Any], tmp_path: Path
) -> None:
    loaded, validation, results = inputs
    progress = Recorder(cancel_after=2)
    with pytest.raises(CancelledError):
        render_reports_in_child(
            loaded, validation, results, SETTINGS,
            open_path=tmp_path / "open.pdf", closed_path=tmp_path / "closed.pdf",
            closed_password=PASSWORD, progress=progress,
        )  # fmt: skip
    assert len(progress.messages) >= 3  # the child had started rendering
    assert list(tmp_path.iterdir()) == []


def test_an_error_in_the_child_comes_back_as_itself(
    inputs: tuple[LoadedStudy, Any, Any], tmp_path: Path
) -> None:
    loaded, validation, results = inputs
    blinded = dataclasses.replace(loaded, key=None)
    with pytest.raises(UnusableInputError, match="randomization key") as info:
        render_reports_in_child(
            blinded, validation, results, SETTINGS,
            open_path=tmp_path / "open.pdf", closed_path=tmp_path / "closed.pdf",
            closed_password=PASSWORD,
        )  # fmt: skip
    assert "render_from_inputs" in info.value.child_traceback  # type: ignore[attr-defined]
    assert list(tmp_path.iterdir()) == []


def test_the_report_process_receives_results_not_data(
    inputs: tuple[LoadedStudy, Any, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Derive once: the child gets results, findings, settings and the inputs' provenance; no
    data workbook, no key sheets, no visit grid to recompute from."""
    import pickle

    import dmc_report.isolated as isolated
    from dmc_report.domain.study import DataSet, Study

    loaded, validation, results = inputs
    sent: list[Any] = []
    real = isolated.call_in_child

    def spy(fn: Any, *args: Any, **kw: Any) -> Any:
        sent.extend(args)
        return real(fn, *args, **kw)

    monkeypatch.setattr(isolated, "call_in_child", spy)
    render_reports_in_child(
        loaded, validation, results, SETTINGS, open_path=tmp_path / "open.pdf",
        closed_path=tmp_path / "closed.pdf", closed_password=PASSWORD,
    )  # fmt: skip
    assert (tmp_path / "closed.pdf").exists()
    payload = pickle.dumps(sent)
    assert not any(isinstance(a, LoadedStudy | Study | DataSet) for a in sent)
    inputs_sent = next(a for a in sent if hasattr(a, "data_input"))
    assert inputs_sent.key is not None and not inputs_sent.key.tables
    assert len(validation.schedule.grid) and not any(
        getattr(a, "schedule", None) is not None and len(a.schedule.grid) for a in sent
    )
    assert len(payload) < len(pickle.dumps(loaded))


def test_a_prestarted_renderer_renders_the_same_closed_report(
    inputs: tuple[LoadedStudy, Any, Any], tmp_path: Path
) -> None:
    """The command line's renderer, started before the data are read, renders the closed report
    beside the open one: the same open report and the same closed report's pages, and the
    numbered copies too."""
    from dmc_report.isolated import Prestarted, prepare_renderer
    from dmc_report.pipeline import recipients_from_rows, render_numbered_copies

    loaded, validation, results = inputs
    here, there = tmp_path / "here", tmp_path / "there"
    render_reports(
        loaded, validation, results, SETTINGS,
        open_path=here / "open.pdf", closed_path=here / "closed.pdf", closed_password=PASSWORD,
    )  # fmt: skip
    with Prestarted(prepare_renderer) as renderer:
        written = render_reports(
            loaded, validation, results, SETTINGS, open_path=there / "open.pdf",
            closed_path=there / "closed.pdf", closed_password=PASSWORD, closed_renderer=renderer,
        )  # fmt: skip
        assert renderer._submitted  # the closed report was its work
    assert written.open.read_bytes() == (here / "open.pdf").read_bytes()
    assert written.closed is not None
    closed_here = pdf_pages((here / "closed.pdf").read_bytes(), PASSWORD)
    assert pdf_pages(written.closed.read_bytes(), PASSWORD) == closed_here

    recipients = recipients_from_rows([("Dr A", PASSWORD), ("Dr B", PASSWORD + "-b")])
    copies = tmp_path / "copies"
    with Prestarted() as renderer:
        paths = render_numbered_copies(
            loaded, validation, results, SETTINGS, open_path=copies / "open.pdf",
            closed_path=copies / "closed.pdf", recipients=recipients, closed_renderer=renderer,
        )  # fmt: skip
        assert renderer._submitted
    second = pdf_pages(paths[2].read_bytes(), PASSWORD + "-b")
    assert "Copy 02 of 02 - Dr B" in second[0]


def test_a_prestarted_renderers_error_comes_back_and_an_unused_one_stops() -> None:
    from dmc_report.isolated import Prestarted

    renderer = Prestarted()
    renderer.submit(pickle.loads, b"not a pickle")
    with pytest.raises(pickle.UnpicklingError):
        renderer.result()
    assert not renderer._proc.is_alive()
    with pytest.raises(RuntimeError, match="one function"):
        renderer.submit(len, ())
    unused = Prestarted()
    unused.close()
    assert not unused._proc.is_alive()
