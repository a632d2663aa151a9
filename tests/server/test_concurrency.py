"""At most pool-many requests in progress per process; the rest wait in line, and one that
waits too long is answered 503 `busy` with Retry-After (never a 500 from an empty pool)."""

from __future__ import annotations

import asyncio
import json

import httpx

from fieldapp.server.concurrency import ConcurrencyLimit
from fieldapp.server.settings import ServerSettings


def _call(app, path: str = "/api/v1/sync/pull"):  # type: ignore[no-untyped-def]
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    async def run() -> list[dict]:
        await app({"type": "http", "path": path, "method": "GET", "headers": []}, receive, send)
        return sent
    return run()


def _ok_app(state: dict, release: asyncio.Event | None = None):  # type: ignore[no-untyped-def]
    async def app(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        state["now"] += 1
        state["peak"] = max(state["peak"], state["now"])
        if release is not None:
            await release.wait()
        else:
            await asyncio.sleep(0.01)
        state["now"] -= 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})
    return app


def test_no_more_requests_in_progress_than_places_and_every_one_answered():
    state = {"now": 0, "peak": 0}
    limited = ConcurrencyLimit(_ok_app(state), limit=3, wait_seconds=30)

    async def main() -> list[list[dict]]:
        return await asyncio.gather(*(_call(limited) for _ in range(25)))

    answers = asyncio.run(main())
    assert state["peak"] == 3
    assert [a[0]["status"] for a in answers] == [200] * 25


def test_a_request_that_cannot_get_a_place_is_told_to_come_back():
    state = {"now": 0, "peak": 0}

    async def main() -> tuple[list[dict], list[dict], list[dict]]:
        release = asyncio.Event()
        limited = ConcurrencyLimit(_ok_app(state, release), limit=1, wait_seconds=0.2)
        first = asyncio.ensure_future(_call(limited))
        await asyncio.sleep(0.05)
        refused = await _call(limited)
        probe = await asyncio.wait_for(_call(ConcurrencyLimit(_ok_app(state), limit=1, wait_seconds=0.2),
                                             "/healthz"), 5)
        release.set()
        return await first, refused, probe

    first, refused, probe = asyncio.run(main())
    assert first[0]["status"] == 200 and probe[0]["status"] == 200
    start, body = refused
    assert start["status"] == 503 and (b"retry-after", b"1") in start["headers"]
    answer = json.loads(body["body"])
    assert answer["error"] == "busy" and answer["retry_after"] == 1


def test_the_server_takes_as_many_at_once_as_its_pool_has_connections(tmp_path):
    """A live server with one place: 12 pulls at once all succeed in turn (nothing refused, no
    request waiting on another that waits for its place)."""
    from concurrent.futures import ThreadPoolExecutor

    from fieldapp.server.testing import LiveServer

    from .kit import Api, make_people

    settings = ServerSettings.load(database_url=f"sqlite:///{tmp_path / 's.db'}", db_pool_size=1,
                                   db_max_overflow=0, request_queue_seconds=60)
    with LiveServer(settings=settings) as live:
        with live.session() as s, s.begin():
            make_people(s)
        api = Api(live.url, "agent1")
        headers = dict(api.client.headers)

        def pull(_: int) -> int:
            return httpx.get(live.url + "/api/v1/sync/pull", headers=headers, timeout=60).status_code

        with ThreadPoolExecutor(12) as pool:
            codes = list(pool.map(pull, range(12)))
        api.close()
    assert codes == [200] * 12


def test_a_process_has_a_connection_for_every_request_it_admits(db_url):
    """A process admits `db_pool_size + db_max_overflow` requests at once; its engine has as
    many connections, on a SQLite file as on PostgreSQL (with fewer, a request let in could
    wait 30 s for one and fail), in `server run` as in the test server."""
    from fieldapp.server.app import create_app
    from fieldapp.server.testing import LiveServer

    settings = ServerSettings.load(database_url=db_url, db_pool_size=3, db_max_overflow=2)
    app = create_app(settings)
    limits = [m.kwargs["limit"] for m in app.user_middleware if m.cls is ConcurrencyLimit]
    with LiveServer(settings=settings, upgrade_db=False) as live:
        for engine in (app.state.engine, live.engine):
            assert (engine.pool.size(), engine.pool._max_overflow) == (3, 2)
            assert limits == [engine.pool.size() + engine.pool._max_overflow]
    app.state.engine.dispose()
