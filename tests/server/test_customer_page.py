"""The customer's page over HTTP: no personal data beyond the masked name, single-case links
that expire, forged links refused, CSRF on every form, rate limits, a clear answer to a
second confirmation, opening the link proves the email arrived, complaints reach the lead."""

from __future__ import annotations

import datetime as dt
import logging
import re

import httpx
import pytest

from fieldapp.server.customer import HideLinkTokens
from fieldapp.server.services import appointments

from .appt_kit import customer_world, notices_of
from .kit import Api


@pytest.fixture
def world(db_url, app_clock):
    with customer_world(db_url, app_clock) as w:
        yield w


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def test_the_page_shows_the_visit_and_the_visitor_and_nothing_personal(world):
    link = world.link(world.propose("P-1"))
    r = httpx.get(link)
    assert r.status_code == 200
    html = r.text
    for shown in ("王*", "李明", "NJ0003", "2026年3月4日（星期三）10:00–11:00", "江南银行", "95555"):
        assert shown in html, shown
    for hidden in ("王芳", "13800000000", "p-1@example.cn", "南京市", "1234", "CNY", "P-1"):
        assert hidden not in html, hidden
    assert r.headers["Referrer-Policy"] == "no-referrer" and r.headers["Cache-Control"] == "no-store"
    assert "script-src" not in r.headers["Content-Security-Policy"] and "<script" not in html
    en = httpx.get(link, params={"lang": "en"}).text
    assert "Your visit on Wednesday 4 March" in en and "Staff number" in en and 'lang="en"' in en


def test_opening_the_link_proves_the_email_arrived(world, app_clock):
    appt_id = world.propose("P-1")
    link = world.link(appt_id)
    app_clock.advance(minutes=12)
    httpx.get(link)
    with world.live.session() as s:
        email = next(n for n in notices_of(s, appt_id) if n.channel == "email")
        assert email.state == "delivered" and email.delivered_at == app_clock()
        assert appointments.find(s, appt_id).state == "delivered"


def test_forged_malformed_and_expired_links(world, app_clock):
    appt_id = world.propose("P-1")
    link = world.link(appt_id)
    forged = link[:-4] + ("AAAA" if not link.endswith("AAAA") else "BBBB")
    r = httpx.get(forged)
    assert r.status_code == 404 and "This link does not work" in httpx.get(forged + "?lang=en").text
    assert httpx.get(world.url + "/c/short").status_code == 404
    assert httpx.get(world.url + "/c/" + "x" * 300).status_code == 404
    app_clock.set(dt.datetime(2026, 4, 4, 11, 1, tzinfo=dt.timezone.utc) + dt.timedelta(hours=8))
    r = httpx.get(link, params={"lang": "en"})
    assert r.status_code == 410 and "This link has expired" in r.text
    r = httpx.post(link + "/confirm", data={"csrf": "x" * 30})
    assert r.status_code == 410


def test_every_form_needs_the_pages_csrf_token(world):
    link = world.link(world.propose("P-1"))
    with httpx.Client() as browser:
        page = browser.get(link)
        token = csrf_of(page.text)
        assert browser.cookies.get("fa_csrf") == token
        assert browser.post(link + "/confirm", data={}).status_code == 403
        assert browser.post(link + "/confirm", data={"csrf": "forged-value-1234567890"}).status_code == 403
    with httpx.Client() as other:  # another site's form: it cannot read or set our cookie
        assert other.post(link + "/confirm", data={"csrf": token}).status_code == 403
    with httpx.Client() as browser:
        token = csrf_of(browser.get(link).text)
        r = browser.post(link + "/confirm", data={"csrf": token, "lang": "en"})
        assert r.status_code == 303 and r.headers["location"].endswith("/done/confirmed?lang=en")
        # Confirming twice: a clear answer, nothing changes.
        again = browser.post(link + "/confirm", data={"csrf": token, "lang": "en"})
        assert again.status_code == 200 and "You already confirmed this time on 2026-03-02 09:00" in again.text


