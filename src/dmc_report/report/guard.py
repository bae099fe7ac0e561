"""The blinding guard: the open report's text and metadata must not name an arm.

Run on the finished report before anything is written (report-contents.md, "Blinding rules"). It
is the last line of defence: free text from the data that names a treatment was already withheld
(:mod:`dmc_report.domain.blinding`), and the open report's builder has no arm to print. So the
guard looks for the tool's own arm vocabulary only, where it can mean an arm, and never fires on
ordinary words of the data ("Group B streptococcal infection", "Pain in arm"):

- the key's arm labels, whole, anywhere on the pages, in the figures and the metadata, except
  inside the protocol's own texts that may name the treatments (the study title, the design
  sentence), removed whole;
- the significant words of the arm labels ("Zorbacil" of "Zorbacil 20 mg") in the values printed
  from the data (an AE term the protocol's vocabulary did not withhold): only there, since the
  tool's own wording may use an ordinary word that a label also holds ("given", "early");
- an arm code in an arm-like context ("Arm A", "Group B", "Treatment 2", "randomized to A") in the
  text the tool generated (titles, headings, labels, notes, figure texts), each string on its own,
  never in a value taken from the data; and, with a key, a table column headed by an arm code.

A hit is unusable input (exit 2): nothing is written, and the message names the page and text.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from dmc_report.domain.blinding import TreatmentVocabulary, arm_vocabulary
from dmc_report.domain.errors import Location, UnusableInputError


class BlindingLeakError(UnusableInputError):
    """The open report would reveal an arm; nothing was written (exit 2).

    ``found`` is the text that matched (for locating it in the data); it does not cross a
    process boundary, so it is used where the error is raised.
    """

    def __init__(self, message: str, location: Location | None = None, found: str = "") -> None:
        super().__init__(message, location)
        self.found = found


@dataclass(frozen=True)
class Leak:
    page: int | None  # None: metadata, or a text not found on a page
    what: str
    context: str
    found: str = ""  # the text that matched, as written


_ARM_WORDS = r"(?i:arm|group|treatment|trt|randomi[sz]ed\s+to|allocated\s+to)"


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _context(text: str, m: re.Match[str]) -> str:
    return text[max(0, m.start() - 40) : m.end() + 40]


def scan_pdf(
    pdf: bytes,
    arm_labels: Mapping[str, str] | None,
    *,
    protocol_texts: Sequence[str] = (),
    generated_texts: Iterable[str] = (),
    data_texts: Iterable[str] = (),
    column_headings: Iterable[str] = (),
    metadata_pdf: bytes | None = None,
    page_texts: Sequence[str] | None = None,
) -> list[Leak]:
    """Every place the report names an arm (see the module's rules).

    Parameters
    ----------
    pdf
        The laid-out pages (their text is extracted).
    arm_labels
        The key's code -> label when a key is loaded; without one, only codes in context are
        looked for, and a code is any capital letter.
    protocol_texts
        The protocol's own texts that may name the treatments (title, design); each is removed
        whole from the page text before the label scan (a phrase elsewhere is still a hit).
    generated_texts
        The texts the tool generated (the report model's strings that are not values from the
        data, and the figures' texts), scanned one by one for codes in an arm-like context.
    data_texts
        The values from the data the report prints, scanned one by one for the labels' words.
    column_headings
        The tables' column headings: with a key, one that is an arm code is a hit.
    metadata_pdf
        The PDF whose metadata is scanned (default ``pdf``).
    page_texts
        Each page's text as the renderer drew it (:attr:`RenderedPdf.page_texts`): scanned
        instead of the text extracted from ``pdf``, whose pages are then only counted (the
        extraction cost seconds for a large report). A line drawn in fragments is there joined
        two ways (``render._page_text``), so a phrase on it may count as two hits.
    """
    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as doc:
        count = len(doc.pages)
    if page_texts is not None and len(page_texts) == count:
        pages: list[tuple[int | None, str]] = [(i + 1, _norm(t)) for i, t in enumerate(page_texts)]
    else:  # extracted: no drawn text was given, or it does not match the file's pages
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(pdf))
        pages = [(i + 1, _norm(p.extract_text() or "")) for i, p in enumerate(reader.pages)]
    with pikepdf.open(io.BytesIO(metadata_pdf or pdf)) as doc:  # the document information
        meta = [str(v) for v in doc.docinfo.values()]
    pages.append((None, _norm(" ".join(meta))))
    generated = [_norm(t) for t in generated_texts if t and t.strip()]
    leaks: list[Leak] = []
    if arm_labels:
        labels = TreatmentVocabulary(phrases=tuple(arm_labels.values()))
        allowed = sorted({_norm(t) for t in protocol_texts if t.strip()}, key=len, reverse=True)
        for page, text in [*pages, (None, " | ".join(generated))]:
            for phrase in allowed:
                text = text.replace(phrase, " ")
            for m in labels.pattern.finditer(text) if labels.pattern else ():
                leaks.append(Leak(page, f"arm label {m.group(0)!r}", _context(text, m), m.group(0)))
        words = arm_vocabulary(arm_labels.values())
        for text in (_norm(t) for t in data_texts if t and t.strip()):
            for m in words.pattern.finditer(text) if words.pattern else ():
                page = next((pg for pg, t in pages if pg is not None and text in t), None)
                leaks.append(
                    Leak(page, f"arm label word {m.group(0)!r}", _context(text, m), m.group(0))
                )
    codes = sorted(set((arm_labels or {}).keys()), key=len, reverse=True)
    for heading in column_headings:
        if _norm(heading) in codes:
            page = next((pg for pg, t in pages if pg is not None and _norm(heading) in t), None)
            leaks.append(Leak(page, f"a column headed by arm code {heading!r}", heading, heading))
    # codes match case-sensitively ("Arm A", not "arm a"); without a key, any capital letter
    code_re = "|".join(re.escape(c) for c in codes) if codes else r"[A-Z]"
    context = re.compile(rf"\b{_ARM_WORDS}\s*[:#\-]?\s*(?:{code_re})\b")
    for text in generated:
        for m in context.finditer(text):
            page = next((pg for pg, t in pages if pg is not None and text in t), None)
            leaks.append(
                Leak(page, f"arm code in context {m.group(0)!r}", _context(text, m), m.group(0))
            )
    return leaks


def assert_blinded(
    pdf: bytes,
    arm_labels: Mapping[str, str] | None,
    *,
    protocol_texts: Sequence[str] = (),
    generated_texts: Iterable[str] = (),
    data_texts: Iterable[str] = (),
    column_headings: Iterable[str] = (),
    metadata_pdf: bytes | None = None,
    page_texts: Sequence[str] | None = None,
) -> None:
    """Raise :class:`BlindingLeakError` if the report names an arm anywhere it was scanned."""
    leaks = scan_pdf(
        pdf,
        arm_labels,
        protocol_texts=protocol_texts,
        generated_texts=generated_texts,
        data_texts=data_texts,
        column_headings=column_headings,
        metadata_pdf=metadata_pdf,
        page_texts=page_texts,
    )
    if leaks:
        first = leaks[0]
        where = (
            f"page {first.page}"
            if first.page
            else "a value printed from the data"
            if first.what.startswith("arm label word")
            else "the metadata or a figure"
        )
        raise BlindingLeakError(
            f"the open report would reveal an arm ({first.what} on {where}: ...{first.context}...); "
            f"{len(leaks)} hit(s) in all. Nothing was written. If the text comes from the data, "
            "add the word to the protocol's [blinding] terms so that the open report withholds "
            "it (docs/reports.md, 'When the blinding scan stops a report').",
            Location(),
            found=first.found,
        )
