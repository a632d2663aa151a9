"""Photo evidence of a visit (the house number, a notice left at the door), made safe to
keep and send: decoded (a file that is not a photo is refused), turned upright, scaled
down so its longer side is at most the policy's limit, and written again as a JPEG whose
metadata holds only what the policy keeps: the time it was taken and, if the policy says
so, its GPS position. Everything else in EXIF (camera serials, owner names, thumbnails,
maker notes) is gone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from dataclasses import dataclass

from fieldapp.core.errors import BadInput

MAX_INPUT_BYTES = 25 * 1024 * 1024
MAX_OUTPUT_BYTES = 2 * 1024 * 1024
MAX_PIXELS = 60_000_000   # larger images are refused before decoding (decompression bombs)
EXIF_IFD, GPS_IFD = 0x8769, 0x8825
DATETIME_ORIGINAL, OFFSET_TIME_ORIGINAL = 0x9003, 0x9011


@dataclass(frozen=True)
class PreparedPhoto:
    jpeg: bytes
    sha256: str
    width: int
    height: int
    taken_at: dt.datetime | None   # from the photo's own metadata, when the policy keeps it
    lat: float | None = None
    lon: float | None = None


def _rational(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, ZeroDivisionError):
        return float("nan")


def _gps(gps: dict) -> tuple[float, float] | None:
    try:
        lat = sum(_rational(v) / d for v, d in zip(gps[2], (1, 60, 3600)))
        lon = sum(_rational(v) / d for v, d in zip(gps[4], (1, 60, 3600)))
    except (KeyError, TypeError, IndexError):
        return None
    if gps.get(1) in ("S", b"S"):
        lat = -lat
    if gps.get(3) in ("W", b"W"):
        lon = -lon
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


def _taken_at(exif_ifd: dict, zone: dt.tzinfo) -> dt.datetime | None:
    raw = exif_ifd.get(DATETIME_ORIGINAL)
    if not isinstance(raw, str):
        return None
    try:
        naive = dt.datetime.strptime(raw.strip(), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    offset = exif_ifd.get(OFFSET_TIME_ORIGINAL)
    if isinstance(offset, str) and len(offset) == 6 and offset[0] in "+-":
        try:
            sign = 1 if offset[0] == "+" else -1
            delta = dt.timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6]))
            return naive.replace(tzinfo=dt.timezone(sign * delta))
        except ValueError:
            return None
    return naive.replace(tzinfo=zone)  # a camera's clock without a zone: the customer's wall time


def prepare_photo(data: bytes, *, max_side: int = 1600, keep_time: bool = True, keep_position: bool = False,
                  zone: dt.tzinfo = dt.timezone.utc, field: str = "photo") -> PreparedPhoto:
    """Decode, strip, downscale and re-encode `data` (JPEG, PNG, WebP...). BadInput names
    `field` when the bytes are too large or not a picture."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if len(data) > MAX_INPUT_BYTES:
        raise BadInput(f"the photo is {len(data) // 1024 // 1024} MB; at most "
                       f"{MAX_INPUT_BYTES // 1024 // 1024} MB are taken", field=field)
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > MAX_PIXELS:
                raise BadInput(f"the photo has {img.width}×{img.height} pixels, more than a photo needs",
                               field=field)
            exif = img.getexif()
            exif_ifd = dict(exif.get_ifd(EXIF_IFD))
            gps_ifd = dict(exif.get_ifd(GPS_IFD))
            img.load()
            upright = ImageOps.exif_transpose(img) or img
            picture = upright.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise BadInput(f"not a photo this app can read ({type(exc).__name__})", field=field) from None
    picture.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    taken = _taken_at(exif_ifd, zone) if keep_time else None
    position = _gps(gps_ifd) if keep_position and gps_ifd else None

    kept = Image.Exif()
    if taken is not None:
        sub = {DATETIME_ORIGINAL: taken.strftime("%Y:%m:%d %H:%M:%S")}
        if taken.utcoffset() is not None:
            off = int(taken.utcoffset().total_seconds() // 60)  # type: ignore[union-attr]
            sub[OFFSET_TIME_ORIGINAL] = f"{'+' if off >= 0 else '-'}{abs(off) // 60:02d}:{abs(off) % 60:02d}"
        kept[EXIF_IFD] = sub
    if position is not None:
        kept[GPS_IFD] = {k: v for k, v in gps_ifd.items() if k in (0, 1, 2, 3, 4)}
    for quality in (85, 75, 60, 45):
        out = io.BytesIO()
        picture.save(out, "JPEG", quality=quality, optimize=True, exif=kept.tobytes() if len(kept) else b"")
        jpeg = out.getvalue()
        if len(jpeg) <= MAX_OUTPUT_BYTES:
            break
    else:
        raise BadInput("the photo stays too large after scaling down", field=field)
    return PreparedPhoto(jpeg, hashlib.sha256(jpeg).hexdigest(), picture.width, picture.height, taken,
                         *(position or (None, None)))


def stamp_photo(jpeg: bytes, *, taken_at: dt.datetime | None,
                position: tuple[float, float] | None = None) -> bytes:
    """A camera still as a phone camera writes it: the moment it was taken (aware; written
    with its UTC offset) and, when known, where, in its EXIF. The still then goes through
    `prepare_photo` like any file, which keeps of these what the policy keeps."""
    from PIL import Image

    exif = Image.Exif()
    if taken_at is not None:
        off = int((taken_at.utcoffset() or dt.timedelta()).total_seconds() // 60)
        exif[EXIF_IFD] = {DATETIME_ORIGINAL: taken_at.strftime("%Y:%m:%d %H:%M:%S"),
                          OFFSET_TIME_ORIGINAL: f"{'+' if off >= 0 else '-'}{abs(off) // 60:02d}:{abs(off) % 60:02d}"}
    if position is not None:
        lat, lon = position

        def dms(value: float) -> tuple[float, float, float]:
            value = abs(value)
            degrees, minutes = int(value), int(value * 60) % 60
            return float(degrees), float(minutes), round((value * 3600) % 60, 4)

        exif[GPS_IFD] = {1: "N" if lat >= 0 else "S", 2: dms(lat), 3: "E" if lon >= 0 else "W", 4: dms(lon)}
    if not len(exif):
        return jpeg
    with Image.open(io.BytesIO(jpeg)) as img:
        out = io.BytesIO()
        img.save(out, "JPEG", quality=95, exif=exif.tobytes())
    return out.getvalue()
