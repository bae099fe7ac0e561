"""Windows and macOS hazards a statistician's laptop meets first, simulated on this machine:
consoles in a legacy code page, file names from study ids, the installer and the workflow."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

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


# --- file names from study ids -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("study_id", "expected"),
    [
        ("KETCOC-01", "KETCOC-01"),
        ("KET/COC-01", "KET_COC-01"),  # a '/' would make a folder
        ("KET\\COC", "KET_COC"),
        ("KET:COC", "KET_COC"),  # a ':' would write an NTFS stream
        ('a<b>c"d|e?f*g', "a_b_c_d_e_f_g"),
        ("tab\there\x00nul\x1f", "tab_here_nul_"),
        ("CON", "CON_"),  # devices, whatever the case or extension
        ("con", "con_"),
        ("nul.pdf", "nul_.pdf"),
        ("Com1", "Com1_"),
        ("LPT9.x.y", "LPT9_.x.y"),
        ("LPT¹", "LPT¹_"),
        ("CONSORT", "CONSORT"),  # only the device names themselves
        ("COM10", "COM10"),
        ("a. ", "a"),  # Windows drops trailing dots and spaces
        ("  ..study..  ", "study"),  # a leading dot would hide the file
        ("...", "study"),
        ("", "study"),
        ("Łódź ≥300", "Łódź ≥300"),  # letters and symbols are fine everywhere
    ],
)
def test_a_study_id_becomes_a_file_name_valid_on_windows(study_id: str, expected: str) -> None:
    from dmc_report.io.filenames import is_reserved, safe_name

    name = safe_name(study_id)
    assert name == expected
    assert not is_reserved(name) and not is_reserved(f"{name}.pdf")
    assert not set('<>:"/\\|?*') & set(name) and all(ord(c) >= 32 for c in name)
    assert name == name.rstrip(" .") and not name.startswith(".")


def test_a_very_long_study_id_is_cut_and_a_report_name_is_built_from_it() -> None:
    import datetime as dt

    from dmc_report.io.filenames import MAX_PART_CHARS, report_file_name, safe_name

    assert len(safe_name("S" * 300)) == MAX_PART_CHARS
    assert safe_name("x" * (MAX_PART_CHARS - 1) + ". tail") == "x" * (MAX_PART_CHARS - 1)
    name = report_file_name("CON", "open-report", dt.date(2016, 12, 14), ".pdf")
    assert name == "CON_-open-report-2016-12-14.pdf"
    assert report_file_name("A/B: c.", "open-results", dt.date(2016, 1, 2), ".json") == (
        "A_B_ c-open-results-2016-01-02.json"
    )


def path_of_length(folder: Path, length: int) -> Path:
    """A file path under ``folder`` whose resolved path has ``length`` characters."""
    base = len(str(folder.resolve())) + 1
    deep = folder / ("d" * 100)
    rest = length - base - 101
    assert rest > 10, "the temporary folder's path is too long for this test"
    return deep / ("r" * (rest - 4) + ".pdf")


def test_a_250_character_path_on_windows_is_refused_naming_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dmc_report.domain.errors import UnusableInputError
    from dmc_report.io.output import TEMP_SUFFIX_CHARS, WINDOWS_MAX_PATH, check_writable

    long_path = path_of_length(tmp_path, 250)
    assert len(str(long_path.resolve())) == 250
    monkeypatch.setattr(sys, "platform", "win32")  # the check Windows gets, without long paths
    with pytest.raises(UnusableInputError) as err:
        check_writable(long_path, "open report")
    limit = WINDOWS_MAX_PATH - TEMP_SUFFIX_CHARS
    assert f"its full path is 250 characters; Windows allows {limit} here" in err.value.message
    check_writable(path_of_length(tmp_path, limit), "open report")  # at the limit: fine


def test_a_report_name_too_long_is_exit_2_naming_the_limit(
    tmp_path: Path, demo: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / ("r" * 246 + ".pdf")  # 250 characters: too long with the temporary suffix
    code = cli.main(
        ["report", "--protocol", str(demo.protocol), "--data", str(demo.data),
         "--open", str(target)]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == cli.EXIT_UNUSABLE, err
    assert "its name is 250 characters" in err and "at most" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


# --- one version, and upgrades that leave nothing stale -------------------------------------
def iss_sections() -> dict[str, list[str]]:
    """The Inno Setup script's sections and their entries (comments and blank lines left out)."""
    sections: dict[str, list[str]] = {}
    current = ""
    for raw in (ROOT / "packaging" / "dmc-report.iss").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(";"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1]
            sections.setdefault(current, [])
        elif current:
            sections[current].append(line)
    return sections


