"""Protocol files and report styles shipped with dmc-report (importlib.resources package)."""
