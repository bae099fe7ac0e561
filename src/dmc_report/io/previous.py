"""Reading the previous report's results JSON (``analyze --json``, or the pooled results the app
saves beside its reports) for "changes since the previous report".

Every problem is one :class:`UnusableInputError` naming the file and the JSON key: a file that is
not JSON, not a dmc-report results file, from another study, or from a cutoff that is not before
this report's. Only the pooled counts the comparison uses are kept (see
:mod:`dmc_report.domain.previous`).
"""

from __future__ import annotations

import datetime as dt
import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dmc_report.domain.errors import Location, UnusableInputError
from dmc_report.domain.previous import (
    RESULTS_ATTACHMENT,
    PreviousByArm,
    PreviousResults,
    sae_key,
)
from dmc_report.domain.study import Provenance
from dmc_report.io.files import read_input

SCHEMA = "dmc-report/results/1"  # the results schema this version reads (data-contract.md §3)
MAX_BYTES = 256 * 1024 * 1024
WHAT = "previous results file"

# the pooled counts the comparison uses, section -> keys (the open synopsis's table rows)
COUNTS = {
    "enrollment": ("screened", "randomized"),
    "disposition": ("completed", "discontinued", "ongoing"),
    "abstinence": ("evaluable", "abstinent"),
    "dropout": ("dropouts",),
    "relapse": ("events",),
    "safety": ("subjects_with_ae", "ae_events", "subjects_with_sae", "deaths"),
}


def read_previous_results(path: str | Path, *, study_id: str, cutoff: dt.date) -> PreviousResults:
    """The pooled results of a previous report of the same study at an earlier cutoff."""
    raw = read_input(path, WHAT, max_bytes=MAX_BYTES)
    file = str(raw.path)

    def bad(message: str, key: str | None = None) -> UnusableInputError:
        return UnusableInputError(message, Location(file=file, key=key))

    doc, previous_cutoff = _results_document(
        raw.content,
        bad,
        study_id=study_id,
        cutoff=cutoff,
        earlier="the results of an earlier report",
    )
    blinded = doc.get("blinded")
    if not isinstance(blinded, dict):
        raise bad("has no pooled results (the 'blinded' section)", "blinded")
    counts = {
        section: {key: _count(blinded, section, key, bad) for key in keys}
        for section, keys in COUNTS.items()
    }
    validation = _section(doc, "validation")
    findings = {
        k: int(v)
        for k in ("errors", "warnings", "info")
        if isinstance(v := validation.get(k), int) and not isinstance(v, bool)
    }
    software = _section(doc, "software")
    listing = blinded["safety"].get("sae_listing")
    return PreviousResults(
        provenance=Provenance(file=raw.name, path=file, size=raw.size, sha256=raw.sha256),
        study_id=study_id,
        cutoff=previous_cutoff,
        software_version=str(software.get("version", "unknown")),
        counts=counts,
        sae_listed=None if listing is None else _sae_keys(listing, bad),
        findings=findings,
    )


