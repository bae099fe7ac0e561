"""The analysis's memory savings (issue 18) take no number with them: the total by arm computed on
the derivations themselves (every randomized subject in the key) is the total computed on a copy
of their rows; the per-site last data dates from per-part maxima are those of one concatenation
of every record; the data currency matched by Arrow is the one matched by a mapping of text."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pytest

from dmc_report.analysis import _last_data_dates, _summaries, unblinded_results
from dmc_report.analysis.derive import Derived, derive
from dmc_report.analysis.questionnaires import questionnaire_values
from dmc_report.analysis.summaries import data_currency
from dmc_report.demo.writer import DemoFiles
from dmc_report.domain.protocol import Protocol
from dmc_report.domain.study import RandomizationKey
from dmc_report.pipeline import LoadedStudy, load_study, run_validation
from dmc_report.validation import ValidationResult
from dmc_report.validation.schedule import Schedule


@pytest.fixture(scope="module")
def study(demo: DemoFiles) -> tuple[LoadedStudy, ValidationResult]:
    password = demo.key_password_file.read_text(encoding="utf-8").strip()
    loaded = load_study(demo.protocol, demo.data, key=demo.key, key_password=password)
    return loaded, run_validation(loaded)


@dataclass(frozen=True)
class Derivations:
    protocol: Protocol
    schedule: Schedule
    derived: Derived
    key: RandomizationKey


@pytest.fixture(scope="module")
def derivations(study: tuple[LoadedStudy, ValidationResult]) -> Derivations:
    loaded, validation = study
    protocol, schedule = loaded.study.protocol, validation.schedule
    assert loaded.key is not None
    derived = derive(loaded.study.data, protocol, schedule)
    return Derivations(protocol, schedule, derived, loaded.key)


def test_the_total_on_the_derivations_is_the_total_on_a_copy(
    study: tuple[LoadedStudy, ValidationResult], derivations: Derivations
) -> None:
    protocol, schedule, derived = derivations.protocol, derivations.schedule, derivations.derived
    qs = questionnaire_values(study[0].study.data, protocol, derived.subjects, schedule.cutoff)
    u = unblinded_results(protocol, derived, derivations.key, qs=qs, schedule=schedule)
    assert u.not_in_key == 0  # the shortcut's case
    copy = derived.subset(np.ones(len(derived.subjects), dtype=bool))
    assert u.total == _summaries(copy, protocol, qs, schedule)
    # and the arms' own summaries add up to the randomized
    assert sum(a.n for a in u.arms) == len(derived.subjects)


def test_a_subject_missing_from_the_key_is_left_out_of_the_total(
    derivations: Derivations,
) -> None:
    derived = derivations.derived
    first = str(derived.subjects["SUBJID"].iloc[0])
    rand = derivations.key.assignments
    key = replace(derivations.key, assignments=rand[rand["SUBJID"].astype(str) != first])
    u = unblinded_results(derivations.protocol, derived, key, schedule=derivations.schedule)
    assert u.not_in_key == 1
    assert (
        u.total.disposition.completed
        + u.total.disposition.discontinued
        + (u.total.disposition.ongoing)
        == len(derived.subjects) - 1
    )


def test_last_data_dates_are_those_of_one_concatenation(
    study: tuple[LoadedStudy, ValidationResult],
) -> None:
    loaded, validation = study
    schedule = validation.schedule
    derived = derive(loaded.study.data, loaded.study.protocol, schedule)
    s, grid = derived.subjects, schedule.grid
    site_of = s.set_index("SUBJID")["SITEID"]
    parts = [
        pd.DataFrame({"SITEID": grid["SITEID"], "date": grid["done_date"]}),
        pd.DataFrame({"SITEID": s["SITEID"], "date": s["RANDDT"]}),
        pd.DataFrame({"SITEID": s["SITEID"], "date": s["DSDT"]}),
    ]
    for frame, col in ((derived.ae, "AESTDT"), (derived.ex, "EXDT"), (derived.fu, "FUDT")):
        sites = frame["SUBJID"].astype(object).map(site_of)
        parts.append(pd.DataFrame({"SITEID": sites, "date": frame[col]}))
    dates = pd.concat(parts, ignore_index=True)
    expected = pd.to_datetime(dates["date"]).groupby(dates["SITEID"]).max()
    got = _last_data_dates(derived, schedule)
    assert len(got) >= 2
    assert {str(k): v for k, v in got.items()} == {str(k): v for k, v in expected.items()}


def test_data_currency_by_arrow_is_the_mapping_by_text(
    study: tuple[LoadedStudy, ValidationResult],
) -> None:
    from dmc_report.domain.contract import DATA_SHEETS
    from dmc_report.validation.records import counting

    loaded, validation = study
    data, cutoff = loaded.study.data, validation.schedule.cutoff
    subjects = derive(data, loaded.study.protocol, validation.schedule).subjects
    got = data_currency(data, subjects, cutoff)
    assert got is not None
    site_of = dict(zip(subjects["SUBJID"].astype(str), subjects["SITEID"].astype(str), strict=True))
    lags: list[float] = []
    by_site: dict[str, int] = {}
    for form in ("UDS", "VAS", "QS", "AE"):
        f = data.frame(form)
        when = {x.name: x for x in DATA_SHEETS}[form].date_column or ""
        ok = pd.Series(counting(form, f, cutoff), index=f.index)
        ok &= f["ENTRYDT"].notna() & f[when].notna() & (f["ENTRYDT"] >= f[when])
        ok &= f["SUBJID"].astype(str).isin(site_of.keys())
        rows = f.loc[ok.fillna(False).astype(bool)]
        lags += list((rows["ENTRYDT"] - rows[when]).dt.days.astype(float))
        for site in rows["SUBJID"].astype(str).map(site_of):
            by_site[site] = by_site.get(site, 0) + 1
    assert got.overall.records == len(lags) > 100
    assert got.overall.median_days == float(np.median(lags))
    assert got.overall.max_days == max(lags)
    assert {x.name: x.records for x in got.by_site} == by_site


def test_the_results_are_analysed_again_only_when_final_changes_the_monitoring(
    study: tuple[LoadedStudy, ValidationResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command line releases the visit grid before rendering (34 MB at 20,000 subjects):
    the results are then never analysed again, and an analysis on a released grid is refused
    rather than computed on nothing."""
    import datetime as dt

    from dmc_report import pipeline
    from dmc_report.domain.settings import ReportSettings

    loaded, validation = study
    interim = pipeline.run_analysis(loaded, validation, final=False)
    assert interim.unblinded is not None and interim.unblinded.monitoring is not None
    final = ReportSettings(report_date=dt.date(2026, 12, 4), final=True)
    again = pipeline.results_as_requested(loaded, validation, interim, final)
    assert pipeline.is_final(again) and again.unblinded is not None
    assert again.unblinded.monitoring != interim.unblinded.monitoring
    with pytest.raises(RuntimeError, match="visit grid was released"):
        pipeline.results_as_requested(loaded, validation.for_reports(), interim, final)
    # without a monitoring (no interim plan, several experimental arms) final changes nothing
    unmonitored = replace(interim, unblinded=replace(interim.unblinded, monitoring=None))

    def no_analysis(*_a: object, **_k: object) -> None:
        raise AssertionError("analysed again")

    monkeypatch.setattr(pipeline, "run_analysis", no_analysis)
    assert pipeline.results_as_requested(loaded, validation, unmonitored, final) is unmonitored
