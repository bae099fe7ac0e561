"""Findings in the export's language, one finding per problem (docs/findings.md).

A finding names the sheet and the column as the user's workbook has them, with the contract's
name in parentheses when it differs (``Urine Drug Screen (UDS)``, ``UDS_COC (COCAINE)``), however
the check that made it named them. And a visit whose record exists but is unusable (a urine
sample without a result) gets the row's finding alone, not also "took place but has no record".
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection, Iterable, Mapping

from dmc_report.domain.contract import DATA_SHEETS, KEY_SHEETS, Sheet
from dmc_report.domain.findings import Finding, FindingCode
from dmc_report.domain.protocol import Mapping as NameMapping
from dmc_report.domain.study import SheetTable

_SHEETS = {s.name: s for s in (*DATA_SHEETS, *KEY_SHEETS)}

# findings about a row that is there but cannot be used: they explain an absent assessment
ROW_LEVEL = frozenset(
    {
        FindingCode.RESULT_MISSING,
        FindingCode.INVALID_CODE,
        FindingCode.INVALID_NUMBER,
        FindingCode.VALUE_OUT_OF_RANGE,
        FindingCode.MISSING_VALUE,
        FindingCode.ERROR_CELL,
    }
)


def labelled(export: str, contract: str) -> str:
    """``export`` as the workbook names it, with ``contract`` in parentheses when it differs
    (more than by case and spaces)."""
    same = export.strip().upper() == contract.strip().upper()
    return export if same else f"{export} ({contract})"


def contract_sheets(tables: Iterable[SheetTable]) -> dict[str, str]:
    """A finding's sheet as checks name it (the export's or the contract's) -> contract sheet."""
    out = {t.name: t.name for t in tables}
    out.update({t.source_name: t.name for t in tables if t.source_name})
    return out


def one_per_problem(findings: list[Finding], tables: Iterable[SheetTable]) -> list[Finding]:
    """Drop ``ASSESSMENT_MISSING`` where the sheet has a row for the subject and visit that a
    row-level finding already names (``RESULT_MISSING``, ``INVALID_CODE``, ...)."""
    sheet_of = contract_sheets(tables)

    def key(f: Finding) -> tuple[str | None, str | None, str | None]:
        return (sheet_of.get(f.sheet or "", f.sheet), f.subject, f.visit)

    explained = {key(f) for f in findings if f.code in ROW_LEVEL and f.subject and f.visit}
    return [
        f
        for f in findings
        if not (f.code is FindingCode.ASSESSMENT_MISSING and key(f) in explained)
    ]


def _renamed(export: str, contract: str) -> bool:
    return export.strip().upper() != contract.strip().upper()


def _message_names(
    contract: str,
    tables: Mapping[str, SheetTable],
    mapping: NameMapping,
    revealing: Collection[str],
) -> dict[str, str]:
    """Contract names a message about sheet ``contract`` may use -> the workbook's: the sheet's
    columns, every sheet, and the codes of the sheet's mapped code columns."""
    names = {
        c: mapping.column_name(contract, c)
        for c in _SHEETS[contract].column_names
        if c not in revealing and _renamed(mapping.column_name(contract, c), c)
    }
    for name, table in tables.items():
        if table.source_name and _renamed(table.source_name, name):
            names.setdefault(name, table.source_name)
    return names


def _in_workbook_words(message: str, names: Mapping[str, str], codes: Mapping[str, str]) -> str:
    """``message`` with the contract's names (whole words, as written: upper case) replaced by the
    workbook's, and a list of allowed codes ("not one of POS/NEG") in the workbook's codes."""
    if codes:
        back: dict[str, list[str]] = {}
        for export, code in codes.items():
            back.setdefault(code, []).append(export)

        def allowed(m: re.Match[str]) -> str:
            listed = m.group(1).split("/")
            return "not one of " + "/".join(e for c in listed for e in back.get(c, [c]))

        message = re.sub(r"not one of ([A-Z0-9_/\-]+)", allowed, message)
    if not names:
        return message
    pattern = re.compile(r"(?<![\w'])(" + "|".join(map(re.escape, names)) + r")(?![\w'])")
    return pattern.sub(lambda m: names[m.group(1)], message)


def in_export_terms(
    findings: Iterable[Finding],
    tables: Mapping[str, SheetTable],
    mapping: NameMapping,
    revealing: Collection[str] = (),
    sheets: Iterable[Sheet] = DATA_SHEETS,
) -> list[Finding]:
    """Each finding's sheet and column as the workbook names them (contract names in
    parentheses when they differ), and its message in the workbook's names and codes. A column
    whose values can reveal an arm (``revealing``) keeps its contract name, which the open
    views' check on it reads."""
    sheet_of = contract_sheets(tables.values())
    # a column read with another's codes (a urine-panel analyte): that column's code map
    read_as = {(s.name, c.name): c.codes_as or c.name for s in sheets for c in s.columns}
    out = []
    for f in findings:
        contract = sheet_of.get(f.sheet or "")
        if contract is None:
            out.append(f)
            continue
        names = _message_names(contract, tables, mapping, revealing)
        coded = read_as.get((contract, f.column or ""), f.column or "")
        given = mapping.codes.get(contract, {}).get(coded, {})
        codes = {k: v.strip().upper() for k, v in given.items()}
        f = dataclasses.replace(f, message=_in_workbook_words(f.message, names, codes))
        sheet = labelled(tables[contract].source_name or contract, contract)
        column, contract_column = f.column, None
        if f.column and f.column in _SHEETS[contract].column_names:
            export = mapping.column_name(contract, f.column)
            if f.column not in revealing:
                column = labelled(export, f.column)
            contract_column = f.column if column != f.column else None
        out.append(
            dataclasses.replace(f, sheet=sheet, column=column, contract_column=contract_column)
        )
    return out
