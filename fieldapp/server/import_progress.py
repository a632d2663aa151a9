"""The import's progress line on a terminal: share of the file read, rows, rows per second
and the time left, redrawn in place at most a few times a second and erased at the end.
Only for a terminal: `for_stream` gives None when the stream is not one (logs and pipes
get the final summary only)."""

from __future__ import annotations

import time
from typing import TextIO

WIDTH = 24


def for_stream(stream: TextIO) -> ProgressBar | None:
    try:
        return ProgressBar(stream) if stream.isatty() else None
    except (AttributeError, ValueError):
        return None


def line(rows: int, done: int, total: int, seconds: float) -> str:
    """The text of the progress line."""
    share = min(done / total, 1.0) if total > 0 else 0.0
    filled = int(share * WIDTH)
    rate = rows / seconds if seconds > 0 else 0.0
    text = f"[{'#' * filled}{'-' * (WIDTH - filled)}] {share:4.0%}  {rows:,} rows  {rate:,.0f} rows/s"
    if 0 < share < 1:
        left = seconds * (1 - share) / share
        text += f"  ETA {int(left // 60)}:{int(left % 60):02d}"
    return text


class ProgressBar:
    def __init__(self, stream: TextIO, clock=time.monotonic, every: float = 0.2) -> None:  # type: ignore[no-untyped-def]
        self.stream, self.clock, self.every = stream, clock, every
        self.started = clock()
        self._shown = float("-inf")
        self._width = 0

    def __call__(self, rows: int, done: int, total: int) -> None:
        now = self.clock()
        if now - self._shown < self.every and done < total:
            return
        self._shown = now
        text = line(rows, done, total, now - self.started)
        self.stream.write("\r" + text.ljust(self._width))
        self.stream.flush()
        self._width = len(text)

    def finish(self) -> None:
        if self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
