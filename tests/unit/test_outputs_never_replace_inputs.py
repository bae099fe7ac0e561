"""No output ever replaces an input; a report pair is written all or nothing; an output that
cannot be written is told before any work, with exit 2 and the reason (never exit 3)."""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from dmc_report.cli import main
from dmc_report.demo.writer import DemoFiles
from dmc_report.domain.errors import UnusableInputError
from dmc_report.io.output import OutputFile, check_outputs, write_files_atomic


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def study(demo: DemoFiles, tmp_path: Path) -> DemoFiles:
    """A private copy of the demo study (these tests try to overwrite its files)."""
    folder = tmp_path / "study"
    shutil.copytree(demo.folder, folder)
    return DemoFiles(
        folder,
        folder / demo.protocol.name,
        folder / demo.data.name,
        folder / demo.key.name,
        folder / demo.key_password_file.name,
        demo.cutoff,
    )


def _inputs(s: DemoFiles) -> list[str]:
    return ["--protocol", str(s.protocol), "--data", str(s.data)]


def _key(s: DemoFiles) -> list[str]:
    return ["--key", str(s.key), "--key-password-file", str(s.key_password_file)]


CLASHES: dict[str, Callable[[DemoFiles, Path], list[str]]] = {
    "open report named like the data workbook": lambda s, t: [
        "report", *_inputs(s), "--open", str(s.data),
    ],
    "closed report named like the key": lambda s, t: [
        "report", *_inputs(s), *_key(s), "--open", str(t / "o.pdf"), "--closed", str(s.key),
        "--closed-password-file", str(s.key_password_file),
    ],
    "findings named like the data workbook": lambda s, t: [
        "validate", *_inputs(s), "--findings", str(s.data),
    ],
    "results named like the protocol": lambda s, t: [
        "analyze", *_inputs(s), "--json", str(s.protocol),
    ],
    "open report named like the key password file": lambda s, t: [
        "report", *_inputs(s), *_key(s), "--open", str(s.key_password_file),
    ],
    "open report over the data through '..'": lambda s, t: [
        "report", *_inputs(s), "--open", str(s.folder / "sub" / ".." / s.data.name),
    ],
    "open and closed the same file": lambda s, t: [
        "report", *_inputs(s), *_key(s), "--open", str(t / "r.pdf"), "--closed", str(t / "r.pdf"),
        "--closed-password-file", str(s.key_password_file),
    ],
}  # fmt: skip


