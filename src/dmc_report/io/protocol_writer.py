"""Writing a protocol as a commented TOML file that ``dmc-report`` reads back unchanged.

The protocol editor (``gui/editor``) saves through here. The text is built from the validated
:class:`~dmc_report.domain.protocol.Protocol`, section by section in the order of the bundled
templates, each with a comment saying what it is for (docs/protocol.md has the details). Before
anything is written the text is read back with the loader the command line uses, and it must give
the same protocol; it is then written to a temporary file and renamed into place, never over
an input such as the export workbook.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from dmc_report.domain.errors import Location, UnusableInputError
from dmc_report.domain.protocol import Interim, Protocol, Visit

# a root-level message that names its key first ("endpoints.craving_visits names visit ...")
_NAMED_KEY = re.compile(r"^([a-z_]+(?:\.[a-z_]+)+|\[\[visits\]\]|visit code)(?=[\s:]|$)")

WIDTH = 96  # an array longer than this is written one item per line
_BARE = re.compile(r"[A-Za-z0-9_-]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


@dataclass(frozen=True)
class Problem:
    """Why a protocol is refused, at a key path (``visits[3].day``; "" for the whole file)."""

    key: str
    message: str


def _key_of(loc: tuple[int | str, ...], message: str) -> str:
    from dmc_report.io.protocol_loader import key_path

    path = key_path(loc)
    if path:
        return path
    named = _NAMED_KEY.match(message)
    if named is None:
        return ""
    return "visits" if named.group(1) in ("[[visits]]", "visit code") else named.group(1)


def check_protocol_table(raw: Mapping[str, object]) -> Protocol | tuple[Problem, ...]:
    """The protocol a parsed TOML table makes, or every problem with it, located by key, in
    the words the command line uses (the same pydantic model decides)."""
    from pydantic import ValidationError

    try:
        return Protocol.model_validate(raw)
    except ValidationError as exc:
        out = []
        errors = exc.errors(include_url=False)
        locs = [tuple(e["loc"]) for e in errors]
        for err in errors:
            loc = (*err["loc"], *(err.get("ctx") or {}).get("path", ()))
            n = len(err["loc"])
            if err["type"] == "too_short" and any(len(o) > n and o[:n] == loc for o in locs):
                continue  # "no item left": a consequence of its items' own problems
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "missing":
                msg = "required: fill it in"
            out.append(Problem(_key_of(loc, msg), msg))
        return tuple(out)


# --- values -------------------------------------------------------------------------------------
def toml_string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped; any other
    character (accents, CJK, emoji) written as itself (the file is UTF-8)."""
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def toml_key(key: str, *, quote: bool = False) -> str:
    """A key, bare where TOML allows it (``SUBJID``), else quoted (``"Not related"``)."""
    return key if _BARE.fullmatch(key) and not quote else toml_string(key)


