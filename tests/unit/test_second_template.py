"""The second bundled template (issue 15): a 12-week outpatient trial of a daily oral drug, run end
to end from its protocol file alone (demo, validate, analyze with the key, both reports), with
none of the first study's wording in its reports and no section for a domain it does not have."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pypdf
import pytest

from dmc_report import cli
from dmc_report.demo.writer import DEMO_PASSWORD
from dmc_report.io.protocol_loader import load_protocol

TEMPLATE = Path(__file__).parents[2] / "templates" / "protocols" / "stimulant-12wk.toml"
FIRST_STUDY_WORDING = (
    "cocaine",
    "ketamine",
    "midazolam",
    "infusion",
    "two weeks",
    "6-month",
    "post-discharge",
    "blood pressure",
)
# The contract's urine result column is still called COCAINE (domain/contract.py), and a finding
# on it names it (validation/schema.py: "COCAINE is 'INCONCL', ..."): the one use of the word
# allowed here, as that upper-case column name, until the contract's column is renamed.
CONTRACT_COLUMN = re.compile(r"\bCOCAINE\b")


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("stimulant")
    assert cli.main(["demo", "--protocol", str(TEMPLATE), "--out", str(out)]) == 0
    return out


def _text(path: Path, password: str | None = None) -> str:
    reader = pypdf.PdfReader(path)
    if password is not None:
        reader.decrypt(password)
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def test_the_template_loads_with_its_own_schedule_and_domains() -> None:
    protocol = load_protocol(TEMPLATE).protocol
    assert len(protocol.visits) == 25 and protocol.visits[-1].code == "FU16W"
    assert protocol.endpoints.infusion_visit is None
    assert not protocol.domains.vital_signs and protocol.domains.exposure
    assert [protocol.visit(c).day for c in protocol.endpoints.abstinence_visits] == [
        64,
        67,
        71,
        74,
        78,
        81,
    ]
    assert protocol.interim is not None and protocol.interim.information_rates == (0.5, 1.0)


def test_check_protocol_finds_everything_in_its_demo_export(study: Path) -> None:
    args = ["--protocol", str(study / "protocol.toml"), "--data", str(study / "data.xlsx")]
    assert cli.main(["check-protocol", *args]) == 0


def test_demo_writes_the_template_and_its_own_export(study: Path) -> None:
    assert (study / "protocol.toml").read_text(encoding="utf-8") == TEMPLATE.read_text(
        encoding="utf-8"
    )
    import openpyxl

    wb = openpyxl.load_workbook(study / "data.xlsx", read_only=True)
    # the export is shaped like the template's [mapping] (a Rave-style extract), not the contract
    assert wb.sheetnames == [
        "DEMOG",
        "LB_UTOX",
        "CRAVING",
        "QS",
        "EX_DISP",
        "AE",
        "EOS",
        "FU_CLINIC",
    ]
    urine = list(wb["LB_UTOX"].iter_rows(values_only=True))
    assert urine[0] == (
        "STUDYID",
        "Subject",
        "Folder",
        "LBDAT",
        "UTOX_STIM",
        "LBPERF",
        "THC",
        "OPI",
        "BZO",
        "ENTRYDT",
    )
    assert {r[4] for r in urine[1:]} >= {"Positive", "Negative"}
    visits = {row[2] for row in urine[1:]}
    assert {"BL", "V02", "V24"} <= visits and not visits & {"D1", "W2V1", "SCR"}
    assert {row[0] for row in wb["DEMOG"].iter_rows(min_row=2, values_only=True)} == {"STIM-12W"}


def test_the_mapped_export_gives_the_numbers_of_the_contract_shaped_one(tmp_path: Path) -> None:
    """The same demo tables written twice, once as the template's export (its [mapping]) and once
    in the contract's names with the mapping left out: the results are the same, and only the
    export's own findings name its sheets and columns."""
    import datetime as dt

    from dmc_report.demo.generator import generate
    from dmc_report.demo.writer import write_demo
    from dmc_report.io.protocol_loader import parse_protocol
    from dmc_report.pipeline import load_study, run_analysis, run_validation

    text = TEMPLATE.read_text(encoding="utf-8")
    plain = text[: text.index("[mapping.sheets]")]
    mapped_p, plain_p = parse_protocol(text, "m.toml"), parse_protocol(plain, "p.toml")
    tables = generate(mapped_p, subjects=30, seed=5)
    runs = {}
    for name, protocol, body in (("mapped", mapped_p, text), ("plain", plain_p, plain)):
        files = write_demo(tmp_path / name, tables, body, protocol)
        loaded = load_study(files.protocol, files.data, key=files.key, key_password=DEMO_PASSWORD,
                            cutoff=dt.date(2022, 12, 31))  # fmt: skip
        validation = run_validation(loaded)
        runs[name] = (run_analysis(loaded, validation).as_json(), validation)
    (mapped, mv), (plain_json, pv) = runs["mapped"], runs["plain"]
    for part in ("blinded", "unblinded"):
        assert mapped[part] == plain_json[part]

    # the same problems on the same rows (listed in the order of the export's sheet names)
    def located(v: object) -> list[tuple[str, int | None, str | None, str | None]]:
        return sorted((f.code, f.excel_row, f.subject, f.visit) for f in v.findings)  # type: ignore[attr-defined]

    assert located(mv) == located(pv)
    sheets = {f.sheet for f in mv.findings}
    assert "LB_UTOX (UDS)" in sheets and "UDS" not in sheets
    assert any(f.column == "UTOX_STIM (COCAINE)" for f in mv.findings)
    assert not any("UTOX_STIM" in f.message or "LB_UTOX" in f.message for f in pv.findings)


