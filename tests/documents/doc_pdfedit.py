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
