"""Reading a study: data workbook and (separately) the randomization key."""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType

import pandas as pd

from dmc_report.domain.contract import ARMS, KEY_SHEETS, RAND, Sheet
from dmc_report.domain.errors import Location, UnusableInputError
from dmc_report.domain.progress import NO_PROGRESS, Progress, checkpoint
from dmc_report.domain.protocol import Protocol
from dmc_report.domain.study import (
    ROW,
    Arm,
    DataSet,
    ProtocolFile,
    Provenance,
    RandomizationKey,
    SheetTable,
    Study,
)
from dmc_report.io.engines import Engine, open_source
from dmc_report.io.files import read_input
from dmc_report.io.normalize import find_sheets, normalize_sheet
from dmc_report.io.protocol_loader import load_protocol
from dmc_report.io.xlsx import open_workbook


def _read_sheets(
    path: str | Path,
    sheets: tuple[Sheet, ...],
    protocol: Protocol,
    *,
    password: str | None,
    engine: Engine,
    what: str,
    progress: Progress,
) -> tuple[dict[str, SheetTable], Provenance]:
    blinded_export = sheets is not KEY_SHEETS
    data = read_input(path, what)
    file = str(path)
    checkpoint(progress, 0.02, f"Opening {data.name}")
    wb = open_workbook(data.content, file, password=password, what=what)
    source = open_source(wb.content, engine)
    names = list(wb.sheet_names)  # from workbook.xml, hidden ones too: the same for both engines
    tables: dict[str, SheetTable] = {}
    for i, spec in enumerate(sheets):
        wanted = protocol.mapping.sheet_name(spec.name)
        matches = find_sheets(names, wanted)
        if not matches:
            if spec.required:
                raise UnusableInputError(
                    f"required sheet {wanted} is missing; found sheets: {', '.join(names) or 'none'}",
                    Location(file=file, sheet=wanted),
                )
            continue
        if len(matches) > 1:  # e.g. a hidden "DM" beside the visible "DM ": which one is meant?
            listed = ", ".join(
                f'"{n}"' + (f" ({wb.hidden(n)})" if wb.hidden(n) else "") for n in matches
            )
            raise UnusableInputError(
                f"{len(matches)} sheets match {wanted} (names are matched ignoring case and spaces "
                f"at either end): {listed}; delete or rename all but one",
                Location(file=file, sheet=wanted),
            )
        actual = matches[0]
        checkpoint(progress, 0.05 + 0.9 * i / len(sheets), f"Reading sheet {actual}")
        raw = source.read(actual, wb.first_cells.get(actual))
        tables[spec.name] = normalize_sheet(
            raw,
            spec,
            protocol.mapping,
            file=file,
            bad_cells=wb.bad_cells(actual),
            hidden=wb.hidden(actual),
            # the blinded export's columns outside the contract are checked for treatment
            # names; the key names its arms by design
            vocabulary=protocol.treatment_vocabulary if blinded_export else None,
        )
    close = getattr(source, "close", None)
    if close:
        close()
    prov = Provenance(
        file=data.name,
        path=str(data.path),
        size=data.size,
        sha256=data.sha256,
        engine=engine.value,
        encrypted=wb.encrypted,
        sheet_rows=MappingProxyType({k: len(t.frame) for k, t in tables.items()}),
    )
    return tables, prov


def read_data(
    path: str | Path,
    protocol: Protocol,
    *,
    password: str | None = None,
    engine: Engine = Engine.FASTEXCEL,
    progress: Progress = NO_PROGRESS,
) -> DataSet:
    """Read the blinded data workbook (contract section 1.1) through the protocol's mapping."""
    tables, prov = _read_sheets(
        path,
        protocol.data_sheets,
        protocol,
        password=password,
        engine=engine,
        what="data workbook",
        progress=progress,
    )
    progress.update(1.0, "Data read")
    return DataSet(MappingProxyType(tables), prov)


