"""The xlsx container: format sniffing, Office decryption in memory, and size limits.

Everything here happens before a sheet is parsed, so an unusable file is refused quickly and
without exhausting memory.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.etree import ElementTree
from xml.sax.saxutils import unescape

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
    parts: dict[str, str] = field(default_factory=dict)  # sheet -> its XML part in the archive
    states: dict[str, str] = field(default_factory=dict)  # sheet -> visible, hidden, veryHidden

    def hidden(self, sheet: str) -> str | None:
        """``"hidden"`` or ``"veryHidden"`` for a sheet the workbook hides, else None."""
        state = self.states.get(sheet, "visible")
        return None if state == "visible" else state

    def bad_cells(self, sheet: str) -> tuple[BadCell, ...]:
        """The sheet's error cells and formulas without a saved result (:func:`scan_bad_cells`)."""
        part = self.parts.get(sheet)
        if part is None:
            return ()
        with zipfile.ZipFile(io.BytesIO(self.content)) as zf:
            return scan_bad_cells(zf, part)


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
        # a value (an error too), not a formula without a saved result (<v></v>): the cells
        # calamine counts when it sizes the sheet's range
        if re.search(rb"<v(?:\s[^>]*)?>[^<]", body) or b"<is>" in body:
            return int(m.group(2)), column_index(m.group(1).decode())
    return None


