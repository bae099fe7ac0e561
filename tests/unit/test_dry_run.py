"""A dry run (issue 19): the closed report from a scrambled allocation, never the key's.

Only the key's ARMS sheet is read (a key without RAND works); subjects are allocated by permuted
blocks within site with a printed seed; every closed page says DRY RUN; the open report is the
same as without it; the results JSON says so; the same seed gives the same bytes.
"""

from __future__ import annotations

import io
from pathlib import Path

import pypdf
import pytest

from dmc_report import cli
from dmc_report.demo.writer import DemoFiles, encrypt_xlsx, workbook_bytes
from dmc_report.domain.dry_run import DRY_RUN_MARK, scrambled_allocation
from dmc_report.pipeline import load_study, run_analysis, run_validation


def _results(demo: DemoFiles, password: str, **kw: object) -> dict:
    loaded = load_study(demo.protocol, demo.data, key=demo.key, key_password=password, **kw)  # type: ignore[arg-type]
    return run_analysis(loaded, run_validation(loaded)).as_json()


def test_a_dry_run_scrambles_the_arms_and_says_so(demo: DemoFiles, demo_password: str) -> None:
    real = _results(demo, demo_password)
    dry = _results(demo, demo_password, dry_run=True, dry_run_seed=7)
    assert "dry_run" not in real
    assert dry["dry_run"] == {"seed": 7, "note": DRY_RUN_MARK}
    # the pooled numbers are the data's; the numbers by arm are not the real ones
    assert dry["blinded"] == real["blinded"]
    by_arm = lambda r: r["unblinded"]["abstinence"]["by_arm"]  # noqa: E731
    assert by_arm(dry) != by_arm(real)
    # every randomized subject has an arm, and the arms are balanced within each site's blocks
    sizes = {a["code"]: a["n"] for a in dry["unblinded"]["arms"]}
    assert sum(sizes.values()) == real["blinded"]["enrollment"]["randomized"]
    assert abs(sizes["A"] - sizes["B"]) <= 2 * len(real["blinded"]["enrollment"]["by_site"])
    # the same seed gives the same allocation; another seed another
    again = _results(demo, demo_password, dry_run=True, dry_run_seed=7)
    other = _results(demo, demo_password, dry_run=True, dry_run_seed=8)
    assert by_arm(again) == by_arm(dry) and by_arm(other) != by_arm(dry)


def test_permuted_blocks_within_site() -> None:
    import pandas as pd

    subjects = pd.DataFrame(
        {
            "SUBJID": [f"S{i:02d}" for i in range(12)],
            "SITEID": ["1"] * 8 + ["2"] * 4,
            "RANDDT": pd.date_range("2020-01-01", periods=12),
        }
    )
    out = scrambled_allocation(subjects, ["A", "B"], seed=3)
    site1 = out.set_index("SUBJID").loc[[f"S{i:02d}" for i in range(8)], "ARMCD"].tolist()
    # blocks of four (two per arm) in order of randomization: each block is balanced
    assert sorted(site1[:4]) == ["A", "A", "B", "B"] and sorted(site1[4:]) == ["A", "A", "B", "B"]
    assert scrambled_allocation(subjects, ["A", "B"], seed=3).equals(out)


def test_a_key_with_its_arms_only_is_enough(
    demo: DemoFiles, demo_password: str, tmp_path: Path
) -> None:
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(_plain_key(demo, demo_password)), read_only=True)
    arms = [[c.value for c in row] for row in wb["ARMS"].iter_rows()]
    only_arms = tmp_path / "arms-only.xlsx"
    only_arms.write_bytes(encrypt_xlsx(workbook_bytes({"ARMS": _frame(arms)}), demo_password))
    loaded = load_study(demo.protocol, demo.data, key=only_arms, key_password=demo_password,
                        dry_run=True)  # fmt: skip
    assert loaded.dry_run and "RAND" not in loaded.key.tables  # type: ignore[union-attr]
    results = run_analysis(loaded, run_validation(loaded)).as_json()
    assert results["dry_run"]["seed"] == int(loaded.study.data.provenance.sha256[:8], 16)
    # without --dry-run the same key is unusable: it has no assignments
    from dmc_report.domain.errors import UnusableInputError

    with pytest.raises(UnusableInputError, match="RAND"):
        load_study(demo.protocol, demo.data, key=only_arms, key_password=demo_password)


def test_every_closed_page_says_dry_run_and_the_open_report_is_unchanged(
    demo: DemoFiles, demo_password: str, tmp_path: Path
) -> None:
    base = [
        "report", "--protocol", str(demo.protocol), "--data", str(demo.data),
        "--key", str(demo.key), "--key-password-file", str(demo.key_password_file),
    ]  # fmt: skip
    closed_pw = ["--closed-password-file", str(demo.key_password_file)]
    outs = {}
    for name, extra in (("dry", ["--dry-run"]), ("again", ["--dry-run"]), ("real", [])):
        o, c = tmp_path / f"{name}-open.pdf", tmp_path / f"{name}-closed.pdf"
        rc = cli.main([*base, "--open", str(o), "--closed", str(c), *closed_pw, *extra])
        assert rc in (0, 1)
        outs[name] = (o.read_bytes(), c)
    assert outs["dry"][0] == outs["real"][0]  # the open report does not depend on the key
    reader = pypdf.PdfReader(outs["dry"][1])
    reader.decrypt(demo_password)
    pages = [p.extract_text() or "" for p in reader.pages]
    assert all(DRY_RUN_MARK in " ".join(t.split()) for t in pages), [
        i + 1 for i, t in enumerate(pages) if DRY_RUN_MARK not in " ".join(t.split())
    ]
    assert "seed" in pages[0] and "key's assignments were not read" in " ".join(pages[0].split())
    assert reader.metadata is not None and "DRY RUN" in str(reader.metadata.title)
    real = pypdf.PdfReader(outs["real"][1])
    real.decrypt(demo_password)
    assert not any(DRY_RUN_MARK in (p.extract_text() or "") for p in real.pages)
    # the same inputs give the same dry run (the seed comes from the data; the encryption's salt
    # differs from file to file, so the decrypted pages are compared)
    again = pypdf.PdfReader(outs["again"][1])
    again.decrypt(demo_password)
    assert [p.extract_text() for p in again.pages] == pages


def test_a_dry_run_needs_the_keys_arms(demo: DemoFiles, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["analyze", "--protocol", str(demo.protocol), "--data", str(demo.data), "--json",
            "-", "--dry-run"]  # fmt: skip
    assert cli.main(args) == 2
    assert "dry run needs the key workbook" in capsys.readouterr().err


def _plain_key(demo: DemoFiles, password: str) -> bytes:
    import msoffcrypto

    out = io.BytesIO()
    f = msoffcrypto.OfficeFile(io.BytesIO(demo.key.read_bytes()))
    f.load_key(password=password)
    f.decrypt(out)
    return out.getvalue()


def _frame(rows: list[list[object]]) -> object:
    import pandas as pd

    return pd.DataFrame(rows[1:], columns=rows[0])
