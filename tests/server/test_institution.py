"""The institution's settings on the server: the creditor's names and addresses per
language, set by an administrator (API and `fieldapp server institution`), read by every
signed-in user, seeded by the demo. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from fieldapp.cli import main
from fieldapp.server.db import make_engine, session_factory
from fieldapp.server.services import institution

from .kit import Api, make_people

BANK = {"names": {"zh_CN": "南京示范银行", "en": "Nanjing Demo Bank"},
        "addresses": {"zh_CN": "江苏省南京市玄武区中山路 1 号"}, "registration": "91320000MA1DEMO01X"}


def _people(live) -> None:
    with live.session() as s, s.begin():
        make_people(s)


def test_nothing_until_an_administrator_sets_it(live):
    _people(live)
    agent = Api(live.url, "agent1")
    r = agent.get("/api/v1/institution")
    assert r.status_code == 200 and r.json()["institution"] is None
    assert agent.client.put("/api/v1/admin/institution", json=BANK).status_code == 403
    admin = Api(live.url, "admin")
    r = admin.client.put("/api/v1/admin/institution", json=BANK)
    assert r.status_code == 200, r.text
    got = agent.get("/api/v1/institution").json()["institution"]
    assert got["names"] == BANK["names"] and got["addresses"] == BANK["addresses"]
    assert got["registration"] == BANK["registration"] and got["updated_at"]
    lead = Api(live.url, "lead1")
    assert lead.get("/api/v1/institution").json()["institution"]["names"]["en"] == "Nanjing Demo Bank"
    assert Api(live.url).get("/api/v1/institution").status_code == 401  # signed-in users only


def test_bad_settings_are_refused_naming_the_field(live):
    _people(live)
    admin = Api(live.url, "admin")
    for body, field in (({"names": {}}, "names"), ({"names": {"fr": "Banque"}}, "names"),
                        ({"names": {"en": "x" * 121}}, "names"),
                        ({"names": {"en": "Bank"}, "colour": "red"}, "colour")):
        r = admin.client.put("/api/v1/admin/institution", json=body)
        assert r.status_code == 422 and field in r.text, (body, r.text)


def test_the_cli_shows_and_sets_it(db_url, capsys):
    assert main(["server", "institution", "--db", db_url]) == 1
    assert "no institution set" in capsys.readouterr().err
    assert main(["server", "institution", "--db", db_url, "--name", "zh_CN=南京示范银行",
                 "--name", "en=Nanjing Demo Bank", "--registration", "91320000MA1DEMO01X"]) == 0
    out = capsys.readouterr().out
    assert "name (zh_CN): 南京示范银行" in out and "registration: 91320000MA1DEMO01X" in out
    assert main(["server", "institution", "--db", db_url, "--address", "en=1 Zhongshan Road, Nanjing"]) == 0
    out = capsys.readouterr().out
    assert "name (en): Nanjing Demo Bank" in out and "address (en): 1 Zhongshan Road, Nanjing" in out
    engine = make_engine(db_url)
    with session_factory(engine)() as s:
        info = institution.current(s)
    engine.dispose()
    assert info.names == {"zh_CN": "南京示范银行", "en": "Nanjing Demo Bank"}
    assert info.registration == "91320000MA1DEMO01X"


def test_the_cli_refuses_bad_input_in_one_line(db_url, capsys):
    assert main(["server", "institution", "--db", db_url, "--name", "fr=Banque"]) == 2
    err = capsys.readouterr().err
    assert "--name" in err and "LANG=TEXT" in err and len(err.strip().splitlines()) == 1
    assert main(["server", "institution", "--db", db_url, "--registration", "X"]) == 2
    assert "--name" in capsys.readouterr().err


def test_the_demo_names_its_bank(db_url, capsys):
    assert main(["server", "seed-demo", "--db", db_url]) == 0
    capsys.readouterr()
    assert main(["server", "institution", "--db", db_url]) == 0
    out = capsys.readouterr().out
    assert "name (zh_CN): 南京示范银行" in out and "name (en): Nanjing Demo Bank" in out


@pytest.mark.parametrize("url", ["ftp://tiles.example.org/{z}/{x}/{y}.png", "https://t.example.org/{z}/{y}/{x}.png",
                                 "https://t.example.org/tiles?z={z}&x={x}&y={y}", "https://t.example.org/{z}/{x}/{y}.jpg"])
def test_a_tile_server_the_map_cannot_read_is_refused_saying_the_form(url):
    """The map's OSM plugin appends z/x/y.png to a host: any other shape would leave a blank map."""
    from pydantic import ValidationError

    from fieldapp.protocol.v1 import InstitutionInfo

    with pytest.raises(ValidationError, match=r"ending in /\{z\}/\{x\}/\{y\}\.png"):
        InstitutionInfo(names={"en": "Bank"}, tile_url=url)
    assert InstitutionInfo(names={"en": "Bank"}, tile_url="https://t.example.org/osm/{z}/{x}/{y}.png").tile_url
