"""Shared page machinery for the documents: styles, bilingual labels, footers, attachments.

Every page gets a footer that needs the page count ("page x of y"), so pages are held
back until the end and the footer is drawn on each at save time (the usual reportlab
two-step canvas). Files are embedded as PDF attachments (an EmbeddedFiles name tree)
directly through reportlab's object layer, so the PDF is written once.
"""

from __future__ import annotations

import datetime as _dt
import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Callable, Iterable, Sequence
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfdoc import PDFArray, PDFDictionary, PDFName, PDFStream, PDFString, PDFZCompress
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

from fieldapp.core.i18n import Translator
from fieldapp.core.timeutil import utcnow
from fieldapp.core.money import minor_units
from fieldapp.documents.fonts import DocumentFont, document_font

RENDER_LANGS = ("zh_CN", "en", "both")
MARGIN = 16 * mm
FOOTER_HEIGHT = 30 * mm
INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#5f6b7a")
RULE = colors.HexColor("#c5ccd6")
SHADE = colors.HexColor("#eef1f5")


def money_text(amount: Decimal, currency: str) -> str:
    """An amount as printed: thousands separators, the currency's decimals, no symbol."""
    return f"{amount:,.{minor_units(currency)}f}"


def check_render_lang(lang: str | None) -> str:
    from fieldapp.core.errors import BadInput

    value = (lang or "both").replace("-", "_")
    if value.lower() in ("zh", "zh_cn"):
        return "zh_CN"
    if value in RENDER_LANGS:
        return value
    raise BadInput(f"unsupported language {lang!r}; use zh_CN, en or both", field="lang")


class Msg(str):
    """A placeholder value that is itself a message to translate."""


@dataclass
class Labels:
    """User-facing labels in the chosen language(s): Chinese first when both."""

    lang: str
    _zh: Translator = field(init=False)
    _en: Translator = field(init=False)

    def __post_init__(self) -> None:
        self._zh = Translator.for_language("zh_CN")
        self._en = Translator.for_language("en")

    @property
    def langs(self) -> tuple[str, ...]:
        return ("zh_CN", "en") if self.lang == "both" else (self.lang,)

    def parts(self, message: str, **values: object) -> list[str]:
        """`message` in each language; values that are `Msg` are translated too."""
        out = []
        for lang in self.langs:
            tr = self._zh if lang == "zh_CN" else self._en
            out.append(tr(message, **{k: tr(v) if isinstance(v, Msg) else v for k, v in values.items()}))
        return out

    def inline(self, message: str, **values: object) -> str:
        """Both languages on one line ("还款计划 · Schedule")."""
        return " · ".join(dict.fromkeys(self.parts(message, **values)))

    def lines(self, message: str, **values: object) -> str:
        """Plain text, one language per line (for sentences)."""
        return "\n".join(dict.fromkeys(self.parts(message, **values)))


@dataclass(frozen=True)
class Styles:
    font: str
    title: ParagraphStyle
    subtitle: ParagraphStyle
    heading: ParagraphStyle
    body: ParagraphStyle
    small: ParagraphStyle
    cell: ParagraphStyle
    cell_head: ParagraphStyle
    cell_right: ParagraphStyle
    cell_head_right: ParagraphStyle


def make_styles(font: DocumentFont) -> Styles:
    f = font.name
    body = ParagraphStyle("body", fontName=f, fontSize=9.5, leading=14, textColor=INK,
                          wordWrap="CJK")
    return Styles(
        font=f,
        title=ParagraphStyle("title", parent=body, fontSize=17, leading=22, spaceAfter=2),
        subtitle=ParagraphStyle("subtitle", parent=body, fontSize=9, leading=12, textColor=MUTED,
                                spaceAfter=8),
        heading=ParagraphStyle("heading", parent=body, fontSize=11.5, leading=15, spaceBefore=10,
                               spaceAfter=4, textColor=colors.HexColor("#0b3d66")),
        body=body,
        small=ParagraphStyle("small", parent=body, fontSize=7.5, leading=10, textColor=MUTED),
        cell=ParagraphStyle("cell", parent=body, fontSize=9, leading=12),
        cell_head=ParagraphStyle("cell_head", parent=body, fontSize=8.5, leading=11, textColor=MUTED),
        cell_right=ParagraphStyle("cell_right", parent=body, fontSize=9, leading=12, alignment=TA_RIGHT),
        cell_head_right=ParagraphStyle("cell_head_right", parent=body, fontSize=8.5, leading=11,
                                       textColor=MUTED, alignment=TA_RIGHT),
    )


def _has_cjk(text: str) -> bool:
    return any(ord(ch) >= 0x2E80 for ch in text)


def para(text: str, style: ParagraphStyle, *, markup: bool = False) -> Paragraph:
    """A paragraph of plain text (escaped, newlines kept) unless `markup` is set.

    CJK line breaking (any character may end a line, with punctuation rules) is used only
    for text that has CJK characters; Latin text wraps at spaces, which is also faster.
    """
    if style.wordWrap == "CJK" and not _has_cjk(text):
        style = _latin(style)
    return Paragraph(text if markup else escape(text).replace("\n", "<br/>"), style)


