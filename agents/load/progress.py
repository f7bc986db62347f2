"""Progress display for a load run: rich's bar when rich is installed, else one
carriage-return line; :class:`NoProgress` for library use and tests."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Protocol, TextIO

if TYPE_CHECKING:
    from rich.progress import TaskID


class ProgressView(Protocol):
    """Receives the run's counters as they move."""

    def start(self, total: int) -> None: ...

    def update(self, sent: int, confirmed: int, failed: int) -> None: ...

    def stop(self) -> None: ...


class NoProgress:
    def start(self, total: int) -> None:
        pass

    def update(self, sent: int, confirmed: int, failed: int) -> None:
        pass

    def stop(self) -> None:
        pass


class LineProgress:
    """``sent 1200/2000  receipts 1100  failed 0`` rewritten in place."""

    def __init__(self, stream: TextIO | None = None, interval: float = 0.2) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.interval = interval
        self.total = 0
        self._last = 0.0

    def start(self, total: int) -> None:
        self.total = total

    def update(self, sent: int, confirmed: int, failed: int) -> None:
        now = time.monotonic()
        if now - self._last < self.interval and confirmed < self.total:
            return
        self._last = now
        self.stream.write(
            f"\rsent {sent}/{self.total}  receipts {confirmed}/{self.total}  failed {failed}   "
        )
        self.stream.flush()

    def stop(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


class RichProgress:
    """Two rich bars (sent, receipts) on stderr."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self._progress = Progress(
            TextColumn("{task.description:<9}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[note]}"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            refresh_per_second=8,
        )
        self._sent: TaskID | None = None
        self._confirmed: TaskID | None = None

    def start(self, total: int) -> None:
        self._progress.start()
        self._sent = self._progress.add_task("sent", total=total, note="")
        self._confirmed = self._progress.add_task("receipts", total=total, note="")

    def update(self, sent: int, confirmed: int, failed: int) -> None:
        assert self._sent is not None and self._confirmed is not None
        self._progress.update(self._sent, completed=sent)
        note = f"failed {failed}" if failed else ""
        self._progress.update(self._confirmed, completed=confirmed, note=note)

    def stop(self) -> None:
        self._progress.stop()


def default_progress() -> ProgressView:
    """rich's bar if rich imports, else the one-line display."""
    try:
        return RichProgress()
    except ImportError:
        return LineProgress()
