"""The xlsx container: format sniffing, Office decryption in memory, and size limits.

Everything here happens before a sheet is parsed, so an unusable file is refused quickly and
without exhausting memory.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from xml.etree import ElementTree

from dmc_report.domain.errors import Location, UnusableInputError

# The whole uncompressed content of a workbook (all XML parts) may not exceed this. A 20,000-subject
# export is about 250 MiB uncompressed; a decompression bomb is refused before it is inflated.
MAX_UNCOMPRESSED_BYTES = 1024 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200  # any part inflating more than 200-fold (and > 8 MiB) is refused

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"


@dataclass(frozen=True)
class OpenedWorkbook:
    """A workbook's plain xlsx bytes (decrypted if it was encrypted) and its sheets' anchors."""

    content: bytes
    encrypted: bool
    sheet_names: tuple[str, ...]
    first_cells: dict[str, tuple[int, int] | None]  # sheet -> (row, column index 0-based) of row 1


def _sniff_text(head: bytes) -> str:
    text = head[:200].lstrip()
    if text.startswith((b"<html", b"<!DOCTYPE", b"<?xml")):
        return "an HTML or XML file"
    if b"," in text or b";" in text or b"\t" in text:
        return "a text file (it looks like CSV)"
    return "not an Excel workbook"


def decrypt_if_needed(
    content: bytes, file: str, password: str | None, what: str
) -> tuple[bytes, bool]:
    """Return xlsx bytes, decrypting an Office-encrypted workbook in memory."""
    loc = Location(file=file)
    if content.startswith(_ZIP_MAGIC):
        return content, False
    if not content.startswith(_OLE_MAGIC):
        kind = _sniff_text(content)
        raise UnusableInputError(
            f"the {what} is not an xlsx workbook ({kind}); save it from Excel as .xlsx", loc
        )
    import msoffcrypto

    try:
        office = msoffcrypto.OfficeFile(io.BytesIO(content))
    except Exception as exc:  # a damaged or foreign compound file
        raise UnusableInputError(
            f"the {what} is not an xlsx workbook (an unrecognised or damaged Office file)", loc
        ) from exc
    if getattr(office, "format", None) != "ooxml":
        raise UnusableInputError(
            f"the {what} is an old Excel 97-2003 .xls file (or another legacy Office file); "
            "open it in Excel and save it as .xlsx",
            loc,
        )
    if not password:
        raise UnusableInputError(
            f"the {what} is password-protected; give its password "
            "(GUI: you will be asked; CLI: --data-password-file / --key-password-file or "
            "DMC_DATA_PASSWORD / DMC_KEY_PASSWORD)",
            loc,
        )
    try:
        office.load_key(password=password, verify_password=True)
        out = io.BytesIO()
        office.decrypt(out)
    except msoffcrypto.exceptions.InvalidKeyError as exc:
        raise UnusableInputError(f"wrong password for the {what}", loc) from exc
    except Exception as exc:
        raise UnusableInputError(f"the {what} could not be decrypted: {exc}", loc) from exc
    return out.getvalue(), True


def _check_sizes(zf: zipfile.ZipFile, file: str, what: str, limit: int) -> None:
    total = 0
    for info in zf.infolist():
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > 8 * 2**20 and ratio > MAX_COMPRESSION_RATIO:
            raise UnusableInputError(
                f"the {what} looks like a decompression bomb: part {info.filename} inflates "
                f"{ratio:.0f}-fold to {info.file_size / 2**20:.0f} MiB "
                f"(limit {MAX_COMPRESSION_RATIO}-fold)",
                Location(file=file),
            )
    if total > limit:
        raise UnusableInputError(
            f"the {what} is too large: {total / 2**20:.0f} MiB uncompressed; "
            f"the limit is {limit / 2**20:.0f} MiB",
            Location(file=file),
        )


_COL_RE = re.compile(rb'<c\b[^>]*?\br="([A-Z]+)(\d+)"[^>]*?(/>|>)')


def column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def column_letter(index: int) -> str:
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def _first_cell(zf: zipfile.ZipFile, part: str) -> tuple[int, int] | None:
    """(row, column) of the first cell holding a value, read from the start of the sheet XML."""
    try:
        with zf.open(part) as fh:
            head = fh.read(1 << 16)  # the first filled row is near the top
    except KeyError:
        return None
    start = head.find(b"<sheetData")
    if start < 0:
        return None
    for m in _COL_RE.finditer(head, start):
        if m.group(3) == b"/>":
            continue  # an empty, merely formatted cell
        end = head.find(b"</c>", m.end())
        body = head[m.end() : end if end >= 0 else m.end() + 200]
        if b"<v>" in body or b"<v " in body or b"<is>" in body:
            return int(m.group(2)), column_index(m.group(1).decode())
    return None


def _sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    wb = ElementTree.fromstring(zf.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{_NS_PKG_REL}Relationship")}
    out: dict[str, str] = {}
    for s in wb.iter(f"{_NS_MAIN}sheet"):
        target = targets.get(s.get(f"{_NS_REL}id"), "")
        target = target.lstrip("/")
        if not target.startswith("xl/"):
            target = "xl/" + target
        out[s.get("name", "")] = target
    return out


def open_workbook(
    content: bytes,
    file: str,
    *,
    password: str | None,
    what: str,
    max_uncompressed: int = MAX_UNCOMPRESSED_BYTES,
) -> OpenedWorkbook:
    """Decrypt if needed, check the container, and list sheets with where their data start."""
    plain, encrypted = decrypt_if_needed(content, file, password, what)
    loc = Location(file=file)
    try:
        zf = zipfile.ZipFile(io.BytesIO(plain))
    except zipfile.BadZipFile as exc:
        raise UnusableInputError(
            f"the {what} is damaged or truncated (not a complete xlsx zip archive)", loc
        ) from exc
    with zf:
        names = set(zf.namelist())
        if "xl/workbook.xml" not in names:
            kind = (
                "a Word or PowerPoint file"
                if ("word/document.xml" in names or "ppt/presentation.xml" in names)
                else "a zip archive"
            )
            raise UnusableInputError(f"the {what} is {kind}, not an Excel workbook", loc)
        _check_sizes(zf, file, what, max_uncompressed)
        try:
            parts = _sheet_parts(zf)
            first = {name: _first_cell(zf, part) for name, part in parts.items()}
        except (KeyError, ElementTree.ParseError, zipfile.BadZipFile, EOFError) as exc:
            raise UnusableInputError(f"the {what} is damaged: {exc}", loc) from exc
    return OpenedWorkbook(plain, encrypted, tuple(parts), first)
