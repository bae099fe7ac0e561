"""Every visual choice of the reports in one place: fonts, colours, paragraph and table styles."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

FONT = "LiberationSans"
FONT_BOLD = "LiberationSans-Bold"
FONT_ITALIC = "LiberationSans-Italic"
FONT_BOLD_ITALIC = "LiberationSans-BoldItalic"

# Okabe-Ito: distinguishable with the common colour-vision deficiencies; paired with line styles
# and markers so that greyscale prints still read.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]
LINESTYLES = ["-", "--", "-.", ":"]
MARKERS = ["o", "s", "^", "D"]
INK = "#1A1A1A"
MUTED = "#5A5A5A"
RULE = "#8C8C8C"
HEADER_FILL = "#E3E8EF"
STRIPE_FILL = "#F6F7F9"
CLOSED_MARK = "#B00020"


@cache
def register_fonts() -> None:
    """Register the bundled TTF family with reportlab (embedded, subset, in every PDF)."""
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    folder = resources.files("dmc_report._resources").joinpath("fonts")
    for name, file in (
        (FONT, "LiberationSans-Regular.ttf"),
        (FONT_BOLD, "LiberationSans-Bold.ttf"),
        (FONT_ITALIC, "LiberationSans-Italic.ttf"),
        (FONT_BOLD_ITALIC, "LiberationSans-BoldItalic.ttf"),
    ):
        with resources.as_file(folder.joinpath(file)) as path:
            pdfmetrics.registerFont(TTFont(name, str(path)))
    addMapping(FONT, 0, 0, FONT)
    addMapping(FONT, 1, 0, FONT_BOLD)
    addMapping(FONT, 0, 1, FONT_ITALIC)
    addMapping(FONT, 1, 1, FONT_BOLD_ITALIC)


def font_path(file: str = "LiberationSans-Regular.ttf") -> str:
    """Path of a bundled font file (for matplotlib)."""
    ref = resources.files("dmc_report._resources").joinpath("fonts", file)
    return str(ref)


@cache
def paragraph_styles() -> dict[str, Any]:
    from reportlab.lib.colors import HexColor
    from reportlab.lib.enums import TA_CENTER, TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle

    register_fonts()
    ink = HexColor(INK)
    base = ParagraphStyle(
        "body", fontName=FONT, fontSize=9.5, leading=12.5, textColor=ink, spaceAfter=4
    )
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10),
        "note": ParagraphStyle(
            "note", parent=base, fontSize=7.5, leading=9.5, textColor=HexColor(MUTED), spaceAfter=1
        ),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=9.6, spaceAfter=0),
        "cellhead": ParagraphStyle(
            "cellhead", parent=base, fontName=FONT_BOLD, fontSize=8, leading=9.6, spaceAfter=0
        ),
        # a numeric column's cells and heading, right-aligned with its numbers
        "cell_r": ParagraphStyle(
            "cell_r", parent=base, fontSize=8, leading=9.6, spaceAfter=0, alignment=TA_RIGHT
        ),
        "cellhead_r": ParagraphStyle(
            "cellhead_r",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=8,
            leading=9.6,
            spaceAfter=0,
            alignment=TA_RIGHT,
        ),
        "h1": ParagraphStyle(
            "h1",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=14,
            leading=18,
            spaceBefore=6,
            spaceAfter=8,
        ),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=11,
            leading=14,
            spaceBefore=8,
            spaceAfter=5,
        ),
        "caption": ParagraphStyle(
            "caption",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=9,
            leading=11.5,
            spaceBefore=8,
            spaceAfter=1,
        ),
        # the caption repeated above a table's part on a later page: kept with that part
        "caption_continued": ParagraphStyle(
            "caption_continued",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=9,
            leading=11.5,
            spaceBefore=0,
            spaceAfter=2,
            keepWithNext=1,
        ),
        "population": ParagraphStyle(
            "population",
            parent=base,
            fontSize=8,
            leading=10,
            textColor=HexColor(MUTED),
            spaceAfter=4,
        ),
        "title": ParagraphStyle(
            "title",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=20,
            leading=25,
            alignment=TA_CENTER,
            spaceAfter=10,
        ),
        "subtitle": ParagraphStyle(
            "subtitle", parent=base, fontSize=12, leading=16, alignment=TA_CENTER, spaceAfter=6
        ),
        "banner": ParagraphStyle(
            "banner",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=13,
            leading=17,
            alignment=TA_CENTER,
            spaceAfter=14,
        ),
        "notice": ParagraphStyle(
            "notice",
            parent=base,
            fontSize=8.5,
            leading=11,
            textColor=HexColor(MUTED),
            alignment=TA_CENTER,
        ),
        "toc1": ParagraphStyle("toc1", parent=base, fontSize=10, leading=14, leftIndent=8),
        "toc2": ParagraphStyle("toc2", parent=base, fontSize=9, leading=12, leftIndent=24),
    }


def table_style(n_header: int, n_rows: int, align: list[str] | None) -> Any:
    from reportlab.lib.colors import HexColor
    from reportlab.platypus import TableStyle

    cmds: list[tuple[Any, ...]] = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TEXTCOLOR", (0, 0), (-1, -1), HexColor(INK)),
        ("BACKGROUND", (0, 0), (-1, n_header - 1), HexColor(HEADER_FILL)),
        ("LINEABOVE", (0, 0), (-1, 0), 0.8, HexColor(RULE)),
        ("LINEBELOW", (0, n_header - 1), (-1, n_header - 1), 0.6, HexColor(RULE)),
        ("LINEBELOW", (0, -1), (-1, -1), 0.8, HexColor(RULE)),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ]
    if n_header:
        cmds.append(("FONTNAME", (0, 0), (-1, n_header - 1), FONT_BOLD))
    for r in range(n_header, n_header + n_rows):
        if (r - n_header) % 2 == 1:
            cmds.append(("BACKGROUND", (0, r), (-1, r), HexColor(STRIPE_FILL)))
    for j, a in enumerate(align or []):  # headings too: a number sits under its heading
        cmds.append(("ALIGN", (j, 0), (j, -1), {"L": "LEFT", "R": "RIGHT", "C": "CENTER"}[a]))
    return TableStyle(cmds)
