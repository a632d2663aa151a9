"""Handwritten signatures as evidence: each stroke's points with their times (and pressure
where the input device gives it), encrypted to the institution's evidence key.

The data is biometric, so only the institution may read it: the laptop encrypts it at
once to the evidence key's public half (X25519; a fresh ephemeral key per envelope,
HKDF-SHA256, AES-256-GCM) and embeds the envelope in the agreement PDF beside the
signature image, where the PAdES signature covers it. The associated data binds the
envelope to its agreement, its signer's role and its signature image, so it cannot be
moved to another document. An administrator opens it on the server for a dispute
(`fieldapp server evidence show PDF -o OUT.png`).

Handwriting JSON (`fieldapp.handwriting/1`)::

    {"format": ..., "width": 640, "height": 220, "pressure": true,
     "started_at": "2026-03-02T02:41:05.120Z",
     "strokes": [[[x, y, t_ms, pressure], ...], ...]}

x, y in pad pixels; t_ms since the first point; pressure 0..1 (0.5 when not measured).
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import io
import json
import os
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from fieldapp.core.errors import BadInput

FORMAT = "fieldapp.handwriting/1"
ENVELOPE = "fieldapp.sealed-evidence/1"
ALGORITHM = "X25519-HKDF-SHA256-A256GCM"
MAX_POINTS = 50_000
MAX_ENVELOPE = 4_000_000

Point = tuple[float, float, int, float]


@dataclass(frozen=True)
class Handwriting:
    width: int
    height: int
    strokes: tuple[tuple[Point, ...], ...]
    started_at: _dt.datetime | None = None
    pressure: bool = False

    @property
    def points(self) -> int:
        return sum(len(s) for s in self.strokes)

    @property
    def duration_ms(self) -> int:
        times = [p[2] for s in self.strokes for p in s]
        return max(times) - min(times) if times else 0

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "width": self.width, "height": self.height, "pressure": self.pressure,
                "started_at": self.started_at.astimezone(_dt.timezone.utc).isoformat().replace("+00:00", "Z")
                if self.started_at else None,
                "strokes": [[[round(x, 2), round(y, 2), int(t), round(p, 3)] for x, y, t, p in s]
                            for s in self.strokes]}

    @classmethod
    def from_json(cls, data: Any, *, where: str = "handwriting") -> "Handwriting":
        try:
            if data.get("format") != FORMAT:
                raise BadInput(f"not handwriting data (format {data.get('format')!r})", where=where)
            strokes = tuple(tuple((float(x), float(y), int(t), float(p)) for x, y, t, p in s)
                            for s in data["strokes"])
            started = data.get("started_at")
            return cls(int(data["width"]), int(data["height"]), strokes,
                       _dt.datetime.fromisoformat(started.replace("Z", "+00:00")) if started else None,
                       bool(data.get("pressure")))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise BadInput(f"the handwriting data is damaged ({type(exc).__name__})", where=where) from None


def context(agreement_id: str, role: str, png_sha256: str) -> bytes:
    """The associated data that binds an envelope to its document and signature."""
    return f"fieldapp-evidence/1|{agreement_id}|{role}|{png_sha256}".encode("utf-8")


def key_id(public: x25519.X25519PublicKey) -> str:
    return hashlib.sha256(public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)).hexdigest()[:16]


def load_public_key(pem: bytes) -> x25519.X25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError:
        raise BadInput("not a PEM public key", field="evidence_key") from None
    if not isinstance(key, x25519.X25519PublicKey):
        raise BadInput("the evidence key must be an X25519 key", field="evidence_key")
    return key


def _kdf(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=ephemeral + recipient,
                info=b"fieldapp evidence v1").derive(shared)


def seal(handwriting: Handwriting, recipient: x25519.X25519PublicKey, aad: bytes) -> bytes:
    """The encrypted envelope (JSON bytes) of `handwriting` for the holder of `recipient`."""
    if handwriting.points > MAX_POINTS:
        raise BadInput(f"the signature has {handwriting.points} points; at most {MAX_POINTS}", field="strokes")
    ephemeral = x25519.X25519PrivateKey.generate()
    raw = serialization.Encoding.Raw, serialization.PublicFormat.Raw
    epk, rpk = ephemeral.public_key().public_bytes(*raw), recipient.public_bytes(*raw)
    key = _kdf(ephemeral.exchange(recipient), epk, rpk)
    nonce = os.urandom(12)
    body = json.dumps(handwriting.to_json(), separators=(",", ":")).encode("utf-8")
    sealed = AESGCM(key).encrypt(nonce, body, aad)
    envelope = {"format": ENVELOPE, "alg": ALGORITHM, "kid": key_id(recipient),
                "epk": _b64(epk), "nonce": _b64(nonce), "ciphertext": _b64(sealed)}
    return json.dumps(envelope, separators=(",", ":"), sort_keys=True).encode("ascii")


def open_envelope(blob: bytes, private: x25519.X25519PrivateKey, aad: bytes, *,
                  where: str = "evidence") -> Handwriting:
    if len(blob) > MAX_ENVELOPE:
        raise BadInput("the evidence envelope is too large", where=where)
    try:
        env = json.loads(blob)
        if env.get("format") != ENVELOPE or env.get("alg") != ALGORITHM:
            raise BadInput(f"unknown evidence format {env.get('format')!r}/{env.get('alg')!r}", where=where)
        epk, nonce, sealed = (base64.b64decode(env[k], validate=True) for k in ("epk", "nonce", "ciphertext"))
    except (ValueError, KeyError, TypeError, AttributeError):
        raise BadInput("the evidence envelope is damaged", where=where) from None
    if env.get("kid") != key_id(private.public_key()):
        raise BadInput("the evidence was encrypted to another key than this server's", where=where)
    raw = serialization.Encoding.Raw, serialization.PublicFormat.Raw
    key = _kdf(private.exchange(x25519.X25519PublicKey.from_public_bytes(epk)), epk,
               private.public_key().public_bytes(*raw))
    try:
        body = AESGCM(key).decrypt(nonce, sealed, aad)
    except InvalidTag:
        raise BadInput("the evidence does not open: altered, or moved from another document or signature",
                       where=where) from None
    return Handwriting.from_json(json.loads(body), where=where)


def render_png(handwriting: Handwriting, *, scale: float = 2.0, ink: tuple[int, int, int] = (16, 20, 24)) -> bytes:
    """The strokes drawn again (line width from pressure), for a person to compare."""
    from PIL import Image, ImageDraw

    width = max(1, int(handwriting.width * scale))
    height = max(1, int(handwriting.height * scale))
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    for stroke in handwriting.strokes:
        for (x0, y0, _, p0), (x1, y1, _, p1) in zip(stroke, stroke[1:]):
            w = max(1, round(2.6 * scale * (0.5 + (p0 + p1) / 2)))
            draw.line([(x0 * scale, y0 * scale), (x1 * scale, y1 * scale)], fill=ink, width=w, joint="curve")
        if len(stroke) == 1:
            x, y = stroke[0][0] * scale, stroke[0][1] * scale
            draw.ellipse([x - 2, y - 2, x + 2, y + 2], fill=ink)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
