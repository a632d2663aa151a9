"""Every sentence of the customer's page, of the notices' words and of the slot finder has a
Chinese translation with the same placeholders; the catalogs hold nothing unused; where
another catalog translates the same English (catalogs are merged), both agree."""

from __future__ import annotations

import re
import string
from pathlib import Path

import fieldapp
from fieldapp.core.i18n import parse_po
from fieldapp.core.resources import resources_root
from fieldapp.policy import slots
from fieldapp.server.customer import pages
from fieldapp.server.notify import words

PACKAGE = Path(fieldapp.__file__).parent
CUSTOMER = PACKAGE / "server" / "customer"


def customer_strings() -> set[str]:
    found: set[str] = set()
    for path in sorted((CUSTOMER / "templates").glob("*.html")):
        found.update(re.findall(r'\bt\("((?:[^"\\]|\\.)*)"', path.read_text(encoding="utf-8")))
    found.update(re.findall(r'tr\("((?:[^"\\]|\\.)*)"', (CUSTOMER / "pages.py").read_text(encoding="utf-8")))
    found.update(text for _, text in pages.RATINGS)
    return found


def planning_strings() -> set[str]:
    found = {slots.CONFLICT, slots.TOO_SOON, slots.NO_CHANNEL, slots.NO_SLOT, words.OFFICIAL_NUMBER}
    for name in ("lead_customers.py", "appointments.py"):
        source = (PACKAGE / "sync" / name).read_text(encoding="utf-8")
        found.update(re.findall(r'tr\("((?:[^"\\]|\\.)*)"', source))
    return found


def catalog(name: str) -> dict[str, str]:
    path = resources_root() / "translations" / "zh_CN" / name
    return parse_po(path.read_text(encoding="utf-8"), where=str(path))


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_the_extractor_finds_the_strings():
    assert {"Confirm this time", "Staff number", "Very poor"} <= customer_strings()


def test_every_string_is_translated_with_its_placeholders_and_nothing_is_stale():
    for name, used in (("customer.po", customer_strings()), ("appointments.po", planning_strings())):
        zh = catalog(name)
        assert sorted(used - set(zh)) == [], name
        assert sorted(set(zh) - used) == [], name
        assert [m for m, text in zh.items() if _fields(m) != _fields(text)] == [], name


def test_merged_catalogs_agree():
    clashes = []
    for name in ("customer.po", "appointments.po"):
        ours = catalog(name)
        for other in sorted((resources_root() / "translations" / "zh_CN").glob("*.po")):
            if other.name == name:
                continue
            for msgid, text in catalog(other.name).items():
                if msgid in ours and ours[msgid] != text:
                    clashes.append(f"{other.name} vs {name}: {msgid!r}")
    assert clashes == []


# Every text/background pair the customer's page uses (static/page.css), WCAG 2.1 AA: 4.5:1.
PAIRS = [("#0b0c0c", "#ffffff"), ("#1d70b8", "#ffffff"), ("#4c2c92", "#ffffff"), ("#003078", "#ffffff"),
         ("#ffffff", "#00703c"), ("#ffffff", "#005a30"), ("#ffffff", "#d4351c"), ("#d4351c", "#ffffff"),
         ("#505a5f", "#ffffff"), ("#ffffff", "#0b0c0c"), ("#0b0c0c", "#f3f2f1"), ("#0b0c0c", "#dbdad9"),
         ("#005a30", "#cce2d8"), ("#0c2d4a", "#bbd4ea"), ("#383f43", "#eeefef"), ("#2a0b06", "#f6d7d2"),
         ("#594d00", "#fff7bf"), ("#0b0c0c", "#ffdd00")]


def _luminance(colour: str) -> float:
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_the_pages_colours_meet_wcag_aa_contrast():
    css = (CUSTOMER / "static" / "page.css").read_text(encoding="utf-8").lower()
    for text, background in PAIRS:
        for colour in (text, background):
            short = colour if colour not in ("#ffffff", "#ffdd00") else {"#ffffff": "#fff", "#ffdd00": "#fd0"}[colour]
            assert colour in css or short in css, colour
        light, dark = sorted((_luminance(text), _luminance(background)), reverse=True)
        assert (light + 0.05) / (dark + 0.05) >= 4.5, (text, background)
