"""The day on a map, against a loopback tile server of generated tiles: the tiles of the
cases' area are fetched at sync and kept; the map (QtLocation, OSM plugin) then draws from
the laptop's tiles without asking the server again; the stops can be reordered; without a
tile server the map says so and the route list still works. Shots in English and Chinese
(FIELDAPP_UI_SHOTS=DIR keeps them)."""

from __future__ import annotations

import datetime as dt
import os
import shutil

import pytest
from PySide6.QtGui import QColor

from fieldapp.protocol.v1 import InstitutionInfo
from fieldapp.server.services import institution
from fieldapp.server.tileserver import PALETTE, LoopbackTileServer
from fieldapp.store import field as field_repo
from fieldapp.sync.service import AgentService
from fieldapp.sync.transport import RetryPolicy
from fieldapp.ui.app import build_context
from fieldapp.ui.screens.today import TodayScreen
from fieldapp.ui.settings import SettingsStore
from server.appt_kit import MONDAY, customer_world, local
from server.kit import add_case, password

FAST = RetryPolicy(attempts=2, backoff_s=0.01, backoff_max_s=0.05)
PLACES = [(32.0580, 118.7960), (32.0450, 118.7750), (32.0700, 118.8100)]


@pytest.fixture
def tiles():
    with LoopbackTileServer() as server:
        yield server


def _world(tmp_path, app_clock, tile_url):
    world = customer_world(f"sqlite:///{tmp_path / 'server.db'}", app_clock, upgrade=True)
    w = world.__enter__()
    with w.live.session() as s, s.begin():
        institution.update(s, InstitutionInfo(names={"en": "Demo Bank"}, tile_url=tile_url))
        notice = MONDAY - dt.timedelta(days=1)
        for i, (lat, lon) in enumerate(PLACES):
            add_case(s, f"M-{i}", lat=lat, lon=lon, start=local(2026, 3, 4, 9 + 2 * i, 0),
                     notifications=[("sms", notice, notice)], address=f"南京市玄武区中山路{i + 1}号")
    return world, w


@pytest.fixture
def laptop_with(tmp_path, app_clock):
    made = []

    def make(tile_url):
        world, w = _world(tmp_path, app_clock, tile_url)
        service = AgentService(store_path=tmp_path / "laptop.sqlite3", retry=FAST, timeout_s=10)
        service.login(w.url, "agent1", password("agent1"))
        service.sync()
        made.append((world, service))
        return service

    yield make
    for world, service in made:
        service.close()
        world.__exit__(None, None, None)


def _shot(widget, tmp_path, name: str) -> None:
    path = tmp_path / name
    widget.grab().save(str(path))
    if os.environ.get("FIELDAPP_UI_SHOTS"):
        shutil.copy(path, os.environ["FIELDAPP_UI_SHOTS"])


def _today(qtbot, service, tmp_path):
    ctx = build_context(service, synchronous=True, settings_store=SettingsStore(tmp_path / "ui.json"), language="en")
    today = TodayScreen(ctx)
    qtbot.addWidget(today)
    today.resize(1200, 600)
    today.show()
    today.show_day(dt.date(2026, 3, 4))
    return ctx, today


def test_tiles_cached_at_sync_draw_the_map_offline(qtbot, laptop_with, tiles, tmp_path):
    service = laptop_with(tiles.url)
    fetched = len(tiles.hits)
    assert fetched > 20
    with service.store.read() as s:
        assert len(field_repo.tile_keys(s, __import__("fieldapp.sync.tiles", fromlist=["x"]).source_key(tiles.url))) == fetched
    service.sync()
    assert len(tiles.hits) == fetched  # nothing fetched twice
    tiles.stop()  # offline from here on

    ctx, today = _today(qtbot, service, tmp_path)
    assert today.map_button.isEnabled() and today.map_button.text() == "Map of the day…"
    dialog = today.open_map()
    day_map = dialog.map
    assert day_map.view is not None and day_map.tiles == fetched
    assert day_map.stops.count() == 3 and day_map.stops.item(1).text().startswith("2. 2026-03-04 11:00")
    assert "min from the stop before" in day_map.stops.item(1).text()
    assert "the map works offline" in day_map.note.text()
    root = day_map.view.rootObject()
    assert root is not None and len(root.property("stops")) == 3
    qtbot.wait(1500)  # the map reads its tiles
    image = day_map.view.grab().toImage()
    samples = [QColor(image.pixel(x, y)) for x in range(5, image.width(), 37) for y in range(5, image.height(), 41)]

    def tile_colour(c):
        return any(abs(c.red() - r) + abs(c.green() - g) + abs(c.blue() - b) < 12 for r, g, b in PALETTE)

    assert sum(map(tile_colour, samples)) > len(samples) * 0.4  # the generated tiles are drawn
    _shot(dialog, tmp_path, "day_map_en.png")

    seen = []
    day_map.order_changed.connect(seen.append)
    first = day_map.case_ids()
    day_map.move_stop(0, 2)
    assert day_map.case_ids() == [first[1], first[2], first[0]] and seen == [day_map.case_ids()]
    assert day_map.stops.item(0).text().startswith("1. 2026-03-04 11:00")
    assert [p["label"] for p in root.property("stops")] == ["1", "2", "3"]
    ctx.language.set_language("zh_CN")
    assert "地图可离线使用" in day_map.note.text() and "拖动" in day_map.title.text()
    assert day_map.stops.item(0).text().endswith("第一站")
    qtbot.wait(300)
    _shot(dialog, tmp_path, "day_map_zh_CN.png")
    ctx.tasks.shutdown()


