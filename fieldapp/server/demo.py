"""The demo data set (`fieldapp server seed-demo`): deterministic for a given date.

One team "nanjing-1"; users lead1, agent1, agent2, agent3 and admin, each with the password
"demo-<username>". About sixty cases around Nanjing and Shanghai (Chinese names and
addresses, real-looking coordinates, Asia/Shanghai, region CN, policy "cn-bank-home-visit"), with
appointments on the coming working days and SMS notices. On purpose: some cases were never
notified (one of each agent's day), some are booked outside the allowed hours (20:30), one
customer disputes the debt, and one case was reassigned from agent1 to agent2. An agent's
day is spread over the day's slots. The bank is named per language (the institution's
settings), and earlier visits are on record (`demo_visits`): some for the lead to review,
one approved, one returned to agent1 with a comment. Seeding twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldapp.core import clock
from fieldapp.core.timeutil import zone
from fieldapp.server import admin
from fieldapp.server.models import Case, User
from fieldapp.server.services.caseupsert import CaseRow, upsert_case

TEAM = "nanjing-1"
USERS = (("admin", "admin", None, "系统管理员"), ("lead1", "lead", TEAM, "王组长"),
         ("agent1", "agent", TEAM, "李明"), ("agent2", "agent", TEAM, "张伟"),
         ("agent3", "agent", TEAM, "陈静"))
STAFF_NUMBERS = {"lead1": "NJ1001", "agent1": "NJ2031", "agent2": "NJ2047", "agent3": "NJ2052"}
TZ = "Asia/Shanghai"
CASES = 60
REASSIGNED = "DEMO-0007"
DISPUTED = "DEMO-0013"
POLICY = "cn-bank-home-visit"  # the bank's own practice (shipped preset)

# The demo's creditor, per language (a real install sets its own: `fieldapp server institution`).
INSTITUTION = {"names": {"zh_CN": "南京示范银行", "en": "Nanjing Demo Bank"},
               "addresses": {"zh_CN": "江苏省南京市玄武区中山路 1 号",
                             "en": "1 Zhongshan Road, Xuanwu District, Nanjing, Jiangsu"},
               "registration": "91320000MA1DEMO01X"}

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = ("伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰",
          "娟", "涛", "明", "超", "秀兰", "霞", "平", "刚", "桂英", "建华", "玉兰")
# (district, road, base lat, base lon) - real streets; house numbers are made up.
_NANJING = (("玄武区", "中山路", 32.0603, 118.7969), ("秦淮区", "中山南路", 32.0228, 118.7849),
            ("鼓楼区", "北京西路", 32.0590, 118.7620), ("建邺区", "江东中路", 32.0040, 118.7330),
            ("雨花台区", "雨花西路", 31.9920, 118.7700), ("栖霞区", "仙林大道", 32.1100, 118.9300),
            ("玄武区", "龙蟠路", 32.0760, 118.8030), ("秦淮区", "应天大街", 32.0120, 118.7900))
_SHANGHAI = (("黄浦区", "南京东路", 31.2372, 121.4800), ("静安区", "南京西路", 31.2290, 121.4560),
             ("徐汇区", "衡山路", 31.2050, 121.4430), ("浦东新区", "世纪大道", 31.2290, 121.5300),
             ("长宁区", "愚园路", 31.2220, 121.4300))
_PRODUCTS = ("信用卡", "消费贷", "车贷")
_SLOTS = ((9, 30), (10, 30), (14, 0), (15, 30), (16, 30))


def _working_days(start: dt.date, count: int) -> list[dt.date]:
    import holidays

    cn = holidays.country_holidays("CN", years=range(start.year, start.year + 2))
    days: list[dt.date] = []
    day = start
    while len(days) < count:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and day not in cn:
            days.append(day)
    return days


def demo_rows(today: dt.date, now: dt.datetime | None = None) -> list[CaseRow]:
    """The demo cases for `today` (the date in Shanghai), as import rows.

    Notices were sent two days before each visit at 10:00, or an hour before `now` (the
    seeding) when that is earlier: after a long holiday the first working day is a week
    away, and a notice recorded as sent in the future counts for nothing."""
    tz = zone(TZ)
    seeded = now or clock.now()
    days = _working_days(today, 5)
    rows: list[CaseRow] = []
    agents = ("agent1", "agent2", "agent3")
    for i in range(CASES):
        n = i + 1
        in_shanghai = i % 3 == 2
        district, road, lat, lon = (_SHANGHAI[i % len(_SHANGHAI)] if in_shanghai
                                    else _NANJING[i % len(_NANJING)])
        city = "上海市" if in_shanghai else "南京市"
        house = 10 + (i * 37) % 480
        lat += ((i * 7919) % 200 - 100) / 20000.0
        lon += ((i * 104729) % 200 - 100) / 20000.0
        day = days[i % len(days)]
        # An agent has four cases a day (60 cases, 3 agents, 5 days); `k` is which of them:
        # they take different slots through the day, and the third was never notified.
        k = i // (len(agents) * len(days))
        hour, minute = _SLOTS[(k + i % len(agents)) % len(_SLOTS)]
        if k == 3 and i % 5 == 3:
            hour, minute = 20, 30  # outside the allowed hours (the last case of some days)
        start = dt.datetime.combine(day, dt.time(hour, minute), tz)
        end = start + dt.timedelta(hours=1)
        notices: list[tuple[str, dt.datetime, dt.datetime | None]] = []
        if k != 2:  # one case of each agent's day was never notified: it cannot be visited
            sent = min(dt.datetime.combine(day - dt.timedelta(days=2), dt.time(10, 0), tz),
                       (seeded - dt.timedelta(hours=1)).astimezone(tz).replace(second=0, microsecond=0))
            notices.append(("sms", sent, sent + dt.timedelta(minutes=1)))
            if n % 5 == 0:
                called = min(sent + dt.timedelta(hours=3), sent + (seeded - sent) / 2)
                notices.append(("phone", called, called))
        ext = f"DEMO-{n:04d}"
        agent = agents[i % 3]
        if ext == REASSIGNED:
            agent = "agent1"  # seed_demo then reassigns it to agent2
        minor = 300000 + (i * 7919 * 13) % 4700000
        rows.append(CaseRow(
            external_id=ext, reference=f"NJ-{today.year}-{n:04d}" if not in_shanghai else f"SH-{today.year}-{n:04d}",
            customer_name=_SURNAMES[i % len(_SURNAMES)] + _GIVEN[(i * 7) % len(_GIVEN)],
            phone=f"13{(i * 37) % 10}{(10000000 + i * 7654321) % 100000000:08d}",
            id_tail=f"{(i * 4391) % 10000:04d}" if n % 6 else f"{(i * 431) % 1000:03d}X",
            address=f"{city}{district}{road}{house}号" + (f"{1 + i % 6}栋{101 + (i * 3) % 20}室" if i % 2 else ""),
            lat=round(lat, 6), lon=round(lon, 6), timezone=TZ, region="CN", language="zh_CN",
            amount_due=Decimal(minor).scaleb(-2), currency="CNY", days_past_due=95 + (i * 17) % 300,
            tier="ABC"[i % 3], product=_PRODUCTS[i % len(_PRODUCTS)], agent=agent, policy_id=POLICY,
            appointment=(start, end), notifications=notices,
            email=None if n % 4 == 3 else f"{ext.lower()}@example.cn",  # some customers gave no email
            flags=["disputed"] if ext == DISPUTED else []))
    return rows


def seed_institution(session: Session) -> bool:
    """Name the demo's bank when no creditor is set; True when it did."""
    from fieldapp.protocol.v1 import InstitutionInfo
    from fieldapp.server.services import institution

    if institution.current(session) is not None:
        return False
    institution.update(session, InstitutionInfo.model_validate(INSTITUTION))
    return True


