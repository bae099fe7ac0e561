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
