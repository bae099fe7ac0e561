"""The blinding guard: the open report's text and metadata must not name an arm.

Run on the finished PDF bytes before anything is written (report-contents.md, "Blinding rules").
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


class BlindingLeakError(Exception):
    """The open report would reveal an arm; nothing was written."""


@dataclass(frozen=True)
class Leak:
    page: int | None  # None: metadata
    what: str
    context: str


_ARM_WORDS = r"(?i:arm|group|treatment|trt|randomi[sz]ed\s+to|allocated\s+to)"


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def scan_pdf(
    pdf: bytes,
    arm_labels: Mapping[str, str] | None,
    *,
    allowed_phrases: Sequence[str] = (),
    extra_texts: Sequence[str] = (),
    metadata_pdf: bytes | None = None,
) -> list[Leak]:
    """Every place the PDF names an arm label (whole phrase, any case) or an arm code in an
    arm-like context ("Arm A", "Group B", "Treatment 2", "randomized to A"); a label is joined to
    its number by a comma or "n (%)" in the reports, so "end of treatment, n (%) 7" is no hit.

    ``allowed_phrases`` (the protocol's design text, which may name the treatments) are removed
    from each page's text before the scan: naming the study's treatments is not a leak, splitting
    a number by them is. ``extra_texts`` (the figures' texts) and the metadata of
    ``metadata_pdf`` (default ``pdf``) are scanned too. Without a key, a code is any capital.
    """
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    pages: list[tuple[int | None, str]] = [
        (i + 1, _norm(p.extract_text() or "")) for i, p in enumerate(reader.pages)
    ]
    meta = dict(PdfReader(io.BytesIO(metadata_pdf or pdf)).metadata or {})
    pages.append((None, _norm(" ".join(str(v) for v in meta.values()))))
    if extra_texts:
        pages.append((None, _norm(" | ".join(extra_texts))))
    allowed = [_norm(a) for a in allowed_phrases if a.strip()]
    labels = sorted(set((arm_labels or {}).values()), key=len, reverse=True)
    codes = sorted(set((arm_labels or {}).keys()), key=len, reverse=True)
    # codes match case-sensitively ("Arm A", not "arm a"); without a key, any capital letter
    code_re = "|".join(re.escape(c) for c in codes) if codes else r"[A-Z]"
    context = re.compile(rf"\b{_ARM_WORDS}\s*[:#\-]?\s*(?:{code_re})\b")
    leaks: list[Leak] = []
    for page, text in pages:
        for phrase in allowed:
            text = text.replace(phrase, " ")
        for label in labels:
            for m in re.finditer(rf"(?<!\w){re.escape(_norm(label))}(?!\w)", text, re.IGNORECASE):
                leaks.append(
                    Leak(page, f"arm label {label!r}", text[max(0, m.start() - 40) : m.end() + 40])
                )
        for m in context.finditer(text):
            leaks.append(
                Leak(
                    page,
                    f"arm code in context {m.group(0)!r}",
                    text[max(0, m.start() - 40) : m.end() + 40],
                )
            )
    return leaks


def assert_blinded(
    pdf: bytes,
    arm_labels: Mapping[str, str] | None,
    *,
    allowed_phrases: Sequence[str] = (),
    extra_texts: Sequence[str] = (),
    metadata_pdf: bytes | None = None,
) -> None:
    """Raise :class:`BlindingLeakError` if the report names an arm anywhere it was scanned."""
    leaks = scan_pdf(
        pdf,
        arm_labels,
        allowed_phrases=allowed_phrases,
        extra_texts=extra_texts,
        metadata_pdf=metadata_pdf,
    )
    if leaks:
        first = leaks[0]
        where = f"page {first.page}" if first.page else "the metadata or a figure"
        raise BlindingLeakError(
            f"the open report would reveal an arm ({first.what} on {where}: ...{first.context}...); "
            f"{len(leaks)} hit(s) in all. Nothing was written."
        )
