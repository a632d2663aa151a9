"""Signature images: real PNGs with visible strokes, or a clear refusal.

A signature pad that sent nothing, a blank canvas or a file that is not a PNG must
never end up as an empty box on a signed agreement, so each image is decoded (Pillow,
which reportlab already depends on) and its ink counted.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from fieldapp.core.errors import BadInput

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_BYTES = 2_000_000
MAX_SIDE = 4000
MIN_INK_PIXELS = 20   # a dot or a stray tap is not a signature
INK_LEVEL = 160       # grey level (0 black .. 255 white) below which a pixel counts as ink


@dataclass(frozen=True)
class SignatureImage:
    png: bytes
    width: int
    height: int


def check_signature_png(data: bytes, *, field: str) -> SignatureImage:
    """Decode `data`; refuse what is not a PNG, is too large, or shows no strokes."""
    if not data:
        raise BadInput("the signature image is empty", field=field)
    if not data.startswith(PNG_MAGIC):
        raise BadInput("the signature image is not a PNG file", field=field)
    if len(data) > MAX_BYTES:
        raise BadInput(f"the signature image is {len(data)} bytes; at most {MAX_BYTES}", field=field)
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size
            if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
                raise BadInput(f"the signature image is {width}x{height} pixels; "
                               f"at most {MAX_SIDE} on a side", field=field)
            img.load()
            rgba = img.convert("RGBA")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise BadInput(f"the signature PNG cannot be decoded ({exc})", field=field) from None
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    grey = Image.alpha_composite(white, rgba).convert("L")
    histogram = grey.histogram()
    ink = sum(histogram[:INK_LEVEL])
    if ink < MIN_INK_PIXELS:
        raise BadInput("the signature image is blank (no visible strokes)", field=field)
    return SignatureImage(data, width, height)