def read_key(
    path: str | Path,
    protocol: Protocol,
    *,
    password: str | None = None,
    engine: Engine = Engine.FASTEXCEL,
    progress: Progress = NO_PROGRESS,
    arms_only: bool = False,
) -> RandomizationKey:
    """Read the randomization key (contract section 1.2); an inconsistent key is unusable.

    With ``arms_only`` (a dry run), only its ARMS sheet is read: the key's assignments are
    never opened, and the key returned assigns nobody.
    """
    tables, prov = _read_sheets(
        path,
        (ARMS,) if arms_only else KEY_SHEETS,
        protocol,
        password=password,
        engine=engine,
        what="key workbook",
        progress=progress,
    )
    file = str(path)
    arms_t = tables[ARMS.name]
    arms = _arms(arms_t, file)
    if arms_only:
        progress.update(1.0, "Key arms read")
        nobody = pd.DataFrame({"SUBJID": pd.Series([], dtype=object),
                               "ARMCD": pd.Series([], dtype=object), ROW: pd.Series([], dtype=int)})  # fmt: skip
        return RandomizationKey(arms, nobody, MappingProxyType(tables), prov)
    rand_t = tables[RAND.name]
    known = {a.code for a in arms}
    spelling = {c.casefold(): c for c in known}
    rand = rand_t.frame.copy()
    rand["ARMCD"] = (
        rand["ARMCD"]
        .astype(object)
        .map(lambda v: spelling.get(v.casefold(), v) if isinstance(v, str) else v)
        .astype(rand_t.frame["ARMCD"].dtype)
    )
    unknown = rand[~rand["ARMCD"].isin(known).fillna(False)]
    if len(unknown):
        r = unknown.iloc[0]
        raise UnusableInputError(
            f"arm code {r['ARMCD'] if pd.notna(r['ARMCD']) else '(blank)'} is not listed in sheet "
            f"{arms_t.source_name} (known: {', '.join(sorted(known))})",
            Location(file=file, sheet=rand_t.source_name, row=int(r[ROW]), column="ARMCD"),
        )
    progress.update(1.0, "Key read")
    return RandomizationKey(
        arms=arms,
        assignments=rand[["SUBJID", "ARMCD", ROW]].copy(),
        tables=MappingProxyType(tables),
        provenance=prov,
    )


def _arms(arms_t: SheetTable, file: str) -> tuple[Arm, ...]:
    """The key's ARMS sheet, checked: roles, one control, distinct codes, at least two arms."""
    arms_df = arms_t.frame
    bad_role = arms_df[~arms_df["ROLE"].isin(["EXPERIMENTAL", "CONTROL"]).fillna(False)]
    if len(bad_role):
        r = bad_role.iloc[0]
        raise UnusableInputError(
            f"ROLE must be EXPERIMENTAL or CONTROL, found {r['ROLE'] if pd.notna(r['ROLE']) else 'a blank'}",
            Location(file=file, sheet=arms_t.source_name, row=int(r[ROW]), column="ROLE"),
        )
    # codes match case-insensitively after trimming (data contract 1.1); ARMS' spelling is kept
    folded = (
        arms_df["ARMCD"].astype(object).map(lambda v: v.casefold() if isinstance(v, str) else v)
    )
    dup = arms_df[folded.duplicated(keep="first") & folded.notna()]
    if len(dup):
        r = dup.iloc[0]
        raise UnusableInputError(
            f"arm code {r['ARMCD']} is listed twice",
            Location(file=file, sheet=arms_t.source_name, row=int(r[ROW]), column="ARMCD"),
        )
    controls = arms_df[arms_df["ROLE"] == "CONTROL"]
    if len(controls) != 1:
        rows = ", ".join(str(int(x)) for x in controls[ROW])
        raise UnusableInputError(
            "the key must name exactly one CONTROL arm; "
            + (f"found {len(controls)} (rows {rows})" if len(controls) else "found none"),
            Location(file=file, sheet=arms_t.source_name, column="ROLE"),
        )
    if len(arms_df) < 2:
        raise UnusableInputError(
            "the key must list at least two arms (one CONTROL, one or more EXPERIMENTAL)",
            Location(file=file, sheet=arms_t.source_name, column="ARMCD"),
        )
    return tuple(
        Arm(code=str(r.ARMCD), label=str(r.ARM), role=str(r.ROLE).lower())
        for r in arms_df.itertuples(index=False)
    )


def read_study(
    protocol_path: str | Path,
    data_path: str | Path,
    *,
    password: str | None = None,
    engine: Engine = Engine.FASTEXCEL,
    progress: Progress = NO_PROGRESS,
) -> Study:
    """Protocol and data workbook as one immutable :class:`Study` (no key)."""
    pf: ProtocolFile = load_protocol(protocol_path)
    data = read_data(data_path, pf.protocol, password=password, engine=engine, progress=progress)
    return Study(pf.protocol, pf.provenance, data)
