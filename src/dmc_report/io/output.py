"""Writing outputs safely: no output ever replaces an input, and every file is written to a
temporary name in its target folder and renamed into place only when all of them are complete.

:func:`check_outputs` runs before any work: each output path is resolved (symbolic links, ``..``,
case-insensitive file systems, hard links) and compared with every input and every other output,
and checked writable (its folder, its name's length with the temporary suffix, not a folder).
:func:`write_files_atomic` writes a set of outputs (a report pair) all or nothing.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from dmc_report.domain.errors import Location, OutputInUseError, UnusableInputError

# ".<name>.<12 hex>.part": the temporary name adds this many characters to the target's name
TEMP_SUFFIX_CHARS = 1 + 1 + 12 + 5
WINDOWS_MAX_PATH = 259  # without the \\?\ prefix or long-path support (MAX_PATH less the NUL)
# Windows keeps a file that another program holds open (a PDF viewer, Excel, an antivirus scan)
# from being replaced; such a hold is usually brief, so a replacement is retried this long.
REPLACE_RETRY_SECONDS = (0.05, 0.2, 0.5, 1.0)


def _case_insensitive(folder: Path) -> bool:
    """Whether names in ``folder`` match regardless of case (macOS and Windows by default)."""
    if sys.platform in ("win32", "darwin"):
        return True
    with contextlib.suppress(OSError):
        probe = folder / folder.name.swapcase()
        if folder.name.swapcase() != folder.name and probe.exists():
            return folder.samefile(probe)
    return False


def _key(path: Path) -> str:
    """A comparable form of a resolved path (case folded where the file system ignores case)."""
    text = os.path.normcase(str(path))
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    return text.casefold() if _case_insensitive(parent) else text


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two paths name one file: the same file on disk (links, case), or, for a file not
    yet there, the same resolved path."""
    pa, pb = Path(a).expanduser(), Path(b).expanduser()
    with contextlib.suppress(OSError):
        if pa.exists() and pb.exists():
            return pa.samefile(pb)
    return _key(pa.resolve()) == _key(pb.resolve())


def check_outputs(outputs: Mapping[str, str | Path], inputs: Mapping[str, str | Path]) -> None:
    """Refuse, before any work, an output that would replace an input or another output, or that
    cannot be written.

    Parameters
    ----------
    outputs
        What each output is ("open report", "findings file") -> its path.
    inputs
        What each input is ("data workbook", "key password file") -> its path.

    Raises
    ------
    UnusableInputError
        Naming both files of a clash, or the output and why it cannot be written (exit 2).
    """
    items = [(what, Path(p)) for what, p in outputs.items()]
    for what, path in items:
        for in_what, in_path in inputs.items():
            if same_file(path, in_path):
                raise UnusableInputError(
                    f"the {what} would replace the {in_what} ({in_path}); nothing was written. "
                    "Choose another name for the output.",
                    Location(file=str(path)),
                )
    for i, (what, path) in enumerate(items):
        for other_what, other in items[i + 1 :]:
            if same_file(path, other):
                raise UnusableInputError(
                    f"the {what} and the {other_what} are the same file; give each its own name",
                    Location(file=str(path)),
                )
        check_writable(path, what)