def _sheet_parts(zf: zipfile.ZipFile) -> tuple[dict[str, str], dict[str, str]]:
    """Sheet -> XML part, and sheet -> state (``visible``, ``hidden`` or ``veryHidden``)."""
    wb = ElementTree.fromstring(zf.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{_NS_PKG_REL}Relationship")}
    out: dict[str, str] = {}
    states: dict[str, str] = {}
    for s in wb.iter(f"{_NS_MAIN}sheet"):
        target = targets.get(s.get(f"{_NS_REL}id"), "")
        target = target.lstrip("/")
        if not target.startswith("xl/"):
            target = "xl/" + target
        out[s.get("name", "")] = target
        states[s.get("name", "")] = s.get("state", "visible")
    return out, states


@dataclass(frozen=True)
class BadCell:
    """A cell whose value cannot be read: an Excel error, or a formula with no saved result."""

    row: int  # Excel row
    col: int  # 0-based column index
    kind: str  # "error" | "formula"
    value: str  # the error as Excel shows it (#N/A) or the formula (=1/0)


# The scan looks for two things: an error cell (t="e", rare) and a formula cell whose <f> is
# followed by no value or an empty one. Most sheets have neither, and a chunk holding neither is
# passed over by plain substring tests before any regex runs. Excel and the usual writers spell
# cells <c r="A1" ...>, with double quotes and no namespace prefix, and a regex starting with the
# literal <f runs fast; a sheet written otherwise gets the wider needles and regex.
_P = rb"(?:[A-Za-z_][\w.-]*:)?"  # a namespace prefix, if any
_AFTER_F = rb"\s*(<" + _P + rb"v\s*/>|<" + _P + rb"v(?:\s[^>]*)?>\s*</" + _P + rb"v>)?\s*</"
_UNSAVED = re.compile(rb"<f(?:\s[^>]*)?(?:/>|>([^<]*)</f>)" + _AFTER_F + rb"c>")
_UNSAVED_WIDE = re.compile(
    rb"<" + _P + rb"f(?:\s[^>]*)?(?:/>|>([^<]*)</" + _P + rb"f>)" + _AFTER_F + _P + rb"c>"
)
_ERROR_AT = re.compile(rb"""\bt\s*=\s*["']e["']""")
_CELL_OPEN = re.compile(rb"<(" + _P + rb")c(\s[^>]*?)?(/?)>")
_ATTR_R = re.compile(rb"""\br\s*=\s*["']([A-Z]{1,3})([0-9]+)["']""")
_ATTR_T = re.compile(rb"""\bt\s*=\s*["']([A-Za-z]+)["']""")
_ROW_END = re.compile(rb"</" + _P + rb"row>")
_CHUNK = 8 << 20


def _xml_text(raw: bytes) -> str:
    return unescape(raw.decode("utf-8", "replace"), {"&quot;": '"', "&apos;": "'"})


def _kind(attrs: bytes) -> bytes:
    t = _ATTR_T.search(attrs)
    return t.group(1) if t else b"n"


def _cell_before(buf: bytes, at: int) -> re.Match[bytes] | None:
    """The start tag of the cell holding position ``at``: the nearest tag before it."""
    start = buf.rfind(b"<", 0, at)
    return _CELL_OPEN.match(buf, start) if start >= 0 else None


def _error_marks(buf: bytes, wide: bool) -> Iterator[int]:
    """Where t="e" stands (a plain substring search unless the sheet is written unusually)."""
    if wide:
        yield from (m.start() for m in _ERROR_AT.finditer(buf))
        return
    at = buf.find(b't="e"')
    while at >= 0:
        yield at
        at = buf.find(b't="e"', at + 5)


def _scan_chunk(
    buf: bytes, *, errors: bool, formulas: bool, wide: bool
) -> Iterator[tuple[int, int, str, str] | None]:
    """Bad cells in complete rows of sheet XML; None for one without a reference (r="B7")."""
    found: list[tuple[bytes, str, str]] = []  # (the cell's attributes, kind, value)
    for at in _error_marks(buf, wide) if errors else ():
        cell = _cell_before(buf, at)
        if cell is None or _kind(cell.group(2) or b"") != b"e":
            continue  # not a cell's own t="e" (text quoting it, say)
        prefix = cell.group(1)
        end = buf.find(b"</" + prefix + b"c>", cell.end())
        body = b"" if cell.group(3) else buf[cell.end() : end if end >= 0 else len(buf)]
        v = re.search(rb"<" + prefix + rb"v(?:\s[^>]*)?>([^<]*)</" + prefix + rb"v>", body)
        value = _xml_text(v.group(1)).strip() if v is not None else ""
        found.append((cell.group(2) or b"", "error", value or "#N/A"))
    for m in (_UNSAVED_WIDE if wide else _UNSAVED).finditer(buf) if formulas else ():
        cell = _cell_before(buf, m.start())  # <f> is the cell's first child
        if cell is None:
            continue
        attrs = cell.group(2) or b""
        kind = _kind(attrs)
        # an error cell is reported above; a formula whose saved result is the empty text ("")
        # is t="str" with an empty <v>: a blank cell, not a missing result
        if kind == b"e" or (kind == b"str" and m.group(2)):
            continue
        found.append((attrs, "formula", "=" + _xml_text(m.group(1) or b"").strip()))
    for attrs, what, value in found:
        ref = _ATTR_R.search(attrs)
        if ref is None:
            yield None
            return
        yield int(ref.group(2)), column_index(ref.group(1).decode()), what, value


def _scan_slowly(zf: zipfile.ZipFile, part: str) -> tuple[BadCell, ...]:
    """Every cell parsed, for the rare sheet whose cells carry no reference (r="B7")."""
    out: list[BadCell] = []
    row, col = 0, -1
    with zf.open(part) as fh:
        for event, el in ElementTree.iterparse(fh, events=("start", "end")):
            tag = el.tag.rsplit("}", 1)[-1]
            if tag == "row" and event == "start":
                r = el.get("r")
                row, col = (int(r) if r and r.isdigit() else row + 1), -1
            elif tag == "row":
                el.clear()
            elif tag == "c" and event == "end":
                m = re.fullmatch(r"([A-Z]{1,3})([0-9]+)", el.get("r") or "")
                row, col = (int(m.group(2)), column_index(m.group(1))) if m else (row, col + 1)
                kids = {k.tag.rsplit("}", 1)[-1]: k for k in el}
                v, f, kind = kids.get("v"), kids.get("f"), el.get("t", "n")
                if kind == "e":
                    text = (v.text if v is not None else None) or "#N/A"
                    out.append(BadCell(row, col, "error", text))
                elif f is not None and not (v is not None and (v.text or kind == "str")):
                    out.append(BadCell(row, col, "formula", "=" + (f.text or "").strip()))
    return tuple(out)


def _needles(zf: zipfile.ZipFile, part: str) -> bool | None:
    """First pass: None when the sheet holds no error cell and no formula (the usual case, and
    no copy of the sheet is made); else whether it is written unusually (see ``_UNSAVED``)."""
    wide: bool | None = None
    edge = b""
    with zf.open(part) as fh:
        while chunk := fh.read(_CHUNK):
            if wide is None:
                wide = b'<c r="' not in chunk[: 1 << 20]
            needles = (b'"e"', b"'e'", b"<f", b":f") if wide else (b't="e"', b"<f")
            seam = edge + chunk[:8]  # a needle across two chunks
            if any(n in chunk or n in seam for n in needles):
                return wide
            edge = chunk[-8:]
    return None


def scan_bad_cells(zf: zipfile.ZipFile, part: str) -> tuple[BadCell, ...]:
    """Error cells (``#N/A``, ``#VALUE!``, ``#DIV/0!``, ``#REF!``, ``#NAME?``, ``#NUM!``,
    ``#NULL!`` ...) and formulas without a saved result in one sheet, read from its XML.

    Both workbook engines give such a cell as blank (fastexcel of itself; openpyxl's error text
    is dropped in :mod:`dmc_report.io.engines`); this one scan, shared by both, is what reports
    them, so the engines agree by construction. It is light: the sheet is inflated chunk by chunk
    and, in the usual sheet without ``t="e"`` or ``<f``, only searched for those; a sheet that
    has some is read again, row by row, with the regexes.
    """
    try:
        wide = _needles(zf, part)
    except KeyError:
        return ()
    if wide is None:
        return ()
    out: dict[tuple[int, int], BadCell] = {}
    with zf.open(part) as fh:
        tail = b""
        while True:
            chunk = fh.read(_CHUNK)
            buf = tail + chunk
            if chunk:  # judge complete rows only; the rest waits for the next chunk
                ends = list(_ROW_END.finditer(buf, max(0, len(buf) - (1 << 20))))
                if not ends:
                    tail = buf
                    continue
                buf, tail = buf[: ends[-1].end()], buf[ends[-1].end() :]
            if wide:
                errors = b'"e"' in buf or b"'e'" in buf
                formulas = b"<f" in buf or b":f" in buf
            else:
                errors, formulas = b't="e"' in buf, b"<f" in buf
            if errors or formulas:
                for hit in _scan_chunk(buf, errors=errors, formulas=formulas, wide=wide):
                    if hit is None:
                        return _scan_slowly(zf, part)
                    out.setdefault((hit[0], hit[1]), BadCell(*hit))
            if not chunk:
                break
    return tuple(sorted(out.values(), key=lambda b: (b.row, b.col)))


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
            parts, states = _sheet_parts(zf)
            first = {name: _first_cell(zf, part) for name, part in parts.items()}
        except (KeyError, ElementTree.ParseError, zipfile.BadZipFile, EOFError) as exc:
            raise UnusableInputError(f"the {what} is damaged: {exc}", loc) from exc
    return OpenedWorkbook(plain, encrypted, tuple(parts), first, parts, states)