def block(text: str, style: ParagraphStyle) -> list[Paragraph]:
    """Plain text as one paragraph per line, each wrapped by its own script (table cells)."""
    return [para(line, style) for line in text.split("\n")]


def _latin(style: ParagraphStyle) -> ParagraphStyle:
    latin = getattr(style, "_latin_twin", None)
    if latin is None:
        latin = ParagraphStyle(f"{style.name}-latin", parent=style, wordWrap=None)
        style._latin_twin = latin  # type: ignore[attr-defined]
    return latin


def grid(rows: Sequence[Sequence[object]], widths: Sequence[float], *, header: bool = False,
         zebra: bool = False, extra: Iterable[tuple] = ()) -> Table:
    """A plain ruled table; with `header` the first row repeats on every page."""
    table = Table(list(rows), colWidths=list(widths), repeatRows=1 if header else 0, splitInRow=1)
    style = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ]
    if header:
        style += [("BACKGROUND", (0, 0), (-1, 0), SHADE), ("LINEBELOW", (0, 0), (-1, 0), 0.8, MUTED)]
    if zebra:
        style += [("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f8f9fb")])]
    table.setStyle(TableStyle(style + list(extra)))
    return table


@dataclass(frozen=True)
class Attachment:
    name: str
    data: bytes
    mime: str
    description: str


FooterFn = Callable[[Canvas, int, int], None]


def _timestamp(moment: _dt.datetime):  # type: ignore[no-untyped-def]
    """reportlab's document time stamp (CreationDate, ModDate) for `moment`, in UTC."""
    from reportlab.lib.utils import TimeStamp

    stamp = TimeStamp(invariant=1)
    utc = moment.astimezone(_dt.timezone.utc)
    stamp.t = utc.timestamp()
    stamp.lt = utc.timetuple()
    stamp.YMDhms = tuple(stamp.lt)[:6]
    stamp.dhh = stamp.dmm = 0
    stamp.tzname = "UTC"
    return stamp


def _canvas_class(footer: FooterFn, attachments: Sequence[Attachment], created: _dt.datetime,
                  overlay: FooterFn | None = None) -> type[Canvas]:
    class _Canvas(Canvas):
        """Holds pages back so the footer knows the page count; embeds files on save."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._doc._timeStamp = _timestamp(created)
            self._held: list[dict] = []

        def showPage(self) -> None:  # noqa: N802 (reportlab API)
            self._held.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._held)
            for state in self._held:
                self.__dict__.update(state)
                footer(self, self._pageNumber, total)
                if overlay is not None:
                    overlay(self, self._pageNumber, total)
                Canvas.showPage(self)
            if attachments:
                embed_files(self, attachments)
            Canvas.save(self)

    return _Canvas


def embed_files(canvas: Canvas, files: Sequence[Attachment]) -> None:
    """Add `files` to the document's EmbeddedFiles name tree (PDF 1.7, 7.11.4)."""
    names: list[object] = []
    for item in sorted(files, key=lambda a: a.name):
        mime = "/" + item.mime.replace("/", "#2F")
        stream = PDFStream(PDFDictionary({"Type": PDFName("EmbeddedFile"), "Subtype": mime,
                                          "Params": PDFDictionary({"Size": len(item.data)})}),
                           item.data, filters=[PDFZCompress])
        spec = PDFDictionary({"Type": PDFName("Filespec"), "F": PDFString(item.name),
                              "UF": PDFString(item.name), "Desc": PDFString(item.description),
                              "AFRelationship": PDFName("Data"),
                              "EF": PDFDictionary({"F": stream, "UF": stream})})
        names += [PDFString(item.name), canvas._doc.Reference(spec)]
    tree = PDFDictionary({"Names": PDFArray(names)})
    canvas._doc.Catalog.Names = PDFDictionary({"EmbeddedFiles": tree})


def build_pdf(story: list, *, footer: FooterFn, title: str, subject: str, keywords: str,
              attachments: Sequence[Attachment] = (), top: float = MARGIN,
              created: _dt.datetime | None = None, overlay: FooterFn | None = None) -> bytes:
    """Lay out `story` on A4 pages and return the PDF bytes.

    The output depends only on its inputs: `created` (default: the application clock's
    now) is the document's CreationDate; `overlay` draws over each finished page (the
    draft mark)."""
    created = created or utcnow()
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=top, bottomMargin=FOOTER_HEIGHT, title=title,
                            subject=subject, keywords=keywords, author="fieldapp",
                            creator="fieldapp", invariant=1)
    doc.build(story, canvasmaker=_canvas_class(footer, attachments, created, overlay))
    return out.getvalue()


def styles_for_default_font() -> tuple[DocumentFont, Styles]:
    font = document_font()
    return font, make_styles(font)
