"""Shared test world for the lead tests: a live server with two teams, real agent and lead
laptops (stores on disk), visits with a real signed agreement PDF."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import math
import uuid
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw

from fieldapp.core.timeutil import utcnow
from fieldapp.protocol.v1 import AgreementRecord, SignatureRef, VisitRecord

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Wednesday afternoon in Shanghai, no holiday near: the visits of populate() fall on the
# three days before it, whatever day the suite runs on.
PINNED = dt.datetime(2026, 3, 11, 14, 30, tzinfo=SHANGHAI)


PEOPLE = {  # username: (role, team, display name)
    "admin": ("admin", None, "Admin"),
    "lead1": ("lead", "t1", "Lena Lead"),
    "lead1b": ("lead", "t1", "Liu Deputy"),
    "agent1": ("agent", "t1", "Wang Agent"),
    "agent2": ("agent", "t1", "Zhao Agent"),
    "lead2": ("lead", "t2", "Other Lead"),
    "agent3": ("agent", "t2", "Other Agent"),
}


CA_PASSPHRASE = "lead world signing passphrase"


def make_authority(session) -> None:
    from fieldapp.server.services import signing

    signing.init_authority(session, CA_PASSPHRASE.encode(), "Nanjing Demo Bank")


def password(username: str) -> str:
    return f"pw-{username}-2026-long"


def make_people(session) -> None:
    from fieldapp.server import admin

    for name, (role, team, display) in PEOPLE.items():
        admin.create_user(session, name, password(name), role, team, display)


def add_case(session, ext: str, agent: str | None = "agent1", *, timezone: str = "Asia/Shanghai",
             amount: str = "1234.50", start: dt.datetime | None = None) -> str:
    """An open case with customer, appointment (two days ahead) and a delivered notice."""
    from fieldapp.server import admin
    from fieldapp.server.models import Appointment, Case, Customer, Notification
    from fieldapp.server.services.changes import case_changed

    now = utcnow().replace(microsecond=0)
    start = start or now + dt.timedelta(days=2)
    cust = Customer(external_ref=f"cust-{ext}", name=f"王芳 {ext}", phone="13800000000", id_tail="1234",
                    address=f"南京市玄武区中山路{ext}号", lat=32.06, lon=118.79, timezone=timezone,
                    region="CN", language="zh_CN", flags=[])
    session.add(cust)
    session.flush()
    case = Case(external_id=ext, reference=f"REF-{ext}", customer_id=cust.id, amount_due=Decimal(amount),
                currency="CNY", days_past_due=90, tier="A", product="card", status="open",
                assigned_agent_id=admin.find_user(session, agent).id if agent else None, policy_id="cn",
                created_at=now, updated_at=now)
    session.add(case)
    session.flush()
    session.add(Appointment(case_id=case.id, start=start, end=start + dt.timedelta(hours=1),
                            status="scheduled", created_at=now))
    session.add(Notification(case_id=case.id, channel="sms", sent_at=now - dt.timedelta(days=1),
                             delivered_at=now - dt.timedelta(days=1)))
    session.flush()
    case_changed(session, case)
    return case.id


def signature_png(seed: int) -> bytes:
    img = Image.new("RGBA", (300, 100), (255, 255, 255, 0))
    draw = ImageDraw.Draw(img)
    pts = [(10 + i, 50 + 30 * math.sin(i / (9 + seed))) for i in range(0, 280, 4)]
    draw.line(pts, fill=(20, 30, 90, 255), width=3)
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def make_agreement(reference: str, total: str = "1200.00", agreed_on: dt.date | None = None, *,
                   signer=None):  # noqa: ANN001
    """(AgreementRecord, attachments): a real agreement PDF, signed by hand and, with a
    `signer` (a laptop's device key), digitally, as the visit flow makes it."""
    from fieldapp.core.plans import PlanLimits
    from fieldapp.documents.agreement import build_agreement_pdf
    from fieldapp.documents.terms import parse_terms

    agreed_on = agreed_on or utcnow().date()
    pngs = {"customer": signature_png(1), "agent": signature_png(2)}
    at = dt.datetime.combine(agreed_on, dt.time(10, 40), tzinfo=dt.timezone(dt.timedelta(hours=8)))
    data = {
        "agreement_id": f"AGR-{uuid.uuid4().hex[:10]}", "case_reference": reference,
        "creditor": {"name": "南京示范银行 Nanjing Demo Bank", "address": "南京市中山路1号",
                     "registration": "91320000MA1DEMO01X"},
        "customer": {"name": "王芳", "id_tail": "1234", "address": "南京市玄武区中山路1号"},
        "agent": {"name": "Wang Agent", "id": "agent1"}, "currency": "CNY", "amount_due": total,
        "plan": {"kind": "instalments", "total": total, "count": 2, "frequency": "monthly",
                 "first_due": (agreed_on + dt.timedelta(days=30)).isoformat(), "remainder": "last"},
        "terms_text": {"en": "1. The customer agrees to pay as scheduled.", "zh_CN": "一、客户同意按计划还款。"},
        "place": "南京市", "date": agreed_on.isoformat(), "timezone": "Asia/Shanghai",
        "signatures": {role: {"png_base64": base64.b64encode(png).decode(), "captured_at": at.isoformat()}
                       for role, png in pngs.items()},
    }
    terms = parse_terms(data, where="agreement", limits=PlanLimits())
    pdf = build_agreement_pdf(terms, "both", draft=signer is None)
    if signer is not None:
        from fieldapp.documents.signing import sign_pdf

        pdf = sign_pdf(pdf, signer, now=utcnow())
    import hashlib

    record = AgreementRecord(
        agreement_id=terms.agreement_id, terms=json.loads(terms.canonical_bytes()),
        terms_sha256=terms.sha256, pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        total=format(terms.plan.total, "f"), currency=terms.currency,
        signatures=[SignatureRef(role=role, sha256=hashlib.sha256(png).hexdigest(), captured_at=at)
                    for role, png in pngs.items()], read_before_signing="read_aloud")
    files = {hashlib.sha256(b).hexdigest(): b for b in (pdf, *pngs.values())}
    return record, files


CUSTOMER_AT = (32.0603, 118.7969)
AGENT_AT = {"near": (32.0605, 118.7971), "far": (32.0676, 118.7969)}  # ~25 m and ~812 m away


def decisions(start: dt.datetime, geofence: str | None) -> tuple[dict[str, Any], dict[str, Any], float | None]:
    """(planning decision, check-in decision, distance in m) from the real policy engine
    under the `cn` preset: a notice two days ahead, check-in a minute after the start."""
    from fieldapp.geo.distance import distance_m
    from fieldapp.policy import Context, evaluate, load_policy

    iso = dt.datetime.isoformat
    context: dict[str, Any] = {
        "customer": {"timezone": "Asia/Shanghai", "region": "CN",
                     "location": {"lat": CUSTOMER_AT[0], "lon": CUSTOMER_AT[1]}, "flags": []},
        "appointment": {"start": iso(start), "end": iso(start + dt.timedelta(hours=1))},
        "notifications": [{"channel": "sms", "sent_at": iso(start - dt.timedelta(hours=48)),
                           "delivered_at": iso(start - dt.timedelta(hours=47))}], "visits": []}
    policy = load_policy("cn")
    planning = evaluate(Context.from_json(context), policy).to_json()
    context["now"] = iso(start + dt.timedelta(minutes=1))
    distance = None
    if geofence is not None:
        lat, lon = AGENT_AT[geofence]
        context["agent_location"] = {"lat": lat, "lon": lon, "accuracy_m": 12}
        distance = round(distance_m((lat, lon), CUSTOMER_AT), 1)
    return planning, evaluate(Context.from_json(context), policy).to_json(), distance


def visit(case_id: str, *, outcome: str = "promise_to_pay", notes: str = "客户承诺月底还款",
          started: dt.datetime | None = None, location: bool = True, geofence: str = "near",
          note_warnings: list[str] | None = None, promise: tuple[str, dt.date] | None = None,
          agreement: AgreementRecord | None = None, corrects: str | None = None,
          contact: bool | None = None) -> VisitRecord:
    started = started or utcnow().replace(microsecond=0) - dt.timedelta(hours=2)
    if promise is None and outcome == "promise_to_pay":
        promise = ("500.00", started.date() + dt.timedelta(days=20))
    planning, checkin, distance = decisions(started, geofence if location else None)
    transcript = [
        {"at": (started + dt.timedelta(minutes=1)).isoformat(), "event": "said", "node": "greet",
         "type": "say", "text": "您好，我是示范银行的外访专员。"},
        {"at": (started + dt.timedelta(minutes=2)).isoformat(), "event": "answer", "node": "identity",
         "type": "ask", "text": "请问您是王芳女士本人吗？", "answer": "yes"},
    ]
    return VisitRecord.model_validate({
        "visit_id": str(uuid.uuid4()), "case_id": case_id,
        "agent_started_at": started.isoformat(), "checked_in_at": started.isoformat(),
        "ended_at": (started + dt.timedelta(minutes=40)).isoformat(),
        "location": {"lat": AGENT_AT[geofence][0], "lon": AGENT_AT[geofence][1], "accuracy_m": 12.0}
        if location else None,
        "location_exception": None if location else "GPS unavailable indoors",
        "distance_m": distance, "planning_decision": planning, "checkin_decision": checkin,
        "script_id": "home_visit_cn", "transcript": transcript, "outcome": outcome,
        "contact_made": contact if contact is not None else outcome not in ("not_home", "wrong_address"),
        "notes": notes, "note_warnings": note_warnings or [],
        "promise": {"amount": promise[0], "currency": "CNY", "due_date": promise[1].isoformat()} if promise else None,
        "agreement": agreement.model_dump(mode="json") if agreement else None,
        "corrects_visit_id": corrects})


def signed_report(record: VisitRecord, signer) -> tuple[str, bytes]:  # noqa: ANN001
    """(sha256, PDF): the visit's report as the laptop makes it after the visit, signed with
    the device key."""
    import hashlib

    from fieldapp.documents.signing import sign_pdf
    from fieldapp.documents.visit_report import build_visit_report

    data = {"visit_id": record.visit_id,
            "case": {"reference": "REF", "customer_name": "王芳", "address": "南京市玄武区中山路1号",
                     "amount_due": "1200.00", "currency": "CNY"},
            "agent": {"name": "Wang Agent", "id": "agent1"}, "timezone": "Asia/Shanghai",
            "started_at": record.agent_started_at.isoformat(), "ended_at": record.ended_at.isoformat(),
            "decision": {"allowed": True, "check": "checkin", "policy": {"id": "cn", "version": "1"},
                         "evaluated_at": record.agent_started_at.isoformat(), "language": "en",
                         "summary": "Allowed.", "results": []},
            "transcript": [], "location": None,
            "outcome": {"code": record.outcome.value, "notes": record.notes or "", "promise": None},
            "agreement": ({"id": record.agreement.agreement_id, "sha256": record.agreement.terms_sha256}
                          if record.agreement else None)}
    pdf = sign_pdf(build_visit_report(data, "both"), signer, now=utcnow(), reason=f"Visit report {record.visit_id}")
    return hashlib.sha256(pdf).hexdigest(), pdf


def populate(live, laptop) -> dict[str, Any]:
    """Two agents of team t1 record four visits (an agreement with its PDF, one outside the
    geofence, one without location, one with an abusive phrase) and sync; returns the
    visit ids by name. `laptop(kind, user, live)` makes signed-in services."""
    tag = uuid.uuid4().hex[:6]
    with live.session() as s, s.begin():
        c1 = add_case(s, f"UI-1-{tag}", "agent1")
        c2 = add_case(s, f"UI-2-{tag}", "agent2")
    a1, a2 = laptop("agent", "agent1", live), laptop("agent", "agent2", live)
    a1.sync(), a2.sync()
    shanghai = dt.timezone(dt.timedelta(hours=8))
    today = utcnow().astimezone(shanghai).date()

    def day(back: int, hour: int = 10) -> dt.datetime:  # inside the cn window (08:00-22:00)
        return dt.datetime.combine(today - dt.timedelta(days=back), dt.time(hour), tzinfo=shanghai)

    setup = a1.signing_setup()
    agreement, files = make_agreement(f"REF-UI-1-{tag}", agreed_on=day(3).date(),
                                      signer=setup.signer if setup else None)
    visits = {
        "agreement": (a1, visit(c1, outcome="agreement_signed", agreement=agreement,
                                started=day(3), notes="客户同意分两期还款。"), files),
        "far": (a1, visit(c1, geofence="far", started=day(2, 15),
                          notes="Customer promised to pay at the end of the month."), None),
        "no_location": (a2, visit(c2, outcome="not_home", location=False, started=day(1, 9),
                                  notes="Nobody answered; a neighbour said they moved."), None),
        "rude": (a2, visit(c2, outcome="refused", note_warnings=["'you will regret it'"],
                           started=day(0, 8), notes="Customer refused; I said he will regret it."),
                 None),
    }
    if setup is not None:  # the agreement's visit carries its signed report too
        agent, record, files = visits["agreement"]
        sha, pdf = signed_report(record, setup.signer)
        visits["agreement"] = (agent, record.model_copy(update={"report_sha256": sha}), {**files, sha: pdf})
    for agent, v, files in visits.values():
        agent.record_visit(v, files)
    a1.sync(), a2.sync()
    return {name: v.visit_id for name, (_agent, v, _files) in visits.items()}


# Answers towards an instalment plan in the shipped Chinese script (as the tour gives them).
PREFERRED = ("answered", "confirmed", "yes_talk", "income_fell", "instalments", "agrees", "yes")


def scripted_transcript(lang: str, started: dt.datetime, *, stop_after: int | None = None) -> list[dict[str, Any]]:
    """The transcript of a real run of the shipped `home_visit_cn` script in `lang` (its
    example case): the preferred answers, 6 instalments two weeks on, a note on the
    hardship question; `stop_after` answers then the customer is distressed."""
    from fieldapp.script import Runtime, load_script

    script = load_script("home_visit_cn")
    moment = [started]

    def clock() -> dt.datetime:
        moment[0] += dt.timedelta(seconds=40)
        return moment[0]

    rt = Runtime(script, dict(script.example_case), lang, clock=clock)
    given = 0
    while not rt.finished:
        if stop_after is not None and given >= stop_after:
            rt.stop("distress", note="客户哭了 / the customer cried")
            break
        view = rt.current
        if view.type == "say":
            rt.answer()
        elif view.type == "ask":
            ids = [o.id for o in view.options]
            note = "客户一月失业 / lost his job in January" if "income_fell" in ids else None
            rt.answer(next((p for p in PREFERRED if p in ids), ids[0]), note=note)
        elif view.input.kind == "yes_no":
            rt.answer(True)
        elif view.input.kind == "integer":
            rt.answer(6)
        elif view.input.kind == "date":
            rt.answer((started.date() + dt.timedelta(days=14)).isoformat())
        else:
            rt.answer(view.input.min or "100")
        given += 1
    return rt.transcript