def test_without_a_tile_server_the_route_list_still_works(qtbot, laptop_with, tmp_path):
    service = laptop_with(None)
    ctx, today = _today(qtbot, service, tmp_path)
    dialog = today.open_map()
    assert dialog.map.view is None and dialog.map.stops.count() == 3
    assert dialog.map.note.text().startswith("No map: the institution has set no tile server")
    _shot(dialog, tmp_path, "day_map_no_server_en.png")
    ctx.language.set_language("zh_CN")
    assert dialog.map.note.text().startswith("无地图")
    _shot(dialog, tmp_path, "day_map_no_server_zh_CN.png")
    ctx.tasks.shutdown()


def test_an_installation_without_qt_location_keeps_the_route_list(qtbot, laptop_with, tiles, tmp_path, monkeypatch):
    """An installation without Qt Quick and Qt Location (PySide6 without its Addons; the frozen
    bundle ships them, its self-test proves the map loads): the dialog says so, no traceback."""
    import sys

    service = laptop_with(tiles.url)
    monkeypatch.setitem(sys.modules, "PySide6.QtQuickWidgets", None)  # import fails as when not shipped
    ctx, today = _today(qtbot, service, tmp_path)
    dialog = today.open_map()
    qtbot.waitUntil(lambda: getattr(dialog.map, "no_map_module", False), timeout=10000)
    assert dialog.map.view is None and dialog.map.stops.count() == 3
    assert dialog.map.note.text().startswith("No map in this installation")
    ctx.language.set_language("zh_CN")
    assert dialog.map.note.text().startswith("此安装不含地图")
    ctx.tasks.shutdown()


def test_the_dragged_order_is_kept_across_a_restart(qtbot, laptop_with, tiles, tmp_path):
    """The agent's order is saved on this laptop; a new store session on the same file (the app
    started again) opens the day in it, in the day's list and on its map. A stop gone since
    is dropped, one added since comes last."""
    service = laptop_with(tiles.url)
    ctx, today = _today(qtbot, service, tmp_path)
    planned = today.case_ids()
    dialog = today.open_map()
    dialog.map.move_stop(0, 2)
    wanted = [planned[1], planned[2], planned[0]]
    assert dialog.map.case_ids() == wanted
    assert today.case_ids() == wanted  # the day's list follows at once
    assert today.route.topLevelItem(0).text(0) == "1"
    dialog.close()
    ctx.tasks.shutdown()
    service.close()

    again = AgentService(store_path=tmp_path / "laptop.sqlite3", retry=FAST, timeout_s=10)
    try:
        assert again.route_order(dt.date(2026, 3, 4)) == wanted
        ctx2, today2 = _today(qtbot, again, tmp_path)
        assert today2.case_ids() == wanted
        plan = today2.plan
        assert plan.stops[0].distance_m is None and plan.stops[1].distance_m is not None
        assert plan.total_m == pytest.approx(sum(s.distance_m for s in plan.stops[1:]))
        dialog2 = today2.open_map()
        assert dialog2.map.case_ids() == wanted
        assert dialog2.map.stops.item(0).text().startswith("1. 2026-03-04 11:00")
        assert [p["label"] for p in dialog2.map.canvas.properties["stops"]] == ["1", "2", "3"]
        dialog2.close()

        # One stop gone since (a case no longer on the day), one not in the saved order.
        again.save_route_order(dt.date(2026, 3, 4), ["gone-case", wanted[2], wanted[0]])
        today2.reload()
        assert today2.case_ids() == [wanted[2], wanted[0], wanted[1]]
        assert again.route_order(dt.date(2026, 3, 5)) is None  # another day keeps the planned order
        ctx2.tasks.shutdown()
    finally:
        again.close()
