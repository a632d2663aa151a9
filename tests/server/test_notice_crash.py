"""`fieldapp server run` killed with SIGKILL while it sends a notice: the email the SMTP server
already had is never sent a second time (a person decides), and the SMS cut off the same way
is sent again under the same message id, which the gateway drops. Real processes, real
servers on loopback."""

from __future__ import annotations

import time

import pytest

from fieldapp.server.notify.loopback import LoopbackSmsGateway, LoopbackSmtp
from fieldapp.server.services import appointments
from fieldapp.server.settings import ServerSettings
from fieldapp.server.testing import LiveServer

from .appt_kit import MONDAY, SECRET, add_customer_case, local, make_team, notices_of, settings_for
from .procs import ServerProcess, _env, _wait


@pytest.fixture
def seeded(db_url, app_clock):
    app_clock.set(MONDAY)  # the clock runs (subprocesses share it): leases must be able to run out
    with LiveServer(db_url, upgrade_db=False, **settings_for()) as live:
        with live.session() as s, s.begin():
            make_team(s)
            add_customer_case(s, "K-1")
        yield live


def _propose(live, settings: ServerSettings) -> str:
    with live.session() as s, s.begin():
        case = appointments.find_case(s, "K-1")
        return appointments.propose(s, case, local(2026, 3, 4, 10, 0), local(2026, 3, 4, 11, 0),
                                    settings=settings, actor=None, via="back_office").id


def _states(live, appt_id: str) -> list[str]:
    with live.session() as s:
        return [n.state for n in notices_of(s, appt_id)]


def test_kill_9_while_emailing_the_email_arrives_exactly_once(seeded):
    live = seeded
    with LoopbackSmtp() as smtp:
        values = settings_for(smtp.url, None, notice_lease_seconds=3, notice_poll_seconds=0.2,
                            notice_worker=True)
        appt_id = _propose(live, ServerSettings.load(**values, database_url=live.database_url))
        smtp.hold()  # the SMTP server takes the message and keeps its answer back
        server = ServerProcess(live.database_url, _env(values))
        try:
            assert smtp.reached.wait(60), "the worker in `server run` never sent the email"
            server.kill()  # SIGKILL: no shutdown, no cleanup, mid-send
        finally:
            smtp.release()
            server.stop()
        assert len(smtp.messages) == 1
        assert _states(live, appt_id) == ["sending"]
        again = ServerProcess(live.database_url, _env(values))
        try:
            assert _wait(lambda: _states(live, appt_id) == ["needs_decision"]), _states(live, appt_id)
            time.sleep(1.0)  # a few more rounds of the worker: still nothing resent
        finally:
            again.stop()
        assert len(smtp.messages) == 1
        with live.session() as s:
            [notice] = notices_of(s, appt_id)
            assert "cut off while sending" in notice.last_error
            assert notice.id in smtp.messages[0]["Message-ID"]


def test_kill_9_while_texting_the_sms_is_resent_and_the_gateway_drops_it(seeded):
    live = seeded
    with LoopbackSmsGateway(secret=SECRET) as gateway:
        values = settings_for(None, gateway.url, notice_lease_seconds=3, notice_poll_seconds=0.2,
                            notice_worker=True)
        appt_id = _propose(live, ServerSettings.load(**values, database_url=live.database_url))
        gateway.hold()
        server = ServerProcess(live.database_url, _env(values))
        try:
            assert gateway.reached.wait(60), "the worker in `server run` never sent the SMS"
            server.kill()
        finally:
            gateway.release()
            server.stop()
        assert _states(live, appt_id) == ["sending"]
        again = ServerProcess(live.database_url, _env(values))
        try:
            assert _wait(lambda: _states(live, appt_id) == ["sent"]), _states(live, appt_id)
        finally:
            again.stop()
        assert len(gateway.messages) == 1  # on the phone once
        assert len(gateway.requests) == 2  # sent twice under one client message id
        assert gateway.requests[0]["client_message_id"] == gateway.requests[1]["client_message_id"]
