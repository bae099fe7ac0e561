"""The protocol file: the shipped example loads, and every error names file and key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from dmc_report.domain.errors import UnusableInputError
from dmc_report.domain.protocol import MissingRule, Spending
from dmc_report.io.protocol_loader import bundled_protocol_text, load_protocol, parse_protocol

TEXT = bundled_protocol_text("ketamine-mbrp.toml")


def test_shipped_protocol_has_the_contract_schedule() -> None:
    p = parse_protocol(TEXT, "ketamine-mbrp.toml")
    assert p.visit_codes == (
        "SCR", "D1", "D2", "D3", "D4", "D5", "W2V1", "W2V2", "W3V1", "W3V2",
        "W4V1", "W4V2", "W5V1", "W5V2", "FU6M",
    )  # fmt: skip
    days = {v.code: v.day for v in p.visits}
    assert days["W2V1"] == 8 and days["W5V2"] == 32 and days["FU6M"] == 180
    assert p.visit("SCR").window_after == 13 and p.visit("W3V1").window_before == 1
    assert p.visit("FU6M").window_before == 30
    assert p.visit("D2").assessments == ("UDS", "VAS", "VS")
    assert p.visit("W3V2").assessments == ("UDS", "VAS", "QS")
    assert p.endpoints.abstinence_visits == ("W4V1", "W4V2", "W5V1", "W5V2")
    assert p.endpoints.missing is MissingRule.POSITIVE
    assert p.endpoints.end_of_treatment_day == 35
    assert p.interim is not None and p.interim.spending is Spending.OBF


def _error(text: str) -> UnusableInputError:
    with pytest.raises(UnusableInputError) as info:
        parse_protocol(text, "p.toml")
    return info.value


def test_negative_window_names_the_key_path() -> None:
    bad = TEXT.replace(
        "window_before = 1\nwindow_after = 1", "window_before = 1\nwindow_after = -1", 1
    )
    err = _error(bad)
    assert err.location.file == "p.toml"
    assert err.location.key == "visits[6].window_after"
    assert "greater than or equal to 0" in str(err)


def test_missing_required_key() -> None:
    err = _error(TEXT.replace('id = "KETCOC-01"\n', "", 1))
    assert err.location.key == "study.id"
    assert "required key is missing" in str(err)


def test_unknown_key_is_refused() -> None:
    err = _error(TEXT.replace("[endpoints]\n", "[endpoints]\nabstinance_visits = []\n", 1))
    assert err.location.key == "endpoints.abstinance_visits"
    assert "unknown key" in str(err)


def test_endpoint_visit_not_in_schedule() -> None:
    err = _error(TEXT.replace('"W5V1", "W5V2"]\nmissing', '"W5V1", "W9V9"]\nmissing', 1))
    assert "W9V9" in str(err) and "endpoints.abstinence_visits" in str(err)


def test_wrong_type_says_what_was_found() -> None:
    err = _error(TEXT.replace("end_of_treatment_day = 35", 'end_of_treatment_day = "five weeks"'))
    assert err.location.key == "endpoints.end_of_treatment_day"
    assert "five weeks" in str(err)


def test_bad_toml_names_the_line() -> None:
    err = _error(TEXT.replace("[endpoints]", "[endpoints", 1))
    assert "not valid TOML" in str(err) and "line" in str(err)


def test_missing_protocol_file(tmp_path: Path) -> None:
    with pytest.raises(UnusableInputError, match="does not exist"):
        load_protocol(tmp_path / "nope.toml")


def test_binary_protocol_file(tmp_path: Path) -> None:
    f = tmp_path / "p.toml"
    f.write_bytes(b"\xff\xfe\x00\x01binary")
    with pytest.raises(UnusableInputError, match="UTF-8"):
        load_protocol(f)


def test_mapping_names_are_checked() -> None:
    err = _error(TEXT + '\n[mapping.columns.UDS]\nCOCAIN = "UDS_RESULT"\n')
    assert err.location.key == "mapping.columns.UDS.COCAIN"
    assert "unknown column of sheet UDS" in str(err) and "COCAINE" in str(err)
    err = _error(TEXT + '\n[mapping.sheets]\nUDX = "Urine"\n')
    assert err.location.key == "mapping.sheets.UDX" and "expected one of DM, UDS" in str(err)


def test_interim_looks() -> None:
    text = "".join(x for x in TEXT.splitlines(True) if not x.startswith("looks = "))
    base = text.replace("information_rates = [0.5, 1.0]", "looks = 3")
    p = parse_protocol(base, "p.toml")
    assert p.interim is not None and p.interim.looks == 3
    assert p.interim.information_rates == (1 / 3, 2 / 3, 1.0)
    shipped = parse_protocol(TEXT, "p.toml").interim
    assert shipped is not None and shipped.looks == 2 and shipped.information_rates == (0.5, 1.0)
    assert parse_protocol(text, "p.toml").interim == shipped  # rates alone: looks = their number
    err = _error(
        text.replace("information_rates = [0.5, 1.0]", "looks = 3\ninformation_rates = [0.5, 1.0]")
    )
    assert err.location.key == "interim.looks"
    assert "looks = 3 but information_rates = [0.5, 1] plans 2 look(s)" in str(err)


CODES = """
[mapping.codes.UDS.COCAINE]
"Positive" = "POS"
"""


def test_code_maps_per_sheet_and_column() -> None:
    p = parse_protocol(TEXT + CODES + '\n[mapping.codes.VAS.VISIT]\n"Day 1" = "D1"\n', "p.toml")
    assert p.mapping.code_map("UDS", "COCAINE") == {"POSITIVE": "POS"}
    assert p.mapping.code_map("VAS", "VISIT") == {"DAY 1": "D1"}
    assert p.mapping.code_map("UDS", "VISIT") == {}
    # the first form, a column's codes on every sheet that has it; a sheet's own map wins
    old = parse_protocol(
        TEXT + '\n[mapping.codes.VISIT]\n"Day 1" = "D1"\n[mapping.codes.UDS.VISIT]\n"d-1" = "D1"\n',
        "p.toml",
    )
    assert old.mapping.code_map("VAS", "VISIT") == {"DAY 1": "D1"}
    assert old.mapping.code_map("UDS", "VISIT") == {"D-1": "D1"}


@pytest.mark.parametrize(
    ("extra", "key", "says"),
    [
        (
            '[mapping.codes."UDS.COCAINE"]\n"Positive" = "POS"\n',
            'mapping.codes."UDS.COCAINE"',
            "[mapping.codes.SHEET.COLUMN]",
        ),
        (
            '[mapping.codes.UDS.COCAIN]\n"Positive" = "POS"\n',
            "mapping.codes.UDS.COCAIN",
            "coded columns: VISIT, COCAINE, COLLECTED",
        ),
        (
            '[mapping.codes.UDS.COCAINE]\n"Positive" = "POSITIVE"\n',
            "mapping.codes.UDS.COCAINE.Positive",
            "expected one of POS, NEG",
        ),
        (
            '[mapping.codes.UDS]\n"Positive" = "POS"\n',
            "mapping.codes.UDS.Positive",
            "[mapping.codes.UDS.<column>]",
        ),
        ('[mapping.codes.SUBJID]\n"x" = "y"\n', "mapping.codes.SUBJID", "unknown contract sheet"),
        (
            '[mapping.codes.VAS.VISIT]\n"Day 1" = "D9"\n',
            'mapping.codes.VAS.VISIT."Day 1"',
            "not a visit of [[visits]]",
        ),
        (
            '[mapping.columns.UDS]\nCOCAINE = "X"\nVISDT = "x "\n',
            "mapping.columns.UDS.VISDT",
            "already mapped to COCAINE",
        ),
        ('[mappings.sheets]\nUDS = "U"\n', "mappings", "allowed here: study, visits"),
        (
            "[interim.previous_looks.extra]\n",
            "interim.previous_looks[0].extra",
            "allowed here: date, information_fraction, observed_z",
        ),
    ],
)
def test_every_key_is_checked(extra: str, key: str, says: str) -> None:
    err = _error(TEXT + "\n" + extra)
    assert err.location.key == key, str(err)
    assert says in str(err) and "p.toml" in str(err)


def test_unknown_key_says_what_is_allowed() -> None:
    err = _error(TEXT.replace("sided = 2", "sided = 2\nlook = 3"))
    assert err.location.key == "interim.look"
    assert "allowed here:" in str(err) and "looks" in str(err) and "information_rates" in str(err)
