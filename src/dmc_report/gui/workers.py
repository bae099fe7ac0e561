"""Background work: one pipeline call per job, progress and cancellation through signals.

A job is a plain function ``fn(progress)``; the GUI thread only starts it and receives its
result (Orange3's concurrent pattern). No logic lives here.
"""

from __future__ import annotations

import gc
import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from dmc_report.domain.errors import CancelledError


class JobSignals(QObject):
    progress = Signal(float, str)
    finished = Signal(object)
    failed = Signal(object, str)  # exception, formatted traceback
    cancelled = Signal()


class QtProgress:
    """The core's Progress protocol, reporting through a signal; cancellation via an event."""

    def __init__(self, signals: JobSignals) -> None:
        self._signals = signals
        self._cancel = threading.Event()

    def update(self, fraction: float, message: str) -> None:
        _out_of_the_collectors_sight()
        self._signals.progress.emit(float(fraction), message)

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        self._cancel.set()


def _out_of_the_collectors_sight() -> None:
    """What the job has made so far, out of the cyclic collector's full passes (see
    :meth:`Job.run`): at each step of a job, so that a pass walks only what the current step
    makes. Each full pass over a loaded 20,000-subject study held the interpreter lock for
    50-70 ms. A young collection first frees the cycles already unreachable (a whole job leaves a
    few hundred such objects, so what is kept is negligible)."""
    gc.collect(1)
    gc.freeze()


class Job(QRunnable):
    def __init__(self, fn: Callable[[QtProgress], Any]) -> None:
        super().__init__()
        self.fn = fn
        self.signals = JobSignals()
        self.progress = QtProgress(self.signals)
        self.setAutoDelete(False)

    def run(self) -> None:
        # A full collection walks every tracked object while holding the interpreter lock: with
        # a large study loaded that froze the window for 60-120 ms at a time. Freezing moves what
        # exists now out of the collector's sight (it stays reference-counted), so the job's
        # collections walk only what the job itself creates.
        gc.freeze()
        try:
            result = self.fn(self.progress)
        except CancelledError:
            self.signals.cancelled.emit()
        except Exception as exc:  # reported to the GUI thread as a dialog
            self.signals.failed.emit(exc, traceback.format_exc())
        else:
            self.signals.finished.emit(result)

    def cancel(self) -> None:
        self.progress.cancel()


def start(job: Job) -> Job:
    QThreadPool.globalInstance().start(job)
    return job
