"""Cases stored with the bank policy's earlier id (`seed`) keep their policy: the server
checks them under `cn-bank-home-visit` and the laptop evaluates them under it too."""

from __future__ import annotations

import datetime as dt

from fieldapp.protocol.v1 import CaseRecord
from fieldapp.server.testing import LiveServer
from fieldapp.ui.case_data import planning_verdict
from fieldapp.ui.widgets.compliance import ComplianceState
from server.kit import Api, add_case, make_people


def test_a_case_stored_with_the_old_id_keeps_the_bank_policy(tmp_path, app_clock):
    # the kit's case was notified on 2030-03-02 for 2030-03-04: plan it the day after the notice
    app_clock.set(dt.datetime(2030, 3, 3, 2, 0, tzinfo=dt.timezone.utc))
    with LiveServer(f"sqlite:///{tmp_path / 'server.db'}") as live:
        with live.session() as s, s.begin():
            make_people(s)
            add_case(s, "OLD-1", policy_id="seed")
        api = Api(live.url, "agent1")
        changes, _ = api.pull_all()
        api.close()
    [case] = [c["case"] for c in changes if c["case"]]
    assert case["policy_id"] == "seed"
    assert case["compliance"]["policy_id"] == "cn-bank-home-visit"  # on the server
    assert case["compliance"]["allowed"] is True, case["compliance"]["summary"]
    verdict = planning_verdict(CaseRecord.model_validate(case), "zh_CN")  # on the laptop
    assert verdict.state is ComplianceState.ALLOWED
    assert verdict.decision.policy_id == "cn-bank-home-visit"
    assert verdict.reasons("zh_CN", lambda m, **v: m) == ["依据“银行上门拜访规范（中国）”（2026.1 版），允许上门。"]
