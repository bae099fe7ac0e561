"""The audit trail: one record per report run, chained by hash (issue 19; docs/reports.md).

Each run that writes reports appends a line to the study's log beside the open report
(``<study>-report-log.jsonl``): when, who, the software, the inputs' SHA-256, the cutoff, the
settings, and what was written (the open report's SHA-256; for the closed report the SHA-256
its content has unencrypted, since its encrypted bytes differ with every salt). Every record
holds the hash of the one before (``prev``; the first holds 64 zeros) and its own (``hash``,
the SHA-256 of the record without it, as canonical JSON), so an edited, removed or reordered
line breaks the chain: :func:`verify` names the first line that does not hold.

The log is appended to, never rewritten; a log that does not verify is not appended to (the run
stops before writing anything, so the break stays where it was found).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dmc_report.domain.errors import Location, UnusableInputError
from dmc_report.io.filenames import safe_name

GENESIS = "0" * 64
LOG_SUFFIX = "-report-log.jsonl"


def log_path(folder: str | Path, study_id: str) -> Path:
    """The study's log in ``folder`` (the open report's folder)."""
    return Path(folder) / f"{safe_name(study_id)}{LOG_SUFFIX}"


def _digest(record: Mapping[str, Any]) -> str:
    body = {k: v for k, v in record.items() if k != "hash"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Break:
    """Where the chain does not hold: the 1-based line and why."""

    line: int
    why: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.why}"


def verify(path: str | Path) -> tuple[int, Break | None]:
    """The number of records and the first break in the chain (None: it holds)."""
    prev = GENESIS
    count = 0
    try:
        lines = Path(path).read_bytes().decode("utf-8").splitlines()
    except UnicodeDecodeError:
        return 0, Break(1, "the log is not UTF-8 text")
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            return count, Break(n, "an empty line")
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            return count, Break(n, "not a JSON record")
        if not isinstance(record, dict) or "hash" not in record or "prev" not in record:
            return count, Break(n, "not a record of this log (no hash or prev)")
        if record["prev"] != prev:
            return count, Break(n, "its prev is not the hash of the record before it")
        if _digest(record) != record["hash"]:
            return count, Break(n, "its content does not match its hash (edited)")
        prev = record["hash"]
        count += 1
    return count, None


def check_appendable(path: str | Path) -> None:
    """Refuse to run when the study's log exists and its chain is broken (nothing written)."""
    p = Path(path)
    if not p.exists():
        return
    _, broken = verify(p)
    if broken is not None:
        raise UnusableInputError(
            f"the report log's chain is broken at {broken}; no report was written. Keep the "
            "log as it is for review and move it aside (a new log starts), or restore it",
            Location(file=str(p), row=broken.line),
        )


def append(path: str | Path, record: Mapping[str, Any]) -> dict[str, Any]:
    """Append ``record``, chained to the log's last one; returns it with ``prev`` and ``hash``."""
    p = Path(path)
    prev = GENESIS
    if p.exists():
        lines = [ln for ln in p.read_text(encoding="utf-8").splitlines() if ln.strip()]
        if lines:
            prev = json.loads(lines[-1])["hash"]
    out: dict[str, Any] = {**record, "prev": prev}
    out["hash"] = _digest(out)
    line = json.dumps(out, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"
    fd = os.open(p, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    return out
