"""Windows and macOS hazards a statistician's laptop meets first, simulated on this machine:
consoles in a legacy code page, file names from study ids, the installer and the workflow."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dmc_report import cli

ROOT = Path(__file__).resolve().parents[2]


# --- text in any code page ---------------------------------------------------------------------
def run_cp1252(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The command line as on Windows with its output redirected: the streams in cp1252."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONIOENCODING"] = "cp1252"
    return subprocess.run(
        [sys.executable, "-m", "dmc_report", *map(str, args)],
        capture_output=True,
        cwd=cwd,
        env=env,
        timeout=600,
        encoding="cp1252",
        errors="strict",  # what was written must be cp1252 through and through
    )


def test_a_cp1252_console_prints_a_polish_folder_and_a_finding_quoting_ge(tmp_path: Path) -> None:
    folder = tmp_path / "Łódź-demo"
    r = run_cp1252("demo", "--out", folder, "--no-reports", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr and "UnicodeEncodeError" not in r.stderr
    assert "?ód?-demo" in r.stdout  # what cp1252 has is kept, the rest is '?'
    # a data cell quoting a character outside cp1252: the finding quotes it, as '?'
    import openpyxl

    wb = openpyxl.load_workbook(folder / "data.xlsx")
    sheet = wb["DM"]
    column = [c.value for c in sheet[1]].index("RANDDT") + 1
    sheet.cell(row=2, column=column, value="≥300 ng/mL")
    wb.save(folder / "data.xlsx")
    r = run_cp1252(
        "validate", "--protocol", folder / "protocol.toml", "--data", folder / "data.xlsx",
        cwd=tmp_path,
    )  # fmt: skip
    assert r.returncode in (0, 1), r.stderr  # findings; never exit 3
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr
    assert "'?300 ng/mL'" in r.stdout


class Stream(io.TextIOWrapper):
    def __init__(self, encoding: str, errors: str, tty: bool) -> None:
        super().__init__(io.BytesIO(), encoding=encoding, errors=errors)
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty

    def written(self) -> bytes:
        self.flush()
        buffer = self.buffer
        assert isinstance(buffer, io.BytesIO)
        return buffer.getvalue()


@pytest.mark.parametrize(
    ("tty", "environ", "expected"),
    [
        (False, None, "Łódź ≥300".encode()),  # redirected: UTF-8 keeps every character
        (False, "cp1252", "?ód? ?300".encode("cp1252")),  # an encoding asked for is kept
        (True, None, "?ód? ?300".encode("cp1252")),  # a legacy console shows what it can
    ],
)
def test_the_standard_streams_print_any_character(
    monkeypatch: pytest.MonkeyPatch, tty: bool, environ: str | None, expected: bytes
) -> None:
    out, err = Stream("cp1252", "strict", tty), Stream("cp1252", "backslashreplace", tty)
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    if environ is None:
        monkeypatch.delenv("PYTHONIOENCODING", raising=False)
    else:
        monkeypatch.setenv("PYTHONIOENCODING", environ)
    cli._streams_for_any_code_page()
    print("Łódź ≥300", end="")
    assert out.written() == expected
    assert err.errors == "backslashreplace"  # a handler that already never fails is kept


def test_no_standard_streams_at_all_is_fine(monkeypatch: pytest.MonkeyPatch) -> None:
    """A windowed executable (pythonw, the frozen app on Windows) has no stdout or stderr."""
    monkeypatch.setattr(sys, "stdout", None)
    monkeypatch.setattr(sys, "stderr", None)
    cli._streams_for_any_code_page()


def test_the_frozen_app_runs_in_utf8_mode() -> None:
    spec = (ROOT / "packaging" / "dmc-report.spec").read_text(encoding="ascii")
    assert '("X utf8_mode=1", None, "OPTION")' in spec
    # both executables (the windowed app and its console twin) get the option
    assert spec.count("UTF8_MODE,") == 2