def _results_document(
    content: bytes,
    bad: Callable[..., UnusableInputError],
    *,
    study_id: str,
    cutoff: dt.date,
    earlier: str,
    what: str = "a results file",
) -> tuple[dict[str, Any], dt.date]:
    """A results JSON document of this study at an earlier cutoff, and that cutoff; one located
    refusal for text that is not JSON, another schema, another study or a cutoff not before
    ``cutoff``. Shared by the previous results file and the previous closed report's
    attachment, so both refuse alike."""
    try:
        doc = json.loads(content.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise bad(f"not {what}: not UTF-8 text (byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise bad(
            f"not {what}: invalid JSON at line {exc.lineno}, column {exc.colno} ({exc.msg})"
        ) from exc
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        found = doc.get("schema") if isinstance(doc, dict) else type(doc).__name__
        raise bad(
            f"not a dmc-report results file: schema is {found!r}, expected {SCHEMA!r} "
            "(write one with `dmc-report analyze --json`)",
            "schema",
        )
    if doc.get("study_id") != study_id:
        raise bad(
            f"is for study {doc.get('study_id')!r}, but this report is for {study_id!r}",
            "study_id",
        )
    try:
        previous_cutoff = dt.date.fromisoformat(str(doc.get("data_cutoff")))
    except ValueError as exc:
        raise bad(
            f"data_cutoff {doc.get('data_cutoff')!r} is not a date (YYYY-MM-DD)", "data_cutoff"
        ) from exc
    if previous_cutoff >= cutoff:
        raise bad(
            f"its data cutoff {previous_cutoff.isoformat()} is not before this report's "
            f"({cutoff.isoformat()}): give {earlier}",
            "data_cutoff",
        )
    return doc, previous_cutoff


def _count(
    blinded: dict[str, Any], section: str, key: str, bad: Callable[..., UnusableInputError]
) -> int:
    value = blinded.get(section, {}).get(key) if isinstance(blinded.get(section), dict) else None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise bad(
            f"expected a count (a whole number >= 0), found {value!r}", f"blinded.{section}.{key}"
        )
    return value


def _sae_keys(
    listing: Any, bad: Callable[..., UnusableInputError]
) -> frozenset[tuple[str, str, str]]:
    where = "blinded.safety.sae_listing"
    if not isinstance(listing, list) or not all(isinstance(r, dict) for r in listing):
        raise bad("expected a list of serious adverse events", where)
    return frozenset(sae_key(r) for r in listing)


def _section(doc: dict[str, Any], key: str) -> dict[str, Any]:
    value = doc.get(key)
    return value if isinstance(value, dict) else {}


# the counts by arm the closed report compares: name -> (section, key) under unblinded.<section>
# .by_arm.<arm> (or unblinded.<section>.<arm> for disposition); "randomized" is arms[].n
BY_ARM = {
    "completed": ("disposition", "completed"),
    "discontinued": ("disposition", "discontinued"),
    "evaluable": ("abstinence", "evaluable"),
    "abstinent": ("abstinence", "abstinent"),
    "dropouts": ("dropout", "dropouts"),
    "relapse events": ("relapse", "events"),
    "subjects with an SAE": ("safety", "subjects_with_sae"),
    "deaths": ("safety", "deaths"),
}
CLOSED_WHAT = "previous closed report"


def read_previous_closed(
    path: str | Path, password: str, *, study_id: str, cutoff: dt.date
) -> PreviousByArm:
    """The counts by arm of a previous closed report of the same study at an earlier cutoff,
    from the results the report carries (an attachment of the encrypted PDF)."""
    import io

    import pikepdf

    raw = read_input(path, CLOSED_WHAT, max_bytes=MAX_BYTES)
    file = str(raw.path)

    def bad(message: str, key: str | None = None) -> UnusableInputError:
        return UnusableInputError(message, Location(file=file, key=key))

    try:
        with warnings.catch_warnings():  # "no password was needed": told below, as a refusal
            warnings.simplefilter("ignore", UserWarning)
            pdf = pikepdf.open(io.BytesIO(raw.content), password=password)
        with pdf:
            if not pdf.is_encrypted:
                raise bad("not a closed report: the file is not encrypted")
            spec = pdf.attachments.get(RESULTS_ATTACHMENT)
            if spec is None:
                raise bad(
                    "carries no results (a closed report written by dmc-report 0.1 before "
                    "this version, or not a closed report)"
                )
            content = spec.get_file().read_bytes()
    except pikepdf.PasswordError as exc:
        raise bad("wrong password for the previous closed report") from exc
    except pikepdf.PdfError as exc:
        raise bad(f"not a PDF file ({exc})") from exc
    doc, previous_cutoff = _results_document(
        content,
        bad,
        study_id=study_id,
        cutoff=cutoff,
        earlier="an earlier closed report",
        what="a closed report's results",
    )
    u = doc.get("unblinded")
    if not isinstance(u, dict) or doc.get("dry_run"):
        raise bad("carries no real results by arm (a dry run, or no unblinded section)")
    counts = _counts_by_arm(u, bad)
    m = _section(u, "monitoring")
    looks = m.get("looks")
    looks = looks if isinstance(looks, list) else []
    current: dict[str, Any] = next(
        (lk for lk in looks if isinstance(lk, dict) and lk.get("kind") == "current"), {}
    )
    return PreviousByArm(
        provenance=Provenance(file=raw.name, path=file, size=raw.size, sha256=raw.sha256),
        cutoff=previous_cutoff,
        counts=counts,
        observed_z=_number(m.get("observed_z"), bad, "unblinded.monitoring.observed_z"),
        z_upper=_number(current.get("z_upper"), bad, "unblinded.monitoring.looks[].z_upper"),
    )


def _counts_by_arm(
    u: dict[str, Any], bad: Callable[..., UnusableInputError]
) -> dict[str, dict[str, int]]:
    arms = u.get("arms")
    if not isinstance(arms, list) or not arms:
        raise bad("expected the list of arms with their sizes", "unblinded.arms")
    counts: dict[str, dict[str, int]] = {}
    for i, arm in enumerate(arms):
        n = arm.get("n") if isinstance(arm, dict) else None
        code = arm.get("code") if isinstance(arm, dict) else None
        if not isinstance(code, str) or not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise bad("expected an arm's code and size (n)", f"unblinded.arms[{i}]")
        row = {"randomized": n}
        for name, (section, key) in BY_ARM.items():
            block = u.get(section)
            block = block if isinstance(block, dict) else {}
            by_arm = block if section == "disposition" else block.get("by_arm")
            per = by_arm.get(code) if isinstance(by_arm, dict) else None
            value = per.get(key) if isinstance(per, dict) else None
            if isinstance(value, int) and not isinstance(value, bool):
                row[name] = value
        counts[code] = row
    return counts


def _number(value: Any, bad: Callable[..., UnusableInputError], key: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad(f"expected a number, found {value!r}", key)
    return float(value)
