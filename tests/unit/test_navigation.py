"""Bookmarks and contents links land on their section's page, in both reports (a user clicks
them; last wave every one pointed at page 1 and no test noticed)."""

from __future__ import annotations

import io
import re
from typing import Any

import pikepdf
import pytest
from pypdf import PdfReader

from dmc_report.demo.writer import DEMO_PASSWORD, DemoFiles
from dmc_report.domain.settings import ReportSettings
from dmc_report.pipeline import load_study, render_report_bytes, run_analysis, run_validation


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def _named(pdf: pikepdf.Pdf) -> dict[str, Any]:
    """Named destinations (/Dests dictionary or /Names /Dests name tree)."""
    root = pdf.Root
    out: dict[str, Any] = {}
    if "/Dests" in root:
        for k, v in root.Dests.items():
            out[str(k).lstrip("/")] = v
    if "/Names" in root and "/Dests" in root.Names:
        tree = pikepdf.NameTree(root.Names.Dests)
        for k, v in tree.items():
            out[str(k)] = v
    return out


def _page_of(pdf: pikepdf.Pdf, dest: Any, named: dict[str, Any]) -> int:
    if isinstance(dest, pikepdf.String | pikepdf.Name | str):
        dest = named[str(dest).lstrip("/")]
    if isinstance(dest, pikepdf.Dictionary):
        dest = dest.D
    pages = {p.objgen: i + 1 for i, p in enumerate(pdf.pages)}
    return pages[dest[0].objgen]


def _check(pdf_bytes: bytes) -> int:
    pdf = pikepdf.open(io.BytesIO(pdf_bytes))
    named = _named(pdf)
    texts = [_norm(p.extract_text() or "") for p in PdfReader(io.BytesIO(pdf_bytes)).pages]
    outline: list[tuple[str, int]] = []
    with pdf.open_outline() as ol:
        stack = list(ol.root)
        while stack:
            item = stack.pop(0)
            dest = item.destination if item.destination is not None else item.action.D
            outline.append((item.title, _page_of(pdf, dest, named)))
            stack += list(item.children)
    assert len(outline) >= 8
    for title, page in outline:
        assert _norm(title)[:40] in texts[page - 1], (title, page)
    assert len({p for _, p in outline}) > len(outline) // 2  # not all on one page
    # the contents page's links go where the bookmarks go
    links = []
    for annot in pdf.pages[1].get("/Annots", []):
        if annot.get("/Subtype") == "/Link":
            dest = annot.get("/Dest") or annot.A.get("/D")
            links.append(_page_of(pdf, dest, named))
    assert links, "the contents page has no links"
    assert set(links) <= {p for _, p in outline}
    return len(outline)


@pytest.fixture(scope="module")
def reports(demo: DemoFiles) -> tuple[bytes, bytes]:
    loaded = load_study(
        demo.protocol, demo.data, key=demo.key, key_password=DEMO_PASSWORD, cutoff=demo.cutoff
    )
    v = run_validation(loaded)
    r = run_analysis(loaded, v)
    out = render_report_bytes(
        loaded, v, r, ReportSettings(report_date=demo.cutoff), closed=True,
        closed_password=DEMO_PASSWORD,
    )  # fmt: skip
    assert out.closed is not None
    with pikepdf.open(io.BytesIO(out.closed), password=DEMO_PASSWORD) as doc:
        plain = io.BytesIO()
        doc.save(plain)
    return out.open, plain.getvalue()


def test_open_report_bookmarks_and_contents_links_land_on_their_section(
    reports: tuple[bytes, bytes],
) -> None:
    _check(reports[0])


def test_closed_report_bookmarks_and_contents_links_land_on_their_section(
    reports: tuple[bytes, bytes],
) -> None:
    _check(reports[1])


def test_a_km_figure_draws_the_median_the_table_prints() -> None:
    """A curve flat at 0.5 from day 10 to 16: the SAP's (R's) median is 13, and so is the line."""
    import numpy as np

    from dmc_report.analysis.summaries import km
    from dmc_report.report.figures import km_figure

    times, events = np.array([10.0, 10.0, 16.0, 20.0]), np.array([True, True, True, False])
    curve = km(times, events)  # what the table prints (fmt.median_ci) and the figure draws
    table = curve.median_days
    assert table == 13.0
    fig = km_figure([("All", curve)], "Retained")
    dotted = [ln for ln in fig.axes[0].get_lines() if ln.get_linestyle() == ":"]
    assert [float(ln.get_xdata()[1]) for ln in dotted] == [table]
