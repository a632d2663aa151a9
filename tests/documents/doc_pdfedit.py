"""Ways to alter a finished PDF, as someone tampering with it would (pypdf)."""

from __future__ import annotations

import io

from pypdf import PdfReader, PdfWriter
from pypdf.generic import ContentStream, NameObject, TextStringObject


def replace_in_content(pdf: bytes, old: bytes, new: bytes, occurrence: int = 0) -> bytes:
    """Replace the `occurrence`-th (0-based, across pages) `old` in the page content streams."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    seen = 0
    for page in writer.pages:
        data = page.get_contents().get_data()
        start = 0
        while (at := data.find(old, start)) >= 0:
            if seen == occurrence:
                stream = ContentStream(None, writer)
                stream.set_data(data[:at] + new + data[at + len(old):])
                page.replace_contents(stream)
                return _write(writer)
            seen += 1
            start = at + len(old)
    raise AssertionError(f"{old!r} occurs only {seen} times")


def replace_attachment(pdf: bytes, name: str, data: bytes) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    names = writer.root_object["/Names"]["/EmbeddedFiles"]["/Names"]
    for i in range(0, len(names), 2):
        if names[i] == name:
            spec = names[i + 1].get_object()
            stream = spec["/EF"]["/F"].get_object()
            stream.set_data(data)
            return _write(writer)
    raise AssertionError(f"no attachment {name}")


def drop_attachments(pdf: bytes) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    del writer.root_object["/Names"]
    return _write(writer)


def set_keywords(pdf: bytes, keywords: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.add_metadata({NameObject("/Keywords"): TextStringObject(keywords)})
    return _write(writer)


def _write(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# ---------------------------------------------------------------------------- signed files
# Edits a forger would make to a signed PDF. `incremental` ones append a revision (as a PDF
# editor saving "in place" does) so the earlier signature stays cryptographically intact and
# only the difference analysis can tell; the others rewrite the file.

def incremental_overprint(pdf: bytes, text: str, *, page: int = 0, rect=(300, 560, 560, 600)) -> bytes:
    """A FreeText annotation printing `text` over the page, in an incremental update."""
    from pypdf.annotations import FreeText

    writer = PdfWriter(io.BytesIO(pdf), incremental=True)
    annotation = FreeText(text=text, rect=rect, font="Helvetica", bold=True, font_size="14pt",
                          font_color="000000", border_color=None, background_color="ffffff")
    writer.add_annotation(page_number=page, annotation=annotation)
    return _write(writer)


def incremental_drop_page(pdf: bytes, index: int = -1) -> bytes:
    writer = PdfWriter(io.BytesIO(pdf), incremental=True)
    writer.remove_page(writer.pages[index])
    return _write(writer)


def incremental_swap_pages(pdf: bytes) -> bytes:
    writer = PdfWriter(io.BytesIO(pdf), incremental=True)
    kids = writer.root_object["/Pages"]["/Kids"]
    kids[0], kids[1] = kids[1], kids[0]
    writer.root_object["/Pages"][NameObject("/Kids")] = kids
    return _write(writer)


def rewrite_drop_page(pdf: bytes, index: int = -1) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.remove_page(writer.pages[index])
    return _write(writer)


def flip_byte(pdf: bytes, at: int) -> bytes:
    """One byte changed in place (the length stays, so offsets stay right): the byte at `at`,
    or the first after it that is not a line end (changing a line end would only move lines).
    The file always differs: a signed PDF holds random bytes (nonces, serials), so `at` lands
    on a line end in some runs, and leaving the file as it was then read as a missed edit."""
    data = bytearray(pdf)
    while data[at] in (ord("\n"), ord("\r")):
        at += 1
    data[at] = (data[at] + 1) % 256
    assert bytes(data) != pdf
    return bytes(data)


def damage_font(pdf: bytes) -> bytes:
    """Overwrite 64 bytes inside the embedded font program, keeping the file's length."""
    at = pdf.index(b"/FontFile2") + len(b"/FontFile2")
    number, generation = pdf[at:at + 30].split(b"R")[0].split()[:2]
    font_obj = pdf.index(b"\n" + number + b" " + generation + b" obj") + 1
    body = pdf.index(b"stream", font_obj) + len(b"stream\n") + 200
    data = bytearray(pdf)
    data[body:body + 64] = bytes(64)
    return bytes(data)
