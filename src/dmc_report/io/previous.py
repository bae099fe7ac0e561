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

    try:
        doc = json.loads(raw.content.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise bad(f"not a results file: not UTF-8 text (byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise bad(
            f"not a results file: invalid JSON at line {exc.lineno}, column {exc.colno} ({exc.msg})"
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
            f"({cutoff.isoformat()}): give the results of an earlier report",
            "data_cutoff",
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
    doc = json.loads(content.decode("utf-8"))
    if doc.get("schema") != SCHEMA:
        raise bad(f"its results have schema {doc.get('schema')!r}, expected {SCHEMA!r}", "schema")
    if doc.get("study_id") != study_id:
        raise bad(
            f"is for study {doc.get('study_id')!r}, but this report is for {study_id!r}",
            "study_id",
        )
    previous_cutoff = dt.date.fromisoformat(str(doc.get("data_cutoff")))
    if previous_cutoff >= cutoff:
        raise bad(
            f"its data cutoff {previous_cutoff.isoformat()} is not before this report's "
            f"({cutoff.isoformat()}): give an earlier closed report",
            "data_cutoff",
        )
    u = doc.get("unblinded")
    if not isinstance(u, dict) or doc.get("dry_run"):
        raise bad("carries no real results by arm (a dry run, or no unblinded section)")
    counts: dict[str, dict[str, int]] = {}
    for arm in u.get("arms", []):
        code = str(arm["code"])
        row = {"randomized": int(arm["n"])}
        for name, (section, key) in BY_ARM.items():
            block = u.get(section, {})
            per = block.get(code) if section == "disposition" else block.get("by_arm", {}).get(code)
            value = per.get(key) if isinstance(per, dict) else None
            if isinstance(value, int) and not isinstance(value, bool):
                row[name] = value
        counts[code] = row
    m = u.get("monitoring") or {}
    current: dict[str, Any] = next(
        (lk for lk in m.get("looks", []) if lk.get("kind") == "current"), {}
    )
    return PreviousByArm(
        provenance=Provenance(file=raw.name, path=file, size=raw.size, sha256=raw.sha256),
        cutoff=previous_cutoff,
        counts=counts,
        observed_z=m.get("observed_z"),
        z_upper=current.get("z_upper"),
    )
