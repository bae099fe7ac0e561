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
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dmc_report.domain.errors import Location, UnusableInputError
from dmc_report.domain.previous import PreviousResults, sae_key
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
