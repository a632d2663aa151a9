"""Start-up look: the shipped CJK font is registered as a fallback, the icon loads, and
the plain-words error mapping covers the service's error types."""

from __future__ import annotations

import pytest

from fieldapp.core.errors import BadInput
from fieldapp.sync.errors import (
    BadCredentials,
    DeviceRevoked,
    IncompatibleServer,
    NotLoggedIn,
    Offline,
    RequestRefused,
    ServerError,
    TokenExpired,
)
from fieldapp.ui.errors import describe
from fieldapp.ui.i18n import Language
from fieldapp.ui.look import app_icon, register_fonts


def test_shipped_cjk_font_becomes_a_fallback(qapp):
    families = register_fonts(qapp)
    assert any("WenQuanYi" in f for f in families)
    assert set(families) <= set(qapp.font().families())
    assert qapp.font().families()[0] not in families  # the default face stays first


def test_app_icon_renders(qapp):
    icon = app_icon()
    assert not icon.isNull()
    image = icon.pixmap(64, 64).toImage()
    assert image.pixelColor(32, 4).alpha() > 0  # drawn, not transparent


@pytest.mark.parametrize("exc, kind, offline, login", [
    (Offline("x"), "offline", True, False),
    (ConnectionRefusedError(), "offline", True, False),
    (BadCredentials("x"), "credentials", False, True),
    (TokenExpired("x"), "session", False, True),
    (NotLoggedIn("x"), "session", False, True),
    (DeviceRevoked("x", 2), "revoked", False, True),
    (IncompatibleServer("x"), "version", False, False),
    (ServerError("x", 503), "server", False, False),
    (RequestRefused("Case NJ-1 is not yours", 403, "forbidden"), "forbidden", False, False),
    (RequestRefused("Too large", 413, "too_large"), "refused", False, False),
    (BadInput("is not a server address", field="server"), "input", False, False),
    (KeyError("boom"), "other", False, False),
])
def test_errors_in_plain_words(qapp, exc, kind, offline, login):
    en, zh = Language("en"), Language("zh_CN")
    problem = describe(exc, en)
    assert (problem.kind, problem.offline, problem.needs_login) == (kind, offline, login)
    assert problem.message
    if kind not in ("input", "refused"):
        assert describe(exc, zh).message != problem.message
    if kind == "server":
        assert "503" in problem.message
    if kind == "input":
        assert problem.message == "is not a server address"
