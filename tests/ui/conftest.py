"""GUI test set-up: an in-memory agent service of the real service's shape, and an app
context whose background work runs inline (synchronous task runner)."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from decimal import Decimal

import pytest

from fieldapp.core.errors import NotFound
from fieldapp.core.timeutil import utcnow
from fieldapp.store.rows import CaseRow, DraftRow
from fieldapp.sync.engine import SyncSummary
from fieldapp.sync.errors import BadCredentials, Offline
from fieldapp.ui.settings import SettingsStore

UTC = dt.timezone.utc


def Row(**values) -> CaseRow:
    """A store row with test defaults for what a test does not care about."""
    defaults = dict(status="open", currency="CNY", days_past_due=30, tier="B", appointment_start=None,
                    appointment_end=None, flags=(), compliance_allowed=True, compliance_summary=None)
    return CaseRow(**{**defaults, **values})


def make_rows(n: int) -> list[Row]:
    """`n` varied rows; deterministic, with Chinese and Latin names, mixed states."""
    surnames = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"]
    given = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰"]
    latin = ["Smith", "Jones", "Brown", "Taylor", "Wilson"]
    streets = ["中山路", "北京东路", "汉中路", "Queen Street", "Main Road"]
    base = dt.datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    rows = []
    for i in range(n):
        name = (surnames[i % 10] + given[(i // 10) % 10]) if i % 3 else f"{latin[i % 5]} {i}"
        start = base + dt.timedelta(hours=(i * 7) % 500)
        rows.append(Row(
            id=f"case-{i:06d}",
            reference=f"NJ-{(i * 7919) % 1000003:07d}",
            customer_name=name,
            address=f"{(i % 300) + 1} {streets[i % 5]}, 南京",
            amount=Decimal(f"{(i * 37) % 100000}.{i % 100:02d}"),
            days_past_due=(i * 13) % 400,
            tier="ABC"[i % 3],
            appointment_start=start if i % 11 else None,
            appointment_end=start + dt.timedelta(hours=1) if i % 11 else None,
            flags=("disputed",) if i % 17 == 0 else (),
            compliance_allowed=None if i % 13 == 0 else (i % 7 != 0),
            compliance_summary=None if i % 13 == 0 else
            ("Allowed under cn" if i % 7 else "Blocked: notice delivered 12 h before; 24 h required"),
        ))
    return rows


@dataclass
class User:
    username: str
    display_name: str


class FakeService:
    """In memory, same methods as fieldapp.sync.service.AgentService; records its calls."""

    def __init__(self, rows: list[Row] | None = None) -> None:
        self.server_rows = list(rows or [])
        self.local_rows: list[Row] = []
        self.calls: list[tuple[str, str]] = []  # (method, thread name)
        self.password = "demo-agent1"
        self.offline = False
        self.session: User | None = None
        self.fail_sync_with: Exception | None = None
        self.task_rows: list = []
        self.outbox_rows: list = []
        self.drafts: dict = {}
        self.records: dict = {}     # case id -> CaseRecord, instead of one made from the row
        self.requeued: list[str] = []
        self.creditor = None        # the InstitutionInfo the server sent, once synced

    def _record(self, name: str) -> None:
        self.calls.append((name, threading.current_thread().name))

    def login(self, server_url: str, username: str, password: str) -> User:
        self._record("login")
        if self.offline:
            raise Offline("Cannot reach the server")
        if password != self.password:
            raise BadCredentials("wrong user name or password")
        self.session = User(username, username.capitalize())
        return self.session

    def resume(self):
        self._record("resume")
        return self.session

    def logout(self) -> None:
        self._record("logout")
        self.session = None

    def sync(self, progress=None):
        self._record("sync")
        if self.fail_sync_with is not None:
            raise self.fail_sync_with
        if self.offline:
            raise Offline("Cannot reach the server")
        total = len(self.server_rows)
        for done in range(0, total + 1, max(1, total // 4)):
            if progress:
                progress("pull", done, total)
        self.local_rows = list(self.server_rows)
        return SyncSummary(pulled_upserts=total, pages=1)

    def list_cases(self):
        self._record("list_cases")
        return list(self.local_rows)

    def get_case(self, case_id: str):
        self._record("get_case")
        if case_id in self.records:
            return self.records[case_id]
        row = next((r for r in self.local_rows if r.id == case_id), None)
        if row is None:
            raise NotFound(f"Case {case_id} is not on this device")
        return record_for(row)

    def tasks(self, include_done: bool = False):
        return list(self.task_rows)

    def outbox(self):
        return list(self.outbox_rows)

    def load_draft(self, case_id: str):
        return self.drafts.get(case_id)

    def save_draft(self, case_id: str, state: dict) -> None:
        self._record("save_draft")
        self.drafts[case_id] = DraftRow(case_id, state, utcnow())

    def clock(self):
        return None, False

    def institution(self):
        return self.creditor

    def requeue(self, item_id: str) -> bool:
        self._record("requeue")
        self.requeued.append(item_id)
        return True


def record_for(row: CaseRow, location: tuple[float, float] | None = None, **overrides):
    """The wire record of a test row (as the store would hold it)."""
    from fieldapp.protocol.v1 import AppointmentRecord, CaseRecord, CustomerRecord, Location, NotificationRecord

    appointment, notices = None, []
    if row.appointment_start is not None:
        appointment = AppointmentRecord(id=f"a-{row.id}", start=row.appointment_start, end=row.appointment_end)
        sent = row.appointment_start - dt.timedelta(hours=48)
        notices = [NotificationRecord(id=f"n-{row.id}", channel="sms", sent_at=sent,
                                      delivered_at=sent + dt.timedelta(minutes=1))]
    return CaseRecord(
        id=row.id, external_id=row.id, reference=row.reference, status=row.status,
        customer=CustomerRecord(id=f"c-{row.id}", name=row.customer_name, address=row.address,
                                timezone="Asia/Shanghai", region="CN", flags=list(row.flags),
                                location=Location(lat=location[0], lon=location[1]) if location else None),
        amount_due=str(row.amount), currency=row.currency, days_past_due=row.days_past_due, tier=row.tier,
        **{"policy_id": "cn", "appointment": appointment, "notifications": notices,
           "updated_at": dt.datetime(2026, 2, 1, tzinfo=UTC), **overrides})


@pytest.fixture
def settings_store(tmp_path):
    return SettingsStore(tmp_path / "ui-settings.json")


@pytest.fixture
def service():
    return FakeService(make_rows(60))


@pytest.fixture
def ctx(qapp, service, settings_store):
    from fieldapp.ui.app import build_context

    context = build_context(service, synchronous=True, settings_store=settings_store, language="en")
    yield context
    context.tasks.shutdown()
