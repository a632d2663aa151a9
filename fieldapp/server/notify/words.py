"""How notices and the customer's page say things: the time window in the customer's own
zone and language, and the customer's name masked (the only personal detail they show)."""

from __future__ import annotations

import datetime as dt

from fieldapp.core.i18n import Translator
from fieldapp.core.timeutil import zone

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
OFFICIAL_NUMBER = "the official customer service number of {institution}"


def _is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"


def masked_name(name: str) -> str:
    """王芳 -> 王*; 欧阳小明 -> 欧***; Li Ming -> L. M***: enough to recognise, not to identify."""
    name = (name or "").strip()
    if not name:
        return "*"
    if _is_cjk(name[0]):
        return name[0] + "*" * max(1, len(name) - 1)
    parts = name.split()
    if len(parts) == 1:
        return parts[0][0] + "***"
    return " ".join(p[0] + "." for p in parts[:-1]) + " " + parts[-1][0] + "***"


def date_text(day: dt.date, lang: str) -> str:
    tr = Translator.for_language(lang)
    if tr.language == "zh_CN":
        return f"{day.month}月{day.day}日"
    return f"{tr(WEEKDAYS[day.weekday()])} {day.day} {MONTHS[day.month - 1]}"


def full_date_text(day: dt.date, lang: str) -> str:
    """'2026年3月19日' / '19 March 2026'."""
    if Translator.for_language(lang).language == "zh_CN":
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def window_text(start: dt.datetime, end: dt.datetime, timezone: str, lang: str) -> str:
    """'2026年3月4日（星期三）10:00–11:00' / 'Wednesday 4 March 2026, 10:00–11:00 (Asia/Shanghai time)'."""
    tz = zone(timezone)
    s, e = start.astimezone(tz), end.astimezone(tz)
    tr = Translator.for_language(lang)
    weekday = tr(WEEKDAYS[s.weekday()])
    if tr.language == "zh_CN":
        text = f"{s.year}年{s.month}月{s.day}日（{weekday}）{s:%H:%M}–{e:%H:%M}"
        return text if timezone == "Asia/Shanghai" else f"{text}（{timezone}）"
    return f"{weekday} {s.day} {MONTHS[s.month - 1]} {s.year}, {s:%H:%M}–{e:%H:%M} ({timezone} time)"


def institution_phone(phone: str | None, institution: str, lang: str) -> str:
    if phone:
        return phone
    return Translator.for_language(lang)(OFFICIAL_NUMBER, institution=institution)


def staff_number(agent: object | None) -> str:
    """The number customers check the visitor against (the user name when none is set)."""
    if agent is None:
        return ""
    return getattr(agent, "staff_number", None) or str(getattr(agent, "username", "")).upper()
