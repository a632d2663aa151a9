"""Asks for the passphrase that protects the case data where the computer has no keyring.

The store's data key normally lives in the OS keyring; without one, the key is wrapped
with a passphrase the agent types at start-up (chosen the first time).
"""

from __future__ import annotations

from PySide6.QtWidgets import QInputDialog, QLineEdit, QWidget

from fieldapp.ui.i18n import Language


def ask_passphrase(language: Language, *, wrong: bool = False, parent: QWidget | None = None) -> str | None:
    """The passphrase typed, or None when the agent cancels."""
    tr = language.tr
    prompt = tr("This computer has no keyring to keep the key of your case data safe.\n"
                "Enter the passphrase that protects it (the first time: choose one).")
    if wrong:
        prompt = tr("That passphrase does not open the case data. Try again.") + "\n\n" + prompt
    text, ok = QInputDialog.getText(parent, tr("Passphrase"), prompt, QLineEdit.EchoMode.Password)
    return text if ok and text else None
