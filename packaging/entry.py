"""Entry point of the frozen application (PyInstaller)."""

import sys

from dmc_report.cli import main

if __name__ == "__main__":
    sys.exit(main())
