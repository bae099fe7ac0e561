"""The report model: what a report says, apart from how it looks.

Builders (:mod:`dmc_report.report.open_report`, :mod:`dmc_report.report.closed_report`) produce a
:class:`Report`; the renderer (:mod:`dmc_report.report.render`) maps it to reportlab flowables
with the styles of :mod:`dmc_report.report.style`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Cell = str | int | float | None


@dataclass(frozen=True)
class Text:
    text: str  # reportlab mini-markup (<b>, <i>) allowed; content is escaped by builders
    style: str = "body"


@dataclass(frozen=True)
class Table:
    title: str
    population: str  # e.g. "Randomized subjects (N = 55)"
    header: list[list[Cell]]  # one or more header rows
    rows: list[list[Cell]]
    footnotes: list[str] = field(default_factory=list)
    col_widths: list[float] | None = None  # relative widths; None = equal
    align: list[str] | None = None  # "L" | "R" | "C" per column
    landscape: bool = False
    number: int = 0  # assigned by the builder


@dataclass(frozen=True)
class Figure:
    title: str
    population: str
    draw: Callable[..., Any]  # returns a matplotlib Figure
    args: tuple[Any, ...] = ()
    footnotes: list[str] = field(default_factory=list)
    width_cm: float = 16.5
    height_cm: float = 9.5
    landscape: bool = False
    number: int = 0


@dataclass(frozen=True)
class PageBreak:
    pass


Block = Text | Table | Figure | PageBreak


@dataclass
class Section:
    title: str
    blocks: list[Block] = field(default_factory=list)
    subsections: list[Section] = field(default_factory=list)


@dataclass(frozen=True)
class TitlePage:
    heading: str  # "OPEN SESSION REPORT" ...
    study_title: str
    study_id: str
    lines: list[tuple[str, str]]  # label, value
    notice: str  # confidentiality note


@dataclass
class Report:
    kind: str  # "open" | "closed"
    study_id: str
    header: str  # running header text
    cutoff: str
    report_date: str
    title_page: TitlePage
    sections: list[Section]
    metadata_title: str
    metadata_subject: str
    watermark: str | None = None
    watermark_note: str | None = None  # a second, smaller line (a numbered copy's recipient)
    copy_id: str | None = None  # a numbered copy's identifier: document ID and metadata

    def tables(self) -> list[Table]:
        return [b for s in _walk(self.sections) for b in s.blocks if isinstance(b, Table)]

    def figures(self) -> list[Figure]:
        return [b for s in _walk(self.sections) for b in s.blocks if isinstance(b, Figure)]

    def header_texts(self) -> list[str]:
        """Every table's column headings."""
        return [str(c) for t in self.tables() for row in t.header for c in row if c is not None]

    def texts(self) -> list[str]:
        """Every string the report prints, each as one item (a table cell, a title, a note)."""
        tp = self.title_page
        out = [self.header, tp.heading, tp.study_title, tp.study_id, tp.notice]
        out += [x for line in tp.lines for x in line]
        for s in _walk(self.sections):
            out.append(s.title)
            for b in s.blocks:
                if isinstance(b, Text):
                    out.append(b.text)
                elif isinstance(b, Table):
                    out += [b.title, b.population, *b.footnotes]
                    out += [c for row in (*b.header, *b.rows) for c in row if isinstance(c, str)]
                elif isinstance(b, Figure):
                    out += [b.title, b.population, *b.footnotes]
        return out


def _walk(sections: list[Section]) -> list[Section]:
    out: list[Section] = []
    for s in sections:
        out.append(s)
        out += _walk(s.subsections)
    return out
