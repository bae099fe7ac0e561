"""What changed by arm (issue 19): each closed report carries its results, encrypted with it;
a later closed report given the earlier one (--previous-closed) shows the counts by arm then and
now, and the primary endpoint's Z against its boundary at both looks. A wrong password, another
study's report or a dry run's is refused (exit 2, nothing written)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pikepdf
import pypdf
import pytest

from dmc_report import cli
from dmc_report.demo.writer import DemoFiles
from dmc_report.domain.previous import RESULTS_ATTACHMENT

INTERIM = "2016-03-31"


def _report(demo: DemoFiles, out: Path, name: str, *extra: str) -> int:
    return cli.main([
        "report", "--protocol", str(demo.protocol), "--data", str(demo.data),
        "--key", str(demo.key), "--key-password-file", str(demo.key_password_file),
        "--open", str(out / f"open-{name}.pdf"), "--closed", str(out / f"closed-{name}.pdf"),
        "--closed-password-file", str(demo.key_password_file), *extra,
    ])  # fmt: skip


@pytest.fixture(scope="module")
def looks(demo: DemoFiles, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("looks")
    assert _report(demo, out, "1", "--cutoff", INTERIM) in (0, 1)
    previous = ["--previous-closed", str(out / "closed-1.pdf")]
    assert _report(demo, out, "2", *previous) in (0, 1)
    return out


def _text(path: Path, password: str) -> list[str]:
    reader = pypdf.PdfReader(path)
    reader.decrypt(password)
    return [re.sub(r"\s+", " ", p.extract_text() or "") for p in reader.pages]


def test_the_closed_report_carries_its_results_encrypted(looks: Path, demo_password: str) -> None:
    with pytest.raises(pikepdf.PasswordError):
        pikepdf.open(looks / "closed-1.pdf")
    with pikepdf.open(looks / "closed-1.pdf", password=demo_password) as pdf:
        doc = json.loads(pdf.attachments[RESULTS_ATTACHMENT].get_file().read_bytes())
    assert doc["data_cutoff"] == INTERIM and doc["unblinded"]["arms"]


def test_the_later_report_shows_the_changes_by_arm(looks: Path, demo_password: str) -> None:
    pages = _text(looks / "closed-2.pdf", demo_password)
    table = next(
        t for t in pages if f"Changes since the previous report (data cutoff {INTERIM})" in t
    )
    with pikepdf.open(looks / "closed-1.pdf", password=demo_password) as pdf:
        before = json.loads(pdf.attachments[RESULTS_ATTACHMENT].get_file().read_bytes())
    with pikepdf.open(looks / "closed-2.pdf", password=demo_password) as pdf:
        now = json.loads(pdf.attachments[RESULTS_ATTACHMENT].get_file().read_bytes())
    for arm in ("A", "B"):
        b = before["unblinded"]["abstinence"]["by_arm"][arm]["evaluable"]
        n = now["unblinded"]["abstinence"]["by_arm"][arm]["evaluable"]
        assert f"{b} -> {n} ({'+' if n >= b else ''}{n - b})" in table
    assert "Primary endpoint: Z" in table and "boundary" in table
    first = _text(looks / "closed-1.pdf", demo_password)
    assert any("no previous closed report was given" in t for t in first)


@pytest.mark.parametrize(
    "case", ["wrong password", "open report", "later cutoff", "dry run", "another study"]
)
def test_a_wrong_previous_closed_report_is_refused(
    demo: DemoFiles, looks: Path, tmp_path: Path, case: str, capsys: pytest.CaptureFixture[str]
) -> None:
    previous = looks / "closed-1.pdf"
    extra: list[str] = []
    expected = ""
    if case == "wrong password":
        pw = tmp_path / "pw.txt"
        pw.write_text("not-the-password\n", encoding="utf-8")
        extra = ["--previous-closed-password-file", str(pw)]
        expected = "wrong password for the previous closed report"
    elif case == "open report":
        previous, expected = looks / "open-1.pdf", "not encrypted"
    elif case == "later cutoff":
        previous, extra = looks / "closed-2.pdf", ["--cutoff", INTERIM]
        expected = "is not before this report's"
    elif case == "dry run":
        assert _report(demo, tmp_path, "dry", "--dry-run", "--cutoff", INTERIM) in (0, 1)
        previous, expected = tmp_path / "closed-dry.pdf", "dry run"
    else:  # the second template's demo: its closed report is another study's (same password)
        template = Path(__file__).parents[2] / "templates" / "protocols" / "stimulant-12wk.toml"
        other = tmp_path / "other"
        assert cli.main(["demo", "--protocol", str(template), "--out", str(other)]) == 0
        previous, expected = other / "closed-report.pdf", "is for study 'STIM-12W'"
    capsys.readouterr()
    assert _report(demo, tmp_path, "x", "--previous-closed", str(previous), *extra) == 2
    assert expected in capsys.readouterr().err
    assert not (tmp_path / "closed-x.pdf").exists() and not (tmp_path / "open-x.pdf").exists()


def _tampered(source: Path, target: Path, password: str, content: bytes) -> Path:
    """The closed report with its results attachment replaced, encrypted again alike."""
    with pikepdf.open(source, password=password) as pdf:
        pdf.attachments[RESULTS_ATTACHMENT] = pikepdf.AttachedFileSpec(pdf, content)
        pdf.save(
            target, encryption=pikepdf.Encryption(owner=password, user=password, aes=True, R=6)
        )
    return target


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"{not json", "invalid JSON at line 1"),
        (b"\xff\xfe", "not UTF-8 text"),
        (b"[1, 2]", "schema is 'list'"),
        ("bad cutoff", "data_cutoff 'last spring' is not a date"),
        ("bad arms", "expected an arm's code and size (n)"),
        ("bad z", "expected a number, found 'high'"),
    ],
)
def test_a_tampered_results_attachment_is_one_located_refusal(
    demo: DemoFiles,
    looks: Path,
    tmp_path: Path,
    demo_password: str,
    content: bytes | str,
    expected: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Whatever the attachment holds, the answer is exit 2 naming the file (never a traceback,
    never exit 3): the previous closed report is checked as the previous results file is."""
    if isinstance(content, str):
        with pikepdf.open(looks / "closed-1.pdf", password=demo_password) as pdf:
            doc = json.loads(pdf.attachments[RESULTS_ATTACHMENT].get_file().read_bytes())
        if content == "bad cutoff":
            doc["data_cutoff"] = "last spring"
        elif content == "bad arms":
            doc["unblinded"]["arms"][0].pop("n")
        else:
            doc["unblinded"]["monitoring"]["observed_z"] = "high"
        content = json.dumps(doc).encode()
    previous = _tampered(looks / "closed-1.pdf", tmp_path / "closed-t.pdf", demo_password, content)
    capsys.readouterr()
    assert _report(demo, tmp_path, "x", "--previous-closed", str(previous)) == 2
    err = capsys.readouterr().err
    assert expected in err and "closed-t.pdf" in err and "Traceback" not in err
    assert not (tmp_path / "closed-x.pdf").exists()


def test_a_dry_run_refuses_the_previous_closed_report(
    demo: DemoFiles, looks: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A dry run is marked NOT REAL RESULTS on every page: the previous closed report's counts
    by arm are real, so they never go into one (exit 2 before any work, nothing written)."""
    capsys.readouterr()
    previous = ["--previous-closed", str(looks / "closed-1.pdf")]
    assert _report(demo, tmp_path, "x", "--dry-run", *previous) == 2
    assert "--dry-run shows no changes by arm" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())
