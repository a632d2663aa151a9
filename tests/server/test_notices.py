"""The notice queue with real channels: a loopback SMTP server (aiosmtpd) and a loopback SMS
gateway. Sent once, retried with back-off, never lost, receipts set the delivered time the
policy check cites; a claim cut off by a crash goes back to the queue only on a channel that
drops duplicates, otherwise to a person."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import httpx
import pytest
from sqlalchemy import select, update

from fieldapp.protocol.v1 import CaseRecord
from fieldapp.server.models import Notification
from fieldapp.server.models_appointments import Notice
from fieldapp.server.notify.loopback import LoopbackSmsGateway, LoopbackSmtp
from fieldapp.server.notify.worker import NoticeWorker
from fieldapp.server.services import appointments, notices
from fieldapp.server.settings import ServerSettings
from fieldapp.server.testing import LiveServer

from .appt_kit import MONDAY, SECRET, add_customer_case, local, make_team, notices_of, settings_for
from .kit import Api

AMOUNT_WORDS = ("1234", "CNY", "元", "欠", "debt", "amount")


@pytest.fixture
def channels():
    with LoopbackSmtp() as smtp, LoopbackSmsGateway(secret=SECRET) as gateway:
        yield smtp, gateway


@pytest.fixture
def world(db_url, app_clock, channels):
    app_clock.tick = False
    app_clock.set(MONDAY)
    smtp, gateway = channels
    overrides = settings_for(smtp.url, gateway.url)
    with LiveServer(db_url, upgrade_db=False, **overrides) as live:
        live.settings = live.settings.model_copy(update={"public_base_url": live.url})
        with live.session() as s, s.begin():
            make_team(s)
            add_customer_case(s, "N-1")
        yield live, smtp, gateway


def _propose(live, ext="N-1", day=4) -> str:
    with live.session() as s, s.begin():
        case = appointments.find_case(s, ext)
        return appointments.propose(s, case, local(2026, 3, day, 10, 0), local(2026, 3, day, 11, 0),
                                    settings=live.settings, actor=None, via="back_office").id


def _worker(live, **kw) -> NoticeWorker:
    return NoticeWorker(live.settings.model_copy(update=kw), live.engine)


def test_one_email_and_one_sms_naming_the_agent_never_the_debt(world):
    live, smtp, gateway = world
    appt_id = _propose(live)
    done = _worker(live).run_once()
    assert (done.claimed, done.sent) == (2, 2)
    assert _worker(live).run_once().claimed == 0  # nothing left: sent once
    with live.session() as s:
        email_notice, sms_notice = notices_of(s, appt_id)
        assert (email_notice.state, sms_notice.state) == ("sent", "sent")
    [mail] = smtp.messages
    assert email_notice.id in mail["Message-ID"]
    assert mail["To"] == "n-1@example.cn" and "江南银行" in str(mail["From"])
    body = mail.get_content()
    for needed in ("江南银行", "李明", "NJ0003", "2026年3月4日（星期三）10:00–11:00", "王*", f"{live.url}/c/"):
        assert needed in body, needed
    assert "王芳" not in body
    [sms] = gateway.messages
    assert sms["client_message_id"] == sms_notice.id and sms["to"] == "13800000000"
    for text in (body, sms["text"], mail["Subject"]):
        assert not any(word in text for word in AMOUNT_WORDS)
    assert "李明" in sms["text"] and "NJ0003" in sms["text"]
    with live.session() as s:
        rows = s.scalars(select(Notification).where(Notification.appointment_id == appt_id)).all()
        assert sorted(r.channel for r in rows) == ["email", "sms"] and all(r.delivered_at is None for r in rows)
        assert appointments.find(s, appt_id).state == "notice_sent"


def test_the_receipt_sets_the_delivered_time_the_policy_check_cites(world, app_clock):
    live, smtp, gateway = world
    appt_id = _propose(live)
    _worker(live).run_once()
    [sms] = gateway.messages
    r = gateway.deliver(sms["client_message_id"], at="2026-03-02T01:07:00Z")  # 09:07 in Shanghai
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "delivered"
    agent = Api(live.url, "agent1")
    changes, _ = agent.pull_all()
    record = CaseRecord.model_validate(changes[-1]["case"])
    assert record.appointment.state == "delivered"
    sms_note = next(n for n in record.notifications if n.channel == "sms")
    assert sms_note.delivered_at == dt.datetime(2026, 3, 2, 1, 7, tzinfo=dt.timezone.utc)
    assert record.compliance is not None and record.compliance.allowed
    from fieldapp.policy import context_from_case, evaluate, load_policy

    decision = evaluate(context_from_case(record), load_policy("seed"), "en")
    notice_rule = next(r for r in decision.results if r.rule == "notice.lead_time")
    assert notice_rule.passed and "delivered at 2026-03-02 09:07 China time" in notice_rule.message
    # A second receipt changes nothing; the first proof counts.
    assert gateway.deliver(sms["client_message_id"], at="2026-03-02T05:00:00Z").status_code == 200
    with live.session() as s:
        assert notices_of(s, appt_id)[1].delivered_at == dt.datetime(2026, 3, 2, 1, 7, tzinfo=dt.timezone.utc)


def test_receipts_are_signed_and_unknown_messages_get_a_clear_answer(world):
    live, _smtp, gateway = world
    _propose(live)
    _worker(live).run_once()
    client_id = gateway.messages[0]["client_message_id"]
    assert gateway.deliver(client_id, secret="wrong").status_code == 401
    body = b'{"client_message_id": "no-such-id-000", "status": "delivered", "at": "2026-03-02T01:07:00Z"}'
    from fieldapp.server.notify.channels import SIGNATURE_HEADER, sign

    r = httpx.post(f"{live.url}/webhooks/sms", content=body, headers={SIGNATURE_HEADER: sign(SECRET, body)})
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    assert "no-such-id-000" in r.json()["detail"] and "was sent by this server" in r.json()["detail"]
    bad = b'{"client_message_id": "x", "status": "lost", "at": "2026-03-02T01:07:00Z"}'
    r = httpx.post(f"{live.url}/webhooks/sms", content=bad, headers={SIGNATURE_HEADER: sign(SECRET, bad)})
    assert r.status_code == 422 and "status" in r.json()["detail"]


def test_receipts_are_refused_without_a_configured_secret(db_url, app_clock):
    with LiveServer(db_url, upgrade_db=False, **settings_for(sms_webhook_secret=None)) as live:
        r = httpx.post(f"{live.url}/webhooks/sms", json={"client_message_id": "x"})
        assert r.status_code == 403 and "sms_webhook_secret" in r.json()["detail"]


def test_an_smtp_server_that_is_down_keeps_the_notice_queued_and_the_lead_sees_it(world, app_clock):
    live, smtp, gateway = world
    appt_id = _propose(live)
    smtp.stop()
    worker = _worker(live, notice_max_attempts=3)
    done = worker.run_once()
    assert (done.sent, done.retrying) == (1, 1)  # the SMS went; the email waits
    with live.session() as s:
        email_notice = notices_of(s, appt_id)[0]
        assert email_notice.state == "queued" and email_notice.attempts == 1
        assert "SMTP server 127.0.0.1" in email_notice.last_error
        assert email_notice.next_attempt_at == MONDAY.astimezone(dt.timezone.utc) + dt.timedelta(seconds=30)
    lead = Api(live.url, "lead1")
    seen = lead.get("/api/v1/lead/notices").json()["items"]
    assert [(n["channel"], n["state"], n["attempts"]) for n in seen] == [("email", "queued", 1)]
    assert worker.run_once().claimed == 0  # backing off: not due yet
    app_clock.advance(seconds=31)
    worker.run_once()
    app_clock.advance(seconds=61)
    done = worker.run_once()
    assert done.failed == 1
    with live.session() as s:
        assert notices_of(s, appt_id)[0].state == "failed"
    assert lead.get("/api/v1/lead/notices").json()["items"][0]["state"] == "failed"
    # The lead sends it again once the mail server is back: it arrives, once.
    with LoopbackSmtp(port=smtp.port) as back:
        nid = seen[0]["id"]
        assert lead.post(f"/api/v1/lead/notices/{nid}/decide", json={"decision": "resend"}).status_code == 200
        assert worker.run_once().sent == 1
        assert len(back.messages) == 1
    assert Api(live.url, "lead2").post(f"/api/v1/lead/notices/{nid}/decide",
                                       json={"decision": "drop"}).status_code == 404


def test_a_cut_off_claim_is_resent_only_where_duplicates_are_dropped(world, app_clock):
    live, smtp, gateway = world
    appt_id = _propose(live)
    with live.session() as s, s.begin():  # a worker claimed both and died before it could send
        assert len(notices.claim(s, "dead-worker")) == 2
    worker = _worker(live, notice_lease_seconds=60)
    assert worker.run_once().requeued == 0  # the lease has not run out
    app_clock.advance(seconds=61)
    done = worker.run_once()
    assert (done.requeued, done.to_a_person, done.sent) == (1, 1, 1)
    with live.session() as s:
        email_notice, sms_notice = notices_of(s, appt_id)
        assert email_notice.state == "needs_decision" and "cut off while sending" in email_notice.last_error
        assert sms_notice.state == "sent" and sms_notice.attempts == 2
    assert smtp.messages == [] and len(gateway.messages) == 1
    lead = Api(live.url, "lead1")
    r = lead.post(f"/api/v1/lead/notices/{email_notice.id}/decide", json={"decision": "mark_sent"})
    assert r.status_code == 200 and r.json()["state"] == "sent"
    assert lead.post(f"/api/v1/lead/notices/{email_notice.id}/decide",
                     json={"decision": "resend"}).status_code == 409


def test_the_gateway_drops_a_resend_with_the_same_message_id(channels):
    from fieldapp.server.notify.channels import Outgoing, SmsChannel

    _smtp, gateway = channels
    channel = SmsChannel(ServerSettings.load(**settings_for(sms_url=gateway.url)))
    message = Outgoing("notice-1", "13800000000", "", "text", "zh_CN")
    assert channel.send(message) == channel.send(message) == "gw-000001"
    assert len(gateway.messages) == 1 and len(gateway.requests) == 2


def test_claims_never_overlap(engine, db_url, app_clock):
    from fieldapp.server.db import session_factory

    app_clock.tick = False
    app_clock.set(MONDAY)
    sessions = session_factory(engine)
    settings = ServerSettings.load(**settings_for(database_url=db_url))
    with sessions() as s, s.begin():
        make_team(s)
        for n in range(4):
            add_customer_case(s, f"C-{n}")
            appointments.propose(s, appointments.find_case(s, f"C-{n}"), local(2026, 3, 4 + n % 2, 10 + n, 0),
                                 local(2026, 3, 4 + n % 2, 11 + n, 0), settings=settings, actor=None,
                                 via="back_office")
    if engine.dialect.name == "postgresql":
        # Two workers at once: the second skips the rows the first holds, without waiting.
        with sessions() as a, sessions() as b:
            a.begin()
            first = notices.claim(a, "a", limit=5)
            b.begin()
            second = notices.claim(b, "b", limit=5)
            a.commit()
            b.commit()
    else:  # SQLite: BEGIN IMMEDIATE makes claims take turns
        with sessions() as a, a.begin():
            first = notices.claim(a, "a", limit=5)
        with sessions() as b, b.begin():
            second = notices.claim(b, "b", limit=5)
    assert len(first) == 5 and len(second) == 3 and not set(first) & set(second)


def test_send_notices_command_once(world):
    live, smtp, gateway = world
    _propose(live)
    env = {**os.environ, **{f"FIELDAPP_SERVER_{k.upper()}": str(v) for k, v in
                            settings_for(smtp.url, gateway.url).items() if v is not None}}
    run = subprocess.run([sys.executable, "-m", "fieldapp", "server", "send-notices", "--once",
                          "--db", live.database_url], capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "2 sent" in run.stdout
    assert len(smtp.messages) == 1 and len(gateway.messages) == 1
    env.pop("FIELDAPP_SERVER_SMTP_URL"), env.pop("FIELDAPP_SERVER_SMS_GATEWAY_URL")
    run = subprocess.run([sys.executable, "-m", "fieldapp", "server", "send-notices", "--once",
                          "--db", live.database_url], capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 2 and "smtp_url" in run.stderr


def test_a_cancelled_appointment_sends_nothing(world):
    live, smtp, gateway = world
    appt_id = _propose(live)
    with live.session() as s, s.begin():
        s.execute(update(Notice).where(Notice.appointment_id == appt_id).values(state="queued"))
        appointments.cancel(s, appointments.find(s, appt_id), None)
    assert _worker(live).run_once().claimed == 0
    assert smtp.messages == [] and gateway.messages == []


def test_a_long_batch_renews_its_claims_and_loses_the_ones_recovered(world, app_clock):
    live, _smtp, _gateway = world
    _propose(live)
    with live.session() as s, s.begin():
        ids = notices.claim(s, "slow-worker")
    with live.session() as s, s.begin():
        assert notices.renew(s, "slow-worker", ids) == set(ids)
        assert notices.renew(s, "another-worker", ids) == set()
    app_clock.advance(seconds=200)
    with live.session() as s, s.begin():
        notices.recover(s, dt.timedelta(seconds=120))
        assert notices.renew(s, "slow-worker", ids) == set()


def _self_signed(tmp_path):
    """A certificate for 127.0.0.1 and its key (cryptography), as PEM files."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    from fieldapp.core.clock import system_now

    now = system_now()  # OpenSSL checks validity against the OS's time, not the application's
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "smtp.pem", tmp_path / "smtp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_email_over_starttls_checks_the_servers_certificate(tmp_path):
    import ssl

    from fieldapp.server.notify.channels import EmailChannel, Outgoing, TemporaryFailure

    cert, key = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    message = Outgoing("notice-tls", "li@example.cn", "subject", "text", "en")
    with LoopbackSmtp(tls_context=context) as smtp:
        trusting = EmailChannel(ServerSettings.load(**settings_for(smtp.url, None, smtp_starttls=True,
                                                                   smtp_ca_file=str(cert))))
        assert trusting.send(message) and len(smtp.messages) == 1
        untrusting = EmailChannel(ServerSettings.load(**settings_for(smtp.url, None, smtp_starttls=True)))
        with pytest.raises(TemporaryFailure, match="CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
            untrusting.send(message)
        plain = EmailChannel(ServerSettings.load(**settings_for(smtp.url, None)))
        with pytest.raises(Exception, match="STARTTLS|530"):
            plain.send(message)  # the server requires TLS: nothing goes out in clear
        assert len(smtp.messages) == 1


def test_the_loopback_mail_server_holds_its_port_from_the_start():
    """Its URL goes into settings before it starts (the demo, these tests): nobody else may
    take the port in between, as parallel runs did when it was only looked up free."""
    import smtplib
    import socket
    from email.message import EmailMessage

    smtp = LoopbackSmtp()
    try:
        with socket.socket() as other, pytest.raises(OSError):
            other.bind(("127.0.0.1", smtp.port))
        smtp.start()
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "a@example.cn", "b@example.cn", "hello"
        message.set_content("port held")
        with smtplib.SMTP("127.0.0.1", smtp.port, timeout=10) as client:
            client.send_message(message)
        assert [m["Subject"] for m in smtp.messages] == ["hello"]
    finally:
        smtp.stop()
    with socket.socket() as again:  # stopped: nothing listens there any more
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # (the closed connection's TIME_WAIT)
        again.bind(("127.0.0.1", smtp.port))
