"""The embedded CJK font, loaded once per process, and the check that it can show a text.

WenQuanYi Micro Hei (resources/fonts, Apache-2.0 or GPL-3+ with the font exception)
covers GBK Han, Latin, kana and hangul in TrueType outlines, which reportlab can subset
and embed; Noto CJK collections use CFF outlines that reportlab cannot load. Parsing
the 5 MB collection takes ~0.1 s, so it is done once and cached.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fieldapp.core.errors import BadInput

FONT_FILE = "wqy-microhei.ttc"
FONT_NAME = "FieldappWQYMicroHei"
FONT_LABEL = "WenQuanYi Micro Hei"


@dataclass(frozen=True)
class DocumentFont:
    """The registered reportlab font name and its character map."""

    name: str
    codepoints: frozenset[int]

    def check(self, text: str, *, field: str, multiline: bool = False) -> None:
        """Refuse text the font cannot draw, naming the field and the character."""
        for ch in text:
            if ch == "\n" and multiline:
                continue
            if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") and ch != " ":
                raise BadInput(f"contains the control character U+{ord(ch):04X}", field=field)
            if ord(ch) not in self.codepoints and ch not in " \u00a0":
                name = unicodedata.name(ch, "unnamed character")
                raise BadInput(f"the character {ch!r} (U+{ord(ch):04X} {name}) cannot be shown "
                               f"with the font {FONT_LABEL}", field=field)


# Full-width punctuation that must not begin a line in Chinese; reportlab's own list
# (reportlab.lib.textsplit) has the Japanese set but not these.
_NO_LINE_START = "，；：！？）》」』】〉、。…—"


def _configure_reportlab() -> None:
    """Process-wide reportlab settings the documents rely on (idempotent).

    - Chinese full-width punctuation joins the characters that may not start a line;
    - streams are Flate-compressed only: ASCII85 on top makes binary PDFs 25 % larger
      and costs a fifth of the build time in pure Python.
    """
    from reportlab import rl_config
    from reportlab.lib import textsplit
    from reportlab.platypus import paragraph

    rl_config.useA85 = 0

    for module in (textsplit, paragraph):  # each keeps its own copy of the list
        missing = "".join(ch for ch in _NO_LINE_START if ch not in module.ALL_CANNOT_START)
        if missing:
            module.ALL_CANNOT_START += missing


@lru_cache(maxsize=None)
def _load(path: str) -> DocumentFont:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    _configure_reportlab()

    font = TTFont(FONT_NAME, path, subfontIndex=0, asciiReadable=True)
    pdfmetrics.registerFont(font)
    return DocumentFont(FONT_NAME, frozenset(font.face.charToGlyph))


def document_font(path: Path | None = None) -> DocumentFont:
    """Register (first call only) and return the document font."""
    if path is None:
        from fieldapp.core.resources import resource_path

        path = resource_path("fonts", FONT_FILE)
    return _load(str(path))