def test_unknown_links_are_rate_limited_per_address(db_url, app_clock):
    with customer_world(db_url, app_clock, page_max_bad_tokens=3) as world:
        link = world.link(world.propose("P-1"))
        for _ in range(3):
            assert httpx.get(world.url + "/c/" + "Z" * 43).status_code == 404
        r = httpx.get(world.url + "/c/" + "Y" * 43, params={"lang": "en"})
        assert r.status_code == 429 and "Too many attempts" in r.text and int(r.headers["Retry-After"]) > 0
        assert httpx.get(link).status_code == 429  # the whole page, from that address
        app_clock.advance(minutes=11)
        assert httpx.get(link).status_code == 200


def test_all_requests_are_rate_limited_per_address(db_url, app_clock):
    with customer_world(db_url, app_clock) as world:
        world.live.settings.page_max_requests = 5
        link = world.link(world.propose("P-1"))
        codes = [httpx.get(link).status_code for _ in range(7)]
        assert codes == [200] * 5 + [429] * 2


def test_a_complaint_reaches_the_lead_and_its_answer_the_customer(world):
    appt_id = world.propose("P-1")
    link = world.link(appt_id)
    with httpx.Client() as browser:
        token = csrf_of(browser.get(link + "/complaint").text)
        empty = browser.post(link + "/complaint", data={"csrf": token, "text": "  ", "lang": "en"})
        assert empty.status_code == 400 and 'href="#text"' in empty.text and "Enter your complaint" in empty.text
        sent = browser.post(link + "/complaint", data={"csrf": token, "text": "来访人员态度粗鲁。", "lang": "en"})
        assert sent.status_code == 303
        done = browser.get(world.url + sent.headers["location"]).text
        reference = re.search(r'id="reference">([A-Z0-9-]+)<', done).group(1)
        assert "A team leader will answer by 17 March 2026" in done
    lead = Api(world.url, "lead1")
    [item] = lead.get("/api/v1/lead/complaints").json()["items"]
    assert item["reference"] == reference and item["state"] == "open" and item["agent"] == "agent1"
    assert item["due_at"].startswith("2026-03-17")
    assert Api(world.url, "lead2").get("/api/v1/lead/complaints").json()["items"] == []
    r = lead.post(f"/api/v1/lead/complaints/{item['id']}/answer", json={"answer": "我们已与李明谈话，并向您致歉。"})
    assert r.status_code == 200 and r.json()["state"] == "answered"
    assert lead.post(f"/api/v1/lead/complaints/{item['id']}/answer", json={"answer": "x"}).status_code == 409
    page = httpx.get(link).text
    assert reference in page and "我们已与李明谈话" in page and "已答复" in page


def test_the_access_log_never_shows_a_link():
    record = logging.LogRecord("uvicorn.access", logging.INFO, "", 0, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5000", "GET", "/c/AbCdEfGhIjKlMnOpQrStUvWxYz012345/confirm?lang=en",
                                "1.1", 200), None)
    HideLinkTokens().filter(record)
    assert "AbCdEf" not in record.getMessage() and "/c/…/confirm" in record.getMessage()


def test_old_rate_limit_rows_are_forgotten_and_a_confirmation_drops_an_earlier_request(world, app_clock):
    from sqlalchemy import func, select

    from fieldapp.server.models import Appointment
    from fieldapp.server.models_appointments import PageHit
    from fieldapp.server.services import customer_page

    from .appt_kit import local

    appt_id = world.propose("P-1")
    link = world.link(appt_id)
    httpx.get(link)
    with world.live.session() as s, s.begin():
        appt = s.get(Appointment, appt_id)
        appointments.answer(s, appt, "reschedule_requested", requested=(local(2026, 3, 5, 10, 0), local(2026, 3, 5, 11, 0)))
        appointments.answer(s, appt, "confirmed")
        assert appt.requested_start is None and appt.requested_end is None
    app_clock.advance(dt.timedelta(days=2))
    with world.live.session() as s, s.begin():
        assert s.scalar(select(func.count(PageHit.id))) >= 1
        customer_page.forget_old_hits(s)
        assert s.scalar(select(func.count(PageHit.id))) == 0
