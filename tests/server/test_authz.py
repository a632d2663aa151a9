"""Authorization as one table: every endpoint x every caller (agent, lead and admin of either
team, nobody signed in, a revoked device) x objects of the own and the other team, including
an attachment that another team's visit links. On SQLite and PostgreSQL.

Team t1: agent1 owns case C1 with visit V1 (an agreement: PDF and signature uploaded by
agent1); agent2 owns C2. Team t2: agent3 owns C3 with visit V3 (an attachment). V3x, a visit
of agent3 on C3, links agent1's PDF the way the outside probe did before pushes were checked.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from fieldapp.core.timeutil import utcnow
from fieldapp.server import admin
from fieldapp.server.models import Case, Visit, VisitAttachment
from fieldapp.server.services import appointments as booking
from fieldapp.server.testing import LiveServer

from .appt_kit import notices_of, settings_for
from .kit import Api, add_case, agreement, item, make_people, visit_payload

CALLERS = ["agent1", "agent2", "agent3", "lead1", "lead2", "admin", "anon", "revoked"]


@pytest.fixture(scope="module")
def world(module_db_url):
    with LiveServer(module_db_url, upgrade_db=False, signing_ca=True,
                    **settings_for(sms_webhook_secret=None)) as live:
        with live.session() as s, s.begin():
            make_people(s)
            admin.create_user(s, "spare", "four cats on a roof", "agent", "t1")
            ids = {"C1": add_case(s, "M-1", "agent1"), "C2": add_case(s, "M-2", "agent2"),
                   "C3": add_case(s, "M-3", "agent3")}
            add_case(s, "M-X", "agent3")
            add_case(s, "M-CLOSED", "agent3")
            admin.close_case(s, "M-CLOSED")
            appointments = _appointments(s, live.settings, ids)
        apis = {name: Api(live.url, name) for name in CALLERS if name not in ("anon", "revoked")}
        apis["anon"] = Api(live.url)
        apis["revoked"] = Api(live.url, "agent1")
        with live.session() as s, s.begin():
            admin.revoke_device(s, "agent1", apis["revoked"].device_id)

        a1, a3 = apis["agent1"], apis["agent3"]
        pdf, sig = a1.upload(b"%PDF-1.7 agent1's signed agreement"), a1.upload(b"\x89PNG agent1 signature")
        v1 = str(uuid.uuid4())
        [r] = a1.push(item(ids["C1"], visit_payload(ids["C1"], visit_id=v1, outcome="agreement_signed",
                                                      agreement=agreement(pdf, sig))))
        assert r["status"] == "accepted", r
        s3 = a3.upload(b"agent3 photo evidence")
        v3, v3x = str(uuid.uuid4()), str(uuid.uuid4())
        for visit_id, attachments in ((v3, [s3]), (v3x, [])):
            [r] = a3.push(item(ids["C3"], visit_payload(ids["C3"], visit_id=visit_id), attachments=attachments))
            assert r["status"] == "accepted", r
        with live.session() as s, s.begin():  # a link made before pushes were checked
            s.add(VisitAttachment(visit_id=v3x, sha256=pdf))
        yield {"live": live, "apis": apis, "pdf": pdf, "s3": s3, "V1": v1, "V3": v3, **ids, **appointments}
        for api in apis.values():
            api.close()


def _appointments(session, settings, ids) -> dict[str, str]:
    """A1: a cancelled appointment on C1 (team t1); A3: an active one on C3 (team t2), in the
    future, with its notices queued (N3 is one of them)."""
    def book(case_key: str):  # type: ignore[no-untyped-def]
        case = session.get(Case, ids[case_key])
        [slot] = booking.offer(session, case, settings, "en", count=1).slots
        return booking.propose(session, case, slot.start, slot.end, settings=settings, actor=None,
                               via="back_office")

    a1 = book("C1")
    booking.cancel(session, a1, None)
    a3 = book("C3")
    return {"A1": a1.id, "A3": a3.id, "N3": notices_of(session, a3.id)[0].id}


def _push(w, api, case_key, payload, kind="visit", attachments=()):
    case_id = w[case_key]
    r = api.post("/api/v1/sync/push", json={"device_id": api.device_id,
                                            "items": [item(case_id, payload, kind, list(attachments))]})
    if r.status_code != 200:
        return r.status_code
    [res] = r.json()["results"]
    return res["status"] if res["status"] != "rejected" else res["code"]


def _review(w, api, visit_key, case_key):
    payload = {"visit_id": w[visit_key], "decision": "approve", "comment": "",
               "decided_at": utcnow().isoformat()}
    return _push(w, api, case_key, payload, kind="review_decision")


def _own_case(caller):
    return {"agent1": "C1", "agent2": "C2", "agent3": "C3"}.get(caller, "C1")


def _visits_in(body) -> set[str]:
    return {i["visit_id"] for c in body.get("changes", []) for i in c["items"]}


def _status(r) -> int:
    return r.status_code


def _sees(r, test: Callable[[Any], bool]):
    return test(r.json()) if r.status_code == 200 else r.status_code


def _fresh_logout(w, api, caller):
    """Logout with a token of its own (so the table's tokens stay valid)."""
    if caller in ("anon", "revoked"):
        return api.post("/api/v1/auth/logout").status_code
    other = Api(w["live"].url, caller)
    try:
        return other.post("/api/v1/auth/logout").status_code
    finally:
        other.close()


def _login(w, api, caller):
    name = {"anon": "agent1", "revoked": "agent1"}.get(caller, caller)
    r = api.client.post("/api/v1/auth/login", json={
        "username": name, "password": "wrong-password" if caller == "anon" else f"pw-{name}-2026",
        "device_id": api.device_id})
    return r.status_code


ENDPOINTS: dict[str, Callable[[dict, Api, str], Any]] = {
    "meta": lambda w, api, c: _status(api.get("/api/v1/meta")),
    "login": _login,
    "logout": _fresh_logout,
    "pull": lambda w, api, c: _status(api.get("/api/v1/sync/pull")),
    "pull sees C1": lambda w, api, c: _sees(api.get("/api/v1/sync/pull"),
                                            lambda b: any(ch["case_id"] == w["C1"] for ch in b["changes"])),
    "push visit on C1 (t1)": lambda w, api, c: _push(w, api, "C1", visit_payload(w["C1"])),
    "push visit on C3 (t2)": lambda w, api, c: _push(w, api, "C3", visit_payload(w["C3"])),
    "push linking agent1's PDF": lambda w, api, c: _push(w, api, _own_case(c), visit_payload(w[_own_case(c)]),
                                                         attachments=[w["pdf"]]),
    "push review of V1 (t1)": lambda w, api, c: _review(w, api, "V1", "C1"),
    "push review of V3 (t2)": lambda w, api, c: _review(w, api, "V3", "C3"),
    "put attachment": lambda w, api, c: _status(api.put(
        "/api/v1/attachments/" + hashlib.sha256(c.encode()).hexdigest(), content=c.encode())),
    "get PDF of V1 (t1)": lambda w, api, c: _status(api.get(f"/api/v1/attachments/{w['pdf']}")),
    "get attachment of V3 (t2)": lambda w, api, c: _status(api.get(f"/api/v1/attachments/{w['s3']}")),
    "get unknown attachment": lambda w, api, c: _status(api.get("/api/v1/attachments/" + "e" * 64)),
    "get case C1 (t1)": lambda w, api, c: _status(api.get(f"/api/v1/cases/{w['C1']}")),
    "get case C3 (t2)": lambda w, api, c: _status(api.get(f"/api/v1/cases/{w['C3']}")),
    "get unknown case": lambda w, api, c: _status(api.get("/api/v1/cases/no-such-case")),
    "admin list users": lambda w, api, c: _status(api.get("/api/v1/admin/users")),
    "admin create user": lambda w, api, c: _status(api.post("/api/v1/admin/users", json={
        "username": "agent1", "password": "another-pass-2026", "role": "agent"})),
    "admin set password": lambda w, api, c: _status(api.client.put(
        "/api/v1/admin/users/spare/password", json={"password": "five dogs under a bridge"})),
    "admin reassign": lambda w, api, c: _status(api.post("/api/v1/admin/cases/M-X/reassign",
                                                         json={"username": "agent3"})),
    "admin close": lambda w, api, c: _status(api.post("/api/v1/admin/cases/M-CLOSED/close")),
    "admin revoke": lambda w, api, c: _status(api.post("/api/v1/admin/devices/revoke",
                                                       json={"username": "agent3", "device_id": "no-such-dev"})),
    "lead pull": lambda w, api, c: _status(api.get("/api/v1/lead/pull")),
    "lead pull sees V1": lambda w, api, c: _sees(api.get("/api/v1/lead/pull"), lambda b: w["V1"] in _visits_in(b)),
    "lead visit V1 (t1)": lambda w, api, c: _status(api.get(f"/api/v1/lead/visits/{w['V1']}")),
    "lead visit V3 (t2)": lambda w, api, c: _status(api.get(f"/api/v1/lead/visits/{w['V3']}")),
    "lead figures": lambda w, api, c: _status(api.get("/api/v1/lead/figures?from=2026-01-01&to=2026-12-31")),
    "lead figures of t1": lambda w, api, c: _status(api.get(
        "/api/v1/lead/figures?from=2026-01-01&to=2026-12-31&team=t1")),
    "institution": lambda w, api, c: _status(api.get("/api/v1/institution")),
    "admin institution": lambda w, api, c: _status(api.client.put("/api/v1/admin/institution", json={
        "names": {"en": "Jiangnan Bank", "zh_CN": "江南银行"}})),
    "lead practice": lambda w, api, c: _status(api.get("/api/v1/lead/practice")),
    "lead practice of t1": lambda w, api, c: _status(api.get("/api/v1/lead/practice?team=t1")),
    "slots of C1 (t1)": lambda w, api, c: _status(api.get(f"/api/v1/cases/{w['C1']}/slots")),
    "slots of C3 (t2)": lambda w, api, c: _status(api.get(f"/api/v1/cases/{w['C3']}/slots")),
    "propose on C1 in the past": lambda w, api, c: _status(api.post("/api/v1/appointments", json={
        "case_id": w["C1"], "start": "2020-03-02T10:00:00+08:00", "end": "2020-03-02T11:00:00+08:00"})),
    "get appointment A1 (t1)": lambda w, api, c: _status(api.get(f"/api/v1/appointments/{w['A1']}")),
    "get appointment A3 (t2)": lambda w, api, c: _status(api.get(f"/api/v1/appointments/{w['A3']}")),
    "get unknown appointment": lambda w, api, c: _status(api.get("/api/v1/appointments/no-such-appointment")),
    "cancel A1 (t1, cancelled)": lambda w, api, c: _status(api.post(f"/api/v1/appointments/{w['A1']}/cancel")),
    "missed A3 (t2, not begun)": lambda w, api, c: _status(api.post(f"/api/v1/appointments/{w['A3']}/missed")),
    "lead complaints": lambda w, api, c: _status(api.get("/api/v1/lead/complaints")),
    "lead answer unknown complaint": lambda w, api, c: _status(api.post(
        "/api/v1/lead/complaints/no-such-complaint/answer", json={"answer": "We are sorry."})),
    "lead notices": lambda w, api, c: _status(api.get("/api/v1/lead/notices")),
    "lead decide N3 (t2, queued)": lambda w, api, c: _status(api.post(
        f"/api/v1/lead/notices/{w['N3']}/decide", json={"decision": "mark_sent"})),
    "enrol a device": lambda w, api, c: _status(api.post("/api/v1/devices/certificate",
                                                         json={"csr_pem": "not a request"})),
    "pki root": lambda w, api, c: _status(api.get("/api/v1/pki/root.pem")),
    "pki crl": lambda w, api, c: _status(api.get("/api/v1/pki/crl")),
    "verify page": lambda w, api, c: _status(api.get("/verify/" + "0" * 64 + "?format=json")),
    "sms receipt (receipts off)": lambda w, api, c: _status(api.post("/webhooks/sms", json={})),
    "sealed agreement of V1 (t1, unsigned)": lambda w, api, c: _status(
        api.get(f"/api/v1/visits/{w['V1']}/documents/agreement")),
    "sealed report of V3 (t2)": lambda w, api, c: _status(api.get(f"/api/v1/visits/{w['V3']}/documents/visit_report")),
    "sealed document of unknown visit": lambda w, api, c: _status(
        api.get("/api/v1/visits/no-such-visit/documents/agreement")),
    "healthz": lambda w, api, c: _status(api.get("/healthz")),
    "readyz": lambda w, api, c: _status(api.get("/readyz")),
}

A, NY, FA, INV = "accepted", "not_yours", "foreign_attachment", "invalid"
#                              agent1 agent2 agent3 lead1  lead2  admin  anon   revoked
EXPECTED: dict[str, tuple] = {
    "meta":                      (200,   200,   200,   200,   200,   200,   200,   200),
    "login":                     (200,   200,   200,   200,   200,   200,   401,   401),
    "logout":                    (200,   200,   200,   200,   200,   200,   401,   401),
    "pull":                      (200,   200,   200,   200,   200,   200,   401,   401),
    "pull sees C1":              (True,  False, False, False, False, False, 401,   401),
    "push visit on C1 (t1)":     (A,     NY,    NY,    NY,    NY,    NY,    401,   401),
    "push visit on C3 (t2)":     (NY,    NY,    A,     NY,    NY,    NY,    401,   401),
    "push linking agent1's PDF": (A,     FA,    FA,    NY,    NY,    NY,    401,   401),
    "push review of V1 (t1)":    (INV,   INV,   INV,   A,     INV,   INV,   401,   401),
    "push review of V3 (t2)":    (INV,   INV,   INV,   INV,   A,     INV,   401,   401),
    "put attachment":            (200,   200,   200,   200,   200,   200,   401,   401),
    "get PDF of V1 (t1)":        (200,   404,   404,   200,   404,   200,   401,   401),
    "get attachment of V3 (t2)": (404,   404,   200,   404,   200,   200,   401,   401),
    "get unknown attachment":    (404,   404,   404,   404,   404,   404,   401,   401),
    "get case C1 (t1)":          (200,   403,   403,   200,   403,   200,   401,   401),
    "get case C3 (t2)":          (403,   403,   200,   403,   200,   200,   401,   401),
    "get unknown case":          (404,   404,   404,   404,   404,   404,   401,   401),
    "admin list users":          (403,   403,   403,   403,   403,   200,   401,   401),
    "admin create user":         (403,   403,   403,   403,   403,   409,   401,   401),
    "admin set password":        (403,   403,   403,   403,   403,   200,   401,   401),
    "admin reassign":            (403,   403,   403,   403,   403,   200,   401,   401),
    "admin close":               (403,   403,   403,   403,   403,   200,   401,   401),
    "admin revoke":              (403,   403,   403,   403,   403,   404,   401,   401),
    "lead pull":                 (403,   403,   403,   200,   200,   200,   401,   401),
    "lead pull sees V1":         (403,   403,   403,   True,  False, True,  401,   401),
    "lead visit V1 (t1)":        (403,   403,   403,   200,   403,   200,   401,   401),
    "lead visit V3 (t2)":        (403,   403,   403,   403,   200,   200,   401,   401),
    "lead figures":              (403,   403,   403,   200,   200,   200,   401,   401),
    "lead figures of t1":        (403,   403,   403,   200,   403,   200,   401,   401),
    "institution":               (200,   200,   200,   200,   200,   200,   401,   401),
    "admin institution":         (403,   403,   403,   403,   403,   200,   401,   401),
    "lead practice":             (403,   403,   403,   200,   200,   200,   401,   401),
    "lead practice of t1":       (403,   403,   403,   200,   403,   200,   401,   401),
    "slots of C1 (t1)":          (200,   403,   403,   200,   403,   200,   401,   401),
    "slots of C3 (t2)":          (403,   403,   200,   403,   200,   200,   401,   401),
    "propose on C1 in the past": (422,   403,   403,   422,   403,   422,   401,   401),
    "get appointment A1 (t1)":   (200,   403,   403,   200,   403,   200,   401,   401),
    "get appointment A3 (t2)":   (403,   403,   200,   403,   200,   200,   401,   401),
    "get unknown appointment":   (404,   404,   404,   404,   404,   404,   401,   401),
    "cancel A1 (t1, cancelled)": (409,   403,   403,   409,   403,   409,   401,   401),
    "missed A3 (t2, not begun)": (403,   403,   422,   403,   422,   422,   401,   401),
    "lead complaints":           (403,   403,   403,   200,   200,   200,   401,   401),
    "lead answer unknown complaint": (403, 403, 403,   404,   404,   404,   401,   401),
    "lead notices":              (403,   403,   403,   200,   200,   200,   401,   401),
    "lead decide N3 (t2, queued)": (403, 403,   403,   404,   409,   409,   401,   401),
    "enrol a device":            (422,   422,   422,   422,   422,   422,   401,   401),
    "pki root":                  (200,   200,   200,   200,   200,   200,   200,   200),
    "pki crl":                   (200,   200,   200,   200,   200,   200,   200,   200),
    "verify page":               (200,   200,   200,   200,   200,   200,   200,   200),
    "sms receipt (receipts off)": (403,  403,   403,   403,   403,   403,   403,   403),
    "sealed agreement of V1 (t1, unsigned)": (404, 403, 403, 404, 403,   404,   401,   401),
    "sealed report of V3 (t2)":  (403,   403,   404,   403,   404,   404,   401,   401),
    "sealed document of unknown visit": (404, 404, 404, 404, 404,    404,   401,   401),
    "healthz":                   (200,   200,   200,   200,   200,   200,   200,   200),
    "readyz":                    (200,   200,   200,   200,   200,   200,   200,   200),
}


def test_the_table_covers_every_endpoint_of_the_api(world):
    """A new endpoint must get its row: every operation of the OpenAPI has one."""
    import httpx

    schema = httpx.get(world["live"].url + "/openapi.json").json()
    operations = {f"{m.upper()} {p}" for p, ops in schema["paths"].items() for m in ops}
    covered = {
        "GET /api/v1/meta": "meta", "POST /api/v1/auth/login": "login", "POST /api/v1/auth/logout": "logout",
        "GET /api/v1/sync/pull": "pull", "POST /api/v1/sync/push": "push visit on C1 (t1)",
        "PUT /api/v1/attachments/{sha256}": "put attachment", "GET /api/v1/attachments/{sha256}": "get PDF of V1 (t1)",
        "GET /api/v1/cases/{case_id}": "get case C1 (t1)", "GET /api/v1/admin/users": "admin list users",
        "POST /api/v1/admin/users": "admin create user",
        "PUT /api/v1/admin/users/{username}/password": "admin set password",
        "POST /api/v1/admin/cases/{external_id}/reassign": "admin reassign",
        "POST /api/v1/admin/cases/{external_id}/close": "admin close",
        "POST /api/v1/admin/devices/revoke": "admin revoke", "GET /api/v1/lead/pull": "lead pull",
        "GET /api/v1/lead/visits/{visit_id}": "lead visit V1 (t1)", "GET /api/v1/lead/figures": "lead figures",
        "GET /api/v1/institution": "institution", "PUT /api/v1/admin/institution": "admin institution",
        "GET /api/v1/lead/practice": "lead practice", "GET /api/v1/cases/{case_id}/slots": "slots of C1 (t1)",
        "POST /api/v1/appointments": "propose on C1 in the past",
        "GET /api/v1/appointments/{appointment_id}": "get appointment A1 (t1)",
        "POST /api/v1/appointments/{appointment_id}/cancel": "cancel A1 (t1, cancelled)",
        "POST /api/v1/appointments/{appointment_id}/missed": "missed A3 (t2, not begun)",
        "GET /api/v1/lead/complaints": "lead complaints",
        "POST /api/v1/lead/complaints/{complaint_id}/answer": "lead answer unknown complaint",
        "GET /api/v1/lead/notices": "lead notices", "POST /api/v1/lead/notices/{notice_id}/decide":
            "lead decide N3 (t2, queued)", "POST /api/v1/devices/certificate": "enrol a device",
        "GET /api/v1/pki/root.pem": "pki root", "GET /api/v1/pki/crl": "pki crl", "GET /verify/{sha256}": "verify page",
        "GET /api/v1/visits/{visit_id}/documents/{kind}": "sealed agreement of V1 (t1, unsigned)",
        "POST /webhooks/sms": "sms receipt (receipts off)", "GET /healthz": "healthz", "GET /readyz": "readyz",
    }
    assert operations == set(covered)
    assert set(covered.values()) <= set(EXPECTED) and set(EXPECTED) == set(ENDPOINTS)


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_matrix(world, endpoint, caller):
    got = ENDPOINTS[endpoint](world, world["apis"][caller], caller)
    assert got == EXPECTED[endpoint][CALLERS.index(caller)]


@pytest.mark.parametrize("caller,code", [("anon", "token_missing"), ("revoked", "device_revoked")])
def test_refusals_say_why(world, caller, code):
    api = world["apis"][caller]
    for r in (api.get("/api/v1/sync/pull"), api.get(f"/api/v1/cases/{world['C1']}"),
              api.get(f"/api/v1/attachments/{world['pdf']}"), api.get("/api/v1/lead/pull"),
              api.get("/api/v1/admin/users")):
        assert (r.status_code, r.json()["error"]) == (401, code)


def test_someone_elses_link_opens_nothing(world):
    """agent3's visit V3x links agent1's PDF (an old, unchecked link): neither agent3 nor its
    lead may read the PDF, though they may see V3x itself."""
    live = world["live"]
    with live.session() as s:
        linked = {v for (v,) in s.query(VisitAttachment.visit_id).filter(VisitAttachment.sha256 == world["pdf"])}
        owners = {s.get(Visit, v).agent.username for v in linked}
    assert owners == {"agent1", "agent3"}
    for name in ("agent3", "lead2"):
        r = world["apis"][name].get(f"/api/v1/attachments/{world['pdf']}")
        assert (r.status_code, r.json()["error"]) == (404, "not_found")
