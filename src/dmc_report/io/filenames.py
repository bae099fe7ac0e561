"""File names made from text the user does not think of as a file name (a study id), valid on
Windows, macOS and Linux alike.

Windows refuses, or silently does something else with, names that POSIX systems accept: a ``/``
or ``\\`` makes a folder, a ``:`` an NTFS alternate data stream, ``CON`` or ``nul.pdf`` a device,
and a trailing dot or space is dropped (so ``a.`` and ``a`` are one file). A name made here holds
none of these, on every system, so a study moves between laptops with the same file names.
The length of the whole path is checked where the file is written
(:func:`dmc_report.io.output.check_writable`).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

# reserved device names, whatever their case and extension (COM¹..³, LPT¹..³ are devices too)
_DEVICES = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"{port}{n}" for port in ("COM", "LPT") for n in (*"123456789", "¹", "²", "³")}
)
# characters Windows does not allow in a name, and every control character
_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
# a study id's share of a report's name: the rest (kind, date, extension) is about 30 characters
MAX_PART_CHARS = 80


def is_reserved(name: str) -> bool:
    """Whether Windows takes ``name`` for a device (``CON``, ``con.pdf``, ``LPT1 .txt``)."""
    stem = name.split(".", 1)[0].rstrip(" ")
    return stem.upper() in _DEVICES


def safe_name(text: str, *, fallback: str = "study", max_chars: int = MAX_PART_CHARS) -> str:
    """``text`` as (part of) a file name valid everywhere.

    Each character Windows forbids (``<>:"/\\|?*``) and each control character becomes ``_``;
    spaces and dots at either end are dropped (trailing ones are dropped by Windows itself, a
    leading dot hides the file on macOS and Linux); a reserved device name gets a ``_`` after it;
    what is left is cut to ``max_chars`` characters. Nothing left gives ``fallback``.
    """
    name = unicodedata.normalize("NFC", text)
    name = _FORBIDDEN.sub("_", name)
    name = name.strip(" .")
    name = name[:max_chars].rstrip(" .")
    if not name:
        name = fallback
    if is_reserved(name):
        stem, dot, rest = name.partition(".")
        name = f"{stem.rstrip(' ')}_{dot}{rest}"
    return name


def report_file_name(study_id: str, kind: str, cutoff: dt.date, suffix: str) -> str:
    """``<study id>-<kind>-<cutoff><suffix>``, e.g. ``KETCOC-01-open-report-2016-12-14.pdf``, with
    the study id made safe as a file name (:func:`safe_name`)."""
    return f"{safe_name(study_id)}-{kind}-{cutoff.isoformat()}{suffix}"
