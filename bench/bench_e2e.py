"""Whole-process benchmark (issue 18): dmc-report against R, paired and interleaved.

    .venv/bin/python bench/bench_e2e.py [--repeat 5] [--small DIR] [--large DIR] [--skip-large]

(a) seed size: ``dmc-report report`` with both PDFs on the demo study against
    ``Rscript tests/reference/derive.R demo-final`` (the same study's numbers; the case is copied
    to a scratch tree so that the committed expected.json is never rewritten): ratio tool/R.
(b) 20,000 subjects: ``dmc-report report`` with both PDFs against readxl reading every sheet of the
    same workbook: ratio tool/readxl, and peak memory.

Each pair runs A B A B ... (the machine is shared: medians, with the load average printed). Peak
memory: the largest resident set of one process (``wait4``) and the largest proportional set size
(PSS) summed over the process tree, sampled every 50 ms (the closed report renders in a forked
child: the pages it shares with its parent count once). The demo
studies are made with ``dmc-report demo`` when no folder is given (20,000 subjects take about
three minutes to make). R parts are skipped with a message when Rscript is absent.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
ROOT = Path(__file__).resolve().parent.parent
TOOL = [sys.executable, "-m", "dmc_report"]
READXL = (
    "suppressPackageStartupMessages(library(readxl)); p <- commandArgs(TRUE)[1]; "
    "for (s in excel_sheets(p)) invisible(read_excel(p, sheet = s))"
)


@dataclass
class Run:
    seconds: float
    max_rss_mb: float  # the largest single process
    tree_pss_mb: float  # the largest proportional sum over the process tree (sampled)


def _tree_pss_kb(pid: int) -> int:
    """Proportional set size in kB of ``pid`` and its descendants (a forked child's pages
    shared with its parent count once; 0 where unreadable)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
            todo += [int(c) for c in Path(f"/proc/{p}/task/{p}/children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total


SRC = [ROOT / "src"]  # --src: another tree's sources (a "before" figure)


def run(cmd: Sequence[str], cwd: Path) -> Run:
    """Run ``cmd`` to the end; its wall time and peak memory. A failure stops the benchmark."""
    env = {**os.environ, "PYTHONPATH": str(SRC[0])}
    start = time.perf_counter()
    proc = subprocess.Popen(
        list(cmd), cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            peak[0] = max(peak[0], _tree_pss_kb(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    err = proc.stderr.read().decode() if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    # 1: the report was written and the data has validation errors (the demo has some)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err}")
    return Run(seconds, usage.ru_maxrss / 1024, peak[0] / 1024)


def demo(folder: Path, subjects: int | None) -> Path:
    if not (folder / "data.xlsx").exists():
        extra = ["--subjects", str(subjects)] if subjects else []
        print(f"making the demo study in {folder} ...", flush=True)
        subprocess.run(
            [*TOOL, "demo", "--out", str(folder), "--no-reports", *extra],
            check=True,
            env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
            stdout=subprocess.DEVNULL,
        )
    return folder


def tool_cmd(study: Path, out: Path) -> list[str]:
    pw = str(study / "key-password.txt")
    return [
        *TOOL, "report", "--protocol", str(study / "protocol.toml"),
        "--data", str(study / "data.xlsx"), "--key", str(study / "key.xlsx"),
        "--key-password-file", pw, "--open", str(out / "open.pdf"),
        "--closed", str(out / "closed.pdf"), "--closed-password-file", pw,
    ]  # fmt: skip


def r_case(scratch: Path, case: str = "demo-final") -> list[str]:
    """derive.R on a copy of its case (it writes expected.json beside the case)."""
    ref = scratch / "reference"
    ref.mkdir(parents=True)
    for f in ("derive.R", "read.R"):
        shutil.copy(ROOT / "tests" / "reference" / f, ref / f)
    folder = scratch / "fixtures" / "r" / case
    folder.mkdir(parents=True)
    for f in ("case.json", "data.xlsx", "key.xlsx"):
        shutil.copy(ROOT / "tests" / "fixtures" / "r" / case / f, folder / f)
    return ["Rscript", str(ref / "derive.R"), case]


def paired(
    name_a: str, make_a: object, name_b: str, cmd_b: list[str] | None, repeat: int, cwd: Path
) -> tuple[list[Run], list[Run]]:
    """A B A B ...: ``make_a(i)`` gives the i-th command of A (a fresh output folder each)."""
    a: list[Run] = []
    b: list[Run] = []
    for i in range(repeat):
        load = os.getloadavg()
        ra = run(make_a(i), cwd)  # type: ignore[operator]
        a.append(ra)
        line = f"  {i + 1}: load {load[0]:.2f}  {name_a} {ra.seconds:6.2f} s"
        if cmd_b is not None:
            rb = run(cmd_b, cwd)
            b.append(rb)
            line += f"  {name_b} {rb.seconds:6.2f} s"
        print(
            line + f"  (peak {ra.max_rss_mb:.0f} MB, tree PSS {ra.tree_pss_mb:.0f} MB)", flush=True
        )
    return a, b


def summary(label: str, a: list[Run], b: list[Run], name_b: str) -> None:
    ta = statistics.median(r.seconds for r in a)
    peak = max(r.max_rss_mb for r in a)
    tree = max(r.tree_pss_mb for r in a)
    line = f"{label}: dmc-report median {ta:.2f} s (peak {peak:.0f} MB one process, {tree:.0f} MB tree PSS)"
    if b:
        tb = statistics.median(r.seconds for r in b)
        line += f"; {name_b} median {tb:.2f} s; ratio tool/{name_b} {ta / tb:.2f}"
    print(line, flush=True)


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--small", type=Path, help="a demo study (made if absent)")
    ap.add_argument("--large", type=Path, help="a 20,000-subject demo study (made if absent)")
    ap.add_argument("--skip-large", action="store_true")
    ap.add_argument("--src", type=Path, help="run dmc-report from this source tree")
    args = ap.parse_args(argv)
    if args.src:
        SRC[0] = args.src.resolve()
    lines = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("model name")), "?")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} cores, {cpu}; load {load}; sources {SRC[0]}", flush=True)
    have_r = shutil.which("Rscript") is not None
    if not have_r:
        print("Rscript not found: the R parts are skipped", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as tmp:
        scratch = Path(tmp)

        def outdir(i: int) -> Path:
            d = scratch / f"out-{time.monotonic_ns()}"
            d.mkdir()
            return d

        # resolved: the runs' working folder is the scratch folder
        small = demo((args.small or scratch / "demo").resolve(), None)
        r_cmd = r_case(scratch / "r") if have_r else None
        print("(a) seed size: dmc-report report (both PDFs) vs Rscript derive.R demo-final")
        a, b = paired(
            "tool", lambda i: tool_cmd(small, outdir(i)), "R", r_cmd, args.repeat, scratch
        )
        summary("(a) seed size", a, b, "R")
        if args.skip_large:
            return
        large = demo((args.large or scratch / "demo20k").resolve(), 20000)
        readxl = ["Rscript", "-e", READXL, str(large / "data.xlsx")] if have_r else None
        print("(b) 20,000 subjects: dmc-report report (both PDFs) vs readxl reading every sheet")
        a, b = paired(
            "tool", lambda i: tool_cmd(large, outdir(i)), "readxl", readxl, args.repeat, scratch
        )
        summary("(b) 20,000 subjects", a, b, "readxl")


if __name__ == "__main__":
    main()
