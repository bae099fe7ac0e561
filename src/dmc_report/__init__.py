"""dmc-report: interim reports for clinical-trial Data Monitoring Committees."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("dmc-report")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
