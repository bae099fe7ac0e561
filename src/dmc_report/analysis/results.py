"""Result objects and the results JSON (data contract section 3).

Blinding lives in the types: :class:`BlindedResults` is built by :func:`blinded_results`, whose
signature has no key, so nothing arm-specific can reach it; :class:`UnblindedResults` exists
only when a :class:`~dmc_report.domain.study.RandomizationKey` was loaded.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

SCHEMA = "dmc-report/results/1"


@dataclass(frozen=True)
class BlindedResults:
    """Pooled summaries: no arm anywhere."""

    payload: Mapping[str, Any]


@dataclass(frozen=True)
class UnblindedResults:
    """Summaries by arm and between-arm comparisons."""

    payload: Mapping[str, Any]


@dataclass(frozen=True)
class SubjectLevel:
    """What the figures draw per randomized subject, computed once by the analysis (the reports
    never derive again). One row per subject in ``subjects`` order; no arm anywhere: the closed
    report splits these rows by the key.

    ``use_codes`` is subjects x ``uds_visits``: 0 POS, 1 NEG, 2 missing, 3 not yet due, 4 not
    expected. ``last_data_date_by_site`` is the latest visit date per site (data currency).
    """

    subjects: tuple[str, ...]
    relapse_time: np.ndarray
    relapse_event: np.ndarray
    dropout_time: np.ndarray
    dropout_event: np.ndarray
    uds_visits: tuple[str, ...]
    use_codes: np.ndarray
    last_data_date_by_site: Mapping[str, str]

    def rows(self, mask: np.ndarray) -> SubjectLevel:
        """The same for the subjects where ``mask`` is set (an arm's)."""
        return replace(
            self,
            subjects=tuple(np.asarray(self.subjects, dtype=object)[mask]),
            relapse_time=self.relapse_time[mask],
            relapse_event=self.relapse_event[mask],
            dropout_time=self.dropout_time[mask],
            dropout_event=self.dropout_event[mask],
            use_codes=self.use_codes[mask],
        )


@dataclass(frozen=True)
class Results:
    study_id: str
    data_cutoff: str
    software: Mapping[str, str]
    inputs: Mapping[str, Any]
    validation: Mapping[str, Any]
    blinded: BlindedResults
    unblinded: UnblindedResults | None
    # the validation block without the key's findings (what :meth:`pooled` carries)
    pooled_validation: Mapping[str, Any] | None = None
    # per-subject arrays for the figures (not part of the results JSON)
    subject_level: SubjectLevel | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "study_id": self.study_id,
            "data_cutoff": self.data_cutoff,
            "software": dict(self.software),
            "inputs": dict(self.inputs),
            "validation": dict(self.validation),
            "blinded": dict(self.blinded.payload),
            "unblinded": dict(self.unblinded.payload) if self.unblinded else None,
        }

    def to_json(self) -> str:
        return dumps(self.as_json())

    def pooled(self) -> Results:
        """The results as if computed without the key: no unblinded section and no key input.
        What the app saves beside an open report, for the next report's comparison."""
        validation = self.validation if self.pooled_validation is None else self.pooled_validation
        return replace(
            self, inputs={**self.inputs, "key": None}, validation=validation, unblinded=None
        )


def _clean(o: Any) -> Any:
    """JSON-ready: numpy scalars to Python, integral day counts as integers, NaN as null."""
    if isinstance(o, Mapping):
        return {str(k): _clean(v) for k, v in o.items()}
    if isinstance(o, list | tuple):
        return [_clean(v) for v in o]
    if hasattr(o, "item") and not isinstance(o, str):
        o = o.item()
    if isinstance(o, float):
        if not math.isfinite(o):
            return None
        return o
    return o


def dumps(obj: Any) -> str:
    """Deterministic JSON: keys in insertion order, full float precision (shortest repr)."""
    return json.dumps(_clean(obj), indent=1, ensure_ascii=False, allow_nan=False) + "\n"
