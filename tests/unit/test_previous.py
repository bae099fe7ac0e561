"""Changes since the previous report: reading the previous results file, the synopsis table, and
that nothing by arm in that file can reach the open report."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from dmc_report import cli
from dmc_report.demo.writer import DemoFiles
from dmc_report.domain.errors import UnusableInputError
from dmc_report.domain.settings import ReportSettings
from dmc_report.io.previous import read_previous_results
from dmc_report.pipeline import (
    LoadedStudy,
    load_study,
    render_report_bytes,
    run_analysis,
    run_validation,
)
from dmc_report.report.sections.safety import decode
from tests.unit.test_reports import pdf_pages

STUDY = "KETCOC-01"


@pytest.fixture(scope="module")
def previous_doc(demo_interim: DemoFiles, demo_password: str) -> dict[str, Any]:
    """The interim export's results, written with the key (so with an unblinded section)."""
    loaded = load_study(
        demo_interim.protocol, demo_interim.data, key=demo_interim.key, key_password=demo_password
    )
    validation = run_validation(loaded)
    doc = run_analysis(loaded, validation).as_json()
    assert doc["unblinded"] is not None
    return doc


@pytest.fixture(scope="module")
def loaded(demo: DemoFiles, demo_password: str) -> LoadedStudy:
    return load_study(demo.protocol, demo.data, key=demo.key, key_password=demo_password)


