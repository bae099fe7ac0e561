"""Analysis speed vs reading speed (not a test).

    .venv/bin/python bench/bench_analyze.py [--subjects 2000 20000] [--repeat 3]

Goal (issue 4): blinded + unblinded analysis of a 20,000-subject export in under 20% of the time
it takes to read it. Imports are excluded (warmed up first); validation (which builds the visit
grid the analysis reuses) is timed separately.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_read import ensure_demo


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--subjects", type=int, nargs="+", default=[2000, 20000])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from dmc_report.demo.writer import DEMO_PASSWORD
    from dmc_report.pipeline import load_study, run_analysis, run_validation

    print(
        f"{'subjects':>8} {'read s':>8} {'validate s':>10} {'analyze s':>10} {'analyze/read':>12}"
    )
    for n in args.subjects:
        folder = ensure_demo(n)
        t_read = t_val = t_ana = float("inf")
        for _ in range(args.repeat):
            t = time.perf_counter()
            loaded = load_study(
                folder / "protocol.toml",
                folder / "data.xlsx",
                key=folder / "key.xlsx",
                key_password=DEMO_PASSWORD,
            )
            t_read = min(t_read, time.perf_counter() - t)
            t = time.perf_counter()
            validation = run_validation(loaded)
            t_val = min(t_val, time.perf_counter() - t)
            t = time.perf_counter()
            run_analysis(loaded, validation)
            t_ana = min(t_ana, time.perf_counter() - t)
        print(f"{n:8d} {t_read:8.2f} {t_val:10.2f} {t_ana:10.2f} {t_ana / t_read:12.2f}")


if __name__ == "__main__":
    main()
