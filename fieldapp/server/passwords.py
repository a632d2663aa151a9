"""Which passwords the server refuses: empty, short, monotonous, like the user name, or common.

"Common" means on the shipped list of the 10,000 most common passwords
(`resources/passwords/common.txt`, provenance in its README), also once case, the usual
letter-for-symbol swaps (`p@ssw0rd`) and digits or punctuation around it (`password1`,
`2024dragon!`) are taken away. One rule for every way a password is set: `server
create-user`, the admin API's user creation and password change.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from functools import lru_cache

from fieldapp.core.resources import resource_path

MIN_PASSWORD_LENGTH = 8
MIN_DISTINCT = 4
SIMILARITY = 0.8   # difflib ratio from which a password counts as the user name misspelt

_EDGES = re.compile(r"^[\d\W_]+|[\d\W_]+$")
_NOT_ALNUM = re.compile(r"[\W_]+")
_LEET = [str.maketrans({"@": "a", "4": "a", "3": "e", "1": "i", "!": "i", "0": "o", "$": "s",
                        "5": "s", "7": "t"}),
         str.maketrans({"@": "a", "4": "a", "3": "e", "1": "l", "|": "l", "0": "o", "$": "s",
                        "5": "s", "7": "t"})]


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    text = resource_path("passwords", "common.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().casefold() for line in text.splitlines() if line.strip())


def _forms(password: str) -> set[str]:
    """The password and what is left of it without case, swaps and decoration."""
    base = password.casefold().strip()
    forms = {base}
    forms.update(base.translate(table) for table in _LEET)
    forms.update(_EDGES.sub("", f) for f in list(forms))
    forms.update(f.translate(table) for f in list(forms) for table in _LEET)
    return {f for f in forms if len(f) >= 4}


def is_common(password: str) -> bool:
    common = common_passwords()
    return any(form in common for form in _forms(password))


def _like_user_name(password: str, username: str) -> bool:
    p, u = password.casefold(), username.strip().casefold()
    if len(u) < 3:
        return False
    if p in (u, u[::-1]) or _NOT_ALNUM.sub("", p) in (u, _NOT_ALNUM.sub("", u), u[::-1]):
        return True
    for form in (u, u[::-1]):
        if form in p:
            rest = p.replace(form, "")
            bare = _NOT_ALNUM.sub("", rest)
            if len(rest) < 4 or (len(rest) < 6 and not re.search(r"[^\W\d_]", rest)) or is_common(bare or rest):
                return True
    return SequenceMatcher(None, p, u).ratio() >= SIMILARITY


def check_password_strength(password: str, username: str = "") -> str | None:
    """None when acceptable, else the reason it is refused (one sentence)."""
    if not password or not password.strip():
        return "the password is empty"
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"the password is shorter than {MIN_PASSWORD_LENGTH} characters"
    if username and password.casefold() == username.strip().casefold():
        return "the password equals the user name"
    if username and _like_user_name(password, username):
        return "the password is too much like the user name"
    if len(set(password)) < MIN_DISTINCT:
        return f"the password has fewer than {MIN_DISTINCT} different characters"
    if is_common(password):
        return "the password is a common one (or a common one with digits or symbols added); choose another"
    return None
