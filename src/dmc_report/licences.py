"""What the application bundles, and under which licences: read from the installed packages.

``dmc-report`` runs on Python packages (and, through them, Qt and other native libraries). The
list is the closure of this package's runtime requirements, taken from each distribution's own
metadata (``License-Expression``, else the ``License ::`` classifiers, else ``License``), never
typed by hand. ``packaging/make_notices.py`` writes it, with each licence's text, into
``THIRD_PARTY_NOTICES.txt``; the About dialog shows the same list. A frozen app, whose package
metadata PyInstaller does not keep, reads the notices file bundled beside it.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path

from packaging.requirements import Requirement

SELF = "dmc-report"
NOTICES = "THIRD_PARTY_NOTICES.txt"

# Components inside the wheels that their Python metadata does not name on its own.
NATIVE = (
    (
        "Qt 6 (inside PySide6)",
        "LGPL-3.0-only",
        "Qt's libraries are dynamically linked shared libraries in the application folder and can "
        "be replaced by a user-built Qt of the same version. Qt's source code is at "
        "https://download.qt.io/official_releases/qt/ and, on request, from the distributor of "
        "this application for three years from its release.",
    ),
    (
        "Liberation Sans fonts (resources/fonts)",
        "OFL-1.1",
        "SIL Open Font License 1.1; the licence text is in resources/fonts/.",
    ),
    ("Python", "PSF-2.0", "The Python interpreter and standard library."),
)


@dataclass(frozen=True)
class Component:
    name: str
    version: str
    licence: str
    note: str = ""


def _field(md: metadata.PackageMetadata, key: str) -> str | None:
    values = md.get_all(key)  # None when absent (indexing a missing key is deprecated)
    return str(values[0]) if values else None


def _licence(md: metadata.PackageMetadata) -> str:
    expression = _field(md, "License-Expression")
    if expression:
        return str(expression)
    classifiers = [
        c.split("::")[-1].strip()
        for c in md.get_all("Classifier") or []
        if c.startswith("License ::") and c.strip() != "License :: OSI Approved"
    ]
    if classifiers:
        return " OR ".join(dict.fromkeys(classifiers))
    text = (_field(md, "License") or "").strip()
    first = text.splitlines()[0] if text else ""
    return first[:80] if first else "see the package's licence file"


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_closure(root: str = SELF) -> list[str]:
    """Distribution names that ``root`` needs at run time (no extras), sorted, without ``root``."""
    seen: dict[str, str] = {}
    todo = [root]
    while todo:
        name = todo.pop()
        key = _canonical(name)
        if key in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # an optional requirement for another platform
        seen[key] = dist.metadata["Name"]
        for spec in dist.requires or []:
            req = Requirement(spec)
            if req.marker is not None and not req.marker.evaluate({"extra": ""}):
                continue
            todo.append(req.name)
    seen.pop(_canonical(root), None)
    return sorted(seen.values(), key=str.lower)


def installed_components() -> list[Component]:
    """The bundled Python distributions (from their metadata) and the native components."""
    out: list[Component] = []
    for name in runtime_closure():
        md = metadata.metadata(name)
        out.append(Component(md["Name"], md["Version"], _licence(md)))
    out += [Component(n, "", lic, note) for n, lic, note in NATIVE]
    return out


def licence_file_texts(name: str) -> list[tuple[str, str]]:
    """The licence files a distribution ships (path, text)."""
    dist = metadata.distribution(name)
    texts = []
    for f in dist.files or []:
        base = f.name.upper()
        if (
            base.startswith(("LICENSE", "LICENCE", "COPYING", "NOTICE", "AUTHORS"))
            and ".dist-info" in str(f)
        ) or "/licenses/" in str(f).lower():
            try:
                path = Path(f.locate())
                texts.append((str(f), path.read_text(encoding="utf-8", errors="replace")))
            except (OSError, ValueError):
                continue
    return texts


def components() -> list[Component]:
    """What the running application bundles: from package metadata, or, when frozen (no
    metadata), from the notices file generated at build time."""
    if getattr(sys, "frozen", False):  # PyInstaller keeps almost no package metadata
        ref = resources.files("dmc_report._resources").joinpath(NOTICES)
        if ref.is_file():
            return parse_notices_index(ref.read_text(encoding="utf-8"))
    return installed_components()


def parse_notices_index(text: str) -> list[Component]:
    """The component lines of a THIRD_PARTY_NOTICES file's index."""
    out: list[Component] = []
    for line in text.splitlines():
        if line.startswith("=" * 10) and out:
            break
        if line.startswith("  - ") and line.count(" | ") == 2:
            name, version, licence = line[4:].split(" | ")
            out.append(Component(name, version, licence))
    return out


def notices_text(version: str) -> str:
    """THIRD_PARTY_NOTICES: an index of every bundled component, then each licence's text."""
    comps = installed_components()
    lines = [
        f"dmc-report {version}: third-party components and their licences",
        "",
        "Generated from the installed packages' metadata by packaging/make_notices.py;",
        "do not edit by hand.",
        "",
        "Index (name | version | licence):",
        *(f"  - {c.name} | {c.version} | {c.licence}" for c in comps),
        "",
    ]
    for c in comps:
        lines += ["=" * 78, f"{c.name} {c.version}".rstrip(), f"Licence: {c.licence}"]
        if c.note:
            lines += ["", c.note]
        if c.version:
            for path, text in licence_file_texts(c.name):
                lines += ["", f"--- {path} ---", text.rstrip()]
        lines.append("")
    return "\n".join(lines) + "\n"
