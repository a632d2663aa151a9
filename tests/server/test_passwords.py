"""Common and user-name-like passwords are refused, in the CLI and the admin API alike."""

from __future__ import annotations

import pytest

from fieldapp.cli import main
from fieldapp.server.auth import check_password_strength

from .kit import Api, make_people

COMMON = ["password", "12345678", "password1", "qwertyui", "Password123!", "p@ssw0rd", "Dragon2024",
          "iloveyou", "1qaz2wsx3edc", "sunshine99"]


@pytest.mark.parametrize("pw", COMMON)
def test_common_passwords_are_refused(pw):
    why = check_password_strength(pw, "zhangsan")
    assert why is not None and "common" in why, (pw, why)


@pytest.mark.parametrize("pw,user", [("zhangsan2026", "zhangsan"), ("nasgnahz", "zhangsan"),
                                     ("Zhangsan!!", "zhangsan"), ("zhangsa1n", "zhangsan"),
                                     ("li.wei.88", "liwei88")])
def test_passwords_like_the_user_name_are_refused(pw, user):
    why = check_password_strength(pw, user)
    assert why is not None and "user name" in why, (pw, why)


@pytest.mark.parametrize("pw", ["correct horse battery", "Lr7-qpZ-04xk", "pw-agent1-2026",
                                "南京鼓楼区2026年春"])
def test_good_passwords_pass(pw):
    assert check_password_strength(pw, "agent1") is None


@pytest.mark.parametrize("pw", ["password", "12345678", "password1", "qwertyui"])
def test_cli_refuses_common_passwords_with_one_line(tmp_path, monkeypatch, capsys, pw):
    monkeypatch.setenv("FIELDAPP_PASSWORD", pw)
    code = main(["server", "create-user", "wangfang", "--role", "agent",
                 "--db", f"sqlite:///{tmp_path / 's.db'}"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "common" in err and "Traceback" not in err


@pytest.fixture
def admin_api(live):
    with live.session() as s, s.begin():
        make_people(s)
    return Api(live.url, "admin")


@pytest.mark.parametrize("pw", ["password", "12345678", "password1", "qwertyui"])
def test_api_refuses_common_passwords(admin_api, pw):
    r = admin_api.post("/api/v1/admin/users", json={"username": "wangfang", "password": pw, "role": "agent"})
    assert (r.status_code, r.json()["error"]) == (422, "invalid")
    assert "password" in r.json()["detail"] and "common" in r.json()["detail"]


def test_api_password_change_is_checked_too(admin_api):
    url = "/api/v1/admin/users/agent1/password"
    r = admin_api.client.put(url, json={"password": "password1"})
    assert (r.status_code, r.json()["error"]) == (422, "invalid") and "common" in r.json()["detail"]
    r = admin_api.client.put(url, json={"password": "agent1agent1"})
    assert r.status_code == 422 and "user name" in r.json()["detail"]
    r = admin_api.client.put(url, json={"password": "a fresh one 2026"})
    assert r.status_code == 200, r.text
    assert Api(admin_api.client.base_url.__str__()).login("agent1", "a fresh one 2026").status_code == 200
    r = admin_api.client.put("/api/v1/admin/users/nobody/password", json={"password": "a fresh one 2026"})
    assert r.status_code == 404
