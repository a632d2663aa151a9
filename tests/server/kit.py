"""Test helpers: people, cases and outbox items on the real server."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from decimal import Decimal
from typing import Any

import httpx

from fieldapp.core.canonical import content_hash
from fieldapp.core.timeutil import UTC
from fieldapp.protocol.v1 import API_HEADER, item_content_hash
from fieldapp.server import admin
from fieldapp.server.services.caseupsert import CaseRow, upsert_case

PEOPLE = {  # username: (role, team)
    "admin": ("admin", None),
    "lead1": ("lead", "t1"),
    "agent1": ("agent", "t1"),
    "agent2": ("agent", "t1"),
    "lead2": ("lead", "t2"),
    "agent3": ("agent", "t2"),
}


def password(username: str) -> str:
    return f"pw-{username}-2026"


def make_people(session) -> None:
    for name, (role, team) in PEOPLE.items():
        admin.create_user(session, name, password(name), role, team)


def case_row(ext: str, agent: str | None = "agent1", **kw: Any) -> CaseRow:
    start = kw.pop("start", dt.datetime(2030, 3, 4, 2, 0, tzinfo=UTC))  # 10:00 in Shanghai
    values: dict[str, Any] = dict(
        external_id=ext, customer_name="王芳", address="南京市玄武区中山路1号", timezone="Asia/Shanghai",
        region="CN", amount_due=Decimal("1234.50"), currency="CNY", days_past_due=120, policy_id="cn",
        lat=32.06, lon=118.79, agent=agent, phone="13800000000", id_tail="1234",
        appointment=(start, start + dt.timedelta(hours=1)),
        notifications=[("sms", start - dt.timedelta(days=2), start - dt.timedelta(days=2))])
    values.update(kw)
    return CaseRow(**values)


def add_case(session, ext: str, agent: str | None = "agent1", **kw: Any) -> str:
    agents = {}
    if agent:
        user = admin.find_user(session, agent)
        agents[user.username.casefold()] = user
    _, case = upsert_case(session, case_row(ext, agent, **kw), agents)
    session.flush()
    return case.id


class Api:
    """An httpx client speaking API v1 to a live server, signed in as one user."""

    def __init__(self, base_url: str, username: str | None = None, device_id: str | None = None):
        self.client = httpx.Client(base_url=base_url, headers={API_HEADER: "1"}, timeout=30)
        self.device_id = device_id or f"dev-{uuid.uuid4().hex[:12]}"
        self.user: dict[str, Any] | None = None
        self.cursor: int | None = None  # the latest cursor pulled: sent with pushes, as the app does
        if username:
            self.login(username)

    def login(self, username: str, pw: str | None = None) -> httpx.Response:
        r = self.client.post("/api/v1/auth/login", json={
            "username": username, "password": pw or password(username), "device_id": self.device_id})
        if r.status_code == 200:
            self.client.headers["Authorization"] = "Bearer " + r.json()["token"]
            self.user = r.json()["user"]
        return r

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.client.get(path, **kw)

    def post(self, path: str, **kw: Any) -> httpx.Response:
        return self.client.post(path, **kw)

    def put(self, path: str, **kw: Any) -> httpx.Response:
        return self.client.put(path, **kw)

    def pull_all(self, cursor: int = 0, limit: int = 1000) -> tuple[list[dict[str, Any]], int]:
        changes: list[dict[str, Any]] = []
        while True:
            r = self.get("/api/v1/sync/pull", params={"cursor": cursor, "limit": limit})
            assert r.status_code == 200, r.text
            body = r.json()
            changes += body["changes"]
            cursor = body["next_cursor"]
            self.cursor = max(self.cursor or 0, cursor)
            if not body["has_more"]:
                return changes, cursor

    def push(self, *items: dict[str, Any]) -> list[dict[str, Any]]:
        body: dict[str, Any] = {"device_id": self.device_id, "items": list(items)}
        if self.cursor is not None:
            body["cursor"] = self.cursor
        r = self.post("/api/v1/sync/push", json=body)
        assert r.status_code == 200, r.text
        return r.json()["results"]

    def upload(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        r = self.put(f"/api/v1/attachments/{sha}", content=data)
        assert r.status_code == 200, r.text
        return sha

    def close(self) -> None:
        self.client.close()


def visit_payload(case_id: str, **kw: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "visit_id": kw.pop("visit_id", str(uuid.uuid4())), "case_id": case_id,
        "agent_started_at": "2030-03-04T01:50:00Z", "checked_in_at": "2030-03-04T02:01:00Z",
        "ended_at": "2030-03-04T02:40:00Z", "location": {"lat": 32.0601, "lon": 118.7902},
        "outcome": "promise_to_pay", "contact_made": True, "notes": "客户承诺月底还款",
        "promise": {"amount": "500.00", "currency": "CNY", "due_date": "2030-03-31"}}
    payload.update(kw)
    return payload


def agreement(pdf_sha: str, sig_sha: str) -> dict[str, Any]:
    terms = {"agreement_id": "AG-1", "total": "1234.50", "currency": "CNY",
             "schedule": [{"due": "2030-04-01", "amount": "617.25"}, {"due": "2030-05-01", "amount": "617.25"}]}
    return {"agreement_id": f"AG-{uuid.uuid4().hex[:10]}", "terms": terms,
            "terms_sha256": content_hash(terms), "pdf_sha256": pdf_sha, "total": "1234.50",
            "currency": "CNY",
            "signatures": [{"role": "customer", "sha256": sig_sha, "captured_at": "2030-03-04T02:30:00Z"}]}


def item(case_id: str, payload: dict[str, Any], kind: str = "visit", attachments: list[str] | None = None,
         item_id: str | None = None, content_hash_override: str | None = None) -> dict[str, Any]:
    attachments = attachments or []
    return {"id": item_id or str(uuid.uuid4()), "kind": kind, "case_id": case_id,
            "created_at": "2030-03-04T02:41:00Z", "payload": payload, "attachments": attachments,
            "content_hash": content_hash_override or item_content_hash(kind, case_id, payload, attachments)}
