"""The lead's evidence says in words what the record keeps as codes: why no location was
recorded (`indoors: <the agent's words>`) and which kind of wording the phrase check
flagged (`abuse: 老赖`), in the lead's language."""

from __future__ import annotations

import datetime as dt

from lead.lead_world import PINNED, add_case, visit


def _open(window, world, laptop, exception=None, **kw):
    server = world["server"]
    with server.session() as s, s.begin():
        case_id = add_case(s, "WORDS-1", "agent1")
    agent = laptop("agent", "agent1", server)
    agent.sync()
    v = visit(case_id, started=PINNED - dt.timedelta(hours=3), **kw)
    if exception:
        v.location_exception = exception
    agent.record_visit(v)
    agent.sync()
    world["lead"].sync()
    window.refresh()
    window.open_visit(v.visit_id)
    return window.evidence


def test_a_typed_reason_for_no_location_shows_as_typed(window, world, laptop):
    ev = _open(window, world, laptop, location=False)
    assert ev.evidence.item.visit.location_exception == "GPS unavailable indoors"
    assert "GPS unavailable indoors" in ev.facts.text()  # free text is shown as typed


def test_a_coded_reason_and_the_flagged_wording_are_in_words(window, world, laptop):
    # as the visit flow stores a chosen reason, and the phrase check its hits
    ev = _open(window, world, laptop, exception="indoors: 地下室", location=False,
               note_warnings=["abuse: 老赖", "threat: 后果自负"])
    assert "No signal inside the building: 地下室" in ev.facts.text()
    assert "indoors" not in ev.facts.text()
    text = ev.note_warnings.text()
    assert "insult: “老赖”" in text and "threat of harm: “后果自负”" in text  # "abuse": the older list's name
    assert "abuse:" not in text and "threat:" not in text
    window._lang.set_language("zh_CN")
    assert "室内没有信号：地下室" in ev.facts.text()
    assert "威胁伤害：“后果自负”" in ev.note_warnings.text()


def test_distances_have_units_in_the_leads_language(window, world):
    window.open_visit(world["ids"]["far"])
    ev = window.evidence
    assert "Distance to the address at check-in: 810 m (±12 m)" in ev.facts.text()
    window._lang.set_language("zh_CN")
    assert "签到时与地址的距离：810 米（±12 米）" in ev.facts.text()
