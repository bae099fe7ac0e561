"""Trim a Linux bundle: drop the shared libraries nothing links, strip the rest safely.

PyInstaller collects a binary's dependencies before the spec removes the binary (the GTK theme
plugin brings GTK, cairo and pango; the embedded-device platform plugins bring their EGL support
libraries), so after the spec's own filter some top-level libraries are referenced by nothing.
This module follows DT_NEEDED (read with ``readelf``, from binutils, which PyInstaller's strip
step needs too) from every binary that stays, and keeps the top-level libraries reached.
libpython is kept always: the bootloader loads it with dlopen, not through DT_NEEDED.

Stripping: wheels and Debian ship many libraries with symbol tables (libpython with its debug
information), 84 MB of the bundle. But a library that auditwheel rewrote with patchelf (numpy's
and SciPy's OpenBLAS, for one) can come out of ``strip`` with a loadable segment whose file
offset and address disagree modulo the page size, which the loader refuses ("ELF load command
address/offset not page-aligned"). So each library is stripped into a copy, the copy's program
headers are checked, and the original is kept where the check fails.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

_NEEDED = re.compile(r"\(NEEDED\)\s+Shared library: \[(.+?)\]")

Entry = tuple[str, str, str]  # (destination name, source path, type code)


def needed(path: str) -> set[str]:
    out = subprocess.run(["readelf", "-d", path], capture_output=True, text=True, check=False)
    return set(_NEEDED.findall(out.stdout))


def _is_root(dest: str) -> bool:
    """A binary loaded for its own sake: anything below a package folder, an extension
    module, or libpython."""
    name = dest.rsplit("/", 1)[-1]
    return "/" in dest or ".cpython-" in name or ".abi3." in name or name.startswith("libpython")


def unreferenced(binaries: Iterable[Entry]) -> set[str]:
    """Destination names of top-level libraries that no kept binary needs, directly or not."""
    entries = [b for b in binaries if b[2] in ("BINARY", "EXTENSION")]
    deps = {dest: needed(src) for dest, src, _ in entries}
    top = {dest for dest in deps if not _is_root(dest)}
    reached: set[str] = set()
    todo = [d for dest, ds in deps.items() if _is_root(dest) for d in ds]
    while todo:
        name = todo.pop()
        if name in reached:
            continue
        reached.add(name)
        todo.extend(deps.get(name, ()))
    return top - reached


def _loadable(path: Path) -> bool:
    """Every PT_LOAD segment's offset and address agree modulo its alignment."""
    out = subprocess.run(["readelf", "-lW", str(path)], capture_output=True, text=True)
    loads = [line.split() for line in out.stdout.splitlines() if line.strip().startswith("LOAD")]
    if out.returncode != 0 or not loads:
        return False
    for cols in loads:
        offset, vaddr, align = int(cols[1], 16), int(cols[2], 16), int(cols[-1], 16)
        if align > 1 and offset % align != vaddr % align:
            return False
    return True


def stripped(src: str, cache: Path) -> str:
    """A stripped copy of ``src`` in ``cache`` (reused across builds), or ``src`` itself when
    stripping would leave it unloadable or gains nothing."""
    digest = hashlib.sha256(Path(src).read_bytes()).hexdigest()[:16]
    out = cache / digest / Path(src).name
    keep = out.with_name(out.name + ".keep")  # marks a library left unstripped
    if not out.exists() and not keep.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".tmp")
        shutil.copyfile(src, tmp)
        done = subprocess.run(["strip", "--strip-unneeded", str(tmp)], capture_output=True)
        ok = done.returncode == 0 and _loadable(tmp)
        if ok and tmp.stat().st_size < Path(src).stat().st_size:
            tmp.replace(out)
        else:
            tmp.unlink()
            keep.touch()
    return str(out) if out.exists() else src
