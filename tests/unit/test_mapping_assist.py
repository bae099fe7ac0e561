"""The protocol editor's mapping assistant (issue 17): for an unfamiliar export it proposes each
contract sheet, column and code, the surest names first, and finds the codes the export uses."""

from __future__ import annotations

from pathlib import Path

import pytest

from dmc_report import cli
from dmc_report.domain.contract import DATA_SHEETS, UDS, Column, Kind, Sheet
from dmc_report.io.mapping_assist import (
    ExportColumn,
    ExportSheet,
    Found,
    code_map,
    propose_code,
    propose_codes,
    propose_columns,
    propose_mapping,
    propose_name,
    read_and_propose,
    read_export,
)
from dmc_report.io.protocol_loader import load_protocol

TEMPLATES = Path(__file__).parents[2] / "templates" / "protocols"


def test_the_exact_name_first_then_case_then_similar() -> None:
    names = ["visdt", "VISDT", "VISITDATE"]
    assert propose_name("VISDT", names) == ("VISDT", Found.EXACT)
    assert propose_name("VISDT", ["visdt", "VISITDATE"]) == ("visdt", Found.CASE)
    assert propose_name("VISDT", ["VISDAT", "AGE"]) == ("VISDAT", Found.SIMILAR)
    assert propose_name("VISDT", ["AGE", "SEX"]) == (None, Found.NONE)
    assert propose_name("SUBJID", ["Subject", "SUBJECTS"], ["SUBJECT"]) == (
        "Subject",
        Found.USUAL,
    )


def _col(name: str, values: tuple[str, ...], *, dates: int = 0, numbers: int = 0) -> ExportColumn:
    return ExportColumn(name, values, len(values), 10, dates, numbers)


def test_an_export_column_is_proposed_once_the_closest_first() -> None:
    sheet = Sheet("AE", (Column("AESTDT", Kind.DATE, required=True), Column("AEENDT", Kind.DATE)))
    export = ExportSheet("AE", 10, (_col("AEENDAT", (), dates=10), _col("AESTDAT", (), dates=10)))
    got = {c.contract: (c.export, c.found) for c in propose_columns(sheet, export)}
    assert got == {"AESTDT": ("AESTDAT", Found.SIMILAR), "AEENDT": ("AEENDAT", Found.SIMILAR)}


def test_by_values_only_a_column_whose_values_fit() -> None:
    export = ExportSheet(
        "LB",
        10,
        (
            _col("Subject", ("1", "2")),
            _col("Folder", ("V1", "V2")),
            _col("COLLDAT", (), dates=10),
            _col("RESULT", ("Positive", "Negative", "INCONCL")),
            _col("THC", ("Positive", "Negative")),
            _col("COMMENT", ("free text",)),
        ),
    )
    got = {c.contract: c for c in propose_columns(UDS, export)}
    assert got["VISDT"].export == "COLLDAT" and got["VISDT"].found is Found.VALUES
    # the urine result: the first column of results, the others offered (the urine panel)
    assert got["COCAINE"].export == "RESULT" and got["COCAINE"].alternatives == ("THC",)
    # an optional column is not guessed from its values alone when several would fit
    assert got["COLLECTED"].export is None and got["ENTRYDT"].export is None


@pytest.mark.parametrize(
    ("value", "codes", "expected"),
    [
        ("Positive", ("POS", "NEG"), "POS"),
        (" neg ", ("POS", "NEG"), "NEG"),
        ("1", ("POS", "NEG"), "POS"),
        ("0", ("Y", "N"), "N"),
        ("Yes", ("Y", "N"), "Y"),
        ("Yes", ("POS", "NEG"), None),  # "yes" is not a test result
        ("Not related", ("Y", "N"), "N"),
        ("Related", ("Y", "N"), "Y"),
        ("Male", ("M", "F", "U"), "M"),
        ("Female", ("M", "F", "U"), "F"),
        ("Lost to follow up", ("COMPLETED", "LOST TO FOLLOW-UP", "OTHER"), "LOST TO FOLLOW-UP"),
        ("INCONCL", ("POS", "NEG"), None),
    ],
)
def test_codes_found_are_proposed_their_contract_code(
    value: str, codes: tuple[str, ...], expected: str | None
) -> None:
    assert propose_code(value, codes) == expected


def test_visit_codes_are_never_guessed() -> None:
    assert propose_codes(["V1", "v10", "Week 1"], ("V10", "V11"), guess=False) == {
        "V1": None,
        "v10": "V10",
        "Week 1": None,
    }


def test_a_code_map_holds_only_what_differs_from_the_contract() -> None:
    proposed = {"Positive": "POS", " pos": "POS", "NEG": "NEG", "INCONCL": None}
    assert code_map(proposed) == {"Positive": "POS"}


