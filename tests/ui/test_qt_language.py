"""Qt's own words follow the app's language: the calendar popup of a date field (month and
day names), the standard buttons and the context menus Qt draws itself. Qt's translations
(qtbase_zh_CN.qm) ship with PySide6 and are loaded at each language switch."""

from __future__ import annotations

from PySide6.QtCore import QDate, QLocale
from PySide6.QtWidgets import QDateEdit, QDialogButtonBox, QToolButton

from fieldapp.ui.i18n import Language


def test_qts_translations_are_found():
    from fieldapp.ui.i18n import qt_translations_dir

    folder = qt_translations_dir()
    assert folder is not None and (folder / "qtbase_zh_CN.qm").is_file()


def test_the_calendar_popup_follows_the_language(qtbot):
    language = Language("en")
    edit = QDateEdit(QDate(2026, 3, 11))
    edit.setCalendarPopup(True)
    qtbot.addWidget(edit)
    edit.show()
    calendar = edit.calendarWidget()  # the popup exists before the switch, as in the app
    month = calendar.findChild(QToolButton, "qt_calendar_monthbutton")
    assert month.text() == "March"
    language.set_language("zh_CN")
    assert calendar.locale().language() == QLocale.Language.Chinese
    assert month.text() == "三月"
    later = QDateEdit(QDate(2026, 3, 11))  # and one made after it
    later.setCalendarPopup(True)
    qtbot.addWidget(later)
    assert later.calendarWidget().findChild(QToolButton, "qt_calendar_monthbutton").text() == "三月"
    language.set_language("en")
    assert month.text() == "March"


def test_standard_buttons_follow_the_language(qtbot):
    language = Language("en")
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    qtbot.addWidget(box)
    assert box.button(QDialogButtonBox.StandardButton.Cancel).text() == "Cancel"
    language.set_language("zh_CN")
    assert box.button(QDialogButtonBox.StandardButton.Cancel).text() == "取消"
    language.set_language("en")
    assert box.button(QDialogButtonBox.StandardButton.Cancel).text() == "Cancel"


def test_a_language_made_in_chinese_installs_qts_chinese(qtbot):
    Language("zh_CN")
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
    qtbot.addWidget(box)
    assert box.button(QDialogButtonBox.StandardButton.Cancel).text() == "取消"
    Language("en")
