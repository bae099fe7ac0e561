"""The code's shape (issue 14): no function longer than a screenful or two, no module a maze.

A long function hides its steps; these limits make a new one be split into named pieces that
read top to bottom. The open and closed report builders are recipes that list their sections.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "dmc_report"
MAX_FUNCTION_LINES = 120
MAX_MAIN_WINDOW_LINES = 400

MAX_BUILDER_LINES = 80  # a report builder lists its sections; the sections write the tables
BUILDERS = (("report/open_report.py", "build_open_report"),
            ("report/closed_report.py", "build_closed_report"))  # fmt: skip


def _function_lengths() -> list[tuple[str, str, int]]:
    """(file, function, lines) for every function and method under src/dmc_report."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno is not None
                found.append((rel, node.name, node.end_lineno - node.lineno + 1))
    return found


def test_the_scan_sees_the_code() -> None:
    names = {(f, n) for f, n, _ in _function_lengths()}
    assert ("pipeline.py", "load_study") in names
    assert len(names) > 300


def test_no_function_is_longer_than_the_limit() -> None:
    too_long = [
        f"{file}:{name}: {lines} lines"
        for file, name, lines in _function_lengths()
        if lines > MAX_FUNCTION_LINES
    ]
    assert not too_long, (
        f"functions longer than {MAX_FUNCTION_LINES} lines (split each into named steps):\n"
        + "\n".join(too_long)
    )


def test_the_report_builders_are_recipes() -> None:
    lengths = {(f, n): lines for f, n, lines in _function_lengths()}
    for builder in BUILDERS:
        assert lengths[builder] < MAX_BUILDER_LINES, f"{builder}: {lengths[builder]} lines"


def test_main_window_is_not_a_maze() -> None:
    path = SRC / "gui" / "main_window.py"
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines < MAX_MAIN_WINDOW_LINES, f"gui/main_window.py: {lines} lines"
