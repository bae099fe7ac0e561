"""The frozen application (PyInstaller bundle): runs, renders both reports, never uses the network.

Slow (it needs `make package` first), so it runs only with DMC_PACKAGE_TEST=1; `.ci/run` sets it
and `make test` then builds the bundle before the suite. The network is blocked by running the
frozen program in an empty network namespace (`unshare -n`: only a loopback interface, down).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dmc_report import __version__

ROOT = Path(__file__).resolve().parents[2]
FROZEN = (
    ROOT / "dist" / "dmc-report" / ("dmc-report.exe" if sys.platform == "win32" else "dmc-report")
)

pytestmark = pytest.mark.skipif(
    os.environ.get("DMC_PACKAGE_TEST") != "1", reason="DMC_PACKAGE_TEST=1 runs the frozen-app tests"
)


def offline_prefix() -> list[str]:
    """A command prefix that runs a program with no network at all."""
    if sys.platform != "linux":
        pytest.fail("the offline test runs on Linux (network namespaces)")
    for prefix in (["unshare", "-n"], ["unshare", "-rn"]):
        probe = subprocess.run([*prefix, "cat", "/proc/net/dev"], capture_output=True, text=True)
        if probe.returncode == 0:
            interfaces = [ln.split(":")[0].strip() for ln in probe.stdout.splitlines()[2:]]
            assert interfaces == ["lo"], interfaces  # nothing but loopback in the namespace
            return prefix
    pytest.fail("cannot create an empty network namespace (unshare -n) to block the network")


def run(
    args: list[str], *, offline: bool = True, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    assert FROZEN.exists(), f"{FROZEN} is missing: run `make package` first"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    cmd = [*(offline_prefix() if offline else []), str(FROZEN), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)


def test_the_frozen_app_reports_its_version() -> None:
    r = run(["--version"])
    assert r.returncode == 0 and __version__ in r.stdout


def test_the_frozen_cli_works_with_the_network_blocked(tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    r = run(["demo", "--out", str(demo)])
    assert r.returncode == 0, r.stderr
    pdfs = sorted(p.name for p in demo.glob("*.pdf"))
    assert len(pdfs) == 2 and all((demo / p).read_bytes()[:5] == b"%PDF-" for p in pdfs), pdfs
    common = ["--protocol", str(demo / "protocol.toml"), "--data", str(demo / "data.xlsx"),
              "--key", str(demo / "key.xlsx"), "--key-password-file", str(demo / "key-password.txt")]  # fmt: skip
    r = run(["validate", *common])
    assert r.returncode in (0, 1), r.stderr  # 1: findings with errors (the demo has some)
    r = run(["analyze", *common, "--json", str(tmp_path / "results.json")])
    assert r.returncode in (0, 1), r.stderr  # 1: written, and the data have errors
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["blinded"]["enrollment"]["randomized"] == 55
    (tmp_path / "pw.txt").write_text("frozen-secret\n")
    r = run(["report", *common, "--open", str(tmp_path / "open.pdf"), "--closed",
             str(tmp_path / "closed.pdf"), "--closed-password-file", str(tmp_path / "pw.txt")])  # fmt: skip
    assert r.returncode in (0, 1), r.stderr
    import pikepdf

    with pikepdf.open(tmp_path / "closed.pdf", password="frozen-secret") as pdf:
        assert pdf.is_encrypted and len(pdf.pages) > 5
    assert (tmp_path / "open.pdf").read_bytes()[:5] == b"%PDF-"


def test_the_frozen_gui_stays_up_offline(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path))
    proc = subprocess.Popen([*offline_prefix(), str(FROZEN), "gui"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        time.sleep(10)
        assert proc.poll() is None, proc.communicate()[1][-2000:]
    finally:
        proc.terminate()
        proc.wait(10)


def test_the_bundle_carries_its_notices_and_icons() -> None:
    internal = FROZEN.parent / "_internal"
    notices = FROZEN.parent / "THIRD_PARTY_NOTICES.txt"
    if not notices.exists():
        notices = internal / "THIRD_PARTY_NOTICES.txt"
    text = notices.read_text(encoding="utf-8")
    assert "PySide6" in text and "LGPL" in text and "pandas" in text
    assert (internal / "dmc_report" / "_resources" / "THIRD_PARTY_NOTICES.txt").exists()
    assert (internal / "dmc_report" / "_resources" / "icons" / "dmc-report-256.png").exists()
    assert shutil.which(str(FROZEN)) is not None
    if sys.platform in ("win32", "darwin"):  # the app is windowed there: a console twin
        cli = FROZEN.with_name(FROZEN.name.replace("dmc-report", "dmc-report-cli"))
        assert shutil.which(str(cli)) is not None


def test_the_frozen_gui_renders_both_reports_offline(tmp_path: Path) -> None:
    """The whole workflow through the frozen window, including its report-rendering child
    process (the frozen executable started again by multiprocessing)."""
    r = run(["gui", "--self-test", str(tmp_path / "out")], timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    pdfs = sorted(p.name for p in (tmp_path / "out").glob("*.pdf"))
    assert len(pdfs) == 2 and any("closed" in p for p in pdfs), pdfs
    assert not list((tmp_path / "out").glob("*.part"))


@pytest.mark.skipif(sys.platform != "linux", reason="the Linux bundle is trimmed and stripped")
def test_every_library_in_the_linux_bundle_loads_and_the_orphans_are_gone() -> None:
    sys.path.insert(0, str(ROOT / "packaging"))
    import trim

    internal = FROZEN.parent / "_internal"
    libs = [p for p in internal.rglob("*.so*") if p.is_file() and not p.is_symlink()]
    assert len(libs) > 100
    assert [p for p in libs if not trim._loadable(p)] == []
    names = {p.name for p in internal.iterdir()}
    # brought in by the GTK theme plugin the spec drops; nothing else links them
    assert not names & {"libcairo.so.2", "libpango-1.0.so.0", "libgdk_pixbuf-2.0.so.0"}
    assert "libpython3.11.so.1.0" in names  # loaded with dlopen by the bootloader