def seed_demo(session: Session, today: dt.date | None = None) -> dict[str, int]:
    """Create the demo users and cases; a no-op when they exist. Returns what was created."""
    today = today or clock.today(zone(TZ))
    created = {"users": 0, "cases": 0, "visits": 0}
    seed_institution(session)
    for username, role, team, display in USERS:
        if session.scalar(select(User.id).where(User.username == username)) is None:
            # Published in the README on purpose (a demo): the strength rules do not apply.
            admin.create_user(session, username, f"demo-{username}", role, team, display,
                              staff_number=STAFF_NUMBERS.get(username), check_strength=False)
            created["users"] += 1
    agents = {u.username.casefold(): u for u in session.scalars(
        select(User).where(User.role.in_(("agent", "lead")))).all()}
    for row in demo_rows(today):
        if session.scalar(select(Case.id).where(Case.external_id == row.external_id)) is not None:
            continue
        upsert_case(session, row, agents)
        created["cases"] += 1
        if row.external_id == REASSIGNED:
            admin.reassign_case(session, REASSIGNED, "agent2")
    from fieldapp.server.demo_visits import seed_visits

    created["visits"] = seed_visits(session, today)
    return created


def announce_demo_visits(session: Session, settings, count: int = 2) -> list[str]:  # type: ignore[no-untyped-def]
    """Propose the first allowed time for a few of agent1's cases, so the demo's notices go
    out (to the loopback mail server and SMS gateway) and their links can be opened."""
    from fieldapp.server.services import appointments

    made: list[str] = []
    agent = session.scalar(select(User).where(User.username == "agent1"))
    cases = session.scalars(select(Case).where(Case.assigned_agent_id == agent.id, Case.status == "open")
                            .order_by(Case.external_id)).all() if agent else []
    for case in cases:
        if len(made) == count:
            break
        if case.customer.email is None or case.customer.flags:
            continue
        found = appointments.offer(session, case, settings, "zh_CN", count=1)
        if found.slots:
            slot = found.slots[0]
            made.append(appointments.propose(session, case, slot.start, slot.end, settings=settings, actor=None,
                                             via="back_office").id)
    return made
