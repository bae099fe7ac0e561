"""The bundled components and their licences come from the installed packages' metadata."""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

import pytest
from PIL import Image

from dmc_report import licences
from dmc_report.licences import (
    installed_components,
    notices_text,
    parse_notices_index,
    runtime_closure,
)

ICONS = Path(__file__).resolve().parents[2] / "resources" / "icons"


def test_every_runtime_requirement_is_listed_with_a_licence() -> None:
    names = {n.lower().replace("_", "-") for n in runtime_closure()}
    # direct requirements and some of their own (found through the metadata, not typed)
    assert {
        "pandas",
        "numpy",
        "pyside6-essentials",
        "pyside6-addons",
        "shiboken6",
        "reportlab",
        "pikepdf",
    } <= names
    assert {"pytest", "mypy", "hypothesis", "dmc-report"}.isdisjoint(
        names
    )  # no dev tools, not itself
    comps = installed_components()
    assert all(c.licence for c in comps)
    qt = next(c for c in comps if c.name.startswith("Qt 6"))
    assert qt.licence.startswith("LGPL-3.0") and "source" in qt.note


def test_the_notices_file_round_trips_its_index_and_holds_licence_texts() -> None:
    text = notices_text("9.9.9")
    index = parse_notices_index(text)
    assert [(c.name, c.version) for c in index] == [
        (c.name, c.version) for c in installed_components()
    ]
    assert "Permission is hereby granted" in text  # an MIT licence text, copied from a package
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in text.upper()


def test_the_icons_are_generated_at_every_size() -> None:
    ico = Image.open(ICONS / "dmc-report.ico")
    assert {(16, 16), (32, 32), (48, 48), (256, 256)} <= set(ico.info["sizes"])
    icns = Image.open(ICONS / "dmc-report.icns")
    assert icns.size == (1024, 1024)
    for size in (16, 32, 256, 512):
        assert Image.open(ICONS / f"dmc-report-{size}.png").size == (size, size)


def test_a_frozen_app_reads_the_bundled_notices(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    folder = tmp_path / "res"
    folder.mkdir()
    (folder / licences.NOTICES).write_text(notices_text("1.0"), encoding="utf-8")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(resources, "files", lambda _pkg: folder)
    monkeypatch.setattr(licences, "installed_components", list)  # no metadata when frozen
    names = [c.name for c in licences.components()]
    assert "pandas" in names and any(n.startswith("Qt 6") for n in names)