def toml_value(value: object) -> str:
    """One TOML value: text, bool, int, float, date, or an array of those on one line."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML form for {type(value).__name__}")


def _line(key: str, value: object, comment: str = "") -> str:
    text = f"{toml_key(key)} = {toml_value(value)}"
    if isinstance(value, list | tuple) and len(text) > WIDTH:
        items = [toml_value(v) for v in value]
        rows, row = [], ""
        for item in items:
            if row and len(row) + len(item) + 2 > WIDTH - 4:
                rows.append(row)
                row = ""
            row += item + ", "
        rows.append(row)
        text = f"{toml_key(key)} = [\n" + "".join(f"    {r.rstrip()}\n" for r in rows) + "]"
    return f"{text}{'   # ' + comment if comment else ''}"


def _comment(text: str) -> list[str]:
    """A comment block, wrapped at the line width (control characters, which a TOML comment
    may not hold, as spaces)."""
    words, lines, line = _CONTROL.sub(" ", text).split(), [], "#"
    for w in words:
        if len(line) + len(w) + 1 > WIDTH:
            lines.append(line)
            line = "#"
        line += " " + w
    lines.append(line)
    return lines


def _table(header: str, rows: Iterable[str], comment: str = "") -> list[str]:
    return ["", *(_comment(comment) if comment else []), header, *rows]


def _pairs(values: Mapping[str, str]) -> list[str]:
    return [f"{toml_key(k, quote=True)} = {toml_string(v)}" for k, v in values.items()]


# --- sections -----------------------------------------------------------------------------------
def _head(p: Protocol) -> list[str]:
    lines = [
        *_comment(f"Protocol file for dmc-report: {p.study.title}."),
        "# Written by the protocol editor. Every key is documented in docs/protocol.md; check it",
        "# against an export with: dmc-report check-protocol --protocol THIS --data EXPORT",
    ]
    if p.show_pooled_outcomes is not None:  # a top-level key: before the first table
        lines += ["", _line("show_pooled_outcomes", p.show_pooled_outcomes)]
    return lines


def _study(p: Protocol) -> list[str]:
    s = p.study
    rows = [_line("id", s.id), _line("title", s.title)]
    rows += [_line(k, getattr(s, k)) for k in ("sponsor", "phase", "design") if getattr(s, k)]
    rows += [
        _line("treatments", list(s.treatments)),
        _line("target_enrollment", s.target_enrollment),
        _line("planned_enrollment_start", s.planned_enrollment_start),
        _line("planned_enrollment_end", s.planned_enrollment_end),
        _line("study_day_1", s.study_day_1),
    ]
    out = _table("[study]", rows)
    if s.sites:
        out += _table(
            "[study.sites]",
            _pairs(s.sites),
            "Site id (as the export writes it) = its name in the reports.",
        )
    return out


def _blinding(p: Protocol) -> list[str]:
    rows = [_line("terms", list(p.blinding.terms))]
    if p.blinding.revealing_columns:
        rows.append(_line("revealing_columns", list(p.blinding.revealing_columns)))
    return _table(
        "[blinding]",
        rows,
        "What names a treatment in the data, beyond the treatments' own names: free text that "
        "names one (an adverse event term) is withheld from the open report. Columns whose "
        "values can reveal an arm (a dose) are never quoted there.",
    )


def _visit(v: Visit) -> list[str]:
    rows = [_line("code", v.code)]
    if v.label:
        rows.append(_line("label", v.label))
    rows.append(_line("day", v.day))
    if v.window_before or v.window_after:
        rows += [_line("window_before", v.window_before), _line("window_after", v.window_after)]
    rows += [_line("phase", v.phase), _line("assessments", list(v.assessments))]
    return ["", "[[visits]]", *rows]


def _visits(p: Protocol) -> list[str]:
    out = [
        "",
        *_comment(
            "The visit schedule, in order of target day: the visit code as the "
            "export writes it, the target study day (day 1 = randomization, no "
            "day 0), the window in days before/after, the phase, and the forms "
            "due (UDS, VAS, QS, VS, FU, EX)."
        ),
    ]
    for v in p.visits:
        out += _visit(v)
    return out


def _endpoints(p: Protocol) -> list[str]:
    e = p.endpoints
    rows = [
        _line("abstinence_visits", list(e.abstinence_visits)),
        _line(
            "missing",
            e.missing.value,
            'a missing sample counts as positive ("ignore": the sensitivity view)',
        ),
        _line("relapse_visits", list(e.relapse_visits)),
        _line("end_of_treatment_day", e.end_of_treatment_day),
        _line("craving_visits", list(e.craving_visits)),
    ]
    if e.craving_baseline_visit:
        rows.append(_line("craving_baseline_visit", e.craving_baseline_visit))
    if e.infusion_visit:
        rows.append(_line("infusion_visit", e.infusion_visit))
    out = _table(
        "[endpoints]",
        rows,
        "The endpoints' visits (dmc-sap.md): the primary "
        "abstinence window, relapse, craving, the end of treatment.",
    )
    lab = e.labels
    labels = [_line("analyte", lab.analyte, "'Positive for ...'")]
    if lab.window is not None:
        labels.append(_line("window", lab.window, "the primary window, in words"))
    labels += [_line("craving", lab.craving), _line("follow_up", lab.follow_up)]
    return out + _table(
        "[endpoints.labels]",
        labels,
        "How the reports name this trial's endpoints (the program knows no study's wording).",
    )


def _domains(p: Protocol) -> list[str]:
    d = p.domains
    rows = [
        _line("vital_signs", d.vital_signs, "VS: vital signs"),
        _line("follow_up", d.follow_up, "FU: the follow-up contact"),
        _line("questionnaires", d.questionnaires, "QS: questionnaires"),
        _line("exposure", d.exposure, "EX: study treatment given or dispensed"),
    ]
    out = []
    if p.urine_panel:
        out += _table(
            "[urine_panel]",
            _pairs(p.urine_panel),
            "Other analytes of the urine "
            "panel, reported descriptively: the urine sheet's column = the analyte's "
            "name in the reports.",
        )
    out += _table(
        "[domains]",
        rows,
        "What this trial collects; an absent domain has no "
        "report section and is null in the results.",
    )
    if p.open_report.pooled_efficacy:
        out += _table(
            "[open_report]",
            [_line("pooled_efficacy", True)],
            "The open report shows pooled outcomes (asked for by the DMC).",
        )
    return out


def _interim(i: Interim | None) -> list[str]:
    if i is None:
        return []
    rows = [
        _line("endpoint", i.endpoint),
        _line("planned_information", i.planned_information, "evaluable subjects at the final"),
        _line("looks", i.looks, "planned looks, the final analysis included"),
        _line("information_rates", [float(r) for r in i.information_rates]),
        _line("spending", i.spending.value, "OBF, POCOCK or HSD (with gamma)"),
    ]
    optional = ("gamma", "alpha", "sided", "futility_z", "assumed_experimental", "assumed_control")
    for key in optional:
        value = getattr(i, key)
        if value is not None:
            rows.append(_line(key, float(value) if key != "sided" else value))
    out = _table(
        "[interim]",
        rows,
        "The interim monitoring plan: group-sequential boundaries "
        "at the information actually reached.",
    )
    for look in i.previous_looks:
        look_rows = [
            _line("date", look.date),
            _line("information_fraction", float(look.information_fraction)),
        ]
        if look.observed_z is not None:
            look_rows.append(_line("observed_z", float(look.observed_z)))
        out += ["", "[[interim.previous_looks]]", *look_rows]
    return out


def _mapping(p: Protocol) -> list[str]:
    m = p.mapping
    if not (m.sheets or m.columns or m.codes):
        return []
    out = [
        "",
        *_comment(
            "The export's own names for the contract's sheets, columns and codes "
            "(docs/protocol.md, [mapping]); what is not listed has the contract's "
            "name."
        ),
    ]
    if m.sheets:
        out += [
            "",
            "[mapping.sheets]",
            *(f"{toml_key(k)} = {toml_string(v)}" for k, v in m.sheets.items()),
        ]
    for sheet, cols in m.columns.items():
        if cols:
            out += [
                "",
                f"[mapping.columns.{toml_key(sheet)}]",
                *(f"{toml_key(k)} = {toml_string(v)}" for k, v in cols.items()),
            ]
    for sheet, by_column in m.codes.items():
        for column, codes in by_column.items():
            if codes:
                out += ["", f"[mapping.codes.{toml_key(sheet)}.{toml_key(column)}]", *_pairs(codes)]
    return out


def protocol_toml(protocol: Protocol) -> str:
    """The protocol as commented TOML text, which :func:`parse_protocol` reads back equal."""
    lines = [
        *_head(protocol),
        *_study(protocol),
        *_blinding(protocol),
        *_visits(protocol),
        *_endpoints(protocol),
        *_domains(protocol),
        *_interim(protocol.interim),
        *_mapping(protocol),
    ]
    return "\n".join(lines) + "\n"


def write_protocol(
    protocol: Protocol, path: str | Path, *, inputs: Mapping[str, str | Path] | None = None
) -> Path:
    """Write ``protocol`` to ``path`` (a temporary file renamed into place).

    Raises
    ------
    UnusableInputError
        ``path`` is one of ``inputs`` (the export workbook) or a workbook, or cannot be written.
    """
    from dmc_report.io.output import check_outputs, write_text_atomic
    from dmc_report.io.protocol_loader import parse_protocol

    target = Path(path)
    if target.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        raise UnusableInputError(
            "a protocol file is TOML text: it is never written over a workbook; "
            "choose a name ending in .toml",
            Location(file=str(target)),
        )
    check_outputs({"protocol file": target}, dict(inputs or {}))
    text = protocol_toml(protocol)
    if parse_protocol(text, str(target)) != protocol:  # the command line would read another
        raise RuntimeError("the written protocol does not read back as the one edited")
    write_text_atomic(target, text)
    return target
