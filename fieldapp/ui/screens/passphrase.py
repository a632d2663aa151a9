"""The passphrase that protects the case data where the computer has no keyring.

The store's data key normally lives in the OS keyring; without one, the key is wrapped
with a passphrase the agent types at start-up. The first time (a new store) the agent
chooses it: typed twice, at least 12 characters (a Chinese character counts as two) and
not a common or simple one, since it alone protects the customers' data on a lost laptop.
Afterwards it is asked once, and a wrong one says so. Nothing here keeps the passphrase.
"""

from __future__ import annotations

import unicodedata
from typing import Callable

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fieldapp.ui.i18n import Language

MIN_WEIGHT = 12
# The most used passwords and words of leaked lists (and this app's own name): a
# passphrase made of one of them with digits or signs around it is guessed first.
COMMON = frozenset("""
password passw0rd p@ssword p@ssw0rd passphrase qwerty qwertyuiop qwertyui asdfgh asdfghjkl zxcvbnm
iloveyou letmein welcome admin administrator root login master secret monkey dragon football
baseball sunshine princess shadow superman batman trustno1 whatever freedom michael jennifer
hello hellohello abc abcdef abcdefgh abc123 fieldapp fieldvisit changeme default test testing
woaini woaiwojia nihao zhongguo china beijing shanghai nanjing aini woaini1314 iloveyou1314
qazwsx qazwsxedc zaq1xsw2 1qaz2wsx asdf1234 qwer1234 computer internet starwars pokemon
liverpool chelsea arsenal jordan harley ranger buster soccer hockey killer summer winter
spring autumn flower lovely loveme mylove family football1 charlie thomas george
""".split())

_RUNS = ("abcdefghijklmnopqrstuvwxyz", "0123456789" * 3, "qwertyuiopasdfghjklzxcvbnm",
         "1qaz2wsx3edc4rfv5tgb6yhn7ujm")


def weight(text: str) -> int:
    """Its length, a wide (CJK) character counting as two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _simple(text: str) -> bool:
    squeezed = "".join(text.casefold().split())
    if len(set(squeezed)) < 4:
        return True
    for size in range(1, len(squeezed) // 2 + 1):      # one short piece, repeated
        if len(squeezed) % size == 0 and squeezed[:size] * (len(squeezed) // size) == squeezed:
            return True
    for run in _RUNS:                                    # along the alphabet, the digits, the keyboard
        if squeezed in run or squeezed in run[::-1]:
            return True
    core = squeezed.strip("0123456789!@#$%^&*()-_=+.,;:'\"?/\\|`~[]{}<>")  # "Password1234!" -> "password"
    return squeezed in COMMON or core in COMMON


def passphrase_problem(text: str, tr: Callable[..., str]) -> str | None:
    """Why `text` cannot protect a new store, in the UI's language; None when it can."""
    if weight(text) < MIN_WEIGHT:
        return tr("Use at least {count} characters (or {half} Chinese characters).",
                  count=MIN_WEIGHT, half=MIN_WEIGHT // 2)
    if _simple(text):
        return tr("This passphrase is too common or too simple: put together a few words only you "
                  "would choose.")
    return None


class PassphraseDialog(QDialog):
    """`creating`: choose a new passphrase (typed twice, checked); else type the existing one."""

    def __init__(self, language: Language, *, creating: bool, wrong: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("passphraseDialog")
        self._lang = language
        self.creating = creating
        self._error: Callable[[], str] | None = (
            (lambda: self._lang.tr("That passphrase does not open the case data. Try again.")) if wrong else None)
        self.setMinimumWidth(460)
        self.prompt = QLabel(self)
        self.prompt.setWordWrap(True)
        self.passphrase = QLineEdit(self)
        self.passphrase.setObjectName("passphrase")
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.confirm = QLineEdit(self)
        self.confirm.setObjectName("passphraseConfirm")
        self.confirm.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase_label, self.confirm_label = QLabel(self), QLabel(self)
        self.passphrase_label.setBuddy(self.passphrase)
        self.confirm_label.setBuddy(self.confirm)
        self.rules = QLabel(self)
        self.rules.setObjectName("passphraseRules")
        self.rules.setWordWrap(True)
        self.rules.setStyleSheet("color: #5f6368;")
        self.error = QLabel(self)
        self.error.setObjectName("passphraseError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c62828;")
        self.buttons = QDialogButtonBox(self)
        self.ok: QPushButton = self.buttons.addButton("", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok.setDefault(True)
        self.cancel: QPushButton = self.buttons.addButton("", QDialogButtonBox.ButtonRole.RejectRole)
        self.cancel.setAutoDefault(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow(self.passphrase_label, self.passphrase)
        form.addRow(self.confirm_label, self.confirm)
        layout = QVBoxLayout(self)
        layout.addWidget(self.prompt)
        layout.addLayout(form)
        layout.addWidget(self.rules)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.confirm.setVisible(creating)
        self.confirm_label.setVisible(creating)
        self.rules.setVisible(creating)
        language.changed.connect(self.retranslate)
        self.retranslate()
        self.passphrase.setFocus()

    def value(self) -> str:
        return self.passphrase.text()

    def accept(self) -> None:
        text, confirm = self.passphrase.text(), self.confirm.text()
        if self._problem(text, confirm) is not None:
            # Kept as how to say it, so a language switch says it again in the new language.
            self._error = lambda: self._problem(text, confirm) or ""
            self.retranslate()
            self.passphrase.setFocus()
            self.passphrase.selectAll()
            return
        super().accept()

    def _problem(self, text: str, confirm: str) -> str | None:
        tr = self._lang.tr
        if not text:
            return tr("Enter the passphrase.")
        if not self.creating:
            return None
        return passphrase_problem(text, tr) or (tr("The two passphrases do not match.") if confirm != text else None)

    def retranslate(self, *_: object) -> None:
        tr = self._lang.tr
        self.setWindowTitle(tr("Passphrase"))
        if self.creating:
            self.prompt.setText(tr("This computer has no keyring to keep the key of your case data safe. "
                                   "Choose a passphrase that protects it; you will type it each time the "
                                   "app starts."))
            self.passphrase_label.setText(tr("New &passphrase"))
            self.rules.setText(tr("At least {count} characters (or {half} Chinese characters), not a common "
                                  "word or pattern. A few words only you would put together work well.",
                                  count=MIN_WEIGHT, half=MIN_WEIGHT // 2))
        else:
            self.prompt.setText(tr("This computer has no keyring to keep the key of your case data safe. "
                                   "Enter the passphrase that protects it."))
            self.passphrase_label.setText(tr("&Passphrase"))
        self.confirm_label.setText(tr("&Type it again"))
        self.ok.setText(tr("OK"))
        self.cancel.setText(tr("Cancel"))
        self.error.setText(self._error() if self._error is not None else "")
        self.error.setVisible(self._error is not None)
