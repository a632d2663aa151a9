"""The creditor's details reach every laptop at sync, per language, and stay there
offline; a change on the server arrives with the next sync."""

from __future__ import annotations

import pytest
import serverdata

from fieldapp.protocol.v1 import InstitutionInfo
from fieldapp.server.services import institution
from fieldapp.server.testing import LiveServer
from fieldapp.sync.errors import Offline

BANK = InstitutionInfo(names={"zh_CN": "南京示范银行", "en": "Nanjing Demo Bank"},
                       addresses={"zh_CN": "江苏省南京市玄武区中山路 1 号"}, registration="91320000MA1DEMO01X")


def test_the_creditor_syncs_to_the_laptop_and_stays_offline(tmp_path, make_service):
    with LiveServer(f"sqlite:///{tmp_path / 'server.db'}") as live:
        with live.session() as s, s.begin():
            serverdata.add_agent(s, "agent-i")
        svc = make_service()
        svc.login(live.url, "agent-i", serverdata.PASSWORD)
        svc.sync()
        assert svc.institution() is None  # nothing set on the server yet
        with live.session() as s, s.begin():
            institution.update(s, BANK)
        summary = svc.sync()
        assert summary.institution_changed
        got = svc.institution()
        assert got.name("zh_CN") == "南京示范银行" and got.name("en") == "Nanjing Demo Bank"
        assert got.registration == "91320000MA1DEMO01X" and got.address("zh_CN").startswith("江苏省")
        assert not svc.sync().institution_changed
        with live.session() as s, s.begin():
            institution.update(s, InstitutionInfo(names={"en": "Nanjing Demo Bank Ltd."}), merge=True)
        svc.sync()
        assert svc.institution().name("en") == "Nanjing Demo Bank Ltd."
        assert svc.institution().name("zh_CN") == "南京示范银行"
    with pytest.raises(Offline):
        svc.sync()
    assert svc.institution().name("zh_CN") == "南京示范银行"  # offline, still known
