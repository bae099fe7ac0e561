"""The code knows no study (issue 15): no text the program prints or writes names the first
study's substance, treatments, windows or follow-up. Their wording lives in the protocol file
(templates/protocols/ketamine-mbrp.toml: [endpoints.labels], [domains], treatments).

Scanned: every string literal under src/dmc_report except docstrings and the demo generator
(its synthetic data are the first study's). Allowed: the data contract's column name COCAINE
(shared/spec/data-contract.md names it), the finding code INFUSION_OFF_SCHEDULE (codes are
stable), the protocol key infusion_visit, the bundled template's file name, and the blinding module's list of generic words of
administration ("infusion", "injection"), which name no study.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "dmc_report"
WORDS = re.compile(
    r"cocaine|infusion|two weeks|6-month|six-month|post-discharge|midazolam|ketamine", re.I
)
ALLOWED = {
    "COCAINE",  # the data contract's column
    "INFUSION_OFF_SCHEDULE",  # a stable finding code
    "ketamine-mbrp.toml",  # the bundled template's file name
    "infusion",  # domain/blinding.py: generic words of administration
    "infusions",
    "infusion_visit",  # a protocol key: existing protocol files keep working
    "endpoints.infusion_visit",
}


def _docstrings(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                out.add(id(body[0].value))
    return out


def study_wording() -> list[str]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel.startswith("demo/"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _docstrings(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if id(node) in skip or node.value in ALLOWED:
                    continue
                if WORDS.search(node.value):
                    found.append(f"{rel}:{node.lineno}: {node.value[:70]!r}")
    return found


def test_the_scan_would_see_study_wording() -> None:
    assert WORDS.search("Abstinence over the last two weeks of treatment")
    assert WORDS.search("Study infusions")


def test_no_study_wording_in_the_code() -> None:
    found = study_wording()
    assert not found, "study wording belongs in the protocol file:\n" + "\n".join(found)
