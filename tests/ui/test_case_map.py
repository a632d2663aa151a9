"""A case on a map, against a loopback tile server: the customer's address with the policy's
fence, and a marker at the check-in of each visit this laptop recorded (sent to the server
and accepted), with the distance and whether it was inside the fence written beside. Without
a tile server the distances still show. Shots in English and Chinese (FIELDAPP_UI_SHOTS=DIR)."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor
from server.kit import visit_payload

from fieldapp.geo.distance import distance_m
from fieldapp.policy import load_policy
from fieldapp.protocol.v1 import VisitRecord
from fieldapp.ui.app import build_context
from fieldapp.ui.screens.case_detail import CaseDetailScreen
from fieldapp.ui.settings import SettingsStore
from ui.test_day_map import PLACES, _shot, laptop_with, tiles  # noqa: F401 - fixtures

NEAR = (PLACES[0][0] + 0.0004, PLACES[0][1])   # about 44 m north of the customer
FAR = (PLACES[0][0] + 0.0080, PLACES[0][1])    # about 890 m north


def _case_of(service, lat_lon):
    for row in service.list_cases():
        loc = service.get_case(row.id).customer.location
        if loc is not None and (loc.lat, loc.lon) == lat_lon:
            return row.id
    raise AssertionError("no case at that place")


def _visit(service, case_id, place, checked_in_at):
    payload = visit_payload(case_id, location={"lat": place[0], "lon": place[1], "accuracy_m": 12.0},
                            checked_in_at=checked_in_at, agent_started_at=checked_in_at,
                            ended_at=checked_in_at.replace("T02:", "T03:"))
    VisitRecord.model_validate(payload)  # what the visit flow records
    return service.record("visit", case_id, payload)


def _screen(qtbot, service, tmp_path):
    ctx = build_context(service, synchronous=True, settings_store=SettingsStore(tmp_path / "ui.json"), language="en")
    screen = CaseDetailScreen(ctx)
    qtbot.addWidget(screen)
    screen.resize(1200, 700)
    screen.show()
    return ctx, screen


def test_the_case_map_shows_the_fence_and_each_check_in(qtbot, laptop_with, tiles, tmp_path):
    service = laptop_with(tiles.url)
    case_id = _case_of(service, PLACES[0])
    _visit(service, case_id, NEAR, "2026-03-04T01:05:00Z")
    _visit(service, case_id, FAR, "2026-03-04T02:10:00Z")
    service.sync()  # sent and accepted: the laptop keeps the payloads while the case is here
    assert {o.state for o in service.outbox() if o.case_id == case_id and o.kind == "visit"} <= {"accepted"}
    tiles.stop()  # offline: the tiles cached at sync draw the map

    ctx, screen = _screen(qtbot, service, tmp_path)
    assert not screen.map_button.isEnabled()  # no case yet
    screen.open_case(case_id)
    assert screen.map_button.isEnabled() and screen.map_button.text() == "Map…"
    dialog = screen.open_map()
    case_map = dialog.map
    fence = load_policy(service.get_case(case_id).policy_id).geofence.max_distance_m
    assert case_map.fence == fence and 44 < fence < 890

    root = case_map.canvas.root()
    assert root is not None and case_map.canvas.view is not None
    stops, checkins = root.property("stops"), root.property("checkins")
    assert [(s["lat"], s["lon"], s["fence"]) for s in stops] == [(*PLACES[0], fence)]
    assert [(c["lat"], c["lon"], c["label"], c["inside"]) for c in checkins] == [
        (*NEAR, "1", True), (*FAR, "2", False)]
    assert root.property("showRoute") is False

    lines = [case_map.legend.item(i).text() for i in range(case_map.legend.count())]
    near_m, far_m = distance_m(NEAR, PLACES[0]), distance_m(FAR, PLACES[0])
    assert lines[0] == (f"1. 2026-03-04 09:05 (UTC+8): {near_m:.0f} m from the customer, "
                        f"inside the fence ({fence:.0f} m).")
    assert lines[1] == (f"2. 2026-03-04 10:10 (UTC+8): {far_m:.0f} m from the customer, "
                        f"outside the fence ({fence:.0f} m).")
    assert "the map works offline" in case_map.note.text()
    assert f"{fence:.0f} m around it" in case_map.key.text()

    qtbot.wait(1500)  # the map reads its tiles
    image = case_map.canvas.view.grab().toImage()
    colours = {QColor(image.pixel(x, y)).name() for x in range(0, image.width(), 3)
               for y in range(0, image.height(), 3)}
    assert {"#2e7d32", "#c62828", "#1565c0"} <= colours  # both check-ins and the customer are drawn
    _shot(dialog, tmp_path, "case_map_en.png")

    ctx.language.set_language("zh_CN")
    assert case_map.legend.item(0).text().endswith(f"在地理围栏（{fence:.0f} 米）之内。")
    assert case_map.legend.item(1).text().endswith(f"在地理围栏（{fence:.0f} 米）之外。")
    assert "地图可离线使用" in case_map.note.text() and dialog.windowTitle() == "案件地图"
    assert screen.map_button.text() == "地图…"
    qtbot.wait(300)
    _shot(dialog, tmp_path, "case_map_zh_CN.png")
    screen.clear()  # signed out: the map of the customer goes too
    qtbot.waitUntil(lambda: screen.map_dialog is None, timeout=5000)
    ctx.tasks.shutdown()


def test_a_case_without_visits_or_tile_server_says_so(qtbot, laptop_with, tmp_path):
    service = laptop_with(None)
    case_id = _case_of(service, PLACES[1])
    ctx, screen = _screen(qtbot, service, tmp_path)
    screen.open_case(case_id)
    dialog = screen.open_map()
    case_map = dialog.map
    assert case_map.canvas.view is None
    assert case_map.note.text().startswith("No map: the institution has set no tile server")
    assert case_map.legend.item(0).text().startswith("No visit of this case was recorded on this laptop")
    _shot(dialog, tmp_path, "case_map_no_server_en.png")
    ctx.language.set_language("zh_CN")
    assert case_map.note.text().startswith("无地图")
    assert case_map.legend.item(0).text().startswith("本机未记录此案件的上门")
    ctx.tasks.shutdown()


@pytest.mark.parametrize("saved, planned, expected", [
    (None, ["a", "b"], ["a", "b"]),
    (["b", "a"], ["a", "b"], ["b", "a"]),
    (["c", "b", "a"], ["a", "b", "d"], ["b", "a", "d"]),  # c gone, d new at the end
    (["b", "b", "a"], ["a", "b"], ["b", "a"]),
])
def test_the_agents_order_keeps_new_stops_last_and_drops_gone_ones(saved, planned, expected):
    from fieldapp.geo.route import apply_order

    assert apply_order(planned, saved) == expected
