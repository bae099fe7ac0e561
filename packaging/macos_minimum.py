"""The oldest macOS a bundle runs on: the highest minimum any of its Mach-O files declares.

The macOS app's LSMinimumSystemVersion is set from this (packaging/dmc-report.spec), so it is
the real minimum of the wheels the build resolved, not a guess: each library carries the
minimum it was built for (LC_BUILD_VERSION, or LC_VERSION_MIN_MACOSX in older files), and the
wheels' tags follow it (pikepdf ...-macosx_14_0_arm64.whl holds libraries with minos 14.0).

.venv/bin/python packaging/macos_minimum.py dist/dmc-report.app   prints e.g. "14.0"
"""

from __future__ import annotations

import struct
import sys
from collections.abc import Iterable
from pathlib import Path

LC_VERSION_MIN_MACOSX = 0x24
LC_BUILD_VERSION = 0x32
PLATFORM_MACOS = 1
THIN = {
    b"\xcf\xfa\xed\xfe": ("<", 32),  # 64-bit, little-endian (x86_64, arm64)
    b"\xce\xfa\xed\xfe": ("<", 28),  # 32-bit, little-endian
    b"\xfe\xed\xfa\xcf": (">", 32),
    b"\xfe\xed\xfa\xce": (">", 28),
}
FAT = {b"\xca\xfe\xba\xbe": 20, b"\xca\xfe\xba\xbf": 32}  # fat (universal2) headers, big-endian


def _version(packed: int) -> tuple[int, int, int]:
    """xxxx.yy.zz packed in nibbles, as Mach-O stores versions."""
    return packed >> 16, (packed >> 8) & 0xFF, packed & 0xFF


def _thin_minimum(data: bytes, offset: int) -> tuple[int, int, int] | None:
    kind = THIN.get(data[offset : offset + 4])
    if kind is None:
        return None
    endian, header_size = kind
    ncmds = struct.unpack_from(f"{endian}I", data, offset + 16)[0]
    at = offset + header_size
    found: tuple[int, int, int] | None = None
    for _ in range(ncmds):
        if at + 8 > len(data):
            break
        cmd, size = struct.unpack_from(f"{endian}II", data, at)
        if cmd == LC_BUILD_VERSION:
            platform, minos = struct.unpack_from(f"{endian}II", data, at + 8)
            if platform == PLATFORM_MACOS:
                found = _version(minos)
        elif cmd == LC_VERSION_MIN_MACOSX:
            found = _version(struct.unpack_from(f"{endian}I", data, at + 8)[0])
        if size < 8:
            break
        at += size
    return found


def minimum_of_file(data: bytes) -> tuple[int, int, int] | None:
    """The macOS minimum a Mach-O file declares (the highest of a universal file's slices), or
    None for a file that is not Mach-O or declares none."""
    try:
        return _minimum(data)
    except struct.error:  # cut short: not a Mach-O file after all
        return None


def _minimum(data: bytes) -> tuple[int, int, int] | None:
    entry = FAT.get(data[:4])
    if entry is not None:
        count = struct.unpack_from(">I", data, 4)[0]
        if count > 20:  # a Java class file starts with the same magic (then its version, >= 45)
            return None
        versions = []
        for i in range(count):
            at = 8 + i * entry
            if entry == 20:
                offset = struct.unpack_from(">I", data, at + 8)[0]
            else:
                offset = struct.unpack_from(">Q", data, at + 8)[0]
            v = _thin_minimum(data, offset)
            if v is not None:
                versions.append(v)
        return max(versions) if versions else None
    return _thin_minimum(data, 0)


def minimum_macos(files: Iterable[str | Path]) -> str:
    """The highest minimum among ``files`` as "major.minor" ("11.0" when none declares one)."""
    best = (11, 0, 0)  # Apple silicon's first macOS; the bootloader's own minimum is lower
    for f in files:
        path = Path(f)
        if not path.is_file() or path.is_symlink():
            continue
        with path.open("rb") as fh:
            head = fh.read(4)
            if head not in THIN and head not in FAT:
                continue
            data = head + fh.read()
        version = minimum_of_file(data)
        if version is not None and version > best:
            best = version
    return f"{best[0]}.{best[1]}"


def main() -> None:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "dist/dmc-report.app")
    if not root.exists():
        raise SystemExit(f"{root} does not exist")
    print(minimum_macos(p for p in root.rglob("*")))


if __name__ == "__main__":
    main()
