"""Agreement terms: what was agreed and signed, its canonical JSON and SHA-256.

The canonical terms hold everything the PDF shows that matters (parties, debt, plan,
schedule, terms text, place, date) and, for each signature, the SHA-256 of its PNG and
its capture time, never the image bytes: the hash of the terms covers the signatures
while the terms stay small enough for a QR code reference and a sync payload.

The same reader takes a TERMS.json (signature images inline or as files, see
TERMS.md) and the canonical JSON embedded in a PDF (signature hashes only), so a
verifier re-checks the arithmetic of an agreement exactly as it was rendered.
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator

from fieldapp.core.canonical import canonical_json, sha256_hex
from fieldapp.core.errors import BadInput
from fieldapp.core.money import minor_units
from fieldapp.core.plans import (
    Frequency, Instalment, Plan, PlanKind, PlanLimits, Remainder, check_plan,
)
from fieldapp.core.timeutil import parse_aware, zone
from fieldapp.documents.images import check_signature_png
from fieldapp.documents.reader import Reader

FORMAT = "fieldapp.agreement/1"
LANGS = ("zh_CN", "en")
ROLES = ("customer", "agent")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_TAIL = re.compile(r"[0-9A-Za-z]{1,6}")
_HEX = re.compile(r"[0-9a-f]{64}")
_TOP = {"format", "agreement_id", "case_reference", "creditor", "customer", "agent", "currency",
        "amount_due", "plan", "schedule", "terms_text", "place", "date", "timezone", "signatures"}


@dataclass(frozen=True)
class Creditor:
    name: str
    address: str | None = None
    registration: str | None = None


@dataclass(frozen=True)
class Customer:
    name: str
    id_tail: str          # last characters of the identity document only
    address: str


@dataclass(frozen=True)
class Agent:
    name: str
    id: str


@dataclass(frozen=True)
class Signature:
    role: str
    captured_at: _dt.datetime
    sha256: str
    png: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True)
class AgreementTerms:
    agreement_id: str
    case_reference: str
    creditor: Creditor
    customer: Customer
    agent: Agent
    plan: Plan
    schedule: tuple[Instalment, ...]
    terms_text: dict[str, str]
    place: str
    date: _dt.date
    timezone: str
    signatures: dict[str, Signature]

    @property
    def currency(self) -> str:
        return self.plan.currency

    @property
    def amount_due(self) -> Decimal:
        return self.plan.amount_due

    def canonical(self) -> dict[str, Any]:
        p = self.plan
        return {
            "format": FORMAT,
            "agreement_id": self.agreement_id,
            "case_reference": self.case_reference,
            "creditor": {"name": self.creditor.name, "address": self.creditor.address,
                         "registration": self.creditor.registration},
            "customer": {"name": self.customer.name, "id_tail": self.customer.id_tail,
                         "address": self.customer.address},
            "agent": {"name": self.agent.name, "id": self.agent.id},
            "currency": p.currency,
            "amount_due": p.amount_due,
            "plan": {"kind": p.kind.value, "total": p.total, "count": p.count,
                     "frequency": p.frequency.value if p.frequency else None,
                     "first_due": p.first_due, "remainder": p.remainder.value},
            "schedule": [{"number": r.number, "due": r.due, "amount": r.amount}
                         for r in self.schedule],
            "terms_text": dict(self.terms_text),
            "place": self.place,
            "date": self.date,
            "timezone": self.timezone,
            "signatures": {role: {"captured_at": s.captured_at, "sha256": s.sha256}
                           for role, s in self.signatures.items()},
        }

    def canonical_bytes(self) -> bytes:
        return canonical_json(self.canonical())

    @property
    def sha256(self) -> str:
        return sha256_hex(self.canonical_bytes())

    def texts(self) -> Iterator[tuple[str, str, bool]]:
        """(field, text, multiline) of every free text, for the font coverage check."""
        yield "agreement_id", self.agreement_id, False
        yield "case_reference", self.case_reference, False
        for name in ("name", "address", "registration"):
            value = getattr(self.creditor, name)
            if value:
                yield f"creditor.{name}", value, False
        yield "customer.name", self.customer.name, False
        yield "customer.address", self.customer.address, False
        yield "agent.name", self.agent.name, False
        yield "agent.id", self.agent.id, False
        yield "place", self.place, False
        for lang, text in self.terms_text.items():
            yield f"terms_text.{lang}", text, True


def parse_terms(data: Any, *, where: str = "terms", limits: PlanLimits | None = None,
                base_dir: Path | None = None, require_images: bool = True,
                unsigned: bool = False) -> AgreementTerms:
    """Read and check agreement terms (a TERMS.json or the canonical form).

    `limits` applies the institution's limits to the plan; `require_images` demands the
    signature PNGs (rendering) rather than only their hashes (verifying); `unsigned`
    accepts terms that nobody has signed by hand yet (the draft shown before the pad).
    """
    r = Reader(where)
    data = r.obj(data, "", _TOP)
    fmt = data.get("format", FORMAT)
    if fmt != FORMAT:
        raise r.fail("format", f"{fmt!r} is not supported; expected {FORMAT!r}")
    agreement_id = r.pattern(data, "agreement_id", "agreement_id", _ID,
                             "use up to 64 letters, digits, '.', '_' or '-'")
    case_reference = r.text(data, "case_reference", "case_reference", limit=64)
    cred = r.obj(data.get("creditor"), "creditor", {"name", "address", "registration"})
    creditor = Creditor(r.text(cred, "name", "creditor.name", limit=120),
                        r.text(cred, "address", "creditor.address", required=False),
                        r.text(cred, "registration", "creditor.registration", required=False, limit=80))
    cust = r.obj(data.get("customer"), "customer", {"name", "id_tail", "address"})
    customer = Customer(r.text(cust, "name", "customer.name", limit=120),
                        r.pattern(cust, "id_tail", "customer.id_tail", _TAIL,
                                  "give only the last 1 to 6 letters or digits of the identity document"),
                        r.text(cust, "address", "customer.address"))
    ag = r.obj(data.get("agent"), "agent", {"name", "id"})
    agent = Agent(r.text(ag, "name", "agent.name", limit=120), r.text(ag, "id", "agent.id", limit=40))

    currency = r.text(data, "currency", "currency", limit=3)
    try:
        minor_units(currency)
    except BadInput as exc:
        raise r.fail("currency", exc.reason) from None
    amount_due = r.amount(data, "amount_due", "amount_due", currency)
    agreed_on = r.date(data, "date", "date")
    tz_name = r.text(data, "timezone", "timezone", required=False, limit=64) or "UTC"
    tz = zone(tz_name, where=where)

    plan, rows = _plan(r, data, currency, amount_due, agreed_on, limits)
    terms_text = _terms_text(r, data)
    place = r.text(data, "place", "place", limit=200)
    if unsigned and not data.get("signatures"):
        signatures: dict[str, Signature] = {}
    else:
        signatures = _signatures(r, data, agreed_on, tz, base_dir, require_images)
    return AgreementTerms(agreement_id, case_reference, creditor, customer, agent, plan, tuple(rows),
                          terms_text, place, agreed_on, tz_name, signatures)


def _plan(r: Reader, data: dict[str, Any], currency: str, amount_due: Decimal,
          agreed_on: _dt.date, limits: PlanLimits | None) -> tuple[Plan, list[Instalment]]:
    raw = r.obj(data.get("plan"), "plan",
                {"kind", "total", "count", "frequency", "first_due", "remainder"})
    kind = r.choice(raw, "kind", "plan.kind", PlanKind)
    if kind is None:
        raise r.fail("plan.kind", f"is required ({', '.join(k.value for k in PlanKind)})")
    total = r.amount(raw, "total", "plan.total", currency) if "total" in raw else amount_due
    count = raw.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int):
        raise r.fail("plan.count", "expected a whole number of payments")
    plan = Plan(kind=kind, currency=currency, amount_due=amount_due, total=total,
                first_due=r.date(raw, "first_due", "plan.first_due"), count=count,
                frequency=r.choice(raw, "frequency", "plan.frequency", Frequency),
                # null, like a missing field, means the default
                remainder=r.choice(raw, "remainder", "plan.remainder", Remainder) or Remainder.LAST)
    try:
        rows = check_plan(plan, agreed_on, limits)
    except BadInput as exc:
        raise r.fail(exc.field or "plan", exc.reason) from None
    if data.get("schedule") is not None:
        _same_schedule(r, data["schedule"], rows, plan)
    return plan, rows


def _same_schedule(r: Reader, given: Any, rows: list[Instalment], plan: Plan) -> None:
    """A schedule written in the terms must be exactly the one the plan gives."""
    if not isinstance(given, list) or not given:
        raise r.fail("schedule", "expected a list of payments")
    amounts = []
    for i, item in enumerate(given):
        item = r.obj(item, f"schedule[{i}]", {"number", "due", "amount"})
        amounts.append(r.amount(item, "amount", f"schedule[{i}].amount", plan.currency))
    if sum(amounts, Decimal(0)) != plan.total:
        raise r.fail("schedule", f"the payments sum to {sum(amounts, Decimal(0))} but the plan total "
                                 f"is {plan.total} {plan.currency}: the terms do not add up")
    if len(given) != len(rows):
        raise r.fail("schedule", f"has {len(given)} payments but the plan gives {len(rows)}")
    for i, (item, row) in enumerate(zip(given, rows)):
        if item.get("number", row.number) != row.number:
            raise r.fail(f"schedule[{i}].number", f"expected {row.number}")
        due = r.date(item, "due", f"schedule[{i}].due")
        if due != row.due:
            raise r.fail(f"schedule[{i}].due", f"{due} but the plan gives {row.due}")
        if amounts[i] != row.amount:
            raise r.fail(f"schedule[{i}].amount", f"{amounts[i]} but the plan gives {row.amount}")


def _terms_text(r: Reader, data: dict[str, Any]) -> dict[str, str]:
    raw = r.obj(data.get("terms_text"), "terms_text", set(LANGS))
    texts = {}
    for lang in LANGS:
        value = r.text(raw, lang, f"terms_text.{lang}", required=False, limit=20000, multiline=True)
        if value:
            texts[lang] = value
    if not texts:
        raise r.fail("terms_text", "give the terms in zh_CN, en or both")
    return texts


def _signatures(r: Reader, data: dict[str, Any], agreed_on: _dt.date, tz: Any,
                base_dir: Path | None, require_images: bool) -> dict[str, Signature]:
    raw = r.obj(data.get("signatures"), "signatures", set(ROLES))
    out: dict[str, Signature] = {}
    for role in ROLES:
        path = f"signatures.{role}"
        if role not in raw:
            raise r.fail(path, "is required: the customer and the agent both sign")
        sig = r.obj(raw[role], path, {"captured_at", "png", "png_base64", "sha256"})
        captured = parse_aware(sig.get("captured_at"), field=f"{path}.captured_at", where=r.where)
        if captured.astimezone(tz).date() != agreed_on:
            raise r.fail(f"{path}.captured_at",
                         f"{captured.isoformat()} is not on the agreement date {agreed_on} ({tz})")
        png = _png(r, sig, path, base_dir)
        if png is None:
            if require_images:
                raise r.fail(path, "needs the signature image (png_base64 or png file)")
            digest = r.text(sig, "sha256", f"{path}.sha256", limit=64)
            if not _HEX.fullmatch(digest or ""):
                raise r.fail(f"{path}.sha256", "expected 64 lower-case hex digits")
        else:
            try:
                check_signature_png(png, field=path)
            except BadInput as exc:
                raise r.fail(path, exc.reason) from None
            digest = hashlib.sha256(png).hexdigest()
            if "sha256" in sig and sig["sha256"] != digest:
                raise r.fail(f"{path}.sha256", "does not match the signature image")
        out[role] = Signature(role, captured, digest, png)
    return out


def _png(r: Reader, sig: dict[str, Any], path: str, base_dir: Path | None) -> bytes | None:
    if sig.get("png_base64") is not None:
        try:
            return base64.b64decode(str(sig["png_base64"]), validate=True)
        except (binascii.Error, ValueError):
            raise r.fail(f"{path}.png_base64", "is not valid base64") from None
    if sig.get("png") is not None:
        name = r.text(sig, "png", f"{path}.png", limit=500)
        file = Path(name) if base_dir is None else base_dir / name
        try:
            return file.read_bytes()
        except OSError as exc:
            raise r.fail(f"{path}.png", f"cannot read {file}: {exc.strerror}") from None
    return None
