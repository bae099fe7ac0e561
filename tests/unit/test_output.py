"""Writing outputs: temporary file beside the target, renamed; permissions as the user's umask."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from dmc_report.io.output import write_bytes_atomic


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_an_output_gets_the_permissions_of_any_file_the_user_saves(
    tmp_path: Path, umask: int
) -> None:
    old = os.umask(umask)
    try:
        write_bytes_atomic(tmp_path / "report.pdf", b"%PDF-1.7")
    finally:
        os.umask(old)
    assert (tmp_path / "report.pdf").stat().st_mode & 0o777 == 0o666 & ~umask


def test_an_existing_output_is_replaced_whole_or_not_at_all(tmp_path: Path) -> None:
    target = tmp_path / "results.json"
    target.write_bytes(b"old")

    def interrupted(fd: int) -> None:  # the write stops half-way (a cancellation, a crash)
        raise RuntimeError("cancelled")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(os, "fsync", interrupted)
        with pytest.raises(RuntimeError):
            write_bytes_atomic(target, b"half of the new")
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == [target.name]
    write_bytes_atomic(target, b"new")
    assert target.read_bytes() == b"new" and [p.name for p in tmp_path.iterdir()] == [target.name]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_a_password_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    from dmc_report.pipeline import make_demo

    old = os.umask(0o022)
    try:
        demo = make_demo(tmp_path / "demo")
    finally:
        os.umask(old)
    assert demo.key_password_file.stat().st_mode & 0o777 == 0o600
    assert demo.data.stat().st_mode & 0o777 == 0o644