def write(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def open_pages(loaded: LoadedStudy, previous: Path | None) -> tuple[bytes, list[str]]:
    validation = run_validation(loaded)
    results = run_analysis(loaded, validation)
    settings = ReportSettings(report_date=dt.date(2016, 12, 20), previous_results=previous)
    pdf = render_report_bytes(loaded, validation, results, settings, closed=False).open
    return pdf, pdf_pages(pdf)


def test_only_the_pooled_part_of_a_previous_file_is_kept(
    previous_doc: dict[str, Any], tmp_path: Path
) -> None:
    path = write(tmp_path / "prev.json", previous_doc)
    prev = read_previous_results(path, study_id=STUDY, cutoff=dt.date(2016, 12, 14))
    assert prev.cutoff == dt.date(2014, 9, 30)
    assert (
        prev.counts["enrollment"]["randomized"]
        == (previous_doc["blinded"]["enrollment"]["randomized"])
    )
    assert prev.counts["safety"]["deaths"] == previous_doc["blinded"]["safety"]["deaths"]
    assert set(prev.findings) == {"errors", "warnings", "info"}
    assert prev.provenance.file == "prev.json" and len(prev.provenance.sha256) == 64
    # no field holds the unblinded section or anything from it
    kept = json.dumps(dataclasses.asdict(prev), default=str)
    assert "unblinded" not in kept and "by_arm" not in kept and "hazard_ratio" not in kept
    for arm in previous_doc["unblinded"]["arms"]:
        assert arm["label"] not in kept


def test_the_open_synopsis_shows_the_changes_and_the_appendix_the_file(
    loaded: LoadedStudy, previous_doc: dict[str, Any], tmp_path: Path
) -> None:
    path = write(tmp_path / "prev.json", previous_doc)
    pdf, pages = open_pages(loaded, path)
    text = " ".join(pages)
    assert "Changes since the previous report (data cutoff 2014-09-30)" in text
    before = previous_doc["blinded"]["enrollment"]["randomized"]
    assert before < 55
    assert f"Randomized {before} 55 +{55 - before}" in text
    deaths = previous_doc["blinded"]["safety"]["deaths"]
    assert f"Deaths {deaths} " in text
    sha = read_previous_results(path, study_id=STUDY, cutoff=dt.date(2016, 12, 14)).provenance
    assert sha.sha256 in text.replace(" ", "") and "previous results" in text
    assert "\u2020" not in text  # nothing went down
    # the serious AEs the previous report did not list are marked new
    before = {(r["subject"], r["start"]) for r in previous_doc["blinded"]["safety"]["sae_listing"]}
    final = run_analysis(loaded, run_validation(loaded)).as_json()["blinded"]["safety"]
    fresh = [r for r in final["sae_listing"] if (r["subject"], r["start"]) not in before]
    assert fresh and len(fresh) < len(final["sae_listing"])
    assert f"Serious adverse events not listed in the previous report: {len(fresh)}" in text
    assert f"{len(fresh)} of {len(final['sae_listing'])}." in text
    for r in fresh:
        assert re.search(rf"{r['subject']} .*? {decode(r['outcome'])} new", text)
    # the same inputs give the same bytes
    assert open_pages(loaded, path)[0] == pdf


def test_without_a_previous_file_the_synopsis_says_so(loaded: LoadedStudy) -> None:
    _, pages = open_pages(loaded, None)
    assert "no previous results file was given" in " ".join(pages)


def test_a_cumulative_count_that_went_down_is_flagged(
    loaded: LoadedStudy, previous_doc: dict[str, Any], tmp_path: Path
) -> None:
    doc = copy.deepcopy(previous_doc)
    doc["blinded"]["safety"]["ae_events"] = 10_000
    doc["blinded"]["disposition"]["ongoing"] = 10_000  # not cumulative: no flag
    _, pages = open_pages(loaded, write(tmp_path / "prev.json", doc))
    text = " ".join(pages)
    assert "AE events 10000" in text and "\u2020 Fewer than at the previous cutoff" in text
    row = text[text.index("AE events 10000") :][:40]
    assert "\u2020" in row
    ongoing = text[text.index("Ongoing 10000") :][:30]
    assert "\u2020" not in ongoing


def test_arm_data_in_the_previous_file_cannot_reach_the_open_report(
    loaded: LoadedStudy, previous_doc: dict[str, Any], tmp_path: Path
) -> None:
    # the blinding guard scans for the key's labels; the previous file's unblinded section (its
    # arm labels and by-arm numbers) is dropped on reading, so the report renders and holds none
    doc = copy.deepcopy(previous_doc)
    doc["unblinded"]["arms"][0]["label"] = "Ketamine-arm-marker"
    _, pages = open_pages(loaded, write(tmp_path / "prev.json", doc))
    assert "Ketamine-arm-marker" not in " ".join(pages)


@pytest.mark.parametrize(
    ("edit", "key", "message"),
    [
        (lambda d: "not json {", None, "invalid JSON at line 1"),
        (lambda d: {**d, "schema": "other/1"}, "schema", "not a dmc-report results file"),
        (lambda d: {**d, "study_id": "OTHER-9"}, "study_id", "is for study 'OTHER-9'"),
        (lambda d: {**d, "data_cutoff": "2016-12-14"}, "data_cutoff", "is not before"),
        (lambda d: {**d, "data_cutoff": "last week"}, "data_cutoff", "is not a date"),
        (lambda d: {**d, "blinded": None}, "blinded", "no pooled results"),
        (
            lambda d: {**d, "blinded": {**d["blinded"], "safety": {"deaths": -1}}},
            "blinded.safety.subjects_with_ae",
            "expected a count",
        ),
        (
            lambda d: {**d, "blinded": {**d["blinded"], "relapse": {"events": True}}},
            "blinded.relapse.events",
            "expected a count",
        ),
        (
            lambda d: {
                **d,
                "blinded": {
                    **d["blinded"],
                    "safety": {**d["blinded"]["safety"], "sae_listing": "two SAEs"},
                },
            },
            "blinded.safety.sae_listing",
            "expected a list of serious adverse events",
        ),
    ],
)
def test_an_unusable_previous_file_is_one_located_message(
    previous_doc: dict[str, Any], tmp_path: Path, edit: Any, key: str | None, message: str
) -> None:
    path = tmp_path / "prev.json"
    changed = edit(previous_doc)
    path.write_text(changed if isinstance(changed, str) else json.dumps(changed))
    with pytest.raises(UnusableInputError) as err:
        read_previous_results(path, study_id=STUDY, cutoff=dt.date(2016, 12, 14))
    assert err.value.location.file == str(path)
    assert err.value.location.key == key
    assert message in err.value.message


def test_the_cli_refuses_a_wrong_previous_file_before_the_analysis(
    demo: DemoFiles,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import dmc_report.pipeline

    def no_validation(*_: Any, **__: Any) -> None:
        raise AssertionError("validation ran before the previous file was checked")

    monkeypatch.setattr(dmc_report.pipeline, "run_validation", no_validation)
    out = tmp_path / "open.pdf"
    args = [
        "report", "--protocol", str(demo.protocol), "--data", str(demo.data),
        "--previous", str(demo.protocol), "--open", str(out),
    ]  # fmt: skip
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("dmc-report:")]
    assert len(errors) == 1 and str(demo.protocol) in errors[0] and "invalid JSON" in errors[0]
    assert "Traceback" not in err and not out.exists()


def test_the_reader_checks_every_count_the_synopsis_compares() -> None:
    # a count the table reads but the reader did not check would fail as a KeyError, not a message
    from dmc_report.io.previous import COUNTS
    from dmc_report.report.sections.front import _CHANGE_ROWS

    compared = {(sec, key) for _, sec, key, _, _, _ in _CHANGE_ROWS}
    assert compared == {(sec, key) for sec, keys in COUNTS.items() for key in keys}


def test_the_changes_table_gives_the_blinding_scan_no_false_alarm(
    loaded: LoadedStudy, previous_doc: dict[str, Any], tmp_path: Path
) -> None:
    # a key whose arm codes are numbers: "end of treatment 7" would read as "Treatment 7"
    from dmc_report.report.guard import scan_pdf

    pdf, _ = open_pages(loaded, write(tmp_path / "prev.json", previous_doc))
    dropouts = str(previous_doc["blinded"]["dropout"]["dropouts"])
    leaks = scan_pdf(pdf, {dropouts: "Arm seven", "99": "Arm ninety-nine"})
    assert [leak for leak in leaks if "treatment" in leak.what.lower()] == []
