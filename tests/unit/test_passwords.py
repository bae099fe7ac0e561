"""Passwords as editors and shells write them: BOMs, UTF-16, line endings, stray spaces; the
closed report's minimum length; unblinded results written owner-only."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest

from dmc_report import cli
from dmc_report.demo.writer import DemoFiles, encrypt_xlsx
from dmc_report.domain.errors import UnusableInputError
from dmc_report.io.passwords import (
    MIN_CLOSED_PASSWORD,
    closed_password_problem,
    password_from,
    read_password_file,
)
from dmc_report.io.protocol_loader import bundled_protocol_text

PASSWORD = "pässwörd-€1"  # not ASCII, not cp1252-only: every encoding below must carry it

ENV_VARS = ("DMC_DATA_PASSWORD", "DMC_KEY_PASSWORD", "DMC_CLOSED_PASSWORD")


@pytest.fixture(autouse=True)
def no_password_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def write(tmp_path: Path, data: bytes, name: str = "pw.txt") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# -- decoding and line rules ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "data"),
    [
        ("utf-8", PASSWORD.encode("utf-8")),
        ("utf-8 LF", (PASSWORD + "\n").encode("utf-8")),
        ("utf-8 CRLF", (PASSWORD + "\r\n").encode("utf-8")),
        ("utf-8 CR", (PASSWORD + "\r").encode("utf-8")),
        ("utf-8 BOM", b"\xef\xbb\xbf" + PASSWORD.encode("utf-8")),
        ("utf-8 BOM CRLF (Notepad, PowerShell 5)", b"\xef\xbb\xbf" + (PASSWORD + "\r\n").encode()),
        ("utf-16 LE BOM CRLF (PowerShell 5 >)", b"\xff\xfe" + (PASSWORD + "\r\n").encode("utf-16-le")),
        ("utf-16 BE BOM", b"\xfe\xff" + (PASSWORD + "\n").encode("utf-16-be")),
    ],
)  # fmt: skip
def test_a_password_file_is_decoded_as_its_editor_wrote_it(
    tmp_path: Path, label: str, data: bytes
) -> None:
    assert read_password_file(write(tmp_path, data), "data workbook") == PASSWORD, label


def test_an_ansi_file_is_refused_with_what_to_do(tmp_path: Path) -> None:
    path = write(tmp_path, "motdepassé\r\n".encode("cp1252"))
    with pytest.raises(UnusableInputError) as info:
        read_password_file(path, "key workbook")
    message = str(info.value)
    assert info.value.location.file == str(path)
    assert "not UTF-8 or UTF-16 text" in message and "save it as UTF-8 in your editor" in message


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"secret-pw \n", "starts or ends with a space"),
        (b" secret-pw", "starts or ends with a space"),
        (b"secret-pw\t\r\n", "starts or ends with a space"),
        (b"secret-pw\nsecond line\n", "more than one line"),
        (b"secret-pw\n\n", "more than one line"),
        (b"secret-pw\r\n\r\n", "more than one line"),
        (b"", "is empty"),
        (b"\n", "is empty"),
        (b"\xef\xbb\xbf\r\n", "is empty"),
        (b"   \n", "only spaces"),
        ("pw".encode("utf-16-le"), "NUL"),  # UTF-16 without its BOM
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00\xa7", "not UTF-8 or UTF-16 text"),  # a workbook
    ],
)
def test_a_password_file_that_is_not_one_clean_line_is_refused(
    tmp_path: Path, data: bytes, says: str
) -> None:
    path = write(tmp_path, data)
    with pytest.raises(UnusableInputError) as info:
        read_password_file(path, "data workbook")
    assert says in info.value.message and info.value.location.file == str(path)


def test_a_missing_or_huge_password_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UnusableInputError, match="cannot be read"):
        read_password_file(tmp_path / "absent.txt", "data workbook")
    with pytest.raises(UnusableInputError, match="not a password file"):
        read_password_file(write(tmp_path, b"x" * 100_000), "data workbook")


def test_environment_variables_follow_the_same_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    assert password_from(None, "DMC_DATA_PASSWORD", "data workbook") is None
    monkeypatch.setenv("DMC_DATA_PASSWORD", PASSWORD + "\n")
    assert password_from(None, "DMC_DATA_PASSWORD", "data workbook") == PASSWORD
    for bad, says in (
        ("", "is empty"),
        ("secret-pw ", "starts or ends with a space"),
        ("a\nb", "more than one line"),
    ):
        monkeypatch.setenv("DMC_KEY_PASSWORD", bad)
        with pytest.raises(UnusableInputError, match=says) as info:
            password_from(None, "DMC_KEY_PASSWORD", "key workbook")
        assert "DMC_KEY_PASSWORD" in info.value.message


def test_a_file_wins_over_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DMC_DATA_PASSWORD", "from-the-environment")
    path = write(tmp_path, b"from-the-file\n")
    assert password_from(path, "DMC_DATA_PASSWORD", "data workbook") == "from-the-file"


def test_the_closed_report_password_needs_eight_characters() -> None:
    assert MIN_CLOSED_PASSWORD == 8
    assert closed_password_problem("1234567") is not None
    assert closed_password_problem("12345678") is None
    assert closed_password_problem("pässwörd") is None  # characters, not bytes


# -- through the command line: encrypted workbooks ------------------------------------------


@pytest.fixture
def protocol(tmp_path: Path) -> Path:
    p = tmp_path / "protocol.toml"
    p.write_text(bundled_protocol_text("ketamine-mbrp.toml"))
    return p


@pytest.mark.parametrize(
    "data",
    [
        b"\xef\xbb\xbf" + (PASSWORD + "\r\n").encode("utf-8"),
        b"\xff\xfe" + (PASSWORD + "\r\n").encode("utf-16-le"),
        b"\xfe\xff" + (PASSWORD + "\r").encode("utf-16-be"),
    ],
)
def test_an_encrypted_workbook_opens_with_a_bom_or_utf16_password_file(
    capsys: pytest.CaptureFixture[str],
    protocol: Path,
    make_workbook: Callable[..., Path],
    tmp_path: Path,
    data: bytes,
) -> None:
    path = make_workbook()
    path.write_bytes(encrypt_xlsx(path.read_bytes(), PASSWORD))
    pw = write(tmp_path, data)
    code, _, err = run(
        capsys, "validate", "--protocol", protocol, "--data", path, "--data-password-file", pw
    )
    assert code == 0, err


def test_an_ansi_password_file_is_exit_2_with_a_clear_message(
    capsys: pytest.CaptureFixture[str],
    protocol: Path,
    make_workbook: Callable[..., Path],
    tmp_path: Path,
) -> None:
    path = make_workbook()
    path.write_bytes(encrypt_xlsx(path.read_bytes(), "motdepassé"))
    pw = write(tmp_path, "motdepassé\r\n".encode("cp1252"))
    code, _, err = run(
        capsys, "validate", "--protocol", protocol, "--data", path, "--data-password-file", pw
    )
    assert code == 2
    assert str(pw) in err and "not UTF-8 or UTF-16 text" in err and "save it as UTF-8" in err
    assert "UnicodeDecodeError" not in err and "internal error" not in err


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"s3cret \r\n", "starts or ends with a space"),
        (b"s3cret\nsecond\n", "more than one line"),
        (b"\r\n", "is empty"),
    ],
)
def test_a_workbook_password_file_with_a_stray_space_line_or_nothing_is_exit_2(
    capsys: pytest.CaptureFixture[str],
    protocol: Path,
    make_workbook: Callable[..., Path],
    tmp_path: Path,
    data: bytes,
    says: str,
) -> None:
    path = make_workbook()
    path.write_bytes(encrypt_xlsx(path.read_bytes(), "s3cret"))
    pw = write(tmp_path, data)
    code, _, err = run(
        capsys, "validate", "--protocol", protocol, "--data", path, "--data-password-file", pw
    )
    assert code == 2 and says in err and str(pw) in err


def test_a_workbook_password_from_the_environment_with_a_trailing_space_is_exit_2(
    capsys: pytest.CaptureFixture[str],
    protocol: Path,
    make_workbook: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = make_workbook()
    path.write_bytes(encrypt_xlsx(path.read_bytes(), "env-pass"))
    monkeypatch.setenv("DMC_DATA_PASSWORD", "env-pass ")
    code, _, err = run(capsys, "validate", "--protocol", protocol, "--data", path)
    assert code == 2 and "DMC_DATA_PASSWORD" in err and "starts or ends with a space" in err
    monkeypatch.setenv("DMC_DATA_PASSWORD", "env-pass\r\n")  # one line ending is fine
    code, _, _ = run(capsys, "validate", "--protocol", protocol, "--data", path)
    assert code == 0


# -- through the command line: the closed report --------------------------------------------


def report_args(demo: DemoFiles, out: Path, *more: str | Path) -> list[str | Path]:
    return [
        "report", "--protocol", demo.protocol, "--data", demo.data, "--key", demo.key,
        "--key-password-file", demo.key_password_file, "--open", out / "open.pdf",
        "--closed", out / "closed.pdf", *more,
    ]  # fmt: skip


def test_a_short_closed_password_is_refused_before_any_work(
    capsys: pytest.CaptureFixture[str],
    demo: DemoFiles,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pw = write(tmp_path, b"1234567\n")
    code, _, err = run(capsys, *report_args(demo, tmp_path, "--closed-password-file", pw))
    assert code == 2
    assert "the closed report's password must have at least 8 characters" in err and str(pw) in err
    assert "data cutoff" not in err  # refused before the data were read
    assert not (tmp_path / "open.pdf").exists() and not (tmp_path / "closed.pdf").exists()
    # the same from the environment variable
    monkeypatch.setenv("DMC_CLOSED_PASSWORD", "1234567")
    code, _, err = run(capsys, *report_args(demo, tmp_path))
    assert code == 2 and "at least 8 characters" in err and "DMC_CLOSED_PASSWORD" in err
    assert "data cutoff" not in err


def test_closed_without_any_password_names_both_ways_to_give_one(
    capsys: pytest.CaptureFixture[str], demo: DemoFiles, tmp_path: Path
) -> None:
    code, _, err = run(capsys, *report_args(demo, tmp_path))
    assert code == 2
    assert "--closed-password-file" in err and "DMC_CLOSED_PASSWORD" in err
    assert "data cutoff" not in err


def test_a_bom_closed_password_file_encrypts_with_the_password_without_the_bom(
    capsys: pytest.CaptureFixture[str], demo: DemoFiles, tmp_path: Path
) -> None:
    pw = write(tmp_path, b"\xef\xbb\xbf" + "closed-pässword\r\n".encode())
    code, _, err = run(capsys, *report_args(demo, tmp_path, "--closed-password-file", pw))
    assert code in (0, 1), err  # 1: the demo's deliberate data errors
    closed = tmp_path / "closed.pdf"
    with pikepdf.open(closed, password="closed-pässword") as pdf:
        assert len(pdf.pages) > 1
    with pytest.raises(pikepdf.PasswordError):
        pikepdf.open(closed, password="\ufeffclosed-pässword")


def test_closed_password_from_the_environment_alone_is_accepted(
    capsys: pytest.CaptureFixture[str],
    demo: DemoFiles,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """--closed with DMC_CLOSED_PASSWORD and no --closed-password-file gets past the password
    checks (the run stops at a later, cheap refusal: an open report path that is a folder)."""
    monkeypatch.setenv("DMC_CLOSED_PASSWORD", "closed-from-env")
    (tmp_path / "open.pdf").mkdir()
    code, _, err = run(capsys, *report_args(demo, tmp_path))
    assert code == 2 and "the open report cannot be written" in err
    assert "needs a password" not in err and "at least 8" not in err


# -- unblinded results ----------------------------------------------------------------------


def test_analyze_with_a_key_writes_the_results_owner_only(
    capsys: pytest.CaptureFixture[str], demo: DemoFiles, tmp_path: Path
) -> None:
    out = tmp_path / "results.json"
    code, stdout, err = run(
        capsys, "analyze", "--protocol", demo.protocol, "--data", demo.data, "--key", demo.key,
        "--key-password-file", demo.key_password_file, "--json", out,
    )  # fmt: skip
    assert code in (0, 1), err
    assert "unblinded results:" in stdout
    if sys.platform != "win32":
        assert out.stat().st_mode & 0o777 == 0o600
        assert "written readable by you only" in stdout
