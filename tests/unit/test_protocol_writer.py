"""The protocol editor's writer (issue 17): a protocol written by the app reads back, with the
command line's own loader, as the same protocol, and passes ``check-protocol``."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from dmc_report import cli
from dmc_report.domain.errors import UnusableInputError
from dmc_report.domain.protocol import Protocol
from dmc_report.io.protocol_loader import load_protocol, parse_protocol
from dmc_report.io.protocol_writer import protocol_toml, toml_string, write_protocol

TEMPLATES = Path(__file__).parents[2] / "templates" / "protocols"
BUNDLED = ("ketamine-mbrp.toml", "stimulant-12wk.toml")


@pytest.mark.parametrize("name", BUNDLED)
def test_a_bundled_template_written_again_means_the_same(name: str, tmp_path: Path) -> None:
    bundled = load_protocol(TEMPLATES / name).protocol
    out = write_protocol(bundled, tmp_path / "again.toml")
    again = load_protocol(out).protocol
    assert again == bundled
    text = out.read_text(encoding="utf-8")
    assert text.count("\n# ") >= 6  # each section says what it is for
    assert "[[visits]]" in text and "[endpoints.labels]" in text


@pytest.mark.parametrize("name", BUNDLED)
def test_the_written_file_passes_check_protocol(name: str, tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    assert cli.main(["demo", "--protocol", str(TEMPLATES / name), "--out", str(demo)]) == 0
    written = write_protocol(load_protocol(TEMPLATES / name).protocol, tmp_path / "w.toml")
    args = ["check-protocol", "--protocol", str(written), "--data", str(demo / "data.xlsx")]
    assert cli.main(args) == 0


HOSTILE = (
    'He said "stop"',
    "back\\slash \\n not a newline",
    "two\nlines\tand a tab",
    "bell \x07 and delete \x7f",
    "Ürine Étude 試験 🧪",
    "''' and \"\"\" and # not a comment",
    "[not.a.table]",
)


def _hostile() -> Protocol:
    raw = tomllib.loads((TEMPLATES / "stimulant-12wk.toml").read_text(encoding="utf-8"))
    raw["study"]["title"] = " / ".join(HOSTILE)
    raw["study"]["design"] = HOSTILE[2]
    raw["study"]["treatments"] = list(HOSTILE)
    raw["study"]["sites"] = {'2"01': HOSTILE[0], "Zürich 3": HOSTILE[4], "a.b": "x"}
    raw["visits"][0]["label"] = HOSTILE[3]
    raw["visits"][1]["phase"] = HOSTILE[5]
    raw["endpoints"]["labels"]["analyte"] = HOSTILE[1]
    raw["blinding"]["terms"] = list(HOSTILE)
    raw["urine_panel"] = {"THC": HOSTILE[6], "Opi ate": HOSTILE[4]}
    raw["mapping"]["codes"]["UDS"]["COCAINE"] = {'Pos "+"': "POS", "néga\ttif": "NEG"}
    raw["mapping"]["sheets"]["DM"] = 'Demog "raphics" 🧾'
    return Protocol.model_validate(raw)


def test_quotes_newlines_and_unicode_round_trip(tmp_path: Path) -> None:
    hostile = _hostile()
    text = protocol_toml(hostile)
    assert parse_protocol(text, "hostile.toml") == hostile
    out = write_protocol(hostile, tmp_path / "hostile.toml")
    assert load_protocol(out).protocol == hostile
    assert "試験 🧪" in out.read_text(encoding="utf-8")  # written as itself, UTF-8


@pytest.mark.parametrize("text", [*HOSTILE, "", "\x00\x1f", "\u2028 \ufeff"])
def test_a_string_is_escaped_as_toml_reads_it(text: str) -> None:
    assert tomllib.loads(f"k = {toml_string(text)}")["k"] == text


def test_never_over_the_export_or_any_workbook(tmp_path: Path) -> None:
    bundled = load_protocol(TEMPLATES / BUNDLED[0]).protocol
    export = tmp_path / "export.xlsx"
    export.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(UnusableInputError, match="workbook"):
        write_protocol(bundled, export)
    named = tmp_path / "export.toml"
    named.write_text("x", encoding="utf-8")
    with pytest.raises(UnusableInputError, match="would replace"):
        write_protocol(bundled, named, inputs={"export workbook": named})
    assert export.read_bytes() == b"PK\x03\x04 not really"
    assert named.read_text(encoding="utf-8") == "x"
    assert not list(tmp_path.glob("*.tmp*"))
