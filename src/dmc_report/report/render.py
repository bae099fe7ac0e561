"""Render a :class:`~dmc_report.report.model.Report` to PDF bytes with reportlab platypus.

Everything happens in memory: the caller decides what reaches the disk (the open report through
an atomic rename, the closed report only after encryption).
"""

from __future__ import annotations

import html
import io
from dataclasses import dataclass
from typing import Any

from dmc_report.report import style as st
from dmc_report.report.model import Block, Figure, PageBreak, Report, Section, Table, Text

PAGE_MARGIN_CM = 1.8
MAX_FIGURE_HEIGHT_CM = 21.0


CONFIDENTIAL = {
    "open": "Confidential: DMC open session",
    "closed": "Confidential: DMC closed session, members only",
}


def esc(text: object) -> str:
    """Escape text for reportlab's paragraph markup."""
    return html.escape(str(text), quote=False)


def figure_pdf(fig: Figure) -> tuple[bytes, list[str]]:
    """The figure drawn by its function, as a one-page vector PDF (fonts embedded, no dates),
    and every text it shows (titles, labels, ticks, legends), for the blinding scan."""
    import matplotlib
    from matplotlib.text import Text as MplText

    mpl_fig = fig.draw(*fig.args)
    buf = io.BytesIO()
    with matplotlib.rc_context({"pdf.fonttype": 42}):
        mpl_fig.savefig(  # transparent: the closed report's watermark shows through a figure
            buf,
            format="pdf",
            transparent=True,
            metadata={"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None},
        )
    texts = [t.get_text() for t in mpl_fig.findobj(MplText) if t.get_visible() and t.get_text()]
    return buf.getvalue(), texts


@dataclass(frozen=True)
class RenderedPdf:
    """The finished PDF, the same pages before the figures were laid in, the figures' own
    texts, and each page's text as the layout drew it (every string reportlab wrote, in order,
    a line break after each line; for the blinding scan, which so parses no PDF back)."""

    pdf: bytes
    layout_pdf: bytes
    figure_texts: tuple[str, ...]
    page_texts: tuple[str, ...] = ()


def _figure_slot(fig: Figure, slots: dict[int, tuple[int, float, float, float, float]]) -> Any:
    """A placeholder of the figure's size; after layout the vector figure is laid over it."""
    from reportlab.lib.units import cm
    from reportlab.platypus import Flowable

    class FigureSlot(Flowable):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.width = fig.width_cm * cm
            self.height = min(fig.height_cm, MAX_FIGURE_HEIGHT_CM) * cm  # the figure shrinks to fit

        def wrap(self, aw: float, ah: float) -> tuple[float, float]:
            return self.width, self.height

        def draw(self) -> None:
            x, y = self.canv.absolutePosition(0, 0)
            slots[fig.number] = (self.canv.getPageNumber(), x, y, self.width, self.height)

    return FigureSlot()


class _Doc:
    """A BaseDocTemplate with portrait and landscape pages, running header/footer, outline."""

    def __init__(self, report: Report, buf: io.BytesIO) -> None:
        from reportlab.lib.pagesizes import A4, landscape
        from reportlab.lib.units import cm
        from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate

        self.report = report
        m = PAGE_MARGIN_CM * cm
        outer = self

        class Doc(BaseDocTemplate):  # type: ignore[misc]
            def beforeDocument(self) -> None:
                outer.outline_seq = 0  # every pass numbers the outline alike, so the TOC settles

            def afterFlowable(self, flowable: Any) -> None:
                outer.after_flowable(self, flowable)

        self.doc = Doc(
            buf,
            pagesize=A4,
            leftMargin=m,
            rightMargin=m,
            topMargin=m + 0.4 * cm,
            bottomMargin=m + 0.2 * cm,
            title=report.metadata_title,
            subject=report.metadata_subject,
            author="dmc-report",
            creator="dmc-report",
            producer="dmc-report",
            invariant=1,
        )
        pw, ph = A4
        lw, lh = landscape(A4)
        portrait_frame = Frame(m, m + 0.2 * cm, pw - 2 * m, ph - 2 * m - 0.6 * cm, id="p")
        landscape_frame = Frame(m, m + 0.2 * cm, lw - 2 * m, lh - 2 * m - 0.6 * cm, id="l")
        self.width_portrait = pw - 2 * m
        self.width_landscape = lw - 2 * m
        self.doc.addPageTemplates(
            [
                PageTemplate(
                    id="title", frames=[portrait_frame], onPage=self.decorate_title, pagesize=A4
                ),
                PageTemplate(
                    id="portrait", frames=[portrait_frame], onPage=self.decorate, pagesize=A4
                ),
                PageTemplate(
                    id="landscape",
                    frames=[landscape_frame],
                    onPage=self.decorate,
                    pagesize=landscape(A4),
                ),
            ]
        )
        self.outline_seq = 0
        self.slots: dict[int, tuple[int, float, float, float, float]] = {}

    def after_flowable(self, doc: Any, flowable: Any) -> None:
        level = getattr(flowable, "_outline_level", None)
        if level is None:
            return
        text = flowable._outline_text
        self.outline_seq += 1
        key = f"s{self.outline_seq}"
        doc.canv.bookmarkPage(key)
        doc.canv.addOutlineEntry(text, key, level=level, closed=level > 0)
        doc.notify("TOCEntry", (level, text, doc.page, key))

    def _watermark(self, canv: Any) -> None:
        if not self.report.watermark:
            return
        from reportlab.lib.colors import Color

        w, h = canv._pagesize
        canv.saveState()
        canv.setFillColor(Color(0.69, 0.0, 0.13, alpha=0.09))
        canv.setFont(st.FONT_BOLD, 44)
        canv.translate(w / 2, h / 2)
        canv.rotate(40)
        canv.drawCentredString(0, 0, self.report.watermark)
        if self.report.watermark_note:
            canv.setFont(st.FONT_BOLD, 22)
            canv.drawCentredString(0, -36, self.report.watermark_note)
        canv.restoreState()

    def decorate_title(self, canv: Any, doc: Any) -> None:
        self._watermark(canv)
        self._footer(canv)

    def decorate(self, canv: Any, doc: Any) -> None:
        from reportlab.lib.colors import HexColor
        from reportlab.lib.units import cm

        self._watermark(canv)
        w, h = canv._pagesize
        m = PAGE_MARGIN_CM * cm
        canv.saveState()
        canv.setFont(st.FONT, 8)
        canv.setFillColor(HexColor(st.MUTED))
        canv.drawString(m, h - m + 0.1 * cm, self.report.study_id)
        if self.report.kind == "closed":
            canv.setFillColor(HexColor(st.CLOSED_MARK))
            canv.setFont(st.FONT_BOLD, 8)
        canv.drawRightString(w - m, h - m + 0.1 * cm, self.report.header)
        canv.setStrokeColor(HexColor(st.RULE))
        canv.setLineWidth(0.4)
        canv.line(m, h - m - 0.05 * cm, w - m, h - m - 0.05 * cm)
        canv.restoreState()
        self._footer(canv)

    def _footer(self, canv: Any) -> None:
        from reportlab.lib.colors import HexColor
        from reportlab.lib.units import cm

        w, _ = canv._pagesize
        m = PAGE_MARGIN_CM * cm
        canv.saveState()
        canv.setStrokeColor(HexColor(st.RULE))
        canv.setLineWidth(0.4)
        canv.line(m, m - 0.1 * cm, w - m, m - 0.1 * cm)
        canv.setFont(st.FONT, 8)
        canv.setFillColor(HexColor(st.MUTED))
        canv.drawString(
            m,
            m - 0.5 * cm,
            f"Data cutoff: {self.report.cutoff}    Report date: {self.report.report_date}",
        )
        # every page says what it is, should it be printed or passed on alone
        canv.drawCentredString(w / 2, m - 0.9 * cm, CONFIDENTIAL[self.report.kind])
        canv.restoreState()


def _numbered_canvas(kind: str, page_texts: list[str] | None = None) -> Any:
    """A canvas that writes "Page x of y" once the page count is known. With ``page_texts``,
    the last document saved leaves there the text of each of its pages as it was drawn."""
    from reportlab.lib.colors import HexColor
    from reportlab.lib.units import cm
    from reportlab.pdfgen import canvas, textobject

    serial = iter(range(1 << 62))

    class TextObject(textobject.PDFTextObject):  # type: ignore[misc]
        """Every string drawn passes here (paragraph lines and their fragments, drawString).
        A line starts with each text object, each line break (T*) and each move of the line."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._serial = next(serial)

        def _formatText(self, text: str) -> Any:
            c, where = self._canvas, (self._serial, self._y)
            if where != c._where:
                c._lines.append([])
                c._where = where
            c._lines[-1].append(text)
            return super()._formatText(text)

        def _textOut(self, text: str, TStar: int = 0) -> None:
            super()._textOut(text, TStar)
            if TStar:
                self._canvas._where = None

        def textLine(self, text: str = "") -> None:
            super().textLine(text)
            self._canvas._where = None

    class NumberedCanvas(canvas.Canvas):  # type: ignore[misc]
        """Pages are held until the end; so are their bookmarks: a destination made while a
        page is held would point at the page being written then (every bookmark and contents
        link went to page 1)."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self._lines: list[list[str]] = []
            self._where: tuple[int, float] | None = None
            super().__init__(*args, **kwargs)
            self._saved: list[dict[str, Any]] = []
            self._bookmarks: list[tuple[str, dict[str, Any]]] = []

        def beginText(self, x: float = 0, y: float = 0, direction: Any = None) -> Any:
            return TextObject(self, x, y, direction=direction)

        def bookmarkPage(self, key: str, **kw: Any) -> None:
            self._bookmarks.append((key, kw))

        def showPage(self) -> None:
            self._saved.append(dict(self.__dict__))
            self._bookmarks = []
            self._lines = []
            self._startPage()

        def save(self) -> None:
            total = len(self._saved)
            texts = []
            for state in self._saved:
                self.__dict__.update(state)
                for key, kw in state["_bookmarks"]:  # now this page is the one being written
                    super().bookmarkPage(key, **kw)
                w, _ = self._pagesize
                m = PAGE_MARGIN_CM * cm
                self.saveState()
                self.setFont(st.FONT, 8)
                self.setFillColor(HexColor(st.MUTED))
                self.drawRightString(w - m, m - 0.5 * cm, f"Page {self._pageNumber} of {total}")
                self.restoreState()
                texts.append(_page_text(self._lines))
                super().showPage()
            super().save()
            if page_texts is not None:
                page_texts[:] = texts

    return NumberedCanvas


def _page_text(lines: list[list[str]]) -> str:
    """A page's lines, one a line; a line's fragments joined as drawn and, where that reads
    otherwise, also joined by spaces (justified text draws its words apart), so that the
    blinding scan finds a phrase either way."""
    tight = "\n".join("".join(line) for line in lines)
    spaced = "\n".join(" ".join(line) for line in lines if len(line) > 1)
    return f"{tight}\n{spaced}" if spaced else tight


def _heading(text: str, level: int) -> Any:
    from reportlab.platypus import Paragraph

    text = _short(text, MAX_HEADING_CHARS)  # it is also a row of the contents' table
    p = Paragraph(esc(text), st.paragraph_styles()["h1" if level == 0 else "h2"])
    p._outline_level = level
    p._outline_text = text
    return p


CELL_PADDING = 9.0  # points of a cell's width that text cannot use (the table style's padding)
# No text from the data can make a cell taller than a page: a cell shows at most MAX_CELL_CHARS
# characters and MAX_CELL_HEIGHT points (a third of a landscape page, so a repeated header and a
# row always fit); longer text ends in an ellipsis and the table says so in a footnote.
MAX_CELL_CHARS = 300
MAX_CELL_HEIGHT = 150.0
ELLIPSIS = "\u2026"
CLIPPED_NOTE = (
    f"A cell ending in {ELLIPSIS} is shortened to fit the page; the full text is in the input "
    "workbook (findings: in the file written by validate --findings)."
)
# A column needs its longest word, but never more than MIN_COLUMN_CAP points (a longer word
# wraps) and never less than MIN_COLUMN_FLOOR (a few characters beside the padding). A table
# whose columns cannot all get that on the page is split into parts by columns, the first
# column repeated in each.
MIN_COLUMN_CAP = 40.0
MIN_COLUMN_FLOOR = CELL_PADDING + 10.0
MAX_HEADING_CHARS = 200


def _clip(
    text: str, font: str, width: float | None, measured: float | None = None
) -> tuple[str, bool]:
    """The text as a cell of ``width`` shows it: at most MAX_CELL_CHARS characters and, wrapped
    to the column, at most MAX_CELL_HEIGHT points; whether it was shortened. ``measured``: the
    text's width on one line, when the caller has it."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    clipped = len(text) > MAX_CELL_CHARS
    if clipped:
        text = text[: MAX_CELL_CHARS - 1].rstrip() + ELLIPSIS
        measured = None
    if width is None:
        return text, clipped
    usable = max(width - CELL_PADDING, 1.0)
    style = st.paragraph_styles()["cellhead" if font == st.FONT_BOLD else "cell"]
    lines = MAX_CELL_HEIGHT / style.leading
    # cheap bound first: wrapped, two consecutive lines hold more than a line's width of text,
    # so text of at most half the allowed lines' width takes at most one line more than allowed
    if (measured if measured is not None else stringWidth(text, font, 8)) <= usable * lines * 0.5:
        return text, clipped

    def height(t: str) -> float:
        from reportlab.platypus import Paragraph

        return float(Paragraph(esc(t), style).wrap(usable, 1e9)[1])

    if height(text) <= MAX_CELL_HEIGHT:
        return text, clipped
    lo, hi = 0, len(text)  # the longest prefix that fits, with its ellipsis
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if height(text[:mid].rstrip() + ELLIPSIS) <= MAX_CELL_HEIGHT:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + ELLIPSIS, True


def _cell(value: object, head: bool, width: float | None = None) -> Any:
    """A table cell: plain text when it fits its column on one line (fast to lay out), a
    wrapping paragraph otherwise."""
    return _cell_clipped(value, head, width)[0]


def _cell_clipped(
    value: object, head: bool, width: float | None = None, align: str = "L"
) -> tuple[Any, bool]:
    """The cell, and whether its text was shortened to fit (:func:`_clip`)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.platypus import Paragraph

    text = "" if value is None else str(value)
    font = st.FONT_BOLD if head else st.FONT
    measured = None
    if width is not None and len(text) <= MAX_CELL_CHARS:
        measured = stringWidth(text, font, 8)
        if "\n" not in text and measured <= width - CELL_PADDING:
            return text, False
    text, clipped = _clip(text, font, width, measured)
    styles = st.paragraph_styles()
    style = ("cellhead" if head else "cell") + ("_r" if align == "R" else "")
    return Paragraph(esc(text), styles[style]), clipped


def _min_widths(t: Table, ncol: int) -> list[float]:
    """Per column, the width its longest word needs, so that no word is broken mid-word
    ("RECOVERE/D"). Each distinct longest word is measured once (the findings listing has
    thousands of rows but few distinct words)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    mins = [0.0] * ncol
    for rows, font in ((t.header, st.FONT_BOLD), (t.rows, st.FONT)):
        longest: list[set[str]] = [set() for _ in range(ncol)]
        for row in rows:
            for j, v in enumerate(row):
                words = str(v)[:MAX_CELL_CHARS].split() if v is not None else []
                if words:
                    longest[j].add(max(words, key=len))
        for j, candidates in enumerate(longest):
            for word in candidates:
                mins[j] = max(mins[j], stringWidth(word, font, 8) + CELL_PADDING)
    return mins


def _fit_widths(widths: list[float], mins: list[float]) -> list[float]:
    """The given column widths, with each column widened to its minimum where the others have
    room to give (taken from them in proportion to their slack); as given when they have not."""
    short = [j for j, w in enumerate(widths) if w < mins[j]]
    need = sum(mins[j] - widths[j] for j in short)
    slack = {j: w - mins[j] for j, w in enumerate(widths) if j not in short and w > mins[j]}
    spare = sum(slack.values())
    if not short or spare < need:
        return widths
    return [
        mins[j] if j in short else w - need * slack.get(j, 0.0) / spare
        for j, w in enumerate(widths)
    ]


def _layout(rel: list[float], mins: list[float], width: float) -> list[float] | None:
    """Widths for columns of relative widths ``rel`` filling ``width``: each widened to its
    longest word where there is room, else at least to its need (:data:`MIN_COLUMN_CAP`);
    None when even that does not fit."""
    widths = [width * r / sum(rel) for r in rel]
    full = _fit_widths(widths, mins)
    needs = [max(MIN_COLUMN_FLOOR, min(m, MIN_COLUMN_CAP)) for m in mins]
    if all(w >= n - 1e-6 for w, n in zip(full, needs, strict=True)):
        return full
    fitted = _fit_widths(widths, needs)
    if all(w >= n - 1e-6 for w, n in zip(fitted, needs, strict=True)):
        return fitted
    return None


def _column_parts(
    rel: list[float], mins: list[float], width: float
) -> list[tuple[list[int], list[float]]]:
    """The table's columns as one or more parts that each fit ``width``: (column indices,
    widths). A table too wide for the page is split by columns into the fewest balanced parts,
    each repeating the first column."""
    whole = _layout(rel, mins, width)
    if whole is not None:
        return [(list(range(len(rel))), whole)]
    rest = list(range(1, len(rel)))
    for n_parts in range(2, len(rest) + 1):
        size = -(-len(rest) // n_parts)
        chunks = [[0, *rest[i : i + size]] for i in range(0, len(rest), size)]
        laid = [_layout([rel[j] for j in c], [mins[j] for j in c], width) for c in chunks]
        if all(w is not None for w in laid):
            return [(c, w) for c, w in zip(chunks, laid, strict=True) if w is not None]
    # unreachable while a page is wider than two columns' needs: one column beside the first
    return [([0, j], [width - MIN_COLUMN_CAP, MIN_COLUMN_CAP]) for j in rest]


def _table(t: Table, width: float) -> list[Any]:
    from reportlab.platypus import KeepTogether, Paragraph, Spacer

    styles = st.paragraph_styles()
    ncol = max(len(r) for r in [*t.header, *t.rows]) if (t.header or t.rows) else 1
    rel = list(t.col_widths or [1.0] * ncol)
    rel += [1.0] * (ncol - len(rel))
    align = list(t.align or [])
    mins = _min_widths(t, ncol)
    parts = _column_parts(rel[:ncol], mins, width)
    clipped = False

    def cells(rows: list[list[Any]], cols: list[int], widths: list[float], head: bool) -> Any:
        nonlocal clipped
        out = []
        for row in rows:
            line = []
            for j, w in zip(cols, widths, strict=True):
                a = align[j] if j < len(align) else "L"
                cell, cut = _cell_clipped(row[j] if j < len(row) else "", head, w, a)
                clipped = clipped or cut
                line.append(cell)
            out.append(line)
        return out

    body: list[Any] = []
    for i, (cols, widths) in enumerate(parts):
        data = cells(t.header, cols, widths, True) + cells(t.rows, cols, widths, False)
        if not t.rows:
            data.append([_cell("No data at this cutoff.", False)] + [""] * (len(cols) - 1))
        table = _continued_table(
            f"Table {t.number} (continued). {esc(_short(t.title))}",
            data, colWidths=widths, repeatRows=len(t.header), hAlign="LEFT",
        )  # fmt: skip
        part_align = [align[j] for j in cols if j < len(align)]  # cols ascend: stays in place
        table.setStyle(st.table_style(len(t.header), max(len(t.rows), 1), part_align))
        if not t.rows:  # the message spans the row instead of wrapping in the first column
            table.setStyle([("SPAN", (0, len(t.header)), (-1, len(t.header)))])
        more = " (continued)" if i else ""  # a part after the first: the same caption
        caption = [
            Paragraph(f"Table {t.number}{more}. {esc(_short(t.title))}", styles["caption"]),
            *([Paragraph(esc(_short(t.population)), styles["population"])] if i == 0 else []),
        ]
        head = KeepTogether([*caption, table]) if len(t.rows) <= 25 else None
        body += [head] if head else [*caption, table]
    footnotes = [*t.footnotes, *([CLIPPED_NOTE] if clipped else [])]
    notes = [Paragraph(esc(n), styles["note"]) for n in footnotes]
    return [*body, *notes, Spacer(1, 6)]


def _continued_table(caption: str, data: list[list[Any]], **kw: Any) -> Any:
    """A reportlab Table that, split across pages, repeats its heading rows and starts each
    later page with its caption marked "(continued)"."""
    from reportlab.platypus import Paragraph
    from reportlab.platypus import Table as RLTable

    class ContinuedTable(RLTable):  # type: ignore[misc]
        def split(self, aw: float, ah: float) -> list[Any]:
            parts: list[Any] = super().split(aw, ah)
            if len(parts) == 2:
                parts = self._no_lone_rows(parts, aw, ah)
            if len(parts) < 2:
                return parts
            style = st.paragraph_styles()["caption_continued"]
            out = [parts[0]]
            for part in parts[1:]:
                part.__class__ = ContinuedTable  # a later part may split again
                out += [Paragraph(caption, style), part]
            return out

        def _no_lone_rows(self, parts: list[Any], aw: float, ah: float) -> list[Any]:
            """No page holds fewer than MIN_SPLIT_ROWS of a split table's rows: a start that
            short moves the table to the next page, an end that short takes rows with it."""
            head = self.repeatRows if isinstance(self.repeatRows, int) else 0
            first = len(parts[0]._cellvalues) - head
            rest = len(parts[1]._cellvalues) - head
            # most of a frame free: the page is the table's own, split as it can
            fresh = ah >= FRESH_PAGE_FRACTION * _frame_height()
            if first < MIN_SPLIT_ROWS:
                return parts if fresh else []
            if rest >= MIN_SPLIT_ROWS:
                return parts
            keep = first - (MIN_SPLIT_ROWS - rest)
            if keep < MIN_SPLIT_ROWS:
                return parts if fresh else []
            shorter = sum(self._rowHeights[: head + keep]) + 0.01
            moved: list[Any] = super().split(aw, shorter)
            return moved if len(moved) == 2 else parts

    return ContinuedTable(data, **kw)


MIN_SPLIT_ROWS = 3  # rows of a split table on each page, at the least
# more than this share of a frame's height free: the page is the table's own
FRESH_PAGE_FRACTION = 0.6


def _frame_height() -> float:
    """The shorter frame's height (landscape), in points."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import cm

    return float(A4[0] - 2 * PAGE_MARGIN_CM * cm - 0.6 * cm)


