"""Entry point of the frozen application (PyInstaller)."""

import multiprocessing
import sys

from dmc_report.cli import main

if __name__ == "__main__":
    # the app renders reports in a child process (dmc_report.isolated); in a frozen app that
    # child is this executable again, and freeze_support() turns it into the child at once
    multiprocessing.freeze_support()
    sys.exit(main())
