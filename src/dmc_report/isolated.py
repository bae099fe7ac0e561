"""Long C-bound work (drawing figures, rendering the reports) in a child process.

reportlab, matplotlib and pikepdf spend long stretches in C code that holds the interpreter lock;
in a worker thread of the desktop app those stretches froze the window for up to 0.2 s. A child
process has its own interpreter, so the app's GUI thread never waits for them.

The child receives its inputs (the loaded study, findings, results) by pickle over a pipe, never
on disk, reports progress back over the same pipe, and returns its result: for the reports, the
open report's bytes and the closed report's *encrypted* bytes, which the parent writes
atomically. Nothing about the arms leaves the child unencrypted, and a cancelled child is simply
terminated: it has written nothing, so nothing is left behind.
"""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing
import pickle
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from dmc_report.domain.errors import CancelledError
from dmc_report.domain.progress import NO_PROGRESS, Progress
from dmc_report.domain.settings import ReportSettings

if TYPE_CHECKING:
    from dmc_report.pipeline import LoadedStudy, WrittenReports

POLL_SECONDS = 0.05
T = TypeVar("T")


class ChildStopped(RuntimeError):
    """The child process ended without an answer (killed, crashed, or an unpicklable error)."""


class _PipeProgress:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def update(self, fraction: float, message: str) -> None:
        self.conn.send(("progress", float(fraction), message))

    def cancelled(self) -> bool:
        return False  # the parent terminates a cancelled child


def _child_main(conn: Connection, prepare: Callable[[], object] | None = None) -> None:
    """Entry point of the child: ``prepare()`` (imports, fonts) at once, then one request in,
    progress and one answer out."""
    if prepare is not None:
        with contextlib.suppress(Exception):  # the request meets the same failure and reports it
            prepare()
    try:
        fn, n_args, names, pass_progress = pickle.loads(conn.recv_bytes())
        args = [_loads(conn.recv_bytes()) for _ in range(n_args)]
        kwargs = {name: _loads(conn.recv_bytes()) for name in names}
        if pass_progress:
            kwargs = {**kwargs, "progress": _PipeProgress(conn)}
        conn.send(("done", fn(*args, **kwargs)))
    except BaseException as exc:  # every failure goes back to the parent, which reports it
        tb = traceback.format_exc()
        try:
            payload = pickle.dumps(exc)
        except Exception:
            payload = pickle.dumps(ChildStopped(f"{type(exc).__name__}: {exc}"))
        conn.send(("error", payload, tb))
    finally:
        conn.close()


def call_in_child(
    fn: Callable[..., T],
    *args: Any,
    progress: Progress = NO_PROGRESS,
    pass_progress: bool = False,
    **kwargs: Any,
) -> T:
    """``fn(*args, **kwargs)`` computed in a child process; call it from a worker thread.

    ``fn`` must be a module-level function and its arguments and result picklable. It waits for
    the child, forwarding its progress (``fn`` gets a ``progress`` argument when
    ``pass_progress``), and terminates it at once when ``progress`` says the user cancelled (then
    raises :class:`CancelledError`). The child's exceptions are re-raised here as themselves,
    with the child's traceback attached as ``child_traceback``.
    """
    ctx = multiprocessing.get_context("spawn")  # the same on Windows, macOS and Linux
    ours, theirs = ctx.Pipe(duplex=True)
    proc = ctx.Process(target=_child_main, args=(theirs,), name="dmc-report-child", daemon=True)
    proc.start()
    theirs.close()
    try:
        # one argument at a time: pickling a study's findings and results in one piece held the
        # interpreter lock for 0.05-0.13 s, and the window froze while it did
        ours.send_bytes(_dumps_one((fn, len(args), list(kwargs), pass_progress)))
        for value in (*args, *kwargs.values()):
            ours.send_bytes(_dumps(value))
        result: T = _wait(proc, ours, progress)
        return result
    finally:
        if proc.is_alive():
            proc.terminate()
        proc.join(5)
        ours.close()


class Prestarted:
    """A child process started now, which prepares itself (``prepare``: imports, fonts) while
    this process reads, validates and analyses; then :meth:`submit` gives it one function to
    run, whose result :meth:`result` waits for. For the closed report on the command line: it
    renders beside the open report with its imports already done, on Windows and macOS too
    (where :class:`dmc_report.report.render.Beside` cannot fork).

    The function and its arguments go over a pipe, never to disk; the child sends back only
    the result (the closed report already encrypted). A child never given work, or whose work
    is not wanted, is terminated by :meth:`close` (``with`` closes it); it is a daemon, so it
    never outlives this process's normal exit.
    """

    def __init__(self, prepare: Callable[[], object] | None = None) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conn, theirs = ctx.Pipe(duplex=True)
        self._proc = ctx.Process(
            target=_child_main, args=(theirs, prepare), name="dmc-report-renderer", daemon=True
        )
        self._proc.start()
        theirs.close()
        self._submitted = False

    def submit(self, fn: Callable[..., Any], *args: Any) -> Prestarted:
        """Start ``fn(*args)`` in the child (a module-level function, picklable arguments)."""
        if self._submitted:
            raise RuntimeError("a prestarted process runs one function")
        self._submitted = True
        self._conn.send_bytes(_dumps_one((fn, len(args), [], False)))
        for value in args:
            self._conn.send_bytes(_dumps(value))
        return self

    def result(self) -> Any:
        """``fn``'s result; its exception raised here as itself."""
        try:
            return _wait(self._proc, self._conn, NO_PROGRESS)
        finally:
            self.close()

    def cancel(self) -> None:
        self.close()

    def close(self) -> None:
        if self._proc.is_alive():
            self._proc.terminate()
        self._proc.join(5)
        self._conn.close()

    def __enter__(self) -> Prestarted:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def prepare_renderer() -> None:
    """A prestarted renderer's preparation: the report modules, fonts and the pipeline (where
    the closed report's function lives) loaded before the work arrives."""
    import dmc_report.pipeline  # noqa: F401
    from dmc_report.report.render import warm_up

    warm_up()