def test_validate_and_analyze_run_and_vital_signs_are_null(study: Path) -> None:
    files = ["--protocol", str(study / "protocol.toml"), "--data", str(study / "data.xlsx")]
    assert cli.main(["validate", *files]) in (0, 1)  # the demo's deliberate errors: 1
    key = ["--key", str(study / "key.xlsx"), "--key-password-file", str(study / "key-password.txt")]
    out = study / "results.json"
    assert cli.main(["analyze", *files, *key, "--json", str(out)]) in (0, 1)
    results = json.loads(out.read_text(encoding="utf-8"))
    assert results["study_id"] == "STIM-12W"
    assert results["blinded"]["vital_signs"] is None


@pytest.mark.parametrize("which", ["open", "closed"])
def test_reports_speak_the_second_trial(study: Path, which: str) -> None:
    password = DEMO_PASSWORD if which == "closed" else None
    text = _text(study / f"{which}-report.pdf", password)
    assert "weeks 10 to 12" in text
    lowered = CONTRACT_COLUMN.sub("", text).casefold()
    found = [w for w in FIRST_STUDY_WORDING if w in lowered]
    assert not found, f"{which} report: {found}"
    # no section for the absent domain, and none left empty
    assert "vital signs" not in lowered
    contents = text.split("Contents", 1)[1].split("Page 2", 1)[0]
    sections = [s.strip() for s in contents.splitlines() if s.strip() and not s.strip().isdigit()]
    assert sections
    # the panel's other analytes ([urine_panel]) are described, pooled or by arm with a Total
    assert any(s.startswith("Other analytes of the urine panel") for s in sections)
    panel = text.split("Table", 1)[1].split("Other analytes of the urine panel", 2)[-1]
    assert "Cannabinoids (THC): positive samples" in panel and "Benzodiazepines (BZO)" in panel
    if which == "closed":
        assert "Total" in panel.split("Benzodiazepines", 1)[0]
    body = text.split("Page 2", 1)[1]
    for section in sections:
        assert section in body, section
        after = body.split(section, 1)[1].split("Page ", 1)[0]
        assert len(after.strip()) > 40, f"{which} report: section {section!r} is empty"


def test_the_second_templates_r_case_uses_its_own_schedule() -> None:
    """tests/fixtures/r/stimulant-12wk: derive.R read the schedule and endpoints from case.json
    (written from the template by make_fixtures.py), so test_analysis_reference's comparison
    with R covers the second template's numbers too."""
    import json

    from tests.unit.test_analysis_reference import FIXTURES

    folder = FIXTURES / "stimulant-12wk"
    case = json.loads((folder / "case.json").read_text())
    expected = json.loads((folder / "expected.json").read_text())
    visits = [r["visit"] for r in expected["blinded"]["craving"]["by_visit"]]
    assert visits[0] == "BL" and "V24" in visits and "W5V2" not in visits
    assert case["endpoints"]["eot"] == 84 and len(case["endpoints"]["abstinence"]) == 6
    assert expected["blinded"]["abstinence"]["pending"] > 0  # an interim cut: windows pending


def test_the_second_templates_reports_give_adherence_from_the_dosing_log(tmp_path: Path) -> None:
    """Daily dosing dispensed weekly: the exposure table adds records per subject, adherence and
    days on treatment (the first study's single infusion has no such rows)."""
    from dmc_report.pipeline import (
        load_study,
        make_demo,
        run_analysis,
        run_validation,
        summary_data,
    )
    from dmc_report.report.open_report import build_open_report

    files = make_demo(tmp_path / "s", protocol=TEMPLATE)
    loaded = load_study(files.protocol, files.data)
    validation = run_validation(loaded)
    results = run_analysis(loaded, validation)
    report = build_open_report(summary_data(loaded, validation, results))
    table = next(t for t in report.tables() if t.title == "Study treatment exposure")
    labels = [r[0] for r in table.rows]
    assert "Adherence, % of records completed: mean (SD)" in labels
    log = results.blinded.pooled.exposure.dosing_log
    assert log is not None and log.records_per_subject.max > 1


def test_check_protocol_says_a_domain_the_trial_does_not_collect(tmp_path: Path) -> None:
    """VS is not a missing sheet for a trial without vital signs: it is not collected."""
    from dmc_report.pipeline import check_protocol, make_demo

    files = make_demo(tmp_path / "s", protocol=TEMPLATE)
    report = check_protocol(files.protocol, files.data)
    lines = report.lines()
    assert "VS (optional sheet): not collected by this trial ([domains])" in lines
    assert report.ok and not any(line.startswith("VS") and "NOT FOUND" in line for line in lines)