def _short(text: str, limit: int = 4 * MAX_CELL_CHARS) -> str:
    """A caption or heading from the data, cut with an ellipsis where it would run for lines."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS


def _figure(f: Figure, doc: _Doc) -> list[Any]:
    from reportlab.platypus import KeepTogether, Paragraph, Spacer

    styles = st.paragraph_styles()
    parts = [
        Paragraph(f"Figure {f.number}. {esc(f.title)}", styles["caption"]),
        Paragraph(esc(f.population), styles["population"]),
        _figure_slot(f, doc.slots),
        *[Paragraph(esc(n), styles["note"]) for n in f.footnotes],
        Spacer(1, 6),
    ]
    return [KeepTogether(parts)]


def _blocks(blocks: list[Block], doc: _Doc) -> list[Any]:
    from reportlab.platypus import NextPageTemplate, Paragraph
    from reportlab.platypus import PageBreak as RLPageBreak

    styles = st.paragraph_styles()
    out: list[Any] = []
    for b in blocks:
        if isinstance(b, Text):
            out.append(Paragraph(b.text, styles[b.style]))
        elif isinstance(b, PageBreak):
            out.append(RLPageBreak())
        elif isinstance(b, Table):
            if b.landscape:
                out += [NextPageTemplate("landscape"), RLPageBreak()]
                out += _table(b, doc.width_landscape)
                out += [NextPageTemplate("portrait"), RLPageBreak()]
            else:
                out += _table(b, doc.width_portrait)
        elif isinstance(b, Figure):
            out += _figure(b, doc)
    return out


def _section(s: Section, doc: _Doc, level: int) -> list[Any]:
    out = [_heading(s.title, level), *_blocks(s.blocks, doc)]
    for sub in s.subsections:
        out += _section(sub, doc, level + 1)
    return out


def render_pdf(report: Report) -> RenderedPdf:
    """The report as PDF bytes (deterministic for the same report)."""
    from reportlab import rl_config
    from reportlab.lib.units import cm
    from reportlab.platypus import CondPageBreak, NextPageTemplate, PageBreak, Paragraph, Spacer
    from reportlab.platypus.tableofcontents import TableOfContents

    rl_config.invariant = 1
    st.register_fonts()
    # a canvas starts each page in its base font: ours, or the PDF names Helvetica, unembedded
    rl_config.canvas_basefontname = st.FONT
    styles = st.paragraph_styles()
    buf = io.BytesIO()
    doc = _Doc(report, buf)
    tp = report.title_page
    story: list[Any] = [
        Spacer(1, 3.2 * cm),
        Paragraph(esc(tp.heading), styles["banner"]),
        Paragraph(esc(tp.study_title), styles["title"]),
        Paragraph(esc(tp.study_id), styles["subtitle"]),
        Spacer(1, 1.2 * cm),
    ]
    from reportlab.platypus import Table as RLTable

    rows = [[_cell(k, True, 5 * cm), _cell(v, False, 9.5 * cm)] for k, v in tp.lines]
    info = RLTable(rows, colWidths=[5 * cm, 9.5 * cm], hAlign="CENTER")
    info.setStyle(st.table_style(0, len(rows), ["L", "L"]))
    story += [info, Spacer(1, 1.5 * cm), Paragraph(esc(tp.notice), styles["notice"])]
    story += [NextPageTemplate("portrait"), PageBreak()]
    toc = TableOfContents()
    toc.levelStyles = [styles["toc1"], styles["toc2"]]
    # its table's own font is Helvetica unless told otherwise (a font the PDF would not embed)
    toc.tableStyle = [
        ("FONTNAME", (0, 0), (-1, -1), st.FONT),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
    ]
    story += [Paragraph("Contents", styles["h1"]), toc, PageBreak()]
    for i, s in enumerate(report.sections):
        if i:  # a section starts a page, but a few lines of text follow on where there is room
            text_only = all(isinstance(b, Text) for b in s.blocks) and not s.subsections
            story.append(CondPageBreak(8 * cm) if text_only else PageBreak())
        story += _section(s, doc, 0)
    while story and isinstance(story[-1], (PageBreak, NextPageTemplate, Spacer)):
        story.pop()  # a landscape table at the very end left a blank page after it
    page_texts: list[str] = []
    doc.doc.multiBuild(story, canvasmaker=_numbered_canvas(report.kind, page_texts))
    layout = buf.getvalue()
    pdf, texts = _overlay_figures(layout, report, doc.slots)
    return RenderedPdf(pdf, layout, tuple(texts), tuple(page_texts))


def _overlay_figures(
    pdf: bytes, report: Report, slots: dict[int, tuple[int, float, float, float, float]]
) -> tuple[bytes, list[str]]:
    """Lay each figure, as vector graphics, over the place the layout kept for it."""
    import pikepdf

    figures = {f.number: f for f in report.figures()}
    target = pikepdf.open(io.BytesIO(pdf))
    texts: list[str] = []
    with target:
        for number, (page, x, y, w, h) in sorted(slots.items()):
            drawn, words = figure_pdf(figures[number])
            texts += words
            source = pikepdf.open(io.BytesIO(drawn))
            # add_overlay would name the XObject at random; a fixed name keeps the bytes stable
            formx = target.copy_foreign(source.pages[0].as_form_xobject())
            pg = target.pages[page - 1]
            name = pg.add_resource(formx, pikepdf.Name.XObject, pikepdf.Name(f"/Figure{number}"))
            place = pg.calc_form_xobject_placement(
                formx, name, pikepdf.Rectangle(x, y, x + w, y + h)
            )
            pg.contents_add(pikepdf.Stream(target, b"q\n" + bytes(place) + b"\nQ\n"), prepend=False)
        out = io.BytesIO()
        target.save(out, deterministic_id=True)
    return out.getvalue(), texts


class Beside:
    """``fn(progress)`` run in a forked child process while the caller goes on (the open and
    closed reports render at the same time on two cores); :meth:`result` waits for it.

    Where fork is not the platform's way (Windows, macOS) or there is one core, ``fn`` runs in
    :meth:`result`, in this process, with ``progress``. The child's ``progress`` only says "cancelled" once its
    parent has gone (a cancelled app job terminates the report process; its child stops at its
    next checkpoint instead of rendering on). An exception raised in the child is raised again
    here with its attributes (its class, arguments and fields; not its traceback).
    """

    def __init__(self, fn: Any, progress: Any) -> None:
        import os
        import sys

        self._fn, self._progress = fn, progress
        self._pid: int | None = None
        serial = os.environ.get("DMC_REPORT_SERIAL_RENDER") == "1"  # for benchmarks
        if serial or not sys.platform.startswith("linux") or (os.cpu_count() or 1) < 2:
            return
        read, write = os.pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child (coverage does not follow a fork)
            os.close(read)
            try:
                payload = _payload(fn, parent)
                with os.fdopen(write, "wb") as out:
                    out.write(payload)
            finally:
                os._exit(0)  # no atexit handlers, no second flush of the parent's buffers
        os.close(write)
        self._pid, self._read = pid, read

    def result(self) -> Any:
        import os
        import pickle

        if self._pid is None:
            return self._fn(self._progress)
        with os.fdopen(self._read, "rb") as f:
            data = f.read()
        os.waitpid(self._pid, 0)
        self._pid = None
        if not data:
            raise RuntimeError("the report renderer's child process stopped without a result")
        ok, value = pickle.loads(data)
        if ok:
            return value
        cls, args, fields = value
        exc = cls.__new__(cls)
        exc.args = args
        exc.__dict__.update(fields)
        raise exc

    def cancel(self) -> None:
        """Stop the child (the caller failed: its result is not wanted)."""
        import os
        import signal

        if self._pid is not None:
            os.kill(self._pid, signal.SIGKILL)
            os.waitpid(self._pid, 0)
            os.close(self._read)
            self._pid = None


class _Orphaned:
    """The forked child's progress: nobody to tell; cancelled once the parent is gone."""

    def __init__(self, parent: int) -> None:
        self.parent = parent

    def update(self, fraction: float, message: str) -> None:
        pass

    def cancelled(self) -> bool:
        import os

        return os.getppid() != self.parent


