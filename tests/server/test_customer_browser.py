"""The customer's page in a real browser (Debian's Chromium through Playwright, phone-sized):
confirm, another time, a call instead, rating with a comment, a complaint and its answer, in
both languages; an expired and a forged link. Works without JavaScript: it is switched off."""

from __future__ import annotations

import pytest

from fieldapp.protocol.v1 import CaseRecord

from .appt_kit import customer_world
from .kit import Api

LANGS = ["zh_CN", "en"]
WORDS = {
    "zh_CN": {"done_confirmed": "已确认上门拜访", "request_sent": "请求已发送", "called_off": "上门拜访已取消",
              "problem": "出现问题", "thanks": "谢谢您", "complaint": "已收到您的投诉", "received": "已收到",
              "answered": "已答复", "confirmed": "已确认", "unknown": "此链接无效", "expired": "此链接已过期"},
    "en": {"done_confirmed": "Visit confirmed", "request_sent": "Request sent", "called_off": "Visit called off",
           "problem": "There is a problem", "thanks": "Thank you", "complaint": "Complaint received",
           "received": "Received", "answered": "Answered", "confirmed": "Confirmed",
           "unknown": "This link does not work", "expired": "This link has expired"},
}


@pytest.fixture
def world(db_url, app_clock):
    with customer_world(db_url, app_clock) as w:
        yield w


@pytest.fixture
def page(phone):
    phone.context.set_extra_http_headers({})
    return phone


def _no_js(page) -> None:  # type: ignore[no-untyped-def]
    assert page.evaluate("document.scripts.length") == 0


def _case(world, ext: str, agent: str = "agent1") -> CaseRecord:
    changes, _ = Api(world.url, agent).pull_all()
    return CaseRecord.model_validate(next(c["case"] for c in changes if c["case"]["external_id"] == ext))


@pytest.mark.parametrize("lang", LANGS)
def test_confirm(world, page, shots, lang):
    link = world.link(world.propose("B-1"))
    page.goto(f"{link}?lang={lang}")
    _no_js(page)
    assert page.inner_text("dl.summary").count("李明") == 1 and "NJ0003" in page.inner_text("dl.summary")
    shots(page, f"visit_{lang}")
    page.click("#confirm")
    assert page.inner_text("#done") == WORDS[lang]["done_confirmed"]
    shots(page, f"confirmed_{lang}")
    page.click("#back-to-visit")
    assert page.get_attribute("#state", "data-state") == "confirmed"
    assert page.inner_text("#state") == WORDS[lang]["confirmed"]
    assert _case(world, "B-1").appointment.state == "confirmed"


@pytest.mark.parametrize("lang", LANGS)
def test_another_time(world, page, shots, lang):
    link = world.link(world.propose("B-2"))
    page.goto(f"{link}?lang={lang}")
    page.click("#reschedule")
    page.click("#continue")  # nothing chosen: the error summary at the top links to the field
    assert page.inner_text(".error-summary h2") == WORDS[lang]["problem"]
    shots(page, f"reschedule_error_{lang}")
    page.click(".error-summary a")
    assert page.evaluate("document.activeElement.id") == "slot"
    chosen = page.inner_text("label[for=slot-2]")
    page.check("#slot-2")
    page.click("#continue")
    assert page.inner_text("#done") == WORDS[lang]["request_sent"]
    assert chosen in page.inner_text("main")
    record = _case(world, "B-2")
    assert record.appointment.state == "reschedule_requested"
    [task] = [t for t in record.tasks if t.kind == "reschedule_requested"]
    assert task.requested_start == record.appointment.requested_start is not None


@pytest.mark.parametrize("lang", LANGS)
def test_a_call_instead(world, page, shots, lang):
    link = world.link(world.propose("B-3"))
    page.goto(f"{link}?lang={lang}")
    page.click("#decline")
    page.click("#continue")
    assert page.is_visible(".error-summary") and page.is_visible("#call-error")
    page.check("#call")
    shots(page, f"decline_{lang}")
    page.click("#continue")
    assert page.inner_text("#done") == WORDS[lang]["called_off"]
    record = _case(world, "B-3")
    assert record.appointment.state == "declined"
    assert [t.kind for t in record.tasks] == ["call_requested"]


@pytest.mark.parametrize("lang", LANGS)
def test_rating_comment_and_complaint(world, page, shots, lang):
    appt = world.propose("B-4")
    link = world.link(appt)
    world.visited(appt)
    page.goto(f"{link}?lang={lang}")
    page.click("#rate")
    page.click("#continue")
    assert page.is_visible("#rating-error")
    page.check("#rating-4")
    shots(page, f"rate_{lang}")
    page.click("#continue")
    page.fill("#text", "准时，态度很好。" if lang == "zh_CN" else "On time and polite.")
    page.click("#continue")
    assert page.inner_text("#done") == WORDS[lang]["thanks"]
    page.click("#back-to-visit")
    assert "4" in page.inner_text("#rated")
    page.click("#complain")
    page.click("#continue")
    assert page.is_visible("#text-error")
    page.fill("#text", "他在楼道里大声说话，邻居都听见了。" if lang == "zh_CN" else "He spoke loudly on the landing.")
    page.click("#continue")
    assert page.inner_text("#done") == WORDS[lang]["complaint"]
    reference = page.inner_text("#reference")
    page.click("#back-to-visit")
    assert WORDS[lang]["received"] in page.inner_text(f"#complaint-{reference}")
    lead = Api(world.url, "lead1")
    [item] = lead.get("/api/v1/lead/complaints").json()["items"]
    assert item["reference"] == reference and item["rating"] == 4
    lead.post(f"/api/v1/lead/complaints/{item['id']}/answer", json={"answer": "已向李明核实并提醒。"})
    page.reload()
    assert WORDS[lang]["answered"] in page.inner_text(f"#complaint-{reference}")
    shots(page, f"complaint_answered_{lang}")


@pytest.mark.parametrize("lang", LANGS)
def test_expired_and_forged_links(world, page, shots, app_clock, lang):
    import datetime as dt

    link = world.link(world.propose("B-5"))
    forged = link[:-6] + ("QQQQQQ" if not link.endswith("QQQQQQ") else "RRRRRR")
    response = page.goto(f"{forged}?lang={lang}")
    assert response.status == 404 and page.get_attribute("#problem", "data-kind") == "unknown"
    assert page.inner_text("#problem") == WORDS[lang]["unknown"]
    shots(page, f"forged_{lang}")
    app_clock.advance(dt.timedelta(days=40))
    response = page.goto(f"{link}?lang={lang}")
    assert response.status == 410 and page.inner_text("#problem") == WORDS[lang]["expired"]
