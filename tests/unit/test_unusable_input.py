"""Unusable input: exit 2, one message naming file, sheet, row and column; never a traceback."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dmc_report import cli
from dmc_report.demo.writer import DemoFiles, encrypt_xlsx
from dmc_report.domain.errors import UnusableInputError
from dmc_report.io.protocol_loader import bundled_protocol_text
from dmc_report.io.xlsx import open_workbook
from tests.conftest import KEY_SHEETS, MINIMAL_SHEETS


@pytest.fixture
def protocol(tmp_path: Path) -> Path:
    p = tmp_path / "protocol.toml"
    p.write_text(bundled_protocol_text("ketamine-mbrp.toml"))
    return p


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str]:
    code = cli.main([str(a) for a in args])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


def validate(
    capsys: pytest.CaptureFixture[str], protocol: Path, data: Path, *more: str | Path
) -> tuple[int, str]:
    return run(capsys, "validate", "--protocol", protocol, "--data", data, *more)


def sheets_with(**changes: list[list[Any]] | None) -> dict[str, list[list[Any]]]:
    out = {k: [list(r) for r in v] for k, v in MINIMAL_SHEETS.items()}
    for k, v in changes.items():
        if v is None:
            del out[k]
        else:
            out[k] = v
    return out


def test_minimal_workbook_is_usable(
    capsys: pytest.CaptureFixture[str], protocol: Path, make_workbook: Callable[..., Path]
) -> None:
    code, _ = validate(capsys, protocol, make_workbook())
    assert code == 0


def test_missing_file(capsys: pytest.CaptureFixture[str], protocol: Path, tmp_path: Path) -> None:
    code, err = validate(capsys, protocol, tmp_path / "absent.xlsx")
    assert code == 2 and "absent.xlsx" in err and "does not exist" in err


def test_old_xls_file(capsys: pytest.CaptureFixture[str], protocol: Path, tmp_path: Path) -> None:
    import xlwt

    wb = xlwt.Workbook()
    wb.add_sheet("DM").write(0, 0, "SUBJID")
    path = tmp_path / "old.xls"
    wb.save(str(path))
    code, err = validate(capsys, protocol, path)
    assert code == 2 and "old.xls" in err and "97-2003 .xls" in err and "save it as .xlsx" in err


def test_csv_renamed_to_xlsx(
    capsys: pytest.CaptureFixture[str], protocol: Path, tmp_path: Path
) -> None:
    path = tmp_path / "data.xlsx"
    path.write_text("SUBJID,SITEID,CONSDT\n101-0001,101,2020-01-01\n")
    code, err = validate(capsys, protocol, path)
    assert code == 2 and "data.xlsx" in err and "CSV" in err


def test_truncated_workbook(
    capsys: pytest.CaptureFixture[str], protocol: Path, make_workbook: Callable[..., Path]
) -> None:
    path = make_workbook()
    content = path.read_bytes()
    path.write_bytes(content[: len(content) // 2])
    code, err = validate(capsys, protocol, path)
    assert code == 2 and "data.xlsx" in err and "truncated" in err


def test_encrypted_without_and_with_wrong_password(
    capsys: pytest.CaptureFixture[str],
    protocol: Path,
    make_workbook: Callable[..., Path],
    tmp_path: Path,
) -> None:
    path = make_workbook()
    path.write_bytes(encrypt_xlsx(path.read_bytes(), "s3cret"))
    code, err = validate(capsys, protocol, path)
    assert code == 2 and "data.xlsx" in err and "password-protected" in err
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("guess\n")
    code, err = validate(capsys, protocol, path, "--data-password-file", wrong)
    assert code == 2 and "wrong password" in err
    right = tmp_path / "right.txt"
    right.write_text("s3cret\n")
    code, _ = validate(capsys, protocol, path, "--data-password-file", right)
    assert code == 0


def test_password_from_environment(
    capsys: pytest.CaptureFixture[str],
    protocol: Path,
    make_workbook: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = make_workbook()
    path.write_bytes(encrypt_xlsx(path.read_bytes(), "env-pass"))
    monkeypatch.setenv("DMC_DATA_PASSWORD", "env-pass")
    code, _ = validate(capsys, protocol, path)
    assert code == 0


def test_required_sheet_absent(
    capsys: pytest.CaptureFixture[str], protocol: Path, make_workbook: Callable[..., Path]
) -> None:
    code, err = validate(capsys, protocol, make_workbook(sheets=sheets_with(UDS=None)))
    assert code == 2 and "sheet UDS" in err and "missing" in err and "found sheets: DM, VAS" in err


def test_required_column_absent(
    capsys: pytest.CaptureFixture[str], protocol: Path, make_workbook: Callable[..., Path]
) -> None:
    uds = [["SUBJID", "VISIT", "COCAINE"], ["101-0001", "D1", "POS"]]
    code, err = validate(capsys, protocol, make_workbook(sheets=sheets_with(UDS=uds)))
    assert code == 2
    assert "sheet UDS" in err and "column VISDT" in err and "row 1" in err
    assert "found: SUBJID, VISIT, COCAINE" in err


def test_header_not_in_row_1(
    capsys: pytest.CaptureFixture[str], protocol: Path, make_workbook: Callable[..., Path]
) -> None:
    vas = [[None], [None], *MINIMAL_SHEETS["VAS"]]
    code, err = validate(capsys, protocol, make_workbook(sheets=sheets_with(VAS=vas)))
    assert code == 2 and "sheet VAS" in err and "row 3" in err and "header must be in row 1" in err


def test_header_below_a_title_row(
    capsys: pytest.CaptureFixture[str], protocol: Path, make_workbook: Callable[..., Path]
) -> None:
    vas = [["Craving export, 2020-06-30"], *MINIMAL_SHEETS["VAS"]]
    code, err = validate(capsys, protocol, make_workbook(sheets=sheets_with(VAS=vas)))
    assert code == 2 and "sheet VAS" in err and "row 2" in err and "header must be in row 1" in err


def test_sheet_without_data_rows(
    capsys: pytest.CaptureFixture[str], protocol: Path, make_workbook: Callable[..., Path]
) -> None:
    code, err = validate(
        capsys, protocol, make_workbook(sheets=sheets_with(DM=[MINIMAL_SHEETS["DM"][0]]))
    )
    assert code == 2 and "sheet DM" in err and "no data rows" in err


def test_duplicate_column(
    capsys: pytest.CaptureFixture[str], protocol: Path, make_workbook: Callable[..., Path]
) -> None:
    vas = [["SUBJID", "VISIT", "VISDT", "CRAVING", "visdt"], ["101-0001", "D1", None, 5, None]]
    code, err = validate(capsys, protocol, make_workbook(sheets=sheets_with(VAS=vas)))
    assert code == 2 and "sheet VAS" in err and "columns C and E" in err


@pytest.mark.parametrize(
    ("arms", "expected"),
    [
        (
            [
                ["ARMCD", "ARM", "ROLE"],
                ["A", "Ketamine", "EXPERIMENTAL"],
                ["B", "Midazolam", "EXPERIMENTAL"],
            ],
            "found none",
        ),
        (
            [["ARMCD", "ARM", "ROLE"], ["A", "Ketamine", "CONTROL"], ["B", "Midazolam", "control"]],
            "found 2 (rows 2, 3)",
        ),
        (
            [["ARMCD", "ARM", "ROLE"], ["A", "Ketamine", "ACTIVE"], ["B", "Midazolam", "CONTROL"]],
            "row 2, column ROLE",
        ),
    ],
)
def test_key_with_bad_control_arms(
    capsys: pytest.CaptureFixture[str],
    protocol: Path,
    make_workbook: Callable[..., Path],
    arms: list[list[Any]],
    expected: str,
) -> None:
    data = make_workbook()
    key = make_workbook("key.xlsx", sheets={"RAND": KEY_SHEETS["RAND"], "ARMS": arms})
    code, err = validate(capsys, protocol, data, "--key", key)
    assert code == 2 and "key.xlsx" in err and "sheet ARMS" in err and expected in err


def test_key_arm_code_not_listed(
    capsys: pytest.CaptureFixture[str], protocol: Path, make_workbook: Callable[..., Path]
) -> None:
    data = make_workbook()
    key = make_workbook(
        "key.xlsx",
        sheets={"RAND": [["SUBJID", "ARMCD"], ["101-0001", "C"]], "ARMS": KEY_SHEETS["ARMS"]},
    )
    code, err = validate(capsys, protocol, data, "--key", key)
    assert code == 2 and "sheet RAND, row 2, column ARMCD" in err and "arm code C" in err


def test_decompression_bomb_is_refused_before_inflating(
    tmp_path: Path, make_workbook: Callable[..., Path]
) -> None:
    path = make_workbook()
    buf = io.BytesIO(path.read_bytes())
    with zipfile.ZipFile(buf, "a", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/media/padding.bin", b"\0" * (64 * 2**20))
    with pytest.raises(UnusableInputError, match=r"decompression bomb.*limit 200-fold"):
        open_workbook(buf.getvalue(), str(path), password=None, what="data workbook")


def test_oversized_workbook_states_the_limit(make_workbook: Callable[..., Path]) -> None:
    path = make_workbook()
    with pytest.raises(UnusableInputError, match=r"too large: .* the limit is 0 MiB"):
        open_workbook(
            path.read_bytes(), str(path), password=None, what="data workbook", max_uncompressed=1000
        )


def test_internal_error_exits_3_and_logs(
    capsys: pytest.CaptureFixture[str],
    protocol: Path,
    make_workbook: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))

    def boom(*a: object, **k: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr("dmc_report.io.reader.normalize_sheet", boom)
    code, err = validate(capsys, protocol, make_workbook())
    assert code == 3 and "internal error" in err and "a bug" in err
    log = Path(err.rsplit("details are in ", 1)[1].strip())
    assert log.is_file() and "Traceback" in log.read_text() and str(tmp_path) in str(log)


def test_inputs_are_never_modified(capsys: pytest.CaptureFixture[str], demo: DemoFiles) -> None:
    files = [demo.protocol, demo.data, demo.key, demo.key_password_file]
    before = {f: (f.read_bytes(), f.stat().st_mtime_ns) for f in files}
    code, _ = run(
        capsys,
        "validate",
        "--protocol",
        demo.protocol,
        "--data",
        demo.data,
        "--key",
        demo.key,
        "--key-password-file",
        demo.key_password_file,
    )
    assert code == 1  # the demo holds deliberate data errors
    after = {f: (f.read_bytes(), f.stat().st_mtime_ns) for f in files}
    assert before == after


def test_bad_protocol_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, make_workbook: Callable[..., Path]
) -> None:
    p = tmp_path / "p.toml"
    p.write_text(bundled_protocol_text("ketamine-mbrp.toml").replace("day = 180", "day = 0"))
    code, err = validate(capsys, p, make_workbook())
    assert code == 2 and "p.toml" in err and "visits[14].day" in err and "day 0" in err
