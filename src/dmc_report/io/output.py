"""Writing outputs safely: a temporary file in the target folder, then an atomic rename."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


@contextlib.contextmanager
def atomic_output(path: str | Path, *, private: bool = False) -> Iterator[BinaryIO]:
    """Open a temporary file beside ``path``; on success rename it to ``path``.

    The file gets the permissions of any file the user saves (their umask decides), or with
    ``private`` (a password file) owner-only access.

    A failure (an exception, a cancellation) removes the temporary file and leaves any existing
    ``path`` untouched, so no partial output is ever visible.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _create_temporary(target, 0o600 if private else 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        Path(tmp).replace(target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            Path(tmp).unlink()
        raise


def _create_temporary(target: Path, mode: int) -> tuple[int, Path]:
    """A new, exclusive temporary file beside ``target``, created with ``mode`` under the umask
    (``tempfile.mkstemp`` would make every report readable by its owner only)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = target.parent / f".{target.name}.{secrets.token_hex(6)}.part"
        try:
            return os.open(tmp, flags, mode), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {target}")


def write_bytes_atomic(path: str | Path, data: bytes, *, private: bool = False) -> None:
    with atomic_output(path, private=private) as fh:
        fh.write(data)


def write_text_atomic(path: str | Path, text: str, *, private: bool = False) -> None:
    write_bytes_atomic(path, text.encode("utf-8"), private=private)