def check_writable(path: str | Path, what: str = "output") -> None:
    """Refuse an output path that cannot be written: a folder of that name, a file where a folder
    should be, a folder not writable, a name too long once the temporary suffix is added."""
    target = Path(path).expanduser()
    loc = Location(file=str(target))

    def refuse(why: str) -> UnusableInputError:
        return UnusableInputError(f"the {what} cannot be written: {why}", loc)

    if not target.name or target.name in (".", ".."):
        raise refuse("the path names no file")
    if target.is_dir():
        raise refuse("a folder of that name exists")
    folder = target.parent
    while not folder.exists():
        if folder == folder.parent:
            break
        folder = folder.parent
    if folder.exists() and not folder.is_dir():
        raise refuse(f"{folder} is a file, not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise refuse(f"the folder {folder} is not writable")
    limit = 255
    with contextlib.suppress(OSError, ValueError, AttributeError):
        limit = os.pathconf(folder, "PC_NAME_MAX")
    longest = len(target.name.encode("utf-8")) + TEMP_SUFFIX_CHARS
    if longest > limit:
        raise refuse(
            f"its name is {len(target.name)} characters; with the temporary suffix this file "
            f"system allows {limit - TEMP_SUFFIX_CHARS} at most"
        )
    if (
        sys.platform == "win32"
        and len(str(target.resolve())) + TEMP_SUFFIX_CHARS > WINDOWS_MAX_PATH
    ):
        raise refuse(
            f"its full path is {len(str(target.resolve()))} characters; Windows allows "
            f"{WINDOWS_MAX_PATH - TEMP_SUFFIX_CHARS} here (choose a shorter folder or name)"
        )


@dataclass(frozen=True)
class OutputFile:
    """One file of a set written together."""

    path: Path
    content: bytes
    private: bool = False  # owner-only (0600): unblinded results, passwords


def write_files_atomic(files: Sequence[OutputFile]) -> None:
    """Write every file to a temporary name beside its target, then rename them all; all or
    nothing.

    If anything fails (a write, a rename, a cancellation), every target is left as it was before
    the call (a previous report pair stays a matching pair) and no temporary file remains.

    Raises
    ------
    UnusableInputError
        A target cannot be written or replaced (held open by another program, read-only, ...):
        the message names it and what to do.
    """
    staged: list[tuple[Path, Path]] = []
    target = Path(files[0].path) if files else Path()
    try:
        for f in files:
            target = Path(f.path)
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = _create_temporary(target, 0o600 if f.private else 0o666)
            staged.append((target, tmp))
            with os.fdopen(fd, "wb") as fh:
                fh.write(f.content)
                fh.flush()
                os.fsync(fh.fileno())
    except BaseException as exc:
        for _, tmp in staged:
            with contextlib.suppress(OSError):
                tmp.unlink()
        if isinstance(exc, OSError):
            raise _unwritable(target, exc) from exc
        raise
    _rename_all(staged)


def _rename_all(staged: list[tuple[Path, Path]]) -> None:
    """Move each temporary file onto its target; on a failure, put every target back."""
    done: list[tuple[Path, Path | None]] = []
    try:
        for target, tmp in staged:
            backup = None
            if len(staged) > 1 and target.exists():
                backup = target.with_name(f".{target.name}.{secrets.token_hex(6)}.old")
                _replace(target, backup)
            try:
                _replace(tmp, target)
            except BaseException:
                if backup is not None:
                    _replace(backup, target)
                raise
            done.append((target, backup))
    except BaseException as exc:
        for target, backup in reversed(done):
            with contextlib.suppress(OSError):
                if backup is not None:
                    _replace(backup, target)
                else:
                    target.unlink()
        for _, tmp in staged:
            with contextlib.suppress(OSError):
                tmp.unlink()
        if isinstance(exc, OSError):
            failed = staged[len(done)][0] if len(done) < len(staged) else staged[-1][0]
            raise _unwritable(failed, exc) from exc
        raise
    for _, backup in done:
        if backup is not None:
            with contextlib.suppress(OSError):
                backup.unlink()


def _replace(src: Path, dst: Path) -> None:
    """``os.replace``, retried briefly while another program holds ``dst`` (Windows)."""
    for wait in (*REPLACE_RETRY_SECONDS, None):
        try:
            src.replace(dst)
            return
        except PermissionError:
            if wait is None:
                raise
            time.sleep(wait)


def _unwritable(target: Path, exc: OSError) -> UnusableInputError:
    loc = Location(file=str(target))
    if isinstance(exc, PermissionError):
        why = (
            f"it is read-only, or another program has it open (close {target.name} in the "
            "program that has it open, then try again)"
        )
    elif exc.errno == errno.ENOSPC:
        why = "the disk is full"
    elif exc.errno == errno.ENAMETOOLONG:
        why = "its name or path is too long"
    else:
        why = exc.strerror or str(exc)
    error = OutputInUseError if isinstance(exc, PermissionError) else UnusableInputError
    return error(f"the output cannot be written: {why}; nothing was replaced", loc)


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
    write_files_atomic([OutputFile(Path(path), data, private)])


def write_text_atomic(path: str | Path, text: str, *, private: bool = False) -> None:
    write_bytes_atomic(path, text.encode("utf-8"), private=private)
