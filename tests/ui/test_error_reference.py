"""The server's request id reaches the agent's error message, in both languages, so a
support call can quote it."""

from __future__ import annotations

from fieldapp.sync.errors import RequestRefused, ServerError
from fieldapp.ui.errors import describe
from fieldapp.ui.i18n import Language


def test_a_server_failure_names_its_reference(qapp):
    exc = ServerError("The server failed (500 server_error) on POST /sync/push: boom", 500, "server_error")
    exc.request_id = "3f2a9c0d5e6b47a8b9c0d1e2f3a4b5c6"
    en, zh = describe(exc, Language("en")), describe(exc, Language("zh_CN"))
    assert en.request_id == zh.request_id == exc.request_id
    assert en.message.endswith("Reference for support: 3f2a9c0d5e6b47a8b9c0d1e2f3a4b5c6")
    assert zh.message.endswith("技术支持查询编号：3f2a9c0d5e6b47a8b9c0d1e2f3a4b5c6")
    assert "500" in en.message


def test_a_refusal_names_it_once(qapp):
    exc = RequestRefused("The server refused GET /x (404 not_found): gone (request id abc123def456)", 404,
                         "not_found")
    exc.request_id = "abc123def456"
    problem = describe(exc, Language("en"))
    assert problem.message.count("abc123def456") == 1 and problem.request_id == "abc123def456"


def test_no_reference_without_an_answer(qapp):
    problem = describe(ServerError("x", 503), Language("en"))
    assert problem.request_id is None and "Reference" not in problem.message