@pytest.mark.parametrize("case", list(CLASHES))
def test_an_output_named_like_an_input_or_another_output_is_refused(
    study: DemoFiles, tmp_path: Path, case: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = {p.name: _sha(p) for p in study.folder.iterdir()}
    assert main(CLASHES[case](study, tmp_path)) == 2
    err = capsys.readouterr().err
    assert "would replace" in err or "are the same file" in err, err
    assert "Traceback" not in err
    assert {p.name: _sha(p) for p in study.folder.iterdir()} == before
    assert not (tmp_path / "r.pdf").exists() and not (tmp_path / "o.pdf").exists()


@pytest.mark.skipif(sys.platform == "win32", reason="symbolic links need privileges on Windows")
def test_a_link_to_an_input_is_the_input(study: DemoFiles, tmp_path: Path) -> None:
    link = tmp_path / "innocent.pdf"
    link.symlink_to(study.data)
    before = _sha(study.data)
    assert main(["report", *_inputs(study), "--open", str(link)]) == 2
    assert _sha(study.data) == before and link.is_symlink()


def test_a_case_variant_of_an_input_is_the_input_where_the_file_system_ignores_case(
    study: DemoFiles,
) -> None:
    variant = study.data.with_name(study.data.name.upper())
    if not variant.exists():  # a case-sensitive file system: DATA.XLSX is another file
        check_outputs({"open report": variant}, {"data workbook": study.data})
        return
    with pytest.raises(UnusableInputError, match="would replace the data workbook"):
        check_outputs({"open report": variant}, {"data workbook": study.data})


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda t: (t / "out.pdf").mkdir() or t / "out.pdf", "a folder of that name"),
        (lambda t: (t / "file").write_text("x") and t / "file" / "out.pdf", "is a file"),
        (lambda t: t / ("r" * 245 + ".pdf"), "temporary suffix"),
    ],
    ids=["folder", "parent-is-a-file", "name-too-long"],
)
def test_an_output_that_cannot_be_written_is_told_before_any_work(
    study: DemoFiles,
    tmp_path: Path,
    make: Callable[[Path], Path],
    reason: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = make(tmp_path)
    assert main(["report", *_inputs(study), "--open", str(target)]) == 2
    err = capsys.readouterr().err
    assert reason in err and "cannot be written" in err, err
    assert "data cutoff" not in err  # refused before the study was read


@pytest.mark.skipif(
    sys.platform == "win32" or os.geteuid() == 0, reason="root writes anywhere; POSIX modes"
)
def test_a_read_only_folder_is_told_before_any_work(study: DemoFiles, tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(UnusableInputError, match="not writable"):
            check_outputs({"open report": folder / "o.pdf"}, {})
    finally:
        folder.chmod(0o700)


def test_a_failing_second_rename_leaves_the_previous_pair_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_pdf, closed_pdf = tmp_path / "open.pdf", tmp_path / "closed.pdf"
    write_files_atomic([OutputFile(open_pdf, b"old open"), OutputFile(closed_pdf, b"old closed")])
    real = Path.replace

    def failing(self: Path, target: Path) -> Path:  # a viewer holds the closed report open
        if self == closed_pdf:
            raise PermissionError(13, "Permission denied")
        return real(self, target)

    monkeypatch.setattr(Path, "replace", failing)
    monkeypatch.setattr("dmc_report.io.output.REPLACE_RETRY_SECONDS", (0.0,))
    with pytest.raises(UnusableInputError, match=r"close closed\.pdf in the program"):
        write_files_atomic(
            [OutputFile(open_pdf, b"new open"), OutputFile(closed_pdf, b"new closed")]
        )
    assert open_pdf.read_bytes() == b"old open" and closed_pdf.read_bytes() == b"old closed"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["closed.pdf", "open.pdf"]


def test_a_file_held_briefly_by_another_program_is_replaced_after_a_retry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "open.pdf"
    target.write_bytes(b"old")
    real, calls = Path.replace, []

    def busy_twice(self: Path, dst: Path) -> Path:
        calls.append(dst)
        if len(calls) <= 2:
            raise PermissionError(13, "The process cannot access the file")
        return real(self, dst)

    monkeypatch.setattr(Path, "replace", busy_twice)
    monkeypatch.setattr("dmc_report.io.output.REPLACE_RETRY_SECONDS", (0.0, 0.0, 0.0))
    write_files_atomic([OutputFile(target, b"new")])
    assert target.read_bytes() == b"new" and len(calls) == 3


def test_a_report_failing_half_way_leaves_no_new_file_beside_the_old_pair(
    study: DemoFiles, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "open.pdf").write_bytes(b"old open")
    (out / "closed.pdf").write_bytes(b"old closed")

    def broken(*args: object, **kwargs: object) -> tuple[bytes, str]:
        raise UnusableInputError("the closed report could not be rendered")

    monkeypatch.setattr("dmc_report.report.render_closed_report_with_digest", broken)
    monkeypatch.setenv("DMC_REPORT_SERIAL_RENDER", "1")  # rendered here, where the patch is
    rc = main([
        "report", *_inputs(study), *_key(study), "--open", str(out / "open.pdf"),
        "--closed", str(out / "closed.pdf"), "--closed-password-file",
        str(study.key_password_file),
    ])  # fmt: skip
    assert rc == 2
    assert (out / "open.pdf").read_bytes() == b"old open"
    assert (out / "closed.pdf").read_bytes() == b"old closed"
    assert sorted(p.name for p in out.iterdir()) == ["closed.pdf", "open.pdf"]


def test_a_closed_report_failing_in_the_prestarted_renderer_leaves_no_new_file(
    study: DemoFiles, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command line's renderer process fails (here: it is given a protocol that does not
    exist to read, and refuses it as the closed side would refuse its input): the run stops with
    the refusal, exit 2, and neither report nor a temporary file is left."""
    import os

    from dmc_report.isolated import Prestarted
    from dmc_report.pipeline import read_protocol

    if (os.cpu_count() or 1) < 2:
        pytest.skip("one core: the command line renders in order, with no renderer process")
    out = tmp_path / "out"
    out.mkdir()
    (out / "open.pdf").write_bytes(b"old open")
    real = Prestarted.submit
    submitted: list[object] = []

    def failing(self: Prestarted, fn: object, *args: object) -> Prestarted:
        submitted.append(fn)
        return real(self, read_protocol, str(tmp_path / "no-such-protocol.toml"))

    monkeypatch.setattr(Prestarted, "submit", failing)
    monkeypatch.delenv("DMC_REPORT_SERIAL_RENDER", raising=False)
    rc = main([
        "report", *_inputs(study), *_key(study), "--open", str(out / "open.pdf"),
        "--closed", str(out / "closed.pdf"), "--closed-password-file",
        str(study.key_password_file),
    ])  # fmt: skip
    assert submitted  # the closed report went to the renderer process
    assert rc == 2
    assert sorted(p.name for p in out.iterdir()) == ["open.pdf"]
    assert (out / "open.pdf").read_bytes() == b"old open"


def test_the_demo_never_overwrites_a_folder_of_real_study_files(tmp_path: Path) -> None:
    (tmp_path / "data.xlsx").write_bytes(b"the real export")
    assert main(["demo", "--out", str(tmp_path), "--no-reports"]) == 2
    assert (tmp_path / "data.xlsx").read_bytes() == b"the real export"


def test_the_demo_rewrites_an_earlier_demo_folder(tmp_path: Path) -> None:
    """`make run` twice, or over a demo folder from before the marker existed."""
    assert main(["demo", "--out", str(tmp_path), "--no-reports"]) == 0
    (tmp_path / ".dmc-demo").unlink()
    assert main(["demo", "--out", str(tmp_path), "--no-reports"]) == 0