def test_an_upgrade_removes_the_previous_library_folder_first() -> None:
    sections = iss_sections()
    assert 'Type: filesandordirs; Name: "{app}\\_internal"' in sections["InstallDelete"]
    # _internal is the folder the spec's bundle keeps its libraries in (PyInstaller's default)
    spec = (ROOT / "packaging" / "dmc-report.spec").read_text(encoding="ascii")
    assert "contents_directory" not in spec or 'contents_directory="_internal"' in spec
    # and the files come from that bundle, into {app}
    assert any(e.startswith('Source: "..\\dist\\dmc-report\\*"') for e in sections["Files"])


def test_the_installer_takes_the_version_it_is_given_never_a_default() -> None:
    text = (ROOT / "packaging" / "dmc-report.iss").read_text(encoding="utf-8")
    guard = text.split("#ifndef AppVersion", 1)[1].split("#endif", 1)[0]
    assert "#error" in guard and "#define" not in guard


def test_the_frozen_app_reads_its_version_from_the_file_its_build_wrote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.metadata

    import dmc_report

    (tmp_path / "dmc_report").mkdir()
    (tmp_path / "dmc_report" / dmc_report.VERSION_FILE).write_text("9.8.7\n", encoding="utf-8")
    # what a stale dist-info left by an upgrade would have answered
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "0.0.1")
    assert dmc_report._read_version() == "0.0.1"  # from source: the installed metadata
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert dmc_report._read_version() == "9.8.7"
    (tmp_path / "dmc_report" / dmc_report.VERSION_FILE).unlink()
    assert dmc_report._read_version() == dmc_report.UNKNOWN  # never the stale metadata


def test_the_build_writes_the_version_from_pyproject_into_the_bundle() -> None:
    import tomllib

    import dmc_report

    spec = (ROOT / "packaging" / "dmc-report.spec").read_text(encoding="ascii")
    assert 'tomllib.loads((ROOT / "pyproject.toml")' in spec
    assert 'datas += [(str(VERSION_FILE), "dmc_report")]' in spec
    assert f'VERSION_FILE = Path(workpath) / "{dmc_report.VERSION_FILE}"' in spec
    # the installed metadata this source tree runs with says what pyproject.toml says
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert dmc_report.__version__ == project["version"]


# --- macOS: the real minimum system version, and an artefact that keeps the .app whole -------
def macho(minos: tuple[int, int], *, old_style: bool = False, platform: int = 1) -> bytes:
    """A 64-bit little-endian Mach-O header with one version load command."""
    import struct

    packed = (minos[0] << 16) | (minos[1] << 8)
    if old_style:  # LC_VERSION_MIN_MACOSX: version, sdk
        command = struct.pack("<IIII", 0x24, 16, packed, packed)
    else:  # LC_BUILD_VERSION: platform, minos, sdk, ntools
        command = struct.pack("<IIIIII", 0x32, 24, platform, packed, packed, 0)
    other = struct.pack("<II", 0x19, 8)  # a load command of another kind, skipped
    header = struct.pack("<IiiIIIII", 0xFEEDFACF, 0x0100000C, 0, 6, 2, 8 + len(command), 0, 0)
    return header + other + command


def fat(*slices: bytes) -> bytes:
    import struct

    head = struct.pack(">II", 0xCAFEBABE, len(slices))
    offset = 4096
    arches, body = b"", b""
    for s in slices:
        arches += struct.pack(">iiIII", 0x0100000C, 0, offset + len(body), len(s), 12)
        body += s
    return (head + arches).ljust(offset, b"\0") + body