@pytest.fixture(scope="module")
def rave_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("rave")
    template = TEMPLATES / "stimulant-12wk.toml"
    assert cli.main(["demo", "--protocol", str(template), "--out", str(out)]) == 0
    return out / "data.xlsx"


def test_the_rave_style_export_gets_the_templates_mapping(rave_export: Path) -> None:
    """Every sheet and column the second template maps is proposed as it maps it, and every
    other contract column the export has is found by its own name."""
    protocol = load_protocol(TEMPLATES / "stimulant-12wk.toml").protocol
    proposal = propose_mapping(read_export(rave_export))  # the panel is not known yet
    for spec in DATA_SHEETS:
        sheet = proposal.sheet(spec.name)
        if not protocol.domains.vital_signs and spec.name == "VS":
            assert sheet.export is None  # the export has no vital signs
            continue
        assert sheet.export == protocol.mapping.sheet_name(spec.name), spec.name
        for col in spec.columns:
            wanted = protocol.mapping.column_name(spec.name, col.name)
            if col.name == "EXDOSE":  # the dispensing log has no dose column
                assert sheet.column(col.name).export is None
                continue
            assert sheet.column(col.name).export == wanted, f"{spec.name}.{col.name}"
    assert proposal.panel == protocol.urine_panel  # THC, OPI, BZO and their names
    assert proposal.sites == ("201", "202", "203") and proposal.study_id == "STIM-12W"
    assert set(protocol.visit_codes) - {"FU16W"} <= set(proposal.visit_codes)
    assert proposal.assessments["BL"] == ("UDS", "VAS", "QS")


def test_the_codes_found_in_the_rave_export(rave_export: Path) -> None:
    """The codes each coded column holds, proposed as the template maps them."""
    protocol = load_protocol(TEMPLATES / "stimulant-12wk.toml").protocol
    summary = read_export(rave_export)
    proposal = propose_mapping(summary, protocol.data_sheets)
    spec = {s.name: s for s in protocol.data_sheets}
    checked = 0
    for sheet, by_column in protocol.mapping.codes.items():
        export = summary.sheet(proposal.sheet(sheet).export)
        assert export is not None
        for column, expected in by_column.items():
            found = export.column(proposal.sheet(sheet).column(column).export)
            assert found is not None
            codes = next(c.codes for c in spec[sheet].columns if c.name == column)
            assert codes is not None
            mapped = code_map(propose_codes(found.values, codes))
            # every code the export holds is proposed as the template maps it
            assert mapped == {k: v for k, v in expected.items() if k in found.values}
            checked += 1
    assert checked == 5
    uds = summary.sheet("LB_UTOX")
    assert uds is not None and uds.rows > 0
    result = uds.column("UTOX_STIM")
    assert result is not None and set(result.values) == {"Positive", "Negative", "INCONCL"}


def test_the_first_studys_export_needs_no_mapping(tmp_path: Path) -> None:
    assert cli.main(["demo", "--out", str(tmp_path)]) == 0
    proposal = propose_mapping(read_export(tmp_path / "data.xlsx"))
    for sheet in proposal.sheets:
        assert sheet.export == sheet.contract and sheet.found is Found.EXACT
        for col in sheet.columns:
            assert col.export in (col.contract, None)
    assert proposal.visit_codes[:6] == ("SCR", "D1", "D2", "D3", "D4", "D5")
    assert proposal.assessments["D2"] == ("UDS", "VAS", "VS")


def test_each_visits_typical_day_is_found_in_its_records(tmp_path: Path) -> None:
    """The first study's export: every visit's median study day is its target day (within its
    window), and the codes are proposed in that order; the deliberate unknown visit too."""
    assert cli.main(["demo", "--out", str(tmp_path)]) == 0
    protocol = load_protocol(TEMPLATES / "ketamine-mbrp.toml").protocol
    _summary, proposal = read_and_propose(tmp_path / "data.xlsx")
    for visit in protocol.visits:
        if visit.code in proposal.days:  # FU6M has no visit column in the export
            off = proposal.days[visit.code] - visit.day
            assert -visit.window_before <= off <= visit.window_after, visit.code
    assert [proposal.days[c] for c in ("D1", "D2", "W2V1", "W5V2")] == [1, 2, 8, 32]
    ordered = [proposal.days[c] for c in proposal.visit_codes]
    assert ordered == sorted(ordered) and 0 not in ordered
    assert "W6V1" in proposal.days  # an unknown visit: shown, for the statistician to judge


def test_the_rave_export_gives_the_templates_days(rave_export: Path) -> None:
    protocol = load_protocol(TEMPLATES / "stimulant-12wk.toml").protocol
    _summary, proposal = read_and_propose(rave_export)
    days = {v.code: v.day for v in protocol.visits if v.code in proposal.days}
    assert days == {c: d for c, d in proposal.days.items() if c in days}
    assert len(days) == 24  # every visit but the follow-up (no visit column in its sheet)
