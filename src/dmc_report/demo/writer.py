"""Write the demo study to a folder: protocol, data workbook, encrypted key, password file."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from dmc_report.demo.generator import DemoTables
from dmc_report.domain.contract import DATA_SHEETS, Sheet
from dmc_report.domain.errors import Location, UnusableInputError
from dmc_report.domain.protocol import Mapping, Protocol
from dmc_report.io.output import OutputFile, write_files_atomic

DEMO_PASSWORD = "dmc-demo-key"  # the demo only: real keys get a password the statistician chooses
# A demo folder holds this file; the demo replaces files only in a folder that has it, so a
# folder of real study files (a data.xlsx, a key.xlsx) is never overwritten by the demo.
DEMO_MARKER = ".dmc-demo"
DEMO_REPORTS = ("open-report.pdf", "closed-report.pdf")
# the pooled results of the demo's previous look, which its open report compares with
DEMO_PREVIOUS = "previous-results.json"


@dataclass(frozen=True)
class DemoFiles:
    folder: Path
    protocol: Path
    data: Path
    key: Path
    key_password_file: Path
    cutoff: dt.date


def workbook_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
    """An xlsx with one sheet per frame; dates as real Excel dates, text dates kept as text."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    for name, frame in sheets.items():
        ws = wb.create_sheet(name)
        ws.append(list(frame.columns))
        for row in frame.itertuples(index=False, name=None):
            out: list[object] = []
            for v in row:
                if isinstance(v, dt.date):
                    c = WriteOnlyCell(ws, value=v)
                    c.number_format = "yyyy-mm-dd"
                    out.append(c)
                elif v is None or (isinstance(v, float) and v != v):
                    out.append(None)
                else:
                    out.append(v.item() if hasattr(v, "item") else v)
            ws.append(out)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def as_exported(
    sheets: dict[str, pd.DataFrame], mapping: Mapping, specs: Sequence[Sheet] = DATA_SHEETS
) -> dict[str, pd.DataFrame]:
    """The demo's sheets as an export shaped by ``mapping`` would hold them: the export's sheet
    and column names, and for each coded column with a code map the export's code for each
    contract code (the first the map gives; a value the map cannot give back, such as a
    deliberate bad code, stays). Reading it through the same protocol gives the same tables."""
    read_as = {(s.name, c.name): c.codes_as or c.name for s in specs for c in s.columns}
    out = {}
    for name, frame in sheets.items():
        f = frame.copy()
        for column in f.columns:
            back: dict[str, str] = {}
            coded = read_as.get((name, str(column)), str(column))
            for export, code in mapping.codes.get(name, {}).get(coded, {}).items():
                back.setdefault(code.strip().upper(), export)
            if back:
                f[column] = [
                    back.get(v.strip().upper(), v) if isinstance(v, str) else v for v in f[column]
                ]
        f.columns = [mapping.column_name(name, str(c)) for c in f.columns]
        out[mapping.sheet_name(name)] = f
    return out


def encrypt_xlsx(plain: bytes, password: str) -> bytes:
    """Office (agile, AES) encryption of an xlsx, in memory."""
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(plain)).encrypt(password, out)
    return out.getvalue()


def _earlier_demo(folder: Path) -> bool:
    """A demo folder written before the marker existed: its key password is the demo's."""
    try:
        return (folder / "key-password.txt").read_text(encoding="utf-8").strip() == DEMO_PASSWORD
    except (OSError, UnicodeDecodeError):
        return False


def write_demo(
    folder: str | Path, tables: DemoTables, protocol_text: str, protocol: Protocol | None = None
) -> DemoFiles:
    """Write the demo study's four files into ``folder`` (together, all or nothing).

    Raises
    ------
    UnusableInputError
        ``folder`` holds a file of a demo file's name but is not a demo folder.
    """
    out = Path(folder)
    if out.exists() and not out.is_dir():
        raise UnusableInputError("the demo folder is a file", Location(file=str(out)))
    if not (out / DEMO_MARKER).exists() and not _earlier_demo(out):
        names = ("protocol.toml", "data.xlsx", "key.xlsx", "key-password.txt", *DEMO_REPORTS,
                 DEMO_PREVIOUS)  # fmt: skip
        clash = [n for n in names if (out / n).exists()]
        if clash:
            raise UnusableInputError(
                f"the folder already holds {', '.join(clash)}, not written by the demo; "
                "the demo writes only into an empty folder or an earlier demo folder",
                Location(file=str(out)),
            )
    out.mkdir(parents=True, exist_ok=True)
    files = DemoFiles(
        folder=out,
        protocol=out / "protocol.toml",
        data=out / "data.xlsx",
        key=out / "key.xlsx",
        key_password_file=out / "key-password.txt",
        cutoff=tables.last_date,
    )
    key = workbook_bytes({"RAND": tables.rand, "ARMS": tables.arms})
    export = (  # the data as the protocol's export names them ([mapping])
        as_exported(tables.data, protocol.mapping, protocol.data_sheets)
        if protocol
        else tables.data
    )
    write_files_atomic(
        [
            OutputFile(out / DEMO_MARKER, b"dmc-report demo study\n"),
            OutputFile(files.protocol, protocol_text.encode("utf-8")),
            OutputFile(files.data, workbook_bytes(export)),
            OutputFile(files.key, encrypt_xlsx(key, DEMO_PASSWORD)),
            OutputFile(files.key_password_file, (DEMO_PASSWORD + "\n").encode(), private=True),
        ]
    )
    return files
