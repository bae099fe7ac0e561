"""Validation speed vs reading speed on the same export (not a test).

    .venv/bin/python bench/bench_validate.py [--subjects 2000 20000] [--repeat 3]

Goal (issue 3): validating a 20,000-subject export takes at most as long as reading it.
Uses the exports bench_read.py writes (bench/out/demo-N), generating them if absent.
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
    from dmc_report.io.protocol_loader import load_protocol
    from dmc_report.io.reader import read_data
    from dmc_report.pipeline import latest_date
    from dmc_report.validation import validate

    print(f"{'subjects':>8} {'read s':>8} {'validate s':>10} {'validate/read':>13} {'findings':>9}")
    for n in args.subjects:
        folder = ensure_demo(n)
        protocol = load_protocol(folder / "protocol.toml").protocol
        t_read, t_val = float("inf"), float("inf")
        for _ in range(args.repeat):
            t = time.perf_counter()
            data = read_data(folder / "data.xlsx", protocol)
            t_read = min(t_read, time.perf_counter() - t)
            cutoff = latest_date(data)
            assert cutoff is not None
            t = time.perf_counter()
            result = validate(data, protocol, cutoff)
            t_val = min(t_val, time.perf_counter() - t)
        print(
            f"{n:8d} {t_read:8.2f} {t_val:10.2f} {t_val / t_read:13.2f} {len(result.findings):9d}"
        )


if __name__ == "__main__":
    main()
