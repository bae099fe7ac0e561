"""Passwords as editors and shells write them: a password file or an environment variable.

A password file is decoded by its byte-order mark (UTF-8 with a BOM as Notepad and PowerShell 5
write it, UTF-16 little- or big-endian with a BOM as PowerShell 5's ``>`` writes it) or, without
one, as strict UTF-8. Exactly one trailing line ending (LF, CR LF or CR) is removed; anything else
that an editor may have added invisibly (a second line, a space or tab at either end) is refused
rather than guessed at, so a report is never encrypted with a password its reader cannot type.
An environment variable gets the same rules after decoding.

The closed report's password also needs :data:`MIN_CLOSED_PASSWORD` characters; the workbooks'
passwords are whatever the data manager chose.
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

from dmc_report.domain.errors import Location, UnusableInputError

MIN_CLOSED_PASSWORD = 8
MAX_PASSWORD_FILE_BYTES = 4096  # a password file larger than this is the wrong file

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8", "UTF-8"),
    (b"\xff\xfe", "utf-16-le", "UTF-16"),
    (b"\xfe\xff", "utf-16-be", "UTF-16"),
)
_SAVE_AS_UTF8 = (
    "save it as UTF-8 in your editor (Notepad: File > Save as, Encoding UTF-8) and try again"
)


def decode_password_bytes(data: bytes, where: Location, what: str) -> str:
    """The text of a password file's bytes, decoded by their byte-order mark or as strict UTF-8.

    Raises
    ------
    UnusableInputError
        The bytes are not UTF-8 or UTF-16 text (a legacy "ANSI" file, a binary file), exit 2.
    """
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        raise UnusableInputError(
            f"the {what} password file is UTF-32 text, which is not read; {_SAVE_AS_UTF8}", where
        )
    encoding, name, body = "utf-8", "UTF-8", data
    for bom, codec, label in _BOMS:
        if data.startswith(bom):
            encoding, name, body = codec, label, data[len(bom) :]
            break
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError as exc:
        bad = body[exc.start : exc.start + 1].hex()
        detail = (
            f"byte 0x{bad} at position {exc.start + len(data) - len(body)} is not {name}"
            if name == "UTF-8"
            else f"it starts like {name} but does not decode as {name}"
        )
        raise UnusableInputError(
            f"the {what} password file is not UTF-8 or UTF-16 text ({detail}; perhaps it was "
            f"saved as 'ANSI'); {_SAVE_AS_UTF8}",
            where,
        ) from None
    if "\x00" in text:  # UTF-16 without a BOM reads as UTF-8 with a NUL after each letter
        raise UnusableInputError(
            f"the {what} password file is not UTF-8 or UTF-16 text (it holds NUL characters: "
            f"UTF-16 without a byte-order mark?); {_SAVE_AS_UTF8}",
            where,
        )
    return text


def check_password_text(text: str, source: str) -> str:
    """``text`` less exactly one trailing line ending, refused if it is not one clean line.

    Parameters
    ----------
    text
        The decoded password file or environment variable.
    source
        How the messages name it: "the key workbook password file", "DMC_KEY_PASSWORD".

    Raises
    ------
    UnusableInputError
        Empty or blank, more than one line, a space or tab at either end, or a control character.
    """
    for ending in ("\r\n", "\n", "\r"):
        if text.endswith(ending):
            text = text[: -len(ending)]
            break
    if not text:
        raise UnusableInputError(f"{source} is empty; it must hold the password")
    if "\n" in text or "\r" in text:
        raise UnusableInputError(
            f"{source} holds more than one line; it must hold only the password, on one line"
        )
    if not text.strip():
        raise UnusableInputError(f"{source} holds only spaces; it must hold the password")
    if text[0].isspace() or text[-1].isspace():
        raise UnusableInputError(
            f"{source} starts or ends with a space (or a tab); remove it, or, if the password "
            "really has one there, choose a password without spaces at either end"
        )
    for ch in text:
        if ch != "\t" and unicodedata.category(ch) in ("Cc", "Cs"):
            raise UnusableInputError(
                f"{source} holds a control or undecodable character (U+{ord(ch):04X}); "
                "it must hold only the password's text"
            )
    return text


def read_password_file(path: str | Path, what: str) -> str:
    """The password held in the file at ``path`` (see the module's rules).

    Parameters
    ----------
    path
        The password file.
    what
        What the password opens, for messages: "data workbook", "key workbook", "closed report".

    Raises
    ------
    UnusableInputError
        The file cannot be read, is not UTF-8 or UTF-16 text, or does not hold exactly one clean
        line (exit 2; the location names the file).
    """
    p = Path(path)
    where = Location(file=str(p))
    try:
        with p.open("rb") as fh:
            data = fh.read(MAX_PASSWORD_FILE_BYTES + 1)
    except OSError as exc:
        raise UnusableInputError(
            f"the {what} password file cannot be read: {exc.strerror or exc}", where
        ) from exc
    if len(data) > MAX_PASSWORD_FILE_BYTES:
        raise UnusableInputError(
            f"the {what} password file is larger than {MAX_PASSWORD_FILE_BYTES} bytes: it is "
            "not a password file (it must hold only the password, on one line)",
            where,
        )
    text = decode_password_bytes(data, where, what)
    try:
        return check_password_text(text, f"the {what} password file")
    except UnusableInputError as exc:
        raise UnusableInputError(exc.message, where) from None


def password_from_environment(name: str) -> str | None:
    """The password in the environment variable ``name``, or None when it is not set.

    Raises
    ------
    UnusableInputError
        The variable is set but empty, or not one clean line (the same rules as a file).
    """
    value = os.environ.get(name)
    if value is None:
        return None
    return check_password_text(value, f"the environment variable {name}")


def closed_password_problem(password: str) -> str | None:
    """Why ``password`` cannot encrypt a closed report, or None when it can."""
    if len(password) < MIN_CLOSED_PASSWORD:
        return f"the closed report's password must have at least {MIN_CLOSED_PASSWORD} characters"
    return None


def password_from(file: str | Path | None, env: str, what: str) -> str | None:
    """The password from ``file`` if one is given, else from the environment variable ``env``,
    else None (a password never comes from the command line itself)."""
    if file is not None:
        return read_password_file(file, what)
    return password_from_environment(env)
