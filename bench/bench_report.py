"""Report rendering speed (not a test).

    .venv/bin/python bench/bench_report.py [--subjects 55 20000]

Goals (issue 5): both reports for the demo study in under 5 s together; for a 20,000-subject
study the open and closed reports in under 60 s together. Imports are warmed up first; the
times cover building, rendering, scanning, encrypting and writing both PDFs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_read import ensure_demo


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--subjects", type=int, nargs="+", default=[55, 20000])
    args = ap.parse_args()
    from dmc_report.demo.writer import DEMO_PASSWORD
    from dmc_report.domain.settings import ReportSettings
    from dmc_report.pipeline import load_study, render_reports, run_analysis, run_validation

    print(f"{'subjects':>8} {'open+closed s':>14} {'open MB':>8} {'closed MB':>10}")
    warm = True
    for n in args.subjects:
        folder = ensure_demo(n)
        loaded = load_study(
            folder / "protocol.toml",
            folder / "data.xlsx",
            key=folder / "key.xlsx",
            key_password=DEMO_PASSWORD,
        )
        validation = run_validation(loaded)
        results = run_analysis(loaded, validation)
        settings = ReportSettings(report_date=dt.date(2020, 1, 1))
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp)
            runs = (
                2 if warm else 1
            )  # the first run of the session pays for imports and font loading
            best = float("inf")
            for _ in range(runs):
                t = time.perf_counter()
                render_reports(
                    loaded, validation, results, settings,
                    open_path=out / "open.pdf", closed_path=out / "closed.pdf", closed_password="bench",
                )  # fmt: skip
                best = min(best, time.perf_counter() - t)
            warm = False
            o, c = (out / "open.pdf").stat().st_size, (out / "closed.pdf").stat().st_size
        print(f"{n:8d} {best:14.2f} {o / 2**20:8.2f} {c / 2**20:10.2f}")


if __name__ == "__main__":
    main()
