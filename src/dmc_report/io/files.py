"""Reading an input file's bytes, once, read-only, with its hash."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from dmc_report.domain.errors import Location, UnusableInputError

MAX_FILE_BYTES = 512 * 1024 * 1024  # a workbook larger than this on disk is refused unread


@dataclass(frozen=True)
class InputBytes:
    path: Path
    content: bytes
    sha256: str

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def size(self) -> int:
        return len(self.content)


def read_input(path: str | Path, what: str, *, max_bytes: int = MAX_FILE_BYTES) -> InputBytes:
    """Read an input file's bytes (opened read-only, never written).

    Parameters
    ----------
    path
        The file.
    what
        What the file is for ("data workbook", "key workbook", "protocol file"), for messages.
    max_bytes
        Refuse a file larger than this before reading it.
    """
    p = Path(path)
    loc = Location(file=str(p))
    if not p.exists():
        raise UnusableInputError(f"the {what} does not exist", loc)
    if p.is_dir():
        raise UnusableInputError(f"the {what} is a folder, not a file", loc)
    try:
        size = p.stat().st_size
        if size > max_bytes:
            raise UnusableInputError(
                f"the {what} is {size / 2**20:.0f} MiB; the limit is {max_bytes / 2**20:.0f} MiB",
                loc,
            )
        with p.open("rb") as fh:
            content = fh.read()
    except PermissionError as exc:
        raise UnusableInputError(f"the {what} cannot be read: permission denied", loc) from exc
    except OSError as exc:
        raise UnusableInputError(f"the {what} cannot be read: {exc.strerror or exc}", loc) from exc
    if not content:
        raise UnusableInputError(f"the {what} is empty (0 bytes)", loc)
    return InputBytes(p, content, hashlib.sha256(content).hexdigest())