def test_the_macos_minimum_is_the_highest_any_bundled_library_declares(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "packaging"))
    try:
        from macos_minimum import minimum_macos, minimum_of_file
    finally:
        sys.path.remove(str(ROOT / "packaging"))

    assert minimum_of_file(macho((13, 0))) == (13, 0, 0)
    assert minimum_of_file(macho((10, 13), old_style=True)) == (10, 13, 0)
    assert minimum_of_file(macho((17, 0), platform=2)) is None  # an iOS build version
    assert minimum_of_file(fat(macho((13, 0)), macho((14, 2)))) == (14, 2, 0)  # universal2
    assert minimum_of_file(b"\xca\xfe\xba\xbe\x00\x00\x00\x37 a Java class") is None
    assert minimum_of_file(b"#!/bin/sh\n") is None
    files = {
        "libqt.dylib": macho((13, 0)),
        "_pikepdf.so": fat(macho((14, 0)), macho((12, 0))),
        "numpy.so": macho((14, 0)),
        "bootloader": macho((10, 13), old_style=True),
        "notes.txt": b"LSMinimumSystemVersion",
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    assert minimum_macos(tmp_path.iterdir()) == "14.0"
    assert minimum_macos([tmp_path / "bootloader"]) == "11.0"  # Apple silicon's first macOS
    spec = (ROOT / "packaging" / "dmc-report.spec").read_text(encoding="ascii")
    assert '"LSMinimumSystemVersion": MIN_MACOS' in spec and '"11.0"' not in spec


def workflow() -> str:
    return (ROOT / ".github" / "workflows" / "package.yml").read_text(encoding="utf-8")


def test_the_macos_app_ships_in_a_disk_image_one_per_architecture() -> None:
    text = workflow()
    assert "hdiutil create" in text and "ditto dist/dmc-report.app" in text
    assert "macos-14" in text and "arch: arm64" in text  # Apple silicon
    assert "macos-15-intel" in text and "arch: x86_64" in text  # Intel
    # the .app itself is never uploaded as a folder (upload-artifact drops modes and links)
    uploads = text.split("actions/upload-artifact")[1:]
    assert uploads and all("dmc-report.app" not in u.split("- ")[0] for u in uploads)
    assert "path: dist/*.dmg" in text
    # its minimum system version is checked against the libraries actually bundled
    assert "packaging/macos_minimum.py dist/dmc-report.app" in text


def test_the_readme_install_steps_work_on_macos_15_and_past_smartscreen() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    install = readme.split("## Install", 1)[1].split("\n## ", 1)[0]
    assert "Privacy & Security" in install and "Open Anyway" in install
    assert "xattr -dr com.apple.quarantine" in install
    assert "More info" in install and "Run anyway" in install
    assert "right-click it and choose *Open*" not in install  # no longer works on macOS 15


# --- the workflow: tests on both systems, the installed app run, failures that fail ------------
def _scalar(text: str) -> Any:
    text = text.strip()
    if text.startswith("[") and text.endswith("]"):
        return [_scalar(t) for t in text[1:-1].split(",") if t.strip()]
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def _strip_comment(line: str) -> str:
    quote = ""
    for i, c in enumerate(line):
        if quote:
            quote = "" if c == quote else quote
        elif c in "'\"":
            quote = c
        elif c == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i].rstrip()
    return line.rstrip()


def load_workflow_yaml(text: str) -> Any:
    """The block-style YAML subset GitHub workflows are written in (mappings, lists, '|' block
    scalars, [flow, lists], quoted scalars): PyYAML is not among this project's dependencies."""
    raw = text.splitlines()

    def block_scalar(i: int, parent: int) -> tuple[str, int]:
        body: list[str] = []
        while i < len(raw) and (not raw[i].strip() or len(raw[i]) - len(raw[i].lstrip()) > parent):
            body.append(raw[i])
            i += 1
        while body and not body[-1].strip():
            body.pop()
        margin = min((len(b) - len(b.lstrip()) for b in body if b.strip()), default=0)
        return "\n".join(b[margin:] for b in body) + "\n", i

    def skip(i: int) -> int:
        while i < len(raw) and not _strip_comment(raw[i]).strip():
            i += 1
        return i

    def value_after(rest: str, i: int, indent: int) -> tuple[Any, int]:
        if rest in ("|", "|-", ">", ">-"):
            return block_scalar(i, indent)
        if rest:
            return _scalar(rest), i
        j = skip(i)
        if j < len(raw):
            child = len(raw[j]) - len(raw[j].lstrip())
            if child > indent or (child == indent and raw[j].lstrip().startswith("- ")):
                return parse(j, child)
        return None, i

    def parse(i: int, indent: int) -> tuple[Any, int]:
        i = skip(i)
        is_list = raw[i].lstrip().startswith("- ")
        out: Any = [] if is_list else {}
        while True:
            i = skip(i)
            if i >= len(raw):
                return out, i
            line = _strip_comment(raw[i])
            here = len(line) - len(line.lstrip())
            content = line.strip()
            if here < indent or (here == indent and is_list != content.startswith("- ")):
                return out, i
            if here > indent:
                raise ValueError(f"line {i + 1}: unexpected indentation")
            if is_list:
                item = content[2:]
                if ":" in item and not item.startswith(("'", '"')) and ": " in item + " ":
                    raw[i] = " " * (indent + 2) + item  # the item is a mapping: parse it there
                    value, i = parse(i, indent + 2)
                else:
                    value, i = _scalar(item), i + 1
                out.append(value)
            else:
                key, _, rest = content.partition(":")
                value, i = value_after(rest.strip(), i + 1, indent)
                out[_scalar(key)] = value

    doc, _ = parse(0, 0)
    return doc


def parsed_workflow() -> Any:
    try:
        import yaml
    except ImportError:
        return load_workflow_yaml(workflow())
    doc = yaml.safe_load(workflow())
    if True in doc:  # YAML 1.1 reads the key "on" as true
        doc["on"] = doc.pop(True)
    return doc


