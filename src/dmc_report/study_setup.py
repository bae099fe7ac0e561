"""Setting up a study from an export: the use cases behind the app's protocol editor.

The editor (gui/editor/) reaches the core only through here, as the rest of the app goes
through :mod:`dmc_report.pipeline`: an export read and its mapping proposed
(:mod:`dmc_report.io.mapping_assist`), a sheet's columns or a column's codes proposed again
after the user picks another sheet, the form checked by the protocol model, and the protocol
written as a commented TOML file (:mod:`dmc_report.io.protocol_writer`). Nothing here imports
Qt, and the command line reads what it writes unchanged.
"""

from __future__ import annotations

from dmc_report.io.mapping_assist import (
    propose_codes,
    propose_columns,
    read_and_propose,
)
from dmc_report.io.protocol_writer import check_protocol_table, write_protocol

__all__ = [
    "check_protocol_table",
    "propose_codes",
    "propose_columns",
    "read_and_propose",
    "write_protocol",
]
