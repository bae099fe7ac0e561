"""What names a treatment, and what the open report shows in its place.

Free text in the export (adverse-event terms, disposition comments) and values quoted in findings
can name a treatment ("Agitation after ketamine dose"); printed next to a subject in the open
report, they reveal that subject's arm. The vocabulary that decides it comes from the protocol
alone (its ``treatments``, their significant words, and the ``[blinding] terms`` it lists), so
the open report is the same with and without the randomization key. The key's arm labels are a
second vocabulary, used only on the closed side (:func:`arm_vocabulary`).

Matching is case-insensitive on word boundaries (any character but a letter or digit):
"ketamine" matches "Ketamine-induced", "KETAMINE" and "KETAMINE_LEVEL", not "ketaminergic"; a
phrase matches across any run of white space.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from functools import cached_property

from dmc_report.domain.findings import CODES, Finding

WITHHELD_TEXT = "[text withheld: names a treatment]"
WITHHELD_VALUE = "[value withheld]"

# Words in a treatment's name that do not name it: units, routes, forms, schedules, filler.
GENERIC_WORDS = frozenset(
    [
        "mg",
        "kg",
        "mcg",
        "ug",
        "µg",
        "ml",
        "dl",
        "mmol",
        "iu",
        "units",
        "unit",
        "per",
        "dose",
        "doses",
        "dosed",
        "dosing",
        "single",
        "double",
        "daily",
        "once",
        "twice",
        "weekly",
        "day",
        "days",
        "hour",
        "hours",
        "minute",
        "minutes",
        "min",
        "iv",
        "im",
        "sc",
        "po",
        "oral",
        "orally",
        "intravenous",
        "intravenously",
        "intramuscular",
        "subcutaneous",
        "sublingual",
        "intranasal",
        "infusion",
        "infusions",
        "injection",
        "injections",
        "tablet",
        "tablets",
        "capsule",
        "capsules",
        "solution",
        "bolus",
        "drip",
        "arm",
        "group",
        "groups",
        "treatment",
        "treatments",
        "therapy",
        "control",
        "controls",
        "active",
        "standard",
        "usual",
        "care",
        "plus",
        "with",
        "and",
        "the",
        "for",
        "of",
        "to",
        "or",
        "in",
        "on",
        "at",
        "by",
        "low",
        "high",
        "dose-matched",
        "matched",
        "matching",
        "study",
        "drug",
        "drugs",
        "medication",
        "medications",
        "regimen",
    ]
)
MIN_WORD_LETTERS = 4  # a shorter word ("IV", "mg") is too common to mean a treatment


def significant_words(phrase: str) -> list[str]:
    """The words of a treatment's name that name it: "Ketamine 0.5 mg/kg IV" -> ["Ketamine"]."""
    words = re.findall(r"[^\W\d_][\w\-']*", phrase)
    return [
        w
        for w in words
        if sum(ch.isalpha() for ch in w) >= MIN_WORD_LETTERS and w.casefold() not in GENERIC_WORDS
    ]


@dataclass(frozen=True)
class TreatmentVocabulary:
    """Phrases and words that name a treatment; :meth:`names_treatment` tests a text."""

    phrases: tuple[str, ...] = ()
    words: tuple[str, ...] = ()

    @classmethod
    def of(cls, names: Iterable[str], terms: Iterable[str] = ()) -> TreatmentVocabulary:
        """From treatment names (each phrase, and its significant words) and further terms
        (brand names, abbreviations: each taken whole)."""
        phrases = sorted({n.strip() for n in names if n.strip()}, key=str.casefold)
        words = {w.casefold() for p in phrases for w in significant_words(p)}
        words |= {t.strip().casefold() for t in terms if t.strip()}
        return cls(tuple(phrases), tuple(sorted(words)))

    @cached_property
    def _alternatives(self) -> str:
        """Every phrase and word, longest first, a phrase matching across any white space."""
        return "|".join(
            r"\s+".join(re.escape(part) for part in text.split())
            for text in sorted({*self.phrases, *self.words}, key=len, reverse=True)
        )

    @cached_property
    def pattern(self) -> re.Pattern[str] | None:
        alternatives = self._alternatives
        if not alternatives:
            return None
        # bounded by anything but a letter or digit: "KETAMINE_LEVEL" names it, "ketaminergic"
        # does not
        return re.compile(rf"(?<![^\W_])(?:{alternatives})(?![^\W_])", re.IGNORECASE)

    @cached_property
    def candidates(self) -> str | None:
        """A looser pattern (no word boundaries) in the syntax Arrow's RE2 takes, to find the
        few cells worth testing with :meth:`names_treatment` in a large column."""
        return f"(?i)(?:{self._alternatives})" if self._alternatives else None

    @cached_property
    def _needles(self) -> tuple[str, ...]:
        """Substrings one of which any match must hold (a cheap test before the pattern)."""
        firsts = {p.split()[0].casefold() for p in self.phrases if p.split()}
        return tuple(sorted(firsts | set(self.words)))

    def first_match(self, text: str | None) -> str | None:
        """The first phrase or word of the vocabulary in ``text``, as written there."""
        if not text or self.pattern is None:
            return None
        folded = text.casefold()
        if not any(n in folded for n in self._needles):
            return None
        m = self.pattern.search(text)
        return m.group(0) if m else None

    def names_treatment(self, text: str | None) -> bool:
        return self.first_match(text) is not None

    def withhold(self, text: str) -> str:
        """``text``, or the withheld marker when it names a treatment."""
        return WITHHELD_TEXT if self.names_treatment(text) else text

    def __bool__(self) -> bool:
        return bool(self.phrases or self.words)

    def __reduce__(
        self,
    ) -> tuple[type[TreatmentVocabulary], tuple[tuple[str, ...], tuple[str, ...]]]:
        # the compiled pattern is a cache; rebuilt after crossing a process boundary
        return (type(self), (self.phrases, self.words))


def open_finding_message(
    f: Finding, vocabulary: TreatmentVocabulary, revealing_columns: Collection[str]
) -> str:
    """A finding's message as an open (pooled) view may print it: a message about a column
    whose values can reveal an arm (a dose) loses its quoted value, and one that names a
    treatment (an AE term quoted in it, a column header) is withheld; the location stays."""
    if f.code == "TREATMENT_NAME_IN_TEXT":
        return f.message  # written by the tool; never quotes the text
    if f.column and f.column.upper() in revealing_columns:
        meaning = CODES[f.code][1] if f.code in CODES else f.code
        return f"{meaning} {WITHHELD_VALUE}"
    return vocabulary.withhold(f.message)


def arm_vocabulary(labels: Iterable[str]) -> TreatmentVocabulary:
    """The key's arm labels as a vocabulary (closed side only: the open side never has it)."""
    return TreatmentVocabulary.of(labels)
