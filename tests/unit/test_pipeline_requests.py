"""The use cases' own checks (pipeline.py), which both front ends call: a report request refused
before any work, the demo's size; and their texts name the thing, never a command-line flag."""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path

import pytest

from dmc_report import cli, pipeline
from dmc_report.demo.writer import DemoFiles
from dmc_report.domain.errors import UnusableInputError
from dmc_report.pipeline import (
    CLOSED_NEEDS_KEY,
    CLOSED_NEEDS_PASSWORD,
    DEMO_NEEDS_SUBJECTS,
    ReportRequest,
    check_report_request,
    make_demo,
)

GOOD_PASSWORD = "long-enough"


def test_a_closed_report_needs_the_key(tmp_path: Path) -> None:
    request = ReportRequest(tmp_path / "o.pdf", tmp_path / "c.pdf", GOOD_PASSWORD)
    with pytest.raises(UnusableInputError) as info:
        check_report_request(request, key_given=False)
    assert info.value.message == CLOSED_NEEDS_KEY
    check_report_request(request, key_given=True)
    # the open report alone needs neither key nor password
    check_report_request(ReportRequest(tmp_path / "o.pdf"), key_given=False)


@pytest.mark.parametrize("password", [None, ""])
def test_a_closed_report_needs_a_password(tmp_path: Path, password: str | None) -> None:
    request = ReportRequest(tmp_path / "o.pdf", tmp_path / "c.pdf", password)
    with pytest.raises(UnusableInputError) as info:
        check_report_request(request, key_given=True)
    assert info.value.message == CLOSED_NEEDS_PASSWORD


def test_a_short_closed_password_is_refused(tmp_path: Path) -> None:
    request = ReportRequest(tmp_path / "o.pdf", tmp_path / "c.pdf", "1234567")
    with pytest.raises(UnusableInputError, match="at least 8 characters"):
        check_report_request(request, key_given=True)


def test_a_report_may_not_replace_an_input_or_another_report(tmp_path: Path) -> None:
    data = tmp_path / "data.xlsx"
    data.write_bytes(b"x")
    clash = ReportRequest(data, None)
    with pytest.raises(UnusableInputError, match="would replace the data workbook"):
        check_report_request(clash, key_given=False, inputs={"data workbook": data, "key": None})
    same = ReportRequest(tmp_path / "r.pdf", tmp_path / "r.pdf", GOOD_PASSWORD)
    with pytest.raises(UnusableInputError, match="the open report and the closed report"):
        check_report_request(same, key_given=True)
    assert not (tmp_path / "r.pdf").exists()


def test_the_demo_needs_four_subjects(tmp_path: Path) -> None:
    with pytest.raises(UnusableInputError) as info:
        make_demo(tmp_path / "demo", subjects=3)
    assert info.value.message == DEMO_NEEDS_SUBJECTS
    assert not (tmp_path / "demo").exists()  # refused before anything was written


def test_the_pipeline_names_no_command_line_flag() -> None:
    """Error texts from the pipeline name the thing; the command line adds its flags."""
    tree = ast.parse(Path(pipeline.__file__).read_text(encoding="utf-8"))
    texts = [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]
    assert not [t for t in texts if re.search(r"(^|\s|\()--[a-z]", t)]


def test_the_command_line_adds_its_flags(
    capsys: pytest.CaptureFixture[str], demo: DemoFiles, tmp_path: Path
) -> None:
    study = ["--protocol", str(demo.protocol), "--data", str(demo.data)]
    reports = ["--open", str(tmp_path / "o.pdf"), "--closed", str(tmp_path / "c.pdf")]
    assert cli.main(["report", *study, *reports]) == 2
    err = capsys.readouterr().err
    assert CLOSED_NEEDS_KEY in err and "give --key" in err and "data cutoff" not in err
    assert cli.main(["demo", "--out", str(tmp_path / "d"), "--subjects", "3"]) == 2
    err = capsys.readouterr().err
    assert DEMO_NEEDS_SUBJECTS in err and "--subjects 4 or more" in err


def test_the_demo_reports_are_written_beside_the_study(demo: DemoFiles, tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "demo"
    shutil.copytree(demo.folder, folder)
    files = dataclasses.replace(
        demo,
        folder=folder,
        protocol=folder / demo.protocol.name,
        data=folder / demo.data.name,
        key=folder / demo.key.name,
        key_password_file=folder / demo.key_password_file.name,
    )
    written = pipeline.make_demo_reports(files)
    assert written.open == folder / "open-report.pdf" and written.open.is_file()
    assert written.closed == folder / "closed-report.pdf" and written.closed.is_file()