def _payload(fn: Any, parent: int) -> bytes:  # pragma: no cover - the child
    import pickle

    try:
        return pickle.dumps((True, fn(_Orphaned(parent))))
    except BaseException as exc:  # sent to the parent, raised there
        try:
            return pickle.dumps((False, (type(exc), exc.args, dict(exc.__dict__))))
        except Exception:
            return pickle.dumps((False, (RuntimeError, (f"{type(exc).__name__}: {exc}",), {})))


def warm_up() -> None:
    """Load now what rendering a report loads on first use (reportlab, matplotlib's PDF output,
    pikepdf, the fonts and their cuts), by drawing a small figure with both weights: for a
    renderer process started ahead of its work."""
    import matplotlib
    import pikepdf  # noqa: F401 - loaded for the figures' overlay and the encryption
    from reportlab.platypus import Paragraph  # noqa: F401 - loaded for the layout

    from dmc_report.report import figures

    st.register_fonts()
    fig = figures._fig(4, 3)
    ax = fig.add_subplot()
    ax.set_title("Warm-up 0123456789", fontweight="bold")
    ax.plot([0, 1], [0, 1], label="Warm-up")
    ax.legend()
    with matplotlib.rc_context({"pdf.fonttype": 42}):
        fig.savefig(io.BytesIO(), format="pdf")
