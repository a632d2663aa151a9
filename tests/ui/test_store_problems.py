"""When the local store cannot be opened as it is (emptied, missing beside its key file,
damaged), the app says so in a dialog, in the agent's language, and changes nothing."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from fieldapp.store import Store
from fieldapp.sync.service import AgentService
from fieldapp.ui.app import FieldApp, build_context
from fieldapp.ui.settings import SettingsStore

WAIT_MS = 10_000


def _open_app(qtbot, tmp_path, store, language):
    ctx = build_context(None, synchronous=True, settings_store=SettingsStore(tmp_path / "ui.json"),
                        language=language)
    app = FieldApp(ctx, open_service=lambda passphrase: AgentService(store_path=store, passphrase=passphrase))
    qtbot.addWidget(app.window)
    app.start()
    qtbot.waitUntil(lambda: bool(app.window.findChildren(QMessageBox)), timeout=WAIT_MS)
    return app, app.window.findChildren(QMessageBox)[0]


@pytest.mark.parametrize("language, words", [("en", "is empty (0 bytes)"), ("zh_CN", "是空的")])
def test_an_emptied_store_is_said_in_a_dialog(qtbot, tmp_path, language, words):
    store = tmp_path / "client.sqlite3"
    Store(store).close()
    store.write_bytes(b"")
    app, box = _open_app(qtbot, tmp_path, store, language)
    assert words in box.text() and str(store) in box.text()
    assert "fieldapp store rescue" in box.text()
    box.grab().save(str(tmp_path / f"store_empty_{language}.png"))
    assert store.stat().st_size == 0
    assert app.ctx.service is None  # nothing was opened, nothing will sync
    app.ctx.tasks.shutdown()


def test_a_store_missing_beside_its_key_file_is_said_in_a_dialog(qtbot, tmp_path):
    store = tmp_path / "client.sqlite3"
    Store(store).close()
    store.unlink()
    app, box = _open_app(qtbot, tmp_path, store, "en")
    assert "missing" in box.text() and "client.sqlite3.key" in box.text()
    assert not store.exists()
    app.ctx.tasks.shutdown()
