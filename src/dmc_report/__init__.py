"""dmc-report: interim reports for clinical-trial Data Monitoring Committees."""

import sys
from pathlib import Path

# The frozen app's version, written into the bundle by its build (packaging/dmc-report.spec,
# from pyproject.toml) as <bundle>/dmc_report/VERSION.
VERSION_FILE = "VERSION"
UNKNOWN = "0.0.0+unknown"


def _read_version() -> str:
    """The version, from one place: pyproject.toml's.

    In the frozen app it is read from the file the build wrote into the bundle, never from
    package metadata: an upgrade that left the previous version's dist-info beside the new one
    must not make About and the reports ("Prepared by dmc-report <version>") name the old one.
    From source, it is the installed package's metadata, which pip wrote from pyproject.toml.
    """
    bundle = getattr(sys, "_MEIPASS", None)
    if getattr(sys, "frozen", False) and bundle:
        try:
            return (Path(bundle) / "dmc_report" / VERSION_FILE).read_text(encoding="utf-8").strip()
        except OSError:
            return UNKNOWN  # a broken build; the packaging tests check the version shown
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("dmc-report")
    except PackageNotFoundError:  # running from a source tree that was not installed
        return UNKNOWN


__version__ = _read_version()

__all__ = ["__version__"]
