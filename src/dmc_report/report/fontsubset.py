"""Faster font subsets for the figures, byte for byte the subsets matplotlib makes itself.

Every figure is saved as its own PDF and embeds a subset of Liberation Sans holding the glyphs
it shows. matplotlib makes each subset from the whole font file: fontTools decompiles the
font's 2,620 glyphs and its layout tables (kerning, ligatures) again for every figure, 13 times
for the demo's two reports, about a sixth of their rendering time.

Here the bundled fonts are first cut down once per process to the scripts and symbols a report
can show (Latin, Greek, punctuation, currency, arrows, mathematical operators, geometric
shapes), keeping every glyph's number (``retain_gids``) and every table as it was. A figure's
subset is then made from that smaller font with matplotlib's own options: the glyphs, their
numbers, the layout closure and every table come out the same, four times faster.
``tests/unit/test_fontsubset.py`` checks the bytes against matplotlib's own subsets; a glyph the
smaller font lacks (a figure showing text in another script) and any font the tool does not
ship go to matplotlib's own function, untouched.
"""

from __future__ import annotations

import inspect
import io
import threading
from dataclasses import dataclass
from functools import cache
from typing import Any

# Code points kept in the per-process cut of each bundled font (Unicode blocks).
BLOCKS = (
    (0x0020, 0x024F),  # Basic Latin, Latin-1, Latin Extended-A and -B
    (0x0370, 0x03FF),  # Greek (alpha, beta, mu, ...)
    (0x2000, 0x206F),  # General Punctuation (dashes, quotes, bullet, ellipsis, per mille)
    (0x20A0, 0x20CF),  # Currency symbols
    (0x2100, 0x214F),  # Letterlike symbols
    (0x2190, 0x21FF),  # Arrows
    (0x2200, 0x22FF),  # Mathematical operators (minus sign, <=, >=, +-)
    (0x25A0, 0x25FF),  # Geometric shapes (legend markers)
)

_lock = threading.Lock()


@dataclass(frozen=True)
class _Cut:
    data: bytes  # the font cut to BLOCKS, glyph numbers kept
    gids: frozenset[int]  # the glyph numbers it still draws


def _options() -> Any:
    """matplotlib's own subsetting options (``_backend_pdf_ps.get_glyphs_subset``)."""
    from fontTools import subset

    options = subset.Options(glyph_names=True, recommended_glyphs=True)
    options.drop_tables += [
        "FFTM", "PfEd", "BDF", "meta", "MERG", "TSIV", "Zapf", "bdat", "bloc", "cidg", "fdsc",
        "feat", "fmtx", "fond", "just", "kerx", "ltag", "morx", "trak", "xref",
    ]  # fmt: skip
    return options


@cache
def _cut(path: str, face_index: int) -> _Cut:
    """The bundled font at ``path`` cut to :data:`BLOCKS`, glyph numbers and tables kept."""
    from fontTools import subset

    options = _options()
    options.font_number = face_index
    options.retain_gids = True
    with subset.load_font(path, options) as font:
        cmap = font.getBestCmap()
        subsetter = subset.Subsetter(options=options)
        subsetter.populate(
            unicodes=[c for lo, hi in BLOCKS for c in range(lo, hi + 1) if c in cmap]
        )
        subsetter.subset(font)
        buf = io.BytesIO()
        font.save(buf, reorderTables=False)
        index = {name: i for i, name in enumerate(font.getGlyphOrder())}
        kept = frozenset(index[name] for name in subsetter.glyphs_retained)
    return _Cut(buf.getvalue(), kept)


def _bundled(path: str) -> bool:
    from dmc_report.report.style import font_path

    return path in _bundled_paths(font_path())


@cache
def _bundled_paths(regular: str) -> frozenset[str]:
    from pathlib import Path

    return frozenset(str(p) for p in Path(regular).parent.glob("*.ttf"))


def subset_from_cut(path: str, face_index: int, gids: set[int]) -> Any:
    """(the subset font, old -> new glyph numbers), made from the cut font; None when the cut
    lacks a glyph asked for."""
    from fontTools import subset

    with _lock:  # the app draws figures on worker threads
        cut = _cut(path, face_index)
    if not gids <= cut.gids:
        return None
    options = _options()
    options.font_number = 0
    font = subset.load_font(io.BytesIO(cut.data), options)
    subsetter = subset.Subsetter(options=options)
    subsetter.populate(gids=gids)
    subsetter.subset(font)
    return font, subsetter.glyph_index_map


def install() -> bool:
    """Route matplotlib's subsetting of the bundled fonts through :func:`subset_from_cut`.
    Only for the matplotlib whose function takes glyph numbers (3.10 on); with any other
    signature nothing is changed. True when installed (or already)."""
    from matplotlib.backends import _backend_pdf_ps as pdf_ps

    original = pdf_ps.get_glyphs_subset
    if getattr(original, "_dmc_report", False):
        return True
    params = list(inspect.signature(original).parameters)
    if params != ["fontfile", "glyphs"] or not hasattr(pdf_ps, "SubsetResults"):
        return False

    def get_glyphs_subset(fontfile: Any, glyphs: Any) -> Any:
        path = str(fontfile)
        if _bundled(path):
            made = subset_from_cut(path, getattr(fontfile, "face_index", 0), set(glyphs))
            if made is not None:
                return pdf_ps.SubsetResults(*made)._as_cm()
        return original(fontfile, glyphs)

    get_glyphs_subset._dmc_report = True  # type: ignore[attr-defined]
    get_glyphs_subset.__wrapped__ = original  # type: ignore[attr-defined]
    pdf_ps.get_glyphs_subset = get_glyphs_subset
    return True
