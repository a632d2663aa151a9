"""The map's tiles after a sync: every case's place once, a pass with nothing pulled since the
last complete one skipped, and a pull that brings a new place fetches its tiles."""

from __future__ import annotations

from serverdata import PASSWORD, add_cases
from sqlalchemy import select

from fieldapp.protocol.v1 import InstitutionInfo
from fieldapp.server.models import Case, Customer
from fieldapp.server.services import institution
from fieldapp.server.services.changes import case_changed
from fieldapp.server.tileserver import LoopbackTileServer
from fieldapp.sync.tiles import tiles_for


def test_tiles_are_looked_for_again_only_when_a_pull_brought_cases(server, make_agent, make_service):
    with LoopbackTileServer() as tiles:
        with server.session() as s, s.begin():
            institution.update(s, InstitutionInfo(names={"en": "Demo Bank"}, tile_url=tiles.url))
        agent, _ = make_agent(cases=3)
        svc = make_service()
        svc.login(server.url, agent, PASSWORD)
        svc.sync(tiles=False)
        assert svc.case_points() == [(32.06, 118.79)] * 3
        first = svc.cache_map_tiles()
        assert first.wanted == len(tiles_for([(32.06, 118.79)])) == first.fetched > 0 and first.failed == 0

        again = svc.cache_map_tiles()  # nothing pulled since: the same answer, no tile asked for
        assert (again.wanted, again.fetched, again.failed) == (first.wanted, 0, 0)
        assert len(tiles.hits) == first.fetched

        with server.session() as s, s.begin():  # a case across the city arrives with the next pull
            (far,) = add_cases(s, agent, 1, prefix="FAR")
            case = s.get(Case, far)
            customer = s.get(Customer, case.customer_id)
            customer.lat, customer.lon = 32.12, 118.95
            case_changed(s, case)
        svc.sync(tiles=False)
        assert sorted(svc.case_points()) == [(32.06, 118.79)] * 3 + [(32.12, 118.95)]
        later = svc.cache_map_tiles()
        assert later.fetched > 0 and later.failed == 0
        assert later.wanted == len(tiles_for([(32.06, 118.79), (32.12, 118.95)]))
        assert len(tiles.hits) == first.fetched + later.fetched
        with server.session() as s, s.begin():
            assert s.scalar(select(Customer.lat).join(Case).where(Case.id == far)) == 32.12
