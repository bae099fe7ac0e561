"""A long session's memory: resident size after each of several load + validate + analyse
cycles, with ``gc.freeze()`` before each cycle as the app's jobs do, and without it.

    .venv/bin/python bench/bench_session_memory.py [--subjects 5000] [--cycles 6]

The app freezes the collector's view at each job start (see gui/workers.py): objects alive then
are never scanned for cycles again, so cyclic garbage among them would never be freed. This shows
whether a session that reloads studies grows. Not a test. Linux only (reads /proc/self/status).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile

CYCLE = r"""
import gc, sys
from pathlib import Path
from dmc_report.pipeline import load_study, run_analysis, run_validation

def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024

folder, freeze, cycles = Path(sys.argv[1]), sys.argv[2] == "freeze", int(sys.argv[3])
pw = (folder / "key-password.txt").read_text().strip()
session = None
sizes = []
for _ in range(cycles):
    if freeze:
        gc.freeze()
    loaded = load_study(folder / "protocol.toml", folder / "data.xlsx", key=folder / "key.xlsx",
                        key_password=pw)
    validation = run_validation(loaded)
    session = (loaded, validation, run_analysis(loaded, validation))  # replaces the previous
    sizes.append(rss_mb())
print(" ".join(f"{s:.0f}" for s in sizes))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--subjects", type=int, default=5000)
    ap.add_argument("--cycles", type=int, default=6)
    args = ap.parse_args()
    from dmc_report.pipeline import make_demo

    with tempfile.TemporaryDirectory() as tmp:
        make_demo(tmp, subjects=args.subjects)
        for mode in ("freeze", "plain"):
            out = subprocess.run(
                [sys.executable, "-c", CYCLE, tmp, mode, str(args.cycles)],
                capture_output=True, text=True, check=True,
            ).stdout.split()  # fmt: skip
            sizes = [float(x) for x in out]
            print(
                f"{mode:>6} ({args.subjects} subjects): resident MB after each cycle "
                f"{' '.join(out)}; growth from cycle 2 to {args.cycles}: "
                f"{sizes[-1] - sizes[1]:+.0f} MB"
            )


if __name__ == "__main__":
    main()
