"""Simulated field agents syncing with the server, for Locust (run by run_load.py).

Each virtual user is one agent on one laptop: it signs in with a device id, pulls its cases
from cursor 0, then repeats a sync round: pull from its cursor, upload a visit's attachments
(a photo and a signature, new bytes each time), push the visit with the cursor it applied,
and now and then re-send an item already accepted (a lost answer: the server must say
`duplicate`). It writes down what it saw, for the database check after the run:

- every change (seq, case, op) each pull returned, and the cursor it reached;
- the ids of the items the server accepted, and of any item whose answer never came.

The environment tells it the rest: LOAD_AGENTS (a file of `name password` lines, one agent
per virtual user), LOAD_RECORD (where to write the JSON lines), LOAD_WAIT (`MIN-MAX`
seconds between rounds) and LOAD_REPEAT (the share of rounds that re-send an item).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import uuid
from pathlib import Path
from typing import Any

from locust import between, events, task
from locust.contrib.fasthttp import FastHttpUser

from fieldapp.protocol.v1 import API_HEADER, item_content_hash

AGENTS = [line.split(" ", 1) for line in Path(os.environ["LOAD_AGENTS"]).read_text().splitlines() if line]
WAIT = tuple(float(x) for x in os.environ.get("LOAD_WAIT", "5-15").split("-"))
REPEAT = float(os.environ.get("LOAD_REPEAT", "0.1"))
PULL_LIMIT = 200
_next_agent = iter(range(len(AGENTS)))
RECORDS: list[dict[str, Any]] = []


def visit_payload(case_id: str) -> dict[str, Any]:
    return {"visit_id": str(uuid.uuid4()), "case_id": case_id,
            "agent_started_at": "2030-03-04T01:50:00Z", "checked_in_at": "2030-03-04T02:01:00Z",
            "ended_at": "2030-03-04T02:40:00Z", "location": {"lat": 32.0601, "lon": 118.7902},
            "outcome": "promise_to_pay", "contact_made": True, "notes": "客户承诺月底还款",
            "promise": {"amount": "500.00", "currency": "CNY", "due_date": "2030-03-31"}}


def outbox_item(case_id: str, payload: dict[str, Any], attachments: list[str]) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "kind": "visit", "case_id": case_id,
            "created_at": "2030-03-04T02:41:00Z", "payload": payload, "attachments": attachments,
            "content_hash": item_content_hash("visit", case_id, payload, attachments)}


class Agent(FastHttpUser):
    wait_time = between(*WAIT)

    def on_start(self) -> None:
        index = next(_next_agent, None)
        if index is None:
            raise RuntimeError(f"more virtual users than agents ({len(AGENTS)})")
        self.username, self.password = AGENTS[index]
        self.device_id = f"load-{uuid.uuid4().hex[:16]}"
        self.headers = {API_HEADER: "1"}
        self.cursor = 0
        self.cases: set[str] = set()
        self.last_accepted: dict[str, Any] | None = None
        self.record: dict[str, Any] = {
            "agent": self.username, "device_id": self.device_id, "cursor": 0, "seen": [],
            "accepted": [], "unanswered": [], "duplicates": 0, "problems": []}
        RECORDS.append(self.record)
        self.login()
        self.pull()

    # ------------------------------------------------------------------ requests
    def problem(self, text: str) -> None:
        self.record["problems"].append(text)

    def login(self) -> None:
        with self.client.post("/api/v1/auth/login", name="login", catch_response=True, headers=self.headers,
                              json={"username": self.username, "password": self.password,
                                    "device_id": self.device_id, "device_name": "load test"}) as r:
            if r.status_code != 200:
                r.failure(f"login {r.status_code}")
                raise RuntimeError(f"{self.username}: login answered {r.status_code}")
            self.headers["Authorization"] = "Bearer " + r.json()["token"]

    def pull(self) -> None:
        while True:
            cursor = self.cursor
            with self.client.get(f"/api/v1/sync/pull?cursor={cursor}&limit={PULL_LIMIT}", name="pull",
                                 headers=self.headers, catch_response=True) as r:
                if r.status_code != 200:
                    r.failure(f"pull {r.status_code}")
                    return
                body = r.json()
                seqs = [c["seq"] for c in body["changes"]]
                if seqs != sorted(set(seqs)) or (seqs and seqs[0] <= cursor) or \
                        (seqs and body["next_cursor"] < seqs[-1]) or body["next_cursor"] < cursor:
                    text = f"pull from {cursor}: seqs {seqs[:5]}... next_cursor {body['next_cursor']} out of order"
                    self.problem(text)
                    r.failure(text)
                for change in body["changes"]:
                    self.record["seen"].append([change["seq"], change["case_id"], change["op"]])
                    if change["op"] == "upsert" and change["case"]["status"] == "open":
                        self.cases.add(change["case_id"])
                    else:
                        self.cases.discard(change["case_id"])
                self.cursor = self.record["cursor"] = body["next_cursor"]
            if not body["has_more"]:
                return

    def upload(self, data: bytes) -> str | None:
        sha = hashlib.sha256(data).hexdigest()
        with self.client.request("PUT", f"/api/v1/attachments/{sha}", name="attachment", data=data,
                                 headers=self.headers | {"Content-Type": "application/octet-stream"},
                                 catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"attachment {r.status_code}")
                return None
        return sha

    def push(self, item: dict[str, Any], expect: str) -> None:
        body = {"device_id": self.device_id, "items": [item], "cursor": self.cursor}
        if expect == "accepted":
            self.record["unanswered"].append(item["id"])  # until the answer is read
        with self.client.post("/api/v1/sync/push", name="push", json=body, headers=self.headers,
                              catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"push {r.status_code}")
                return
            result = r.json()["results"][0]
            if expect == "accepted":
                self.record["unanswered"].remove(item["id"])
            if result["id"] != item["id"] or result["status"] != expect:
                text = f"push {item['id']}: {result['status']} {result.get('code')} (expected {expect})"
                self.problem(text)
                r.failure(text)
                return
            if expect == "accepted":
                self.record["accepted"].append(item["id"])
                self.last_accepted = item
            else:
                self.record["duplicates"] += 1

    # ------------------------------------------------------------------ the round
    @task
    def sync_round(self) -> None:
        self.client.get("/healthz", name="healthz (baseline)")  # the same path, no work: the baseline
        self.pull()
        if self.last_accepted is not None and random.random() < REPEAT:
            self.push(self.last_accepted, "duplicate")
        if not self.cases:
            return
        case_id = random.choice(sorted(self.cases))
        photo = self.upload(os.urandom(24 * 1024))
        signature = self.upload(os.urandom(2 * 1024))
        if photo is None or signature is None:
            return
        self.push(outbox_item(case_id, visit_payload(case_id), [photo, signature]), "accepted")


@events.quitting.add_listener
def write_records(**_: Any) -> None:
    path = os.environ.get("LOAD_RECORD")
    if path:
        with open(path, "w", encoding="utf-8") as out:
            for record in RECORDS:
                out.write(json.dumps(record) + "\n")
