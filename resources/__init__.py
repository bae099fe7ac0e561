"""Icons and fonts shipped with dmc-report (importlib.resources package)."""
