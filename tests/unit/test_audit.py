"""The audit trail (issue 19): each report run appends a record chained by hash to the study's
log beside the open report; ``dmc-report audit verify`` checks the chain and names the first
line that breaks it; a run refuses to append to a broken log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dmc_report import cli
from dmc_report.demo.writer import DemoFiles
from dmc_report.io.audit import GENESIS, append, verify


def _report(demo: DemoFiles, out: Path, *extra: str) -> int:
    return cli.main([
        "report", "--protocol", str(demo.protocol), "--data", str(demo.data),
        "--key", str(demo.key), "--key-password-file", str(demo.key_password_file),
        "--open", str(out / "open.pdf"), "--closed", str(out / "closed.pdf"),
        "--closed-password-file", str(demo.key_password_file), *extra,
    ])  # fmt: skip


def test_three_runs_chain_and_verify(
    demo: DemoFiles, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for extra in ((), ("--final",), ("--dry-run",)):
        assert _report(demo, tmp_path, *extra) in (0, 1)
    log = tmp_path / "KETCOC-01-report-log.jsonl"
    records = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 3 and records[0]["prev"] == GENESIS
    assert [r["prev"] for r in records[1:]] == [r["hash"] for r in records[:2]]
    first = records[0]
    assert first["study_id"] == "KETCOC-01" and first["cutoff"]
    assert first["inputs"]["data"] == demo_sha(demo.data)
    assert first["outputs"]["open"]["sha256"] == demo_sha(tmp_path / "open.pdf")
    assert len(first["outputs"]["closed"]["content_sha256"]) == 64
    # the same inputs give the same reports: the open bytes and the closed content agree
    assert [r["settings"]["final"] for r in records] == [False, True, False]
    assert records[2]["settings"]["dry_run_seed"] is not None
    assert records[0]["outputs"]["open"] == records[2]["outputs"]["open"]
    capsys.readouterr()
    assert cli.main(["audit", "verify", str(log)]) == 0
    assert "3 records, the chain holds" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("tamper", "line", "why"),
    [
        (lambda ls: [ls[0], ls[1].replace('"final":true', '"final":false'), ls[2]], 2, "edited"),
        (lambda ls: [ls[0], ls[2]], 2, "prev is not the hash"),
        (lambda ls: [ls[1], ls[0], ls[2]], 1, "prev is not the hash"),
        (lambda ls: [*ls[:2], "{not json"], 3, "not a JSON record"),
    ],
)
def test_an_edit_breaks_the_chain_at_its_line(tmp_path: Path, tamper, line: int, why: str) -> None:  # type: ignore[no-untyped-def]
    log = tmp_path / "s-report-log.jsonl"
    for final in (False, True, False):
        append(log, {"study_id": "S", "settings": {"final": final}})
    assert verify(log) == (3, None)
    log.write_text("\n".join(tamper(log.read_text().splitlines())) + "\n")
    _, broken = verify(log)
    assert broken is not None and broken.line == line and why in broken.why
    assert cli.main(["audit", "verify", str(log)]) == 1


def test_a_run_refuses_a_broken_log_and_writes_nothing(
    demo: DemoFiles, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "KETCOC-01-report-log.jsonl"
    append(log, {"study_id": "KETCOC-01"})
    log.write_text(log.read_text().replace("KETCOC-01", "KETCOC-02"))
    assert _report(demo, tmp_path) == 2
    assert "chain is broken at line 1" in capsys.readouterr().err
    assert not (tmp_path / "open.pdf").exists() and not (tmp_path / "closed.pdf").exists()
    assert len(log.read_text().splitlines()) == 1


def test_verify_a_missing_log_is_one_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["audit", "verify", str(tmp_path / "none.jsonl")]) == 2
    assert "does not exist" in capsys.readouterr().err


def demo_sha(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()
