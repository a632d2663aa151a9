"""The whole path, with real processes and servers: an appointment proposed on a laptop while
the server is down reaches the server at the next sync; `server run` is killed with SIGKILL
while it emails the customer, and the email still arrives exactly once (the cut-off send goes
to a person); the SMS gateway's receipt sets the delivered time; the customer confirms in
Chromium; the agent sees "confirmed" after the next sync, and the policy check cites the
delivered time from the receipt."""

from __future__ import annotations

import datetime as dt

import pytest

from fieldapp.protocol.v1 import CaseRecord
from fieldapp.server.notify.loopback import LoopbackSmsGateway, LoopbackSmtp, free_port
from fieldapp.server.testing import LiveServer
from fieldapp.sync.errors import SyncError
from fieldapp.sync.service import AgentService
from fieldapp.sync.transport import RetryPolicy
from fieldapp.ui.appointment_words import state_text
from fieldapp.ui.case_data import load_day, planning_verdict

from .appt_kit import MONDAY, SECRET, add_customer_case, link_from, local, make_team, notices_of, settings_for
from .kit import Api, password
from .procs import ServerProcess, _env, _wait

FAST = RetryPolicy(attempts=1, backoff_s=0.01, backoff_max_s=0.05)


@pytest.fixture
def seeded(db_url, app_clock):
    app_clock.set(MONDAY)  # running: subprocesses share it, leases can run out
    with LiveServer(db_url, upgrade_db=False, **settings_for()) as live:
        with live.session() as s, s.begin():
            make_team(s)
            add_customer_case(s, "E-1")
        yield live


def test_offline_proposal_to_confirmed_visit(seeded, tmp_path, phone, app_clock):
    live = seeded
    port = free_port()
    with LoopbackSmtp() as smtp, LoopbackSmsGateway(secret=SECRET) as gateway:
        values = settings_for(smtp.url, gateway.url, notice_worker=True, notice_lease_seconds=3,
                              notice_poll_seconds=0.2, public_base_url=f"http://127.0.0.1:{port}")
        env = _env(values)

        # The agent's laptop syncs once, then the server is down.
        server = ServerProcess(live.database_url, env, port)
        laptop = AgentService(store_path=tmp_path / "laptop.sqlite3", retry=FAST, timeout_s=10)
        try:
            laptop.login(server.url, "agent1", password("agent1"))
            laptop.sync()
        finally:
            server.stop()
        case_id = next(r.id for r in laptop.list_cases() if r.reference == "E-1")
        offered = laptop.appointment_slots(case_id, count=3)
        assert offered.slots, offered.why_none
        start, end = local(2026, 3, 4, 10, 0), local(2026, 3, 4, 11, 0)
        item_id = laptop.propose_appointment(case_id, start, end)
        with pytest.raises(SyncError):
            laptop.sync()  # offline: the proposal waits in the outbox
        assert [o.state for o in laptop.outbox() if o.id == item_id] == ["waiting"]

        # Back online: the proposal reaches the server; its worker emails and is killed mid-send.
        smtp.hold()
        server = ServerProcess(live.database_url, env, port)
        try:
            summary = laptop.sync()
            assert summary.pushed_accepted == 1, summary.rejected
            assert smtp.reached.wait(60), "the email was never sent"
            server.kill()
        finally:
            smtp.release()
            server.stop()
        with live.session() as s:
            states = {n.channel: n.state for n in notices_of(s, item_id)}
        assert states["email"] == "sending"

        server = ServerProcess(live.database_url, env, port)
        try:
            assert _wait(lambda: _states(live, item_id) == {"email": "needs_decision", "sms": "sent"}), \
                _states(live, item_id)
            assert len(smtp.messages) == 1 and len(gateway.messages) == 1
            # The lead looks: the mail server had it. It was sent; nothing goes out again.
            lead = Api(server.url, "lead1")
            [stuck] = lead.get("/api/v1/lead/notices").json()["items"]
            assert lead.post(f"/api/v1/lead/notices/{stuck['id']}/decide",
                             json={"decision": "mark_sent"}).json()["state"] == "sent"
            # The operator confirms the SMS reached the phone a second after it was sent.
            with live.session() as s:
                sms = next(n for n in notices_of(s, item_id) if n.channel == "sms")
            reached = (sms.sent_at + dt.timedelta(seconds=1)).replace(microsecond=0)
            if reached.second == 0:  # the check shows whole minutes without seconds
                reached += dt.timedelta(seconds=1)
            receipt = gateway.deliver(sms.id, at=reached.isoformat())
            assert receipt.status_code == 200 and receipt.json()["state"] == "delivered"

            # The customer opens the email's link in Chromium and confirms.
            link = link_from(smtp.messages[0])
            assert link.startswith(server.url + "/c/")
            phone.goto(link)
            assert "李明" in phone.inner_text("dl.summary") and "NJ0003" in phone.inner_text("dl.summary")
            phone.click("#confirm")
            assert phone.inner_text("#done") == "已确认上门拜访"

            # The agent's next sync: confirmed, and the check cites the receipt's time.
            laptop.sync()
            record: CaseRecord = laptop.get_case(case_id)
            assert record.appointment.id == item_id and record.appointment.state == "confirmed"
            verdict = planning_verdict(record, "en")
            assert verdict.decision.allowed
            notice_rule = next(r for r in verdict.decision.results if r.rule == "notice.lead_time")
            # The SMS receipt reached the laptop with its time; the check cites the earliest
            # delivered notice: the SMS, unless the email the lead marked sent was out earlier
            # (the two are a second apart, so which one it is depends on the run's timing).
            delivered = {n.channel.value: n.delivered_at for n in record.notifications if n.delivered_at}
            assert delivered["sms"] == reached
            channel, first = min(delivered.items(), key=lambda kv: kv[1])
            shown = first.astimezone(local(2026, 3, 2, 0, 0).tzinfo).strftime("%Y-%m-%d %H:%M:%S")
            name = {"sms": "SMS", "email": "email"}[channel]
            assert f"Notice by {name} was delivered at {shown} China time" in notice_rule.message
            plan = load_day(laptop, dt.date(2026, 3, 4), "en")
            [stop] = plan.stops
            assert state_text(stop.record.appointment, lambda s, **k: s) == "Confirmed by the customer"
        finally:
            server.stop()
            laptop.close()
        assert len(smtp.messages) == 1 and len(gateway.messages) == 1  # once each, all along


def _states(live, appointment_id: str) -> dict[str, str]:
    with live.session() as s:
        return {n.channel: n.state for n in notices_of(s, appointment_id)}
