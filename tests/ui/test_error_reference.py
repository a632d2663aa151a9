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


def test_the_status_line_shows_the_reference(qtbot, ctx, service, tmp_path):
    import os

    from fieldapp.ui.app import Credentials, FieldApp

    app = FieldApp(ctx)
    qtbot.addWidget(app.window)
    app.start(credentials=Credentials("http://127.0.0.1:9", "agent1", "demo-agent1"))
    failure = ServerError("The server failed (503 server_error) on GET /sync/pull: busy", 503, "server_error")
    failure.request_id = "5d41402abc4b2a76b9719d911017c592"
    service.fail_sync_with = failure
    shots = os.environ.get("FIELDAPP_SHOTS")
    for language in ("en", "zh_CN"):
        ctx.language.set_language(language)
        app.window.start_sync()
        text = app.window.sync_status.message.text()
        assert failure.request_id in text
        if shots:
            app.window.resize(1100, 700)
            app.window.grab().save(os.path.join(shots, f"sync-error-reference-{language}.png"))
