"""Reading speed: dmc-report's reader vs a bare fastexcel read vs R readxl (not a test).

    .venv/bin/python bench/bench_read.py [--subjects 2000 20000] [--repeat 3]

For each size it writes (once, cached in bench/out/) a demo export, then times:
  bare      fastexcel: every sheet loaded to Arrow, nothing else
  ours      dmc_report.io.reader.read_data: read, normalise (types, codes, dates), hash
  readxl    R readxl::read_excel of the same sheets (when Rscript and readxl are installed)
and the peak resident memory of a fresh process doing our read. Best of --repeat runs.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

OUT = Path(__file__).parent / "out"


def ensure_demo(n: int) -> Path:
    folder = OUT / f"demo-{n}"
    if not (folder / "data.xlsx").is_file():
        from dmc_report.pipeline import make_demo

        t = time.perf_counter()
        make_demo(folder, subjects=n)
        print(f"  generated {n}-subject export in {time.perf_counter() - t:.1f} s")
    return folder


def best(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def bare_fastexcel(path: Path) -> None:
    import fastexcel

    reader = fastexcel.read_excel(path.read_bytes())
    for name in reader.sheet_names:
        reader.load_sheet(name, eager=True)


def ours(folder: Path) -> None:
    from dmc_report.io.protocol_loader import load_protocol
    from dmc_report.io.reader import read_data

    read_data(folder / "data.xlsx", load_protocol(folder / "protocol.toml").protocol)


R_SCRIPT = """
suppressMessages(library(readxl))
f <- commandArgs(TRUE)[1]
t <- system.time(for (s in excel_sheets(f)) invisible(read_excel(f, sheet = s)))[["elapsed"]]
cat(t, "\\n")
"""


def readxl(path: Path, repeat: int) -> float | None:
    if not shutil.which("Rscript"):
        return None
    times = []
    for _ in range(repeat):
        r = subprocess.run(["Rscript", "-e", R_SCRIPT, str(path)], capture_output=True, text=True)
        if r.returncode != 0:
            return None
        times.append(float(r.stdout.split()[-1]))
    return min(times)


def peak_memory_mib(folder: Path) -> float:
    """Peak resident memory of a fresh interpreter that imports and runs our read."""
    code = (
        "import resource, sys; sys.path.insert(0, 'bench');"
        "from bench_read import ours; from pathlib import Path; ours(Path(sys.argv[1]));"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    r = subprocess.run(
        [sys.executable, "-c", code, str(folder)],
        check=True,
        cwd=Path(__file__).parents[1],
        capture_output=True,
        text=True,
    )
    return int(r.stdout.split()[-1]) / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--subjects", type=int, nargs="+", default=[2000, 20000])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    OUT.mkdir(exist_ok=True)
    print(
        f"{'subjects':>8} {'MiB':>6} {'rows':>9} {'bare s':>8} {'ours s':>8} {'ours/bare':>9} "
        f"{'readxl s':>9} {'readxl/ours':>11} {'peak MiB':>9}"
    )
    for n in args.subjects:
        folder = ensure_demo(n)
        data = folder / "data.xlsx"
        from dmc_report.io.protocol_loader import load_protocol
        from dmc_report.io.reader import read_data

        rows = sum(
            read_data(
                data, load_protocol(folder / "protocol.toml").protocol
            ).provenance.sheet_rows.values()
        )
        # alternate the two so that a noisy neighbour slows both alike; best of each
        t_bare, t_ours = float("inf"), float("inf")
        for _ in range(args.repeat):
            t_bare = min(t_bare, best(lambda d=data: bare_fastexcel(d), 1))
            t_ours = min(t_ours, best(lambda f=folder: ours(f), 1))
        t_r = readxl(data, args.repeat)
        peak = peak_memory_mib(folder)
        r_txt = f"{t_r:9.2f} {t_r / t_ours:11.2f}" if t_r else f"{'n/a':>9} {'n/a':>11}"
        print(
            f"{n:8d} {data.stat().st_size / 2**20:6.1f} {rows:9d} {t_bare:8.2f} {t_ours:8.2f} "
            f"{t_ours / t_bare:9.2f} {r_txt} {peak:9.0f}"
        )


if __name__ == "__main__":
    main()
