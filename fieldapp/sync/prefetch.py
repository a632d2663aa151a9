"""Pull pages fetched and prepared ahead of the thread that writes them.

Three stages overlap: the server builds page k+1 while page k is parsed and sealed (the
parsing thread) and page k-1 is written (the engine's thread). The fetching thread asks for
the next page as soon as the current one has arrived: its cursor is read from the bytes of
the page that name it (`next_cursor_hint`: the end of a JSON page, the head line of a page
as lines) instead of waiting for the full parse. The hint is only a
guess: the writer checks every page's cursor against its own and starts a new pipeline from
its cursor when they differ (or when the page's end could not be read).

How far ahead it may run is the server's rule: a pull at cursor c tells the server that the
laptop applied everything up to the cursor of its previous pull (the withdrawal
acknowledgements of `fieldapp.server.services.handover` rest on that). So a pull is sent
only once the writer has committed up to the cursor of the pull before it: at most the page
being written, the page being parsed and the page on the wire are not yet applied.
"""

from __future__ import annotations

import queue
import re
import threading
from typing import Callable, Generic, TypeVar

T = TypeVar("T")
A = TypeVar("A")

_TAIL = 512
_NEXT = re.compile(rb'"next_cursor"\s*:\s*(\d+)')
_MORE = re.compile(rb'"has_more"\s*:\s*(true|false)')
_END = object()
_POLL_S = 0.1


def next_cursor_hint(body: bytes) -> int | None:
    """The next page's cursor as the end of `body` (a page's JSON, or the head line of a page
    as lines) gives it; None when it says there is no more, or when the end does not name
    both fields exactly once."""
    tail = body[-_TAIL:]
    more, nxt = _MORE.findall(tail), _NEXT.findall(tail)
    if len(more) != 1 or len(nxt) != 1 or more[0] != b"true":
        return None
    return int(nxt[0])


class PagePipeline(Generic[A, T]):
    """`fetch(cursor)` gives a raw answer, `body(answer)` the bytes of it that name the next
    cursor (`next_cursor_hint`), `prepare(answer)` what the writer needs. The writer calls
    `next(cursor)` for each page, `written()` once it is written, `committed(cursor)` after
    its commit and `close()` at the end."""

    def __init__(self, start: int, fetch: Callable[[int], A], prepare: Callable[[A], T],
                 body: Callable[[A], bytes], name: str = "fieldapp-pull"):
        self._fetch, self._prepare, self._body = fetch, prepare, body
        self._stop = threading.Event()
        self._gate = threading.Condition()
        self._committed = start
        self._writing = False  # from a page handed to the writer until its `written`
        self._raw: queue.Queue = queue.Queue(maxsize=1)
        self._ready: queue.Queue = queue.Queue(maxsize=1)
        self._threads = [threading.Thread(target=self._fetching, args=(start,), name=f"{name}-fetch", daemon=True),
                         threading.Thread(target=self._parsing, name=f"{name}-parse", daemon=True)]
        for thread in self._threads:
            thread.start()

    # ------------------------------------------------------------------ the writer's side
    def next(self, cursor: int) -> T | None:
        """The page fetched at `cursor`, prepared; None when the fetcher went another way or
        stopped (start a new pipeline at `cursor`). A failure to fetch or prepare it is
        raised; one at a cursor the writer does not want (a wrong guess) only gives None."""
        item = self._ready.get()
        if item is _END:
            return None
        at, value, error = item
        if at != cursor:
            return None
        if error is not None:
            raise error
        return value

    def written(self) -> None:
        """The page is written, its commit is under way (see `_wait_written`)."""
        with self._gate:
            self._writing = False
            self._gate.notify_all()

    def committed(self, cursor: int) -> None:
        with self._gate:
            self._committed = max(self._committed, cursor)
            self._gate.notify_all()

    def close(self, *, wait: bool = False) -> None:
        """Stop both threads; with `wait`, until the fetcher is done (a pull it has sent is
        answered first), so that a new pipeline's pulls never cross a stale one on the server."""
        self._stop.set()
        with self._gate:
            self._gate.notify_all()
        if wait:
            self._threads[0].join()

    # ------------------------------------------------------------------ the threads
    def _put(self, q: queue.Queue, item: object) -> bool:
        while not self._stop.is_set():
            try:
                q.put(item, timeout=_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def _wait_written(self) -> bool:
        """Wait while the writer writes a page. Parsing and writing both need the interpreter
        (GIL): side by side they take twice as long each, the page's commit comes late, and
        the pull after next, which waits for that commit, is sent late; the server then
        builds it while the laptop idles. One after the other, the commit comes first and
        the server builds the page after next while the next is parsed."""
        with self._gate:
            while self._writing and not self._stop.is_set():
                self._gate.wait(_POLL_S)
        return not self._stop.is_set()

    def _wait_applied(self, cursor: int) -> bool:
        with self._gate:
            while self._committed < cursor and not self._stop.is_set():
                self._gate.wait(_POLL_S)
        return not self._stop.is_set()

    def _fetching(self, cursor: int) -> None:
        previous: int | None = None
        while not self._stop.is_set():
            if previous is not None and not self._wait_applied(previous):
                return
            try:
                answer = self._fetch(cursor)
            except BaseException as exc:  # noqa: BLE001 - handed to the writer, raised there
                self._put(self._raw, (cursor, None, exc))
                return
            previous = cursor
            if not self._put(self._raw, (cursor, answer, None)):
                return
            hint = next_cursor_hint(self._body(answer))
            if hint is None:
                self._put(self._raw, _END)
                return
            cursor = hint

    def _parsing(self) -> None:
        while not self._stop.is_set():
            try:
                item = self._raw.get(timeout=_POLL_S)
            except queue.Empty:
                continue
            if item is _END or item[2] is not None:
                self._put(self._ready, item)
                return
            cursor, answer, _ = item
            if not self._wait_written():
                return
            try:
                ready = (cursor, self._prepare(answer), None)
            except BaseException as exc:  # noqa: BLE001 - handed to the writer, raised there
                self._put(self._ready, (cursor, None, exc))
                return
            with self._gate:  # (before the writer can have it, so its `written` comes after)
                self._writing = True
            if not self._put(self._ready, ready):
                return
