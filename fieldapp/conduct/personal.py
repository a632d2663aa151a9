"""Personal numbers in free text: found, checked and masked before the text is stored.

What is found (digits may be written with spaces or hyphens between groups, in full-width
or half-width):
- a mainland China resident ID number (18 characters: area, a real date of birth, sequence,
  and the ISO 7064 MOD 11-2 check character), masked to its last four characters;
- a mainland mobile number (11 digits starting 13-19, optionally after +86), masked to
  138****8000;
- a bank card number (13 to 19 digits that pass the Luhn check), masked to its last four;
- a US social security number (123-45-6789 with its hyphens, not 000/666/9xx, 00 or 0000)
  and a US phone number written with separators ((555) 123-4567, 555-123-4567, +1 ...),
  masked to their last four.

A number that is none of these (an amount, a date, a case reference, a short hotline) is
left as it is. Each masked character becomes "*"; separators stay where they were.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

KINDS = {
    "cn_id": "an ID card number",
    "cn_mobile": "a mobile number",
    "bank_card": "a bank card number",
    "us_ssn": "a social security number",
    "us_phone": "a phone number",
}
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# Runs of digits with single spaces or hyphens between groups (an ID may end in X).
_RUN = re.compile(r"(?<![0-9A-Za-z])(?:\+\s?)?\d(?:[ \-]?\d)*(?:[ \-]?[Xx])?(?![0-9A-Za-z])")
_US_PHONE = re.compile(r"(?<![0-9A-Za-z])(?:\+?1[ .\-]?)?(?:\(\d{3}\)\s?|\d{3}[.\-\s])\d{3}[.\-\s]\d{4}(?![0-9A-Za-z])")
_TOLL_FREE = {"400", "800", "833", "844", "855", "866", "877", "888"}
_SSN = re.compile(r"(?<![0-9A-Za-z])(\d{3})-(\d{2})-(\d{4})(?![0-9A-Za-z])")


@dataclass(frozen=True)
class PersonalNumber:
    kind: str          # cn_id | cn_mobile | bank_card | us_ssn | us_phone
    start: int
    end: int
    masked: str

    @property
    def label(self) -> str:
        return KINDS[self.kind]

    def message(self, tr=None) -> str:  # noqa: ANN001 - a Translator or None
        template = "{kind} ({masked}) is stored masked"
        return tr(template, kind=tr(self.label), masked=self.masked) if tr else \
            template.format(kind=self.label, masked=self.masked)


def valid_cn_id(number: str) -> bool:
    """18 characters: a date of birth that exists and the MOD 11-2 check character."""
    if not re.fullmatch(r"[1-9]\d{16}[\dX]", number):
        return False
    try:
        born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    if not 1900 <= born.year <= 2100:
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == number[17]


def luhn(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _mask(text: str, keep_head: int, keep_tail: int) -> str:
    """`text` with its digits (and a final X) masked except the first/last ones kept."""
    places = [i for i, ch in enumerate(text) if ch.isdigit() or ch in "Xx"]
    hidden = set(places[keep_head:len(places) - keep_tail])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(text))


def _classify(digits: str) -> tuple[str, int, int] | None:
    """(kind, digits kept at the head, at the tail) for a run of digits, or None."""
    if len(digits) == 18 and valid_cn_id(digits):
        return "cn_id", 0, 4
    if re.fullmatch(r"1[3-9]\d{9}", digits):
        return "cn_mobile", 3, 4
    if re.fullmatch(r"861[3-9]\d{9}", digits):
        return "cn_mobile", 5, 4
    if 13 <= len(digits) <= 19 and digits.isdigit() and luhn(digits) and len(set(digits)) > 2:
        return "bank_card", 0, 4
    return None


def find_personal_numbers(text: str) -> list[PersonalNumber]:
    """The personal numbers in `text`, in order (none overlap)."""
    text = text or ""
    plain = "".join(n if len(n := unicodedata.normalize("NFKC", ch)) == 1 else ch for ch in text)
    found: list[PersonalNumber] = []

    def take(kind: str, start: int, end: int, head: int, tail: int) -> None:
        if not any(f.start < end and start < f.end for f in found):
            found.append(PersonalNumber(kind, start, end, _mask(text[start:end], head, tail)))

    for m in _SSN.finditer(plain):
        area, group, serial = m.groups()
        if area not in ("000", "666") and not area.startswith("9") and group != "00" and serial != "0000":
            take("us_ssn", m.start(), m.end(), 0, 4)
    for m in _RUN.finditer(plain):
        # A run may hold several numbers written one after the other ("ID ... phone ...");
        # from the left, take the longest stretch of whole groups that is a personal number.
        groups = [(g.start() + m.start(), g.end() + m.start())
                  for g in re.finditer(r"\+?[0-9Xx]+", m.group(0))]
        i = 0
        while i < len(groups):
            taken = False
            for j in range(len(groups) - 1, i - 1, -1):
                start, end = groups[i][0], groups[j][1]
                digits = re.sub(r"[^0-9Xx]", "", plain[start:end]).upper()
                if plain[start] == "+" and not digits.startswith("86"):
                    continue
                kind = _classify(digits)
                if kind is not None:
                    take(kind[0], start, end, kind[1], kind[2])
                    i, taken = j + 1, True
                    break
            if not taken:
                i += 1
    for m in _US_PHONE.finditer(plain):
        digits = re.sub(r"\D", "", m.group(0))
        local = digits[-10:]
        # Toll-free numbers (US 8xx, China's 400/800 service lines) belong to businesses.
        if len(local) == 10 and local[0] in "23456789" and local[3] in "23456789" and local[:3] not in _TOLL_FREE:
            take("us_phone", m.start(), m.end(), 0, 4)
    return sorted(found, key=lambda f: f.start)


@dataclass(frozen=True)
class Masked:
    text: str
    found: tuple[PersonalNumber, ...]

    @property
    def changed(self) -> bool:
        return bool(self.found)

    def kinds(self) -> list[str]:
        return sorted({f.kind for f in self.found})


def mask_personal_data(text: str) -> Masked:
    """`text` with every personal number masked, and what was found (positions in `text`)."""
    found = find_personal_numbers(text)
    if not found:
        return Masked(text or "", ())
    out, last = [], 0
    for f in found:
        out.append(text[last:f.start])
        out.append(f.masked)
        last = f.end
    out.append(text[last:])
    return Masked("".join(out), tuple(found))
