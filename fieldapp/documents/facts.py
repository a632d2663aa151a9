"""The facts check: an agreement PDF against the terms embedded in it.

This is one part of `fieldapp.documents.verify`, never a verdict on its own: anyone can
recompute a SHA-256, so only the signatures make a document tamper-evident. The facts
check says whether what a reader sees still matches the signed terms. It holds when:

1. it carries `agreement-terms.json`, in canonical form, that still passes the
   arithmetic checks (the schedule adds up to the agreed total);
2. the SHA-256 of those bytes is the one in the document keywords and the one printed,
   with the agreement id, on every page;
3. the attached signature PNGs hash to the values inside the terms;
4. the visible text still says what the terms say: every schedule row (number, due
   date, amount) appears in order; the amount due and the agreed total appear beside
   their labels; the parties' names, the identity document tail, the date, the place and
   every clause of the terms text appear; and no other amount is printed than those the
   terms give (for a currency without decimals: no other grouped amount and no other
   amount beside the currency code).

Check 4 reads facts, not layout, so later versions of the renderer keep verifying older
PDFs. The QR code is not decoded here (it repeats the id and hash of check 2).
Reading the PDF needs pypdf.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from fieldapp.core.canonical import canonical_json, sha256_hex
from fieldapp.core.errors import BadInput, FieldappError
from fieldapp.core.money import minor_units
from fieldapp.documents.agreement import (
    KEYWORD_PREFIX, TERMS_FILE, expected_amounts, signature_file,
)
from fieldapp.documents.layout import money_text
from fieldapp.documents.terms import AgreementTerms, parse_terms

_HEX64 = re.compile(r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])")
_WS = re.compile(r"\s+")


@dataclass
class Facts:
    """The verdict; `problems` says what does not match, in the order checked."""

    problems: list[str] = field(default_factory=list)
    agreement_id: str | None = None
    sha256: str | None = None
    pages: int = 0

    @property
    def intact(self) -> bool:
        return not self.problems


def _reader(data: bytes, where: str):
    try:
        from pypdf import PdfReader
        from pypdf.errors import PyPdfError
    except ImportError:  # pragma: no cover - pypdf is a dependency of verification
        raise FieldappError("verifying a PDF needs the pypdf package") from None
    if not data.startswith(b"%PDF-"):
        raise BadInput("not a PDF file", where=where)
    try:
        reader = PdfReader(io.BytesIO(data))
        _ = len(reader.pages)
        return reader
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise BadInput(f"the PDF cannot be read ({exc})", where=where) from None


def check_facts_file(path: Path) -> Facts:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadInput(f"cannot read the file: {exc.strerror}", where=str(path)) from None
    return check_facts(data, where=str(path))


def check_facts(data: bytes, *, where: str = "PDF") -> Facts:
    """Verify an agreement PDF; unreadable input is `BadInput`, a mismatch a problem."""
    reader = _reader(data, where)
    result = Facts(pages=len(reader.pages))
    try:
        attachments = {name: list(items) for name, items in reader.attachments.items()}
        texts = [page.extract_text() or "" for page in reader.pages]
        keywords = (reader.metadata or {}).get("/Keywords", "") if reader.metadata else ""
    except Exception as exc:  # noqa: BLE001 - any parse failure deep in a damaged file
        raise BadInput(f"the PDF cannot be read ({type(exc).__name__}: {exc})", where=where) from None

    raw = attachments.get(TERMS_FILE)
    if not raw:
        result.problems.append(f"the PDF carries no embedded terms ({TERMS_FILE}); it cannot be verified")
        return result
    if len(raw) != 1:
        result.problems.append(f"the PDF carries {len(raw)} copies of {TERMS_FILE}")
    body = raw[0]
    terms = _terms(body, result)
    if terms is None:
        return result
    digest = sha256_hex(body)
    result.agreement_id, result.sha256 = terms.agreement_id, digest
    _check_hash_everywhere(terms, digest, str(keywords), texts, result)
    _check_signatures(terms, attachments, result)
    _check_visible_facts(terms, texts, result)
    return result


def _terms(body: bytes, result: Facts) -> AgreementTerms | None:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        result.problems.append(f"the embedded terms are not valid JSON ({exc})")
        return None
    try:
        terms = parse_terms(data, where=TERMS_FILE, require_images=False)
    except BadInput as exc:
        result.problems.append(f"the embedded terms are not valid: {exc}")
        return None
    if canonical_json(terms.canonical()) != body:
        result.problems.append("the embedded terms are not in canonical form (they were rewritten)")
    return terms


def _check_hash_everywhere(terms: AgreementTerms, digest: str, keywords: str, texts: list[str],
                           result: Facts) -> None:
    if KEYWORD_PREFIX not in keywords:
        result.problems.append("the document keywords do not mark it as a fieldapp agreement")
    if f"sha256:{digest}" not in keywords:
        found = re.search(r"sha256:([0-9a-f]{64})", keywords)
        result.problems.append(f"the document keywords name SHA-256 {found.group(1) if found else 'none'}"
                               f" but the embedded terms hash to {digest}")
    if f"agreement:{terms.agreement_id}" not in keywords:
        result.problems.append("the document keywords name another agreement id")
    for number, text in enumerate(texts, 1):
        flat = _WS.sub("", text)
        if digest not in flat:
            shown = _HEX64.findall(flat)
            result.problems.append(f"page {number} shows SHA-256 {shown[0] if shown else 'none'}"
                                   f" but the embedded terms hash to {digest}")
        if terms.agreement_id not in flat:
            result.problems.append(f"page {number} does not show the agreement id {terms.agreement_id}")


def _check_signatures(terms: AgreementTerms, attachments: dict[str, list[bytes]],
                      result: Facts) -> None:
    for role, sig in terms.signatures.items():
        files = attachments.get(signature_file(role))
        if not files:
            result.problems.append(f"the {role}'s signature image is missing from the PDF")
        elif sha256_hex(files[0]) != sig.sha256:
            result.problems.append(f"the {role}'s signature image does not match the terms")


def _labels_shown(flat: str):  # type: ignore[no-untyped-def]
    """The label set the document was rendered with (both, zh_CN or en), read from its title."""
    from fieldapp.documents.layout import Labels

    for lang in ("both", "zh_CN", "en"):
        labels = Labels(lang)
        if _WS.sub("", labels.inline("Repayment agreement")) in flat:
            return labels
    return None


def _check_visible_facts(terms: AgreementTerms, texts: list[str], result: Facts) -> None:
    cur = terms.currency
    flat = _WS.sub("", "".join(texts))
    at = 0
    for row in terms.schedule:
        fact = f"{row.number}{row.due.isoformat()}{money_text(row.amount, cur)}"
        found = flat.find(fact, at)
        if found < 0:
            result.problems.append(f"schedule row {row.number} ({row.due.isoformat()}, "
                                   f"{money_text(row.amount, cur)} {cur}) is not shown as agreed")
            continue
        at = found + len(fact)
    labels = _labels_shown(flat)
    for label, amount in (("Amount due", terms.amount_due), ("Agreed total", terms.plan.total)):
        shown = money_text(amount, cur) + cur
        if labels is not None:
            shown = _WS.sub("", labels.lines(label)) + shown
        if shown not in flat:
            result.problems.append(f"the {label.lower()} {money_text(amount, cur)} {cur} is not shown as agreed")
    _check_named_facts(terms, flat, labels, result)
    allowed = expected_amounts(terms)
    decimals = minor_units(cur)
    if decimals:
        pattern = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})*\.\d{%d}(?![\d])" % decimals)
        shown_amounts = set(pattern.findall("\n".join(texts)))
    else:  # no decimals: grouped amounts (1,200) and any amount beside the currency code
        pattern = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?![\d,])")
        beside = re.compile(r"(?<![\d.,])(\d[\d,]*)\s*" + re.escape(cur))
        joined = "\n".join(texts)
        shown_amounts = set(pattern.findall(joined)) | set(beside.findall(joined))
    for free_text in (t for _, t, _ in terms.texts()):
        allowed |= set(pattern.findall(free_text))
    for amount in sorted(shown_amounts - allowed):
        result.problems.append(f"the amount {amount} is printed but is not in the terms")


def _check_named_facts(terms: AgreementTerms, flat: str, labels, result: Facts) -> None:  # type: ignore[no-untyped-def]
    """Names, identity tail, date, place and every clause, as the renderer prints them."""
    facts = [("the customer's name", terms.customer.name), ("the agent's name", terms.agent.name),
             ("the creditor's name", terms.creditor.name), ("the place", terms.place),
             ("the customer's address", terms.customer.address),
             ("the agreement date", terms.date.isoformat())]
    if labels is not None:
        facts.append(("the agreement date", " · ".join([
            f"{labels.inline('Agreement')} {terms.agreement_id}", f"{labels.inline('Case')} {terms.case_reference}",
            terms.date.isoformat(), terms.place])))
        facts.append(("the agreement date", labels.lines("Signed in {place} on {date}", place=terms.place,
                                                         date=terms.date.isoformat())))
        facts.append(("the identity document tail",
                      labels.inline("Identity document ending") + terms.customer.id_tail))
        facts.append(("the agent's id", labels.inline("Agent ID") + terms.agent.id))
    for lang, text in terms.terms_text.items():
        if labels is None or lang in labels.langs:
            for number, paragraph in enumerate(p for p in text.split("\n") if p.strip()):
                facts.append((f"clause {number + 1} of the {lang} terms", paragraph))
    missing = dict.fromkeys(what for what, text in facts if _WS.sub("", text) not in flat)
    result.problems += [f"{what} is not shown as agreed" for what in missing]
