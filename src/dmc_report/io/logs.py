"""The error log: an internal error's traceback, in the platform's user log folder."""

from __future__ import annotations

import datetime as dt
import os
import sys
import traceback
from pathlib import Path

from dmc_report import __version__


def write_error_log(exc: BaseException) -> Path | None:
    """Write ``exc``'s traceback to a new log file and return its path (None if impossible)."""
    try:
        import platformdirs

        folder = Path(platformdirs.user_log_dir("dmc-report", appauthor=False))
        folder.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        path = folder / f"error-{stamp}-{os.getpid()}.log"
        path.write_text(
            f"dmc-report {__version__}\nargs: {sys.argv}\n\n"
            + "".join(traceback.format_exception(exc)),
            encoding="utf-8",
        )
        return path
    except OSError:
        return None
