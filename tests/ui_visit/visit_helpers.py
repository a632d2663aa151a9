"""Cases, setups and a settable clock for the visit-flow tests (real policy, script, limits)."""

from __future__ import annotations

import datetime as dt

from fieldapp.policy import load_policy
from fieldapp.protocol.v1 import (
    AppointmentRecord, CaseRecord, CustomerRecord, Location, NotificationRecord,
)
from fieldapp.script import load_script
from fieldapp.ui.visit.setup import Institution, VisitSetup

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
HOME = Location(lat=32.0603, lon=118.7969)
NEAR = Location(lat=32.0610, lon=118.7975, accuracy_m=15)      # about 95 m away
FAR = Location(lat=32.0800, lon=118.7969, accuracy_m=10)       # about 2.2 km away


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def tick(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def make_case(*, flags=(), appointment=True, notified_hours=48, id_tail="3412",
              amount="12000.00", **overrides) -> CaseRecord:
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)
    notes = [NotificationRecord(id="n1", channel="sms", sent_at=start - dt.timedelta(hours=notified_hours),
                                delivered_at=start - dt.timedelta(hours=notified_hours - 0.1))]
    data = dict(
        id="case-1", external_id="EXT-1", reference="CC-2026-0042", status="open",
        customer=CustomerRecord(id="cust-1", name="王芳", id_tail=id_tail,
                                address="江苏省南京市鼓楼区北京西路 88 号 2 栋 301 室", location=HOME,
                                timezone="Asia/Shanghai", region="CN", language="zh", flags=list(flags)),
        amount_due=amount, currency="CNY", days_past_due=95, tier="B", product="credit card",
        policy_id="cn",
        appointment=AppointmentRecord(id="a1", start=start, end=start + dt.timedelta(hours=1))
        if appointment else None,
        notifications=notes, updated_at=start - dt.timedelta(days=3),
    )
    data.update(overrides)
    return CaseRecord(**data)


def make_setup(case: CaseRecord | None = None, clock: Clock | None = None, **extra) -> VisitSetup:
    case = case or make_case()
    clock = clock or Clock(dt.datetime(2026, 3, 2, 9, 10, tzinfo=SHANGHAI))
    return VisitSetup(case=case, policy=load_policy(case.policy_id), script=load_script("home_visit_cn"),
                      agent_name="李明", agent_id="A-0042",
                      institution=Institution("南京示范银行 Nanjing Demo Bank", "江苏省南京市玄武区中山路 1 号",
                                              "91320000MA1DEMO01X"),
                      clock=clock, **extra)