def _dumps(value: Any) -> bytes:
    """``value`` pickled a piece at a time (:func:`_pieces`), as :func:`_loads` reads it."""
    return pickle.dumps(_pieces(value), protocol=pickle.HIGHEST_PROTOCOL)


def _loads(data: bytes) -> Any:
    return _whole(pickle.loads(data))


PIECE = 2000  # items of a long tuple or list pickled at a time
_DEPTH = 3


def _plain_dataclass(value: Any) -> bool:
    """A dataclass instance whose state is its fields (pickled as its ``__dict__``)."""
    cls = type(value)
    return (
        dataclasses.is_dataclass(value)
        and not isinstance(value, type)
        and all(
            getattr(cls, name) is getattr(object, name)
            for name in ("__reduce_ex__", "__reduce__", "__getstate__")
        )
        and not hasattr(cls, "__slots__")
        and set(vars(value)) == {f.name for f in dataclasses.fields(value)}
    )


def _pieces(value: Any, depth: int = _DEPTH) -> Any:
    """``value`` as pieces, each pickled by its own call: one call over a study's findings and
    results held the interpreter lock for 0.05-0.1 s, which froze the window; between calls
    the window gets its turn. A dataclass goes field by field, a long tuple or list
    :data:`PIECE` items at a time; everything else (and anything deeper) in one piece."""
    if depth and _plain_dataclass(value):
        fields = {k: _pieces(v, depth - 1) for k, v in vars(value).items()}
        return ("fields", type(value), fields)
    if depth and type(value) in (tuple, list) and len(value) > PIECE:
        chunks = [_dumps_one(value[i : i + PIECE]) for i in range(0, len(value), PIECE)]
        return ("items", type(value), chunks)
    return ("one", _dumps_one(value))


def _dumps_one(value: Any) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def _whole(piece: Any) -> Any:
    kind = piece[0]
    if kind == "fields":
        value = object.__new__(piece[1])
        for k, v in piece[2].items():
            object.__setattr__(value, k, _whole(v))
        return value
    if kind == "items":
        return piece[1](x for chunk in piece[2] for x in pickle.loads(chunk))
    return pickle.loads(piece[1])


def render_reports_in_child(
    loaded: LoadedStudy,
    validation: Any,
    results: Any,
    settings: ReportSettings,
    *,
    open_path: str | Path,
    closed_path: str | Path | None = None,
    closed_password: str | None = None,
    pooled_results_path: str | Path | None = None,
    progress: Progress = NO_PROGRESS,
) -> WrittenReports:
    """:func:`dmc_report.pipeline.render_reports`, with the rendering done in a child process;
    with ``pooled_results_path``, the pooled results JSON is written there too.

    Only the written files touch the disk, and only once the child has returned every byte: a
    cancelled or failed render leaves nothing behind.
    """
    from dmc_report.pipeline import (
        input_paths,
        located_in,
        render_from_inputs,
        report_inputs,
        results_as_requested,
        run_facts,
        write_reports,
    )

    progress.update(0.0, "Starting the report renderer")
    # made here as the settings ask (final or interim), so that the child only renders
    results = results_as_requested(loaded, validation, results, settings)
    # the child receives results, findings and settings, not the data: the visit grid and the
    # workbook's tables stay here (pickling them would hold the interpreter lock for ~0.1 s at
    # 20,000 subjects); a blinding stop is located in the data here, in the parent
    with located_in(loaded):
        rendered = call_in_child(
            render_from_inputs, report_inputs(loaded), validation.for_reports(), results,
            settings, closed=closed_path is not None, closed_password=closed_password,
            pooled_results=pooled_results_path is not None, progress=progress,
            pass_progress=True,
        )  # fmt: skip
    return write_reports(
        rendered, open_path=open_path, closed_path=closed_path,
        pooled_results_path=pooled_results_path, inputs=input_paths(loaded, settings),
        progress=progress, audit=run_facts(loaded, settings),
    )  # fmt: skip


def _wait(proc: Any, conn: Connection, progress: Progress) -> Any:
    while True:
        if progress.cancelled():  # the caller terminates the child
            raise CancelledError("Cancelled")
        if conn.poll(POLL_SECONDS):
            try:
                message = conn.recv()
            except EOFError:
                message = ("gone",)
            kind = message[0]
            if kind == "progress":
                progress.update(message[1], message[2])
            elif kind == "done":
                return message[1]
            elif kind == "error":
                exc = pickle.loads(message[1])
                exc.child_traceback = message[2]
                raise exc
            else:
                break
        elif not proc.is_alive():
            break
    proc.join(5)
    raise ChildStopped(
        f"the background process stopped unexpectedly (exit code {proc.exitcode}); nothing was written"
    )
