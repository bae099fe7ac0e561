"""Loading the protocol TOML into :class:`~dmc_report.domain.protocol.Protocol`."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from dmc_report.domain.errors import Location, UnusableInputError
from dmc_report.domain.protocol import Protocol
from dmc_report.domain.study import ProtocolFile, Provenance
from dmc_report.io.files import read_input

MAX_PROTOCOL_BYTES = 4 * 1024 * 1024


def key_path(loc: tuple[int | str, ...]) -> str:
    """``('visits', 3, 'window_after')`` -> ``visits[3].window_after``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def parse_protocol(text: str, file: str) -> Protocol:
    """Parse and check a protocol's TOML text; errors name the file, the key and what was expected."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UnusableInputError(f"not valid TOML: {exc}", Location(file=file)) from exc
    try:
        return Protocol.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        path = key_path(tuple(err["loc"]))
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            msg = "required key is missing"
        elif err["type"] == "extra_forbidden":
            msg = "unknown key (check its spelling against docs/protocol.md)"
        elif "input" in err and err["type"] not in ("value_error", "assertion_error"):
            msg = f"{msg} (found {err['input']!r})"
        more = len(exc.errors()) - 1
        if more:
            msg += f" (and {more} more problem{'s' if more > 1 else ''})"
        raise UnusableInputError(msg, Location(file=file, key=path or None)) from exc


def load_protocol(path: str | Path) -> ProtocolFile:
    """Read and validate a protocol file."""
    data = read_input(path, "protocol file", max_bytes=MAX_PROTOCOL_BYTES)
    try:
        text = data.content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnusableInputError(
            "not a text file in UTF-8 (a protocol file is TOML text)", Location(file=str(path))
        ) from exc
    protocol = parse_protocol(text, str(path))
    prov = Provenance(file=data.name, path=str(data.path), size=data.size, sha256=data.sha256)
    return ProtocolFile(protocol, prov)


def bundled_protocol_text(name: str) -> str:
    """Text of a protocol shipped in ``templates/protocols`` (e.g. ``ketamine-mbrp.toml``)."""
    return resources.files("dmc_report._templates").joinpath("protocols", name).read_text("utf-8")
