"""Run pyHanko's blocking calls whether or not an asyncio loop runs in this thread.

pyHanko's synchronous API (`PdfSigner.sign_pdf`, `timestamp_pdf`, `validate_pdf_signature`)
wraps its own coroutines in `asyncio.run`, which refuses to start inside a running loop
(a Qt integration such as qasync, an embedding host, a Playwright session in the same
thread). There the call runs on a short-lived worker thread instead, and this thread waits:
the result and any exception are the same as a direct call."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, TypeVar

T = TypeVar("T")


def off_loop(fn: Callable[[], T]) -> T:
    """`fn()`, on a worker thread when an asyncio loop is running in the calling thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return fn()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pyhanko") as pool:
        return pool.submit(fn).result()
