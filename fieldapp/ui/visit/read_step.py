"""Before the pad: the customer reads the whole agreement, as the unsigned draft.

The page shows the draft PDF (every page marked as a draft, with the agreed terms and no
signatures) and asks the agent to confirm how the customer took it in: read it
themselves, or had it read aloud. Nothing is preselected, not even what the customer
asked for in the conversation (that is only said): the agent confirms what happened.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QRadioButton, QVBoxLayout, QWidget

from fieldapp.core.errors import BadInput
from fieldapp.ui.i18n import Language
from fieldapp.ui.qt_compat import emit
from fieldapp.ui.visit.flow_state import READINGS, FlowState
from fieldapp.ui.visit.pdf_preview import PdfPreview
from fieldapp.ui.visit.style import BLOCK, MUTED, WARN, WARN_FILL, banner, scaled_font, wrapped_label

# The conversation script's answer (fact `agreement_reading`) -> the confirmation it suggests.
SCRIPT_CHOICES = {"read_self": "customer_read", "read_aloud": "read_aloud"}


class ReadDraftPage(QWidget):
    changed = Signal()

    def __init__(self, language: Language, state: FlowState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("readDraftPage")
        self._lang = language
        self._state = state
        self._error: str | None = None
        self.intro = wrapped_label(self, "readIntro", factor=1.1)
        self.draft_mark = wrapped_label(self, "draftMark", factor=1.2, bold=True)
        banner(self.draft_mark, WARN_FILL, WARN)
        self.preview = PdfPreview(language, self)
        self.preview.setObjectName("draftPreview")
        self.asked = wrapped_label(self, "readAsked", colour=MUTED)
        self.error = wrapped_label(self, "readError", colour=BLOCK)
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self.choices: dict[str, QRadioButton] = {}
        row = QHBoxLayout()
        for key in READINGS:
            button = QRadioButton(self)
            button.setObjectName(f"reading_{key}")
            button.setFont(scaled_font(button, 1.1, bold=True))
            button.setMinimumHeight(40)
            self.group.addButton(button)
            self.choices[key] = button
            row.addWidget(button)
        row.addStretch(1)
        self.group.buttonToggled.connect(self._toggled)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.intro)
        layout.addWidget(self.draft_mark)
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.asked)
        layout.addLayout(row)
        language.changed.connect(self.retranslate)
        self.retranslate()

    def load(self) -> None:
        """Render the draft of the current plan and show the confirmation the state holds."""
        self._error = None
        try:
            self.preview.set_pdf(self._state.draft_pdf())
        except BadInput as exc:
            self.preview.clear()
            self._error = exc.reason
        self.group.blockSignals(True)
        self.group.setExclusive(False)
        for key, button in self.choices.items():
            button.setChecked(key == self._state.reading)
        self.group.setExclusive(True)
        self.group.blockSignals(False)
        self.retranslate()

    def choose(self, key: str) -> None:
        self.choices[key].setChecked(True)

    def _toggled(self, button: QRadioButton, checked: bool) -> None:
        if not checked:
            return
        key = next(k for k, b in self.choices.items() if b is button)
        self._state.confirm_reading(key)
        emit(self.changed)

    def retranslate(self, *_: object) -> None:
        tr = self._lang.tr
        self.intro.setText(tr("Show the customer the whole agreement before anyone signs. This is the "
                              "draft: it has the agreed terms and no signatures yet. Then confirm how "
                              "the customer took it in."))
        self.draft_mark.setText(tr("DRAFT: not signed yet. Every page is marked as a draft; the signed "
                                   "agreement is shown after both signatures."))
        self.choices["customer_read"].setText(tr("The customer read it"))
        self.choices["read_aloud"].setText(tr("I read it aloud to the customer"))
        rt = self._state.runtime
        asked = SCRIPT_CHOICES.get(str(rt.facts.get("agreement_reading"))) if rt is not None else None
        self.asked.setText(tr("In the conversation the customer asked: {choice}.",
                              choice=tr("to read it themselves") if asked == "customer_read"
                              else tr("to have it read aloud")) if asked else "")
        self.asked.setVisible(bool(asked))
        self.error.setVisible(self._error is not None)
        if self._error is not None:
            self.error.setText(tr("The draft cannot be shown: {reason}", reason=self._error))
