"""The creditor comes from the server (synced institution settings), per language: no agent
types it, a visit starts without asking, the script says the name of its language, the
agreement names the creditor in the document's languages. A name typed on a laptop before
the server had one is used only while the server sends none."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from PySide6.QtWidgets import QMessageBox

from fieldapp.core.errors import BadInput
from fieldapp.protocol.v1 import InstitutionInfo
from fieldapp.ui.app import Credentials, FieldApp
from fieldapp.ui.case_data import prepare_visit

from .conftest import Row, record_for

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
BANK = InstitutionInfo(names={"zh_CN": "南京示范银行", "en": "Nanjing Demo Bank"},
                       addresses={"zh_CN": "江苏省南京市玄武区中山路 1 号", "en": "1 Zhongshan Road, Nanjing"},
                       registration="91320000MA1DEMO01X")


@pytest.fixture
def booked(service):
    start = dt.datetime(2026, 3, 2, 10, tzinfo=SHANGHAI)
    row = Row(id="c1", reference="NJ-c1", customer_name="王芳", address="南京", amount=Decimal("1000.00"),
              appointment_start=start, appointment_end=start + dt.timedelta(hours=1))
    service.server_rows = [row]
    service.records["c1"] = record_for(row, (32.06, 118.79))
    return service


def _prepare(service, legacy=("", "", "")):
    return prepare_visit(service, "c1", agent_name="李明", agent_id="agent1", institution=legacy,
                         clock=lambda: dt.datetime(2026, 3, 2, 9, 55, tzinfo=SHANGHAI))


def test_the_synced_creditor_is_named_per_language(booked):
    booked.creditor = BANK
    setup = _prepare(booked).setup
    assert setup.case_facts()["institution"] == {"zh_CN": "南京示范银行", "en": "Nanjing Demo Bank"}
    assert setup.institution.name == "南京示范银行 Nanjing Demo Bank"  # a bilingual agreement, both names
    assert setup.institution.address == "江苏省南京市玄武区中山路 1 号"
    assert setup.institution.registration == "91320000MA1DEMO01X"


def test_the_server_wins_over_a_name_typed_on_the_laptop(booked):
    booked.creditor = BANK
    setup = _prepare(booked, ("Old typed name", "", "")).setup
    assert setup.case_facts()["institution"]["en"] == "Nanjing Demo Bank"
    booked.creditor = None  # an older server that sends none: the typed name still serves
    assert _prepare(booked, ("Old typed name", "", "")).setup.institution.name == "Old typed name"


def test_without_any_creditor_the_visit_says_to_sync(booked):
    with pytest.raises(BadInput, match="sync"):
        _prepare(booked)


def test_a_visit_starts_without_asking_for_the_creditor(qtbot, ctx, booked, monkeypatch):
    booked.creditor = BANK
    ctx.clock = lambda: dt.datetime(2026, 3, 2, 8, tzinfo=SHANGHAI)
    app = FieldApp(ctx)
    qtbot.addWidget(app.window)
    asked: list[str] = []
    monkeypatch.setattr(app, "open_settings", lambda note="": asked.append(note) or False)
    app.start(credentials=Credentials("http://127.0.0.1:9", "agent1", "demo-agent1"))
    assert ctx.settings.institution_name == ""
    app.window.open_case("c1")
    app.window.detail.start_button.click()
    assert asked == []
    assert app.window.current_screen() == "visit" and app.window.visit.case_id == "c1"
    assert app.window.visit.start_info.setup.case_facts()["institution"]["zh_CN"] == "南京示范银行"


def test_before_the_first_sync_the_agent_is_told_to_sync(qtbot, ctx, booked, monkeypatch):
    ctx.clock = lambda: dt.datetime(2026, 3, 2, 8, tzinfo=SHANGHAI)
    app = FieldApp(ctx)
    qtbot.addWidget(app.window)
    monkeypatch.setattr(app, "open_settings", lambda note="": False)
    app.start(credentials=Credentials("http://127.0.0.1:9", "agent1", "demo-agent1"))
    app.window.open_case("c1")
    app.window.detail.start_button.click()
    assert app.window.current_screen() == "detail"
    boxes = [w for w in app.window.findChildren(QMessageBox) if w.isVisible()]
    assert boxes and "sync" in boxes[-1].text().lower()


def test_settings_show_the_servers_creditor_and_no_field_to_type_it(qtbot, ctx, booked):
    from PySide6.QtWidgets import QLineEdit

    from fieldapp.ui.screens.settings_dialog import SettingsDialog

    booked.creditor = BANK
    dialog = SettingsDialog(ctx)
    qtbot.addWidget(dialog)
    assert dialog.findChildren(QLineEdit) == []
    assert dialog.creditor.text().startswith("南京示范银行 · Nanjing Demo Bank")
    assert "91320000MA1DEMO01X" in dialog.creditor.text()
    assert "administrator" in dialog.creditor_note.text()
    ctx.language.set_language("zh_CN")
    assert "管理员" in dialog.creditor_note.text()