def test_the_workflow_parser_reads_what_workflows_hold() -> None:
    doc = load_workflow_yaml(
        "on:\n  push:\n    branches: [main]  # comment\n  pull_request:\n"
        "jobs:\n  a:\n    runs-on: ${{ matrix.os }}\n    strategy:\n      matrix:\n"
        "        os: [windows-latest, 'macos-latest']\n        include:\n"
        "          - os: x\n            arch: y\n    steps:\n      - uses: actions/checkout@v4\n"
        "      - name: Run\n        run: |\n          echo '#1'\n\n          test 1 -eq 1\n"
    )
    assert doc["on"] == {"push": {"branches": ["main"]}, "pull_request": None}
    job = doc["jobs"]["a"]
    assert job["strategy"]["matrix"]["os"] == ["windows-latest", "macos-latest"]
    assert job["strategy"]["matrix"]["include"] == [{"os": "x", "arch": "y"}]
    assert job["steps"][1]["run"] == "echo '#1'\n\ntest 1 -eq 1\n"


def runs(job: dict[str, Any]) -> str:
    return "\n".join(str(step.get("run", "")) for step in job["steps"])


def oses(job: dict[str, Any]) -> set[str]:
    matrix = job.get("strategy", {}).get("matrix", {})
    named = set(matrix.get("os", []))
    named |= {entry["os"] for entry in matrix.get("include", [])}
    return named or {job["runs-on"]}


def test_the_workflow_tests_packages_and_runs_the_installed_app_on_every_push() -> None:
    doc = parsed_workflow()
    triggers = doc["on"]
    assert "push" in triggers and triggers["push"]["branches"] == ["main"]
    assert "pull_request" in triggers
    jobs = doc["jobs"]
    # the whole suite (no path, no -k) on Windows and macOS, offscreen
    testing = [j for j in jobs.values() if "pytest" in runs(j)]
    assert testing
    for job in testing:
        assert any(o.startswith("windows") for o in oses(job))
        assert any(o.startswith("macos") for o in oses(job))
        line = next(ln for ln in runs(job).splitlines() if "pytest" in ln)
        assert line.split("pytest", 1)[1].split() in ([], ["-q"])
    assert doc["env"]["QT_QPA_PLATFORM"] == "offscreen"
    # then the package, after the tests
    package = jobs["package"]
    assert package["needs"] in ("test", ["test"])
    assert "pyinstaller " in runs(package) and "ISCC" in runs(package)
    # the Windows installer installed silently for the current user, the installed app run
    steps = runs(package)
    assert "/VERYSILENT" in steps and "/CURRENTUSER" in steps
    assert 'packaging/smoke.sh "$target/dmc-report-cli.exe" "$target/dmc-report.exe"' in steps
    assert 'packaging/smoke.sh "$app/Contents/MacOS/dmc-report-cli"' in steps
    smoke = (ROOT / "packaging" / "smoke.sh").read_text(encoding="utf-8")
    for command in ("--version", " demo --out", " report --protocol", " gui --self-test"):
        assert command in smoke, command
    assert "set -euo pipefail" in smoke


def test_the_workflow_fails_when_anything_fails() -> None:
    doc = parsed_workflow()
    text = workflow()
    smoke = (ROOT / "packaging" / "smoke.sh").read_text(encoding="utf-8")
    for script in (text, smoke):
        assert "|| true" not in script and "continue-on-error" not in script
        assert "set +e" not in script
    # bash everywhere (GitHub runs it with -e -o pipefail), never pwsh or cmd
    assert doc["defaults"]["run"]["shell"] == "bash"
    for job in doc["jobs"].values():
        for step in job["steps"]:
            assert step.get("shell", "bash") == "bash", step
    # a command that fails inside 'a && b' does not stop bash -e: none in the scripts
    for job in doc["jobs"].values():
        for step in job["steps"]:
            assert "&&" not in str(step.get("run", "")), step.get("name")
    # build tools pinned
    assert "pyinstaller==${PYINSTALLER_VERSION}" in text
    assert re.fullmatch(r"\d+\.\d+\.\d+", doc["env"]["PYINSTALLER_VERSION"])
    assert re.fullmatch(r"\d+\.\d+(\.\d+)?", doc["env"]["PYINSTALLER_HOOKS_CONTRIB_VERSION"])
    assert ">=" not in runs(doc["jobs"]["package"])


def test_bundle_size_fails_on_a_missing_or_empty_folder(tmp_path: Path) -> None:
    script = ROOT / "packaging" / "bundle_size.py"
    for folder in (tmp_path / "missing", tmp_path):
        r = subprocess.run(
            [sys.executable, str(script), str(folder)], capture_output=True, text=True, timeout=60
        )
        assert r.returncode != 0 and "did the build fail" in r.stderr, r
    (tmp_path / "dmc-report").write_bytes(b"\0" * 1000)
    r = subprocess.run(
        [sys.executable, str(script), str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 0 and "1 files" in r.stdout, r
