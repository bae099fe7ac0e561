"""Numbered copies of the closed report, one per DMC member (issue 19): each its own file and
password, its recipient on every page, a traceable copy ID; generated passwords go to an
owner-only file; the recipients file's problems are located; no copy replaces an input."""

from __future__ import annotations

import csv
import json
import re
import stat
from pathlib import Path

import pikepdf
import pypdf
import pytest

from dmc_report import cli
from dmc_report.demo.writer import DemoFiles
from dmc_report.domain.errors import UnusableInputError
from dmc_report.io.recipients import read_recipients

MEMBERS = "name,password\nDr Ada Lovelace,\nProf. Grace Hopper,hopper-secret-1\nDr Émile Borel,\n"


def _report(demo: DemoFiles, out: Path, recipients: Path, closed: str = "closed.pdf") -> int:
    return cli.main([
        "report", "--protocol", str(demo.protocol), "--data", str(demo.data),
        "--key", str(demo.key), "--key-password-file", str(demo.key_password_file),
        "--open", str(out / "open.pdf"), "--closed", str(out / closed),
        "--recipients", str(recipients), "--distribution", "Sponsor liaison",
    ])  # fmt: skip


@pytest.fixture(scope="module")
def copies(demo: DemoFiles, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("copies")
    members = out / "members.csv"
    members.write_text(MEMBERS, encoding="utf-8-sig")
    assert _report(demo, out, members) in (0, 1)
    return out


def _passwords(out: Path) -> dict[str, str]:
    with (out / "closed-passwords.csv").open(encoding="utf-8-sig", newline="") as f:
        return {row["name"]: row["password"] for row in csv.DictReader(f)}


def test_one_file_per_member_each_with_its_own_password(copies: Path) -> None:
    names = sorted(p.name for p in copies.glob("closed-*.pdf"))
    assert names == [
        "closed-01-Dr Ada Lovelace.pdf",
        "closed-02-Prof. Grace Hopper.pdf",
        "closed-03-Dr Émile Borel.pdf",
    ]
    assert not (copies / "closed.pdf").exists()  # no unnumbered copy
    generated = _passwords(copies)
    assert set(generated) == {"Dr Ada Lovelace", "Dr Émile Borel"}  # the given one is not listed
    assert all(len(p) >= 20 for p in generated.values())
    assert stat.S_IMODE((copies / "closed-passwords.csv").stat().st_mode) == 0o600
    passwords = {**generated, "Prof. Grace Hopper": "hopper-secret-1"}
    files = dict(
        zip(["Dr Ada Lovelace", "Prof. Grace Hopper", "Dr Émile Borel"], names, strict=True)
    )
    ids = set()
    for who, name in files.items():
        for other, pw in passwords.items():
            if other != who:
                with pytest.raises(pikepdf.PasswordError):
                    pikepdf.open(copies / name, password=pw)
        with pikepdf.open(copies / name, password=passwords[who]) as pdf:
            copy_id = str(pdf.docinfo["/CopyId"])
            assert bytes(pdf.trailer.ID[0]).hex() == copy_id  # traceable by its document ID
            ids.add(copy_id)
    assert len(ids) == 3


def test_every_page_names_its_recipient_and_the_title_page_lists_all(copies: Path) -> None:
    reader = pypdf.PdfReader(copies / "closed-03-Dr Émile Borel.pdf")
    reader.decrypt(_passwords(copies)["Dr Émile Borel"])
    pages = [re.sub(r"\s+", " ", p.extract_text() or "") for p in reader.pages]
    assert all("Copy 03 of 03 - Dr Émile Borel" in t for t in pages), [
        i + 1 for i, t in enumerate(pages) if "Copy 03 of 03" not in t
    ]
    title = pages[0]
    assert "Sponsor liaison; Dr Ada Lovelace; Prof. Grace Hopper; Dr Émile Borel" in title


def test_the_log_records_each_copy(copies: Path) -> None:
    record = json.loads((copies / "KETCOC-01-report-log.jsonl").read_text().splitlines()[-1])
    closed = record["outputs"]["closed"]
    assert [c["copy"] for c in closed] == [1, 2, 3]
    assert closed[0]["recipient"] == "Dr Ada Lovelace" and len(closed[0]["content_sha256"]) == 64


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("who\nA\n", "row 1", "no 'name' column"),
        ("name\nA\n\nB\na\n", "row 5", "listed twice"),
        ("name,password\nA,short\n", "row 2", "at least 8 characters"),
        ("name,password\nA, padded-password\n", "row 2", "space at either end"),
        ("name\n", "row 2", "lists nobody"),
        ("name,password\n,a-password-9\n", "row 2", "without a name"),
    ],
)
def test_a_bad_recipients_file_is_located(
    tmp_path: Path, text: str, where: str, message: str
) -> None:
    path = tmp_path / "r.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UnusableInputError) as e:
        read_recipients(path)
    assert message in str(e.value) and where in str(e.value) and "r.csv" in str(e.value)


def test_no_copy_replaces_the_recipients_file(demo: DemoFiles, tmp_path: Path) -> None:
    members = tmp_path / "closed-passwords.csv"  # what the passwords file would be called
    members.write_text("name\nA\n", encoding="utf-8")
    assert _report(demo, tmp_path, members) == 2
    assert members.read_text(encoding="utf-8") == "name\nA\n"
    assert not (tmp_path / "open.pdf").exists()
