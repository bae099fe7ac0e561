"""Progress reporting and cancellation, with no Qt in it (the GUI adapts it to signals)."""

from __future__ import annotations

from typing import Protocol

from dmc_report.domain.errors import CancelledError


class Progress(Protocol):
    """What a long stage reports to and asks of its caller."""

    def update(self, fraction: float, message: str) -> None: ...

    def cancelled(self) -> bool: ...


class _NoProgress:
    def update(self, fraction: float, message: str) -> None:
        return None

    def cancelled(self) -> bool:
        return False


NO_PROGRESS: Progress = _NoProgress()


def checkpoint(progress: Progress, fraction: float, message: str) -> None:
    """Report progress and stop with :class:`CancelledError` if the user cancelled."""
    if progress.cancelled():
        raise CancelledError(message)
    progress.update(fraction, message)
