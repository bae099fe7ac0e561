"""Loading the protocol TOML into :class:`~dmc_report.domain.protocol.Protocol`."""

from __future__ import annotations

import re
import tomllib
import types
import typing
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ValidationError

from dmc_report.domain.errors import Location, UnusableInputError
from dmc_report.domain.protocol import Protocol
from dmc_report.domain.study import ProtocolFile, Provenance
from dmc_report.io.files import read_input

MAX_PROTOCOL_BYTES = 4 * 1024 * 1024


def key_path(loc: tuple[int | str, ...]) -> str:
    """``('visits', 3, 'window_after')`` -> ``visits[3].window_after``; a key that is no bare
    TOML key is quoted as TOML quotes it (``mapping.codes."UDS.COCAINE"``)."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            name = part if re.fullmatch(r"[A-Za-z0-9_-]+", part) else f'"{part}"'
            out += f".{name}" if out else name
    return out


def _unwrap(tp: object) -> object:
    """The model, tuple or dict type inside ``X | None`` and ``Annotated[X, ...]``."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            tp = next(a for a in typing.get_args(tp) if a is not type(None))
        else:
            return tp


def allowed_keys(loc: tuple[int | str, ...]) -> tuple[str, ...]:
    """The keys the protocol allows in the table that holds the key at ``loc``."""
    tp = _unwrap(Protocol)
    for part in loc[:-1]:
        origin = typing.get_origin(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(str(part))
            if field is None:
                return ()
            tp = _unwrap(field.annotation)
        elif origin in (tuple, dict):
            tp = _unwrap(typing.get_args(tp)[0 if origin is tuple else 1])
        else:
            return ()
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tuple(tp.model_fields)
    return ()


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
        loc = (*err["loc"], *(err.get("ctx") or {}).get("path", ()))
        path = key_path(loc)
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            msg = "required key is missing"
        elif err["type"] == "extra_forbidden":
            allowed = allowed_keys(loc)
            msg = "unknown key (check its spelling against docs/protocol.md)"
            if allowed:
                msg += f"; allowed here: {', '.join(allowed)}"
        elif "input" in err and err["type"] not in (
            "value_error",
            "assertion_error",
            "protocol_key",
        ):
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
