"""The figures' font subsets made from the per-process cut of the bundled fonts are the bytes
matplotlib's own subsetting makes (report/fontsubset.py): the PDFs do not change."""

from __future__ import annotations

import io

import pytest
from fontTools.ttLib import TTFont
from matplotlib.backends import _backend_pdf_ps as pdf_ps
from matplotlib.font_manager import FontPath

from dmc_report.report import fontsubset
from dmc_report.report.style import font_path

TEXTS = [
    "Number at risk 0123456789 Days since randomisation",
    "Observed Z = 2.31 at information fraction 0.500 \u2212\u2264\u2265\u00b1 \u03bcg/L \u03b1 = 0.025",
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz (),.%:;-/ \u2013\u2014 \u2022 \u2026 fi ffl",
    "S\u00e3o Paulo, K\u00f8benhavn, \u0141\u00f3d\u017a: \u00e9\u00e8\u00ea\u00eb \u00df \u20ac",
]


def _gids(path: str, text: str) -> set[int]:
    font = TTFont(path)
    cmap, order = font.getBestCmap(), font.getGlyphOrder()
    index = {name: i for i, name in enumerate(order)}
    return {index[cmap[ord(c)]] for c in text if ord(c) in cmap}


def _matplotlib_subset(path: str, gids: set[int]) -> tuple[bytes, dict[int, int]]:
    original = getattr(pdf_ps.get_glyphs_subset, "__wrapped__", pdf_ps.get_glyphs_subset)
    with original(FontPath(path, 0), gids) as made:
        return pdf_ps.font_as_file(made.font).getvalue(), dict(made.glyph_index_map)


@pytest.mark.parametrize("file", ["LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf"])
@pytest.mark.parametrize("text", TEXTS)
def test_a_subset_from_the_cut_is_matplotlibs_subset_byte_for_byte(file: str, text: str) -> None:
    path = font_path(file)
    gids = _gids(path, text)
    made = fontsubset.subset_from_cut(path, 0, gids)
    assert made is not None
    font, mapping = made
    expected, expected_mapping = _matplotlib_subset(path, gids)
    assert pdf_ps.font_as_file(font).getvalue() == expected
    assert dict(mapping) == expected_mapping


def test_a_glyph_outside_the_cut_goes_to_matplotlib() -> None:
    path = font_path()
    gids = _gids(path, "\u0416\u0438\u0437\u043d\u044c")  # Cyrillic: in the font, not in the cut
    assert gids
    assert fontsubset.subset_from_cut(path, 0, gids) is None
    assert fontsubset.install()
    with pdf_ps.get_glyphs_subset(FontPath(path, 0), gids) as made:
        got = pdf_ps.font_as_file(made.font).getvalue()
    assert got == _matplotlib_subset(path, gids)[0]


def test_install_routes_only_the_bundled_fonts_and_only_once() -> None:
    assert fontsubset.install()
    wrapper = pdf_ps.get_glyphs_subset
    assert fontsubset.install()
    assert pdf_ps.get_glyphs_subset is wrapper  # not wrapped twice
    assert fontsubset._bundled(font_path("LiberationSans-Bold.ttf"))
    assert not fontsubset._bundled("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def test_a_figure_pdf_is_the_same_with_and_without_the_cut() -> None:
    import matplotlib

    from dmc_report.report import figures

    figures._font()
    assert fontsubset.install()

    def draw() -> bytes:
        fig = figures._fig(8, 5)
        ax = fig.add_subplot()
        ax.plot([0, 1, 2], [0.2, 0.5, 0.4], label="Retention \u2265 80% \u03bc")
        ax.set_title("Kaplan\u2013Meier \u2212 \u0416\u0438\u0437\u043d\u044c", fontweight="bold")
        ax.legend()
        buf = io.BytesIO()
        with matplotlib.rc_context({"pdf.fonttype": 42}):
            fig.savefig(buf, format="pdf", metadata={"CreationDate": None})
        return buf.getvalue()

    with_cut = draw()
    wrapper = pdf_ps.get_glyphs_subset
    pdf_ps.get_glyphs_subset = wrapper.__wrapped__  # type: ignore[attr-defined]
    try:
        without = draw()
    finally:
        pdf_ps.get_glyphs_subset = wrapper
    assert with_cut == without


def _cut_characters(path: str) -> list[str]:
    cmap = TTFont(path).getBestCmap()
    return [chr(c) for lo, hi in fontsubset.BLOCKS for c in range(lo, hi + 1) if c in cmap]


@pytest.mark.parametrize("file", ["LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf"])
def test_any_text_within_the_cut_gives_matplotlibs_bytes(file: str) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as hs

    path = font_path(file)
    alphabet = _cut_characters(path)

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(hs.text(alphabet=alphabet, min_size=1, max_size=60))
    def check(text: str) -> None:
        gids = _gids(path, text)
        made = fontsubset.subset_from_cut(path, 0, gids)
        assert made is not None
        assert pdf_ps.font_as_file(made[0]).getvalue() == _matplotlib_subset(path, gids)[0]

    check()
