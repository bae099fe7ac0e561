"""packaging/trim.py: which libraries a Linux bundle drops, and stripping that never leaves a
library the loader refuses. Needs binutils (readelf, strip), as the package build does."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy
import PIL
import pytest

sys.path.insert(0, str(Path(__file__).parents[2] / "packaging"))
import trim

pytestmark = pytest.mark.skipif(
    sys.platform != "linux" or not (shutil.which("readelf") and shutil.which("strip")),
    reason="Linux with binutils only",
)

SYSLIB = Path("/lib/x86_64-linux-gnu")


def test_a_top_level_library_nothing_needs_is_dropped_and_a_needed_one_kept() -> None:
    imaging = next(Path(PIL.__file__).parent.glob("_imaging.cpython-*.so"))
    assert "libz.so.1" in trim.needed(str(imaging))
    binaries = [
        ("PIL/" + imaging.name, str(imaging), "EXTENSION"),
        ("libz.so.1", str(SYSLIB / "libz.so.1"), "BINARY"),  # needed by _imaging
        ("libexpat.so.1", str(SYSLIB / "libexpat.so.1"), "BINARY"),  # needed by nothing
        ("libpython3.11.so.1.0", str(SYSLIB / "libz.so.1"), "BINARY"),  # dlopened: kept
    ]
    assert trim.unreferenced(binaries) == {"libexpat.so.1"}


def test_a_library_that_stripping_would_break_is_kept_as_it_is(tmp_path: Path) -> None:
    # numpy's OpenBLAS was rewritten by auditwheel's patchelf: stripped, one of its loadable
    # segments lands off its page alignment and the loader refuses it
    blas = next((Path(numpy.__file__).parent.parent / "numpy.libs").glob("libscipy_openblas*"))
    copy = tmp_path / "broken.so"
    shutil.copyfile(blas, copy)
    assert trim._loadable(copy)
    trim.subprocess.run(["strip", "--strip-unneeded", str(copy)], check=True)
    assert not trim._loadable(copy)
    assert trim.stripped(str(blas), tmp_path / "cache") == str(blas)


def test_a_library_with_a_symbol_table_comes_out_smaller_and_loadable(tmp_path: Path) -> None:
    imaging = next(Path(PIL.__file__).parent.glob("_imaging.cpython-*.so"))
    out = Path(trim.stripped(str(imaging), tmp_path / "cache"))
    assert out != imaging
    assert out.stat().st_size < imaging.stat().st_size
    assert trim._loadable(out)
    assert trim.needed(str(out)) == trim.needed(str(imaging))
